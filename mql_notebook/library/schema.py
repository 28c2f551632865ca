"""The library's index: one SQLite file, its schema versions, and opening it safely.

Several processes share one index (two notebooks, a batch and a CLI at once): WAL mode lets
readers go on while one writer writes, every write is one short ``BEGIN IMMEDIATE``
transaction (so it never has to upgrade a read lock, the case a busy handler cannot wait
out), and a lock held too long is waited out here rather than reaching the user.

A file that is not ours (another program's SQLite file, a text file, a damaged index) is
refused with an error naming it, and never written to: the checks below only read.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from .._constants import LIBRARY_LOCK_PATIENCE as LOCK_PATIENCE
from ..errors import LibraryError
from .filesystem import ROLLBACK, Journal

APPLICATION_ID = 0x4D514C56  # "MQLV" in the file header: this file is an mql-notebook library
BUSY_TIMEOUT_MS = 5_000  # SQLite's own wait for a lock, per statement

# Each step moves the schema one version up; user_version counts the steps applied. Never edit
# a released step: add one, so that a newer release opens an older library.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: what was asked, what the server answered, and the files downloaded.
    (
        """CREATE TABLE entries (
            key TEXT PRIMARY KEY,
            id TEXT UNIQUE,
            status TEXT NOT NULL,
            prompt TEXT,
            model TEXT,
            options TEXT NOT NULL DEFAULT '{}',
            origin TEXT,
            idempotency_key TEXT,
            created_at REAL NOT NULL,
            finished_at REAL,
            error TEXT
        )""",
        "CREATE INDEX entries_by_created ON entries (created_at)",
        """CREATE TABLE files (
            entry_key TEXT NOT NULL REFERENCES entries (key) ON DELETE CASCADE,
            variant INTEGER NOT NULL,
            name TEXT NOT NULL,
            size INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            PRIMARY KEY (entry_key, variant)
        )""",
    ),
    # 2: posters, in-process emulator origins (their jobs end with the process), the time the
    # create was answered, and learned durations for the poller.
    (
        "ALTER TABLE files ADD COLUMN poster TEXT",
        "ALTER TABLE entries ADD COLUMN origin_kind TEXT",
        "ALTER TABLE entries ADD COLUMN answered_at REAL",
        "CREATE INDEX entries_by_idempotency_key ON entries (idempotency_key)",
        """CREATE TABLE durations (
            origin TEXT NOT NULL,
            model TEXT NOT NULL,
            duration INTEGER,
            resolution TEXT,
            n INTEGER NOT NULL,
            seconds REAL NOT NULL,
            recorded_at REAL NOT NULL
        )""",
        "CREATE INDEX durations_by_kind ON durations (origin, model, duration, resolution, n)",
    ),
    # 3: the images a run was made from (a copy in images/ named by its SHA-256, or the URL
    # sent), and the run it was made from (a frame of its video): its parent.
    (
        """CREATE TABLE input_images (
            entry_key TEXT NOT NULL REFERENCES entries (key) ON DELETE CASCADE,
            field TEXT NOT NULL,
            sha256 TEXT,
            name TEXT,
            url TEXT,
            mime TEXT,
            width INTEGER,
            height INTEGER,
            size INTEGER,
            PRIMARY KEY (entry_key, field)
        )""",
        "CREATE INDEX input_images_by_name ON input_images (name)",
        "ALTER TABLE entries ADD COLUMN parent_key TEXT",
        "ALTER TABLE entries ADD COLUMN parent_time REAL",
        "CREATE INDEX entries_by_parent ON entries (parent_key)",
    ),
    # 4: money. What each create counts against budgets (videos, seconds of video, its
    # estimate; NULL for entries made before: they count for nothing), the cost the server
    # reported, which client's run made it (a client's own budget=), when its reservation was
    # given back (a refused or unbilled failed job); the library's budget and price table.
    (
        "ALTER TABLE entries ADD COLUMN videos INTEGER",
        "ALTER TABLE entries ADD COLUMN seconds REAL",
        "ALTER TABLE entries ADD COLUMN estimate REAL",
        "ALTER TABLE entries ADD COLUMN cost REAL",
        "ALTER TABLE entries ADD COLUMN currency TEXT",
        "ALTER TABLE entries ADD COLUMN run TEXT",
        "ALTER TABLE entries ADD COLUMN released_at REAL",
        "CREATE INDEX entries_by_run ON entries (run)",
        """CREATE TABLE library_settings (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            set_at REAL NOT NULL
        )""",
    ),
    # 5: the route of the API the job lives on (NULL: /v1/videos/generations; "minimax": the
    # MiniMax task route), so that a resume asks the route that made it.
    ("ALTER TABLE entries ADD COLUMN route TEXT",),
    # 6: what the user says of a run: a rating (0-5 stars, NULL: not rated) and a note; the
    # gallery sorts and filters by them.
    (
        "ALTER TABLE entries ADD COLUMN rating INTEGER",
        "ALTER TABLE entries ADD COLUMN note TEXT",
        "CREATE INDEX entries_by_rating ON entries (rating)",
    ),
    # 7: the batch or sweep a run was a member of (its id, its index from 0 and how many it
    # had), so that a card says "batch X, 3 of 6" and the gallery filters to one batch.
    (
        "ALTER TABLE entries ADD COLUMN batch TEXT",
        "ALTER TABLE entries ADD COLUMN batch_index INTEGER",
        "ALTER TABLE entries ADD COLUMN batch_size INTEGER",
        "CREATE INDEX entries_by_batch ON entries (batch)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)
TABLES = frozenset({"entries", "files", "durations", "input_images", "library_settings"})

T = TypeVar("T")


def is_busy(error: sqlite3.Error) -> bool:
    text = str(error).lower()
    return isinstance(error, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


def patiently(action: Callable[[], T], *, what: str, index: Path) -> T:
    """Run ``action``, retrying while another process holds the lock past SQLite's own wait.

    Called from worker threads (the async client uses ``asyncio.to_thread``) or sync code,
    never on an event loop: the short sleeps here block only this thread.
    """
    deadline = time.monotonic() + LOCK_PATIENCE
    delay = 0.005
    while True:
        try:
            return action()
        except sqlite3.Error as error:
            if not is_busy(error):
                raise
            if time.monotonic() >= deadline:
                raise LibraryError(
                    f"the library index {index} stayed locked by another process for "
                    f"{LOCK_PATIENCE:g} s while {what}"
                ) from error
        time.sleep(delay * (0.5 + random.random()))
        delay = min(delay * 2, 0.25)


def open_index(index: Path, *, uri: str | None = None) -> sqlite3.Connection:
    """A bare connection to the index (``uri``: the same file through another VFS)."""
    try:
        if uri is not None:
            conn = sqlite3.connect(
                uri,
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,
                check_same_thread=False,
                uri=True,
            )
        else:
            conn = sqlite3.connect(
                index, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
            )
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    except sqlite3.Error as error:
        raise LibraryError(
            f"cannot open the library index {index}: {error}; choose a writable folder "
            f"(library=... or MQL_LIBRARY), or library=False to run without one"
        ) from error
    return conn


def connect(index: Path, journal: Journal) -> sqlite3.Connection:
    """Open (creating if new), check and migrate the index; refuses a file that is not ours.

    ``journal`` is the folder's (filesystem.journal_for): WAL, or the rollback journal, used
    under the folder's lock file (the caller holds it).
    """
    if not journal.wal:
        _leave_wal(index)
    conn = open_index(index)
    try:
        patiently(lambda: _check_and_migrate(conn, index), what="opening it", index=index)
        if journal.wal:
            patiently(lambda: _use_wal(conn, index), what="opening it", index=index)
        set_pragmas(conn, journal)
    except sqlite3.OperationalError:  # the file or its filesystem, not its content (index.py)
        conn.close()
        raise
    except sqlite3.DatabaseError as error:
        conn.close()
        raise LibraryError(
            f"{index} is not a usable mql-notebook library index ({error}); it was left "
            f"untouched: move it away or choose another folder"
        ) from error
    except BaseException:
        conn.close()
        raise
    return conn


def set_pragmas(conn: sqlite3.Connection, journal: Journal) -> None:
    conn.execute("PRAGMA foreign_keys = ON")
    if journal.wal:
        conn.execute("PRAGMA synchronous = NORMAL")  # with WAL: durable across a crash of ours
    else:
        conn.execute(f"PRAGMA journal_mode = {ROLLBACK}")
        conn.execute("PRAGMA synchronous = FULL")  # the rollback journal needs it to be durable


def _leave_wal(index: Path) -> None:
    """An index of ours left in WAL mode (by an older release, or on a local disk before it
    moved) is switched to the rollback journal. Exclusive locking lets SQLite open a WAL file
    without shared memory; the caller holds the folder's lock, so no one else uses it."""
    try:
        with open(index, "rb") as file:
            header = file.read(100)
    except FileNotFoundError:
        return
    except OSError as error:
        raise LibraryError(f"cannot read the library index {index}: {error.strerror}") from error
    if len(header) < 20 or header[:16] != b"SQLite format 3\x00" or header[18:20] != b"\x02\x02":
        return
    conn = open_index(index)
    try:
        conn.execute("PRAGMA locking_mode = EXCLUSIVE")
        if conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID:
            conn.execute(f"PRAGMA journal_mode = {ROLLBACK}")
            Path(f"{index}-shm").unlink(missing_ok=True)  # WAL's, no longer used by anyone
    except sqlite3.DatabaseError as error:
        raise LibraryError(
            f"{index} is in SQLite's WAL mode and cannot be read on this filesystem ({error}); "
            f"it was left untouched: open it once on a local disk, or choose another folder"
        ) from error
    finally:
        conn.close()


def _check_and_migrate(conn: sqlite3.Connection, index: Path) -> None:
    # Reading the header first: a file that is not SQLite fails here, before any write.
    version, app_id, tables = _read_identity(conn)
    if app_id == APPLICATION_ID and version == SCHEMA_VERSION:
        _require_tables(tables, index)
        _quick_check(conn, index)
        return
    _refuse_unless_ours(version, app_id, tables, index)
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Read again under the write lock: another process may have just created or migrated it.
        version, app_id, tables = _read_identity(conn)
        _refuse_unless_ours(version, app_id, tables, index)
        for step in MIGRATIONS[version:]:
            for statement in step:
                conn.execute(statement)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    _require_tables(_read_identity(conn)[2], index)


def _read_identity(conn: sqlite3.Connection) -> tuple[int, int, set[str]]:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return version, app_id, tables


def _refuse_unless_ours(version: int, app_id: int, tables: set[str], index: Path) -> None:
    fresh = app_id == 0 and version == 0 and not tables
    if fresh:
        return
    if app_id != APPLICATION_ID:
        raise LibraryError(
            f"{index} is not an mql-notebook library index (another program's SQLite file, "
            f"application_id {app_id:#x}); it was left untouched: move it away or choose another folder"
        )
    if version > SCHEMA_VERSION:
        raise LibraryError(
            f"{index} was written by a newer mql-notebook (library schema {version}; this release "
            f"knows up to {SCHEMA_VERSION}): upgrade mql-notebook to use it; the file was left untouched"
        )


def _require_tables(tables: set[str], index: Path) -> None:
    missing = TABLES - tables
    if missing:
        raise LibraryError(
            f"{index} is a damaged mql-notebook library index (missing table(s) "
            f"{', '.join(sorted(missing))}); it was left untouched: move it away or choose another folder"
        )


def _quick_check(conn: sqlite3.Connection, index: Path) -> None:
    result = conn.execute("PRAGMA quick_check(1)").fetchone()[0]
    if result != "ok":
        raise LibraryError(
            f"{index} is a damaged mql-notebook library index ({result}); it was left untouched: "
            f"move it away or choose another folder"
        )


def _use_wal(conn: sqlite3.Connection, index: Path) -> None:
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":  # e.g. a network filesystem without shared memory
        raise LibraryError(
            f"the library index {index} cannot use SQLite's WAL mode here (journal mode {mode}); "
            f"put the library on a local disk"
        )
