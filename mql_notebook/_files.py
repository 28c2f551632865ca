"""Files written whole or not at all, and the names they are written under. Standard library only.

The client (a download to a path, a widget's ``save``) and the library (its videos and posters)
both write here: the bytes go to a hidden temporary name beside the destination,
``.<name>.<8 hex>.part``, renamed into place once complete, so no program ever sees half a
file under the chosen name. A crash leaves only ``.part`` files, which ``PART_GLOB`` finds.

At the shared level (beside ``errors`` and ``_constants``), not in ``client/``: the library sits
below the client and must not import it, and the client writes files without a library too.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from pathlib import Path

PART_SUFFIX = ".part"
PART_GLOB = f".*{PART_SUFFIX}"  # every temporary file of a folder (a crash's leftovers included)
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def temporary_path(path: Path) -> Path:
    """The hidden name beside ``path`` a file is written under until it is complete."""
    return path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}{PART_SUFFIX}")


def write_atomically(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` whole or not at all, as a download to a path is written.

    The bytes go to a temporary name beside it, renamed into place once written; on any
    failure the temporary file is removed. Created with ``open``, so the mode is the usual
    0666 less the umask (0644 under a 022 umask), like every other file this package writes.
    """
    dest = Path(path).expanduser()
    temp = temporary_path(dest)
    try:
        with open(temp, "wb") as file:
            file.write(data)
        os.replace(temp, dest)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return dest


def link_or_copy(source: Path, target: Path) -> Path:
    """Make ``target`` a hard link to ``source`` (a copy across filesystems), atomically."""
    temp = temporary_path(target)
    try:
        try:
            os.link(source, temp)
        except OSError:  # another filesystem, or links not allowed there
            shutil.copyfile(source, temp)
        os.replace(temp, target)
    finally:
        # Also when target already was this very file (rename then leaves both names).
        temp.unlink(missing_ok=True)
    return target


def safe_filename(video_id: str, suffix: str = ".mp4") -> str:
    """A file name made from a server's id that stays inside the chosen folder."""
    name = _UNSAFE_NAME.sub("_", video_id).strip("._") or "video"
    return name[:120] + suffix
