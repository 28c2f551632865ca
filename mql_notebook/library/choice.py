"""Which library a client (or the widget, or the CLI) records into, from its ``library=`` argument."""

from __future__ import annotations

import enum
import os
from typing import TYPE_CHECKING, Union

from .._constants import DEFAULT_LIBRARY_FOLDER as DEFAULT_FOLDER
from .._constants import ENV_LIBRARY
from .._constants import LIBRARY_OFF as OFF
from ..errors import ConfigurationError

if TYPE_CHECKING:  # loaded when a library is made (SQLite, the index code): not at import
    from .library import Library


class _Unset(enum.Enum):
    FROM_ENVIRONMENT = "from the environment"


FROM_ENVIRONMENT = _Unset.FROM_ENVIRONMENT
"""The default of ``library=``: ``MQL_LIBRARY`` decides (a plain client records only if it is set)."""

LibraryChoice = Union["Library", str, "os.PathLike[str]", bool, None, _Unset]


def resolve_library(
    choice: LibraryChoice = FROM_ENVIRONMENT,
    *,
    on_by_default: bool = False,
    environ: dict[str, str] | None = None,
) -> Library | None:
    """A Library, a folder, True (the default folder), False/None (off), or unset.

    Unset follows ``MQL_LIBRARY`` (a folder, or ``off``); when it is not set, the library is
    on (``./mql-videos``) only where ``on_by_default`` (the widget, the CLI), off for a plain
    ``MQL()`` / ``AsyncMQL()``, so the API page's snippets write nothing.
    """
    env = os.environ if environ is None else environ
    if choice is False or choice is None:
        return None
    if choice is FROM_ENVIRONMENT:
        value = env.get(ENV_LIBRARY, "").strip()
        if value.lower() == OFF or (not value and not on_by_default):
            return None  # before loading the index code: a plain MQL() never needs it
        from .library import Library

        return Library(value or DEFAULT_FOLDER)
    from .library import Library

    if isinstance(choice, Library):
        return choice
    if choice is True:
        value = env.get(ENV_LIBRARY, "").strip()
        return Library(value if value and value.lower() != OFF else DEFAULT_FOLDER)
    if isinstance(choice, (str, os.PathLike)):
        if not os.fspath(choice):
            raise ConfigurationError("library='' is not a folder: give a path, True or False")
        return Library(choice)
    raise ConfigurationError(
        f"library must be a Library, a folder path, True or False, not {type(choice).__name__}"
    )
