"""The library: a folder of videos and an SQLite index, the product's memory.

- ``library``: ``Library`` (entries, get, pending, delete, the recording calls, durations);
- ``entry``: ``Entry`` and the plain decisions about entries (no I/O);
- ``schema``: the index's versions, migrations and safe opening (shared by processes);
- ``index``: the folder and its index, each use retried while locked, errors as LibraryError;
- ``filesystem``: the mount that holds the folder and a probe: WAL, or the rollback journal;
- ``lockfile``: the lock file that serialises the index where the rollback journal is used;
- ``files``: file names from server ids, kept inside the folder, atomic writes;
- ``posters``: a JPEG poster frame per video (when PyAV is installed);
- ``spending`` / ``reservations``: the budget and price table kept here, what was spent, and
  the reservation a create takes in the transaction that records it;
- ``durations``: how long jobs of each kind took (the poller's first guess);
- ``ratings``: a run's stars and note, its children, the gallery's page query;
- ``video_files``: where each video and poster is kept, half-written downloads cleared;
- ``export`` / ``export_page``: a folder with a page to share (index.html that works offline);
- ``choice``: which library a client records into (``library=``, ``MQL_LIBRARY``).
"""

from typing import TYPE_CHECKING

from .._constants import LIBRARY_INDEX_NAME as INDEX_NAME
from .._lazy import lazy_exports
from .choice import FROM_ENVIRONMENT, LibraryChoice, resolve_library

if TYPE_CHECKING:
    from .entry import Entry
    from .library import DEFAULT_FOLDER, ENV_LIBRARY, Library
    from .schema import SCHEMA_VERSION
    from .spending import BudgetStatus, SpentRow

__all__ = [
    "DEFAULT_FOLDER",
    "ENV_LIBRARY",
    "FROM_ENVIRONMENT",
    "INDEX_NAME",
    "SCHEMA_VERSION",
    "BudgetStatus",
    "Entry",
    "Library",
    "LibraryChoice",
    "SpentRow",
    "resolve_library",
]

# Loaded on first use of their names: ``from mql_notebook import MQL`` needs only the choice
# (``library=``), not SQLite and the index code, until a client records (BENCHMARKS.md, import).
_LAZY = {
    "Entry": ".entry",
    "DEFAULT_FOLDER": ".library",
    "ENV_LIBRARY": ".library",
    "Library": ".library",
    "SCHEMA_VERSION": ".schema",
    "BudgetStatus": ".spending",
    "SpentRow": ".spending",
}


__getattr__, __dir__ = lazy_exports(globals(), _LAZY)
