"""The library's video files: names made from server ids, kept inside the folder, written atomically.

The temporary ``.part`` names and the atomic writes are ``mql_notebook/_files.py``'s (the client
writes its downloads the same way); the names of the library's own files are made here.

A server's id becomes a file name with only letters, digits, ``.``, ``_`` and ``-``; an id
that had to be changed to fit (``../../x``) also gets a short hash of the original, so two
ids never share a file. Every path is checked to resolve inside the folder before use.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, TypeVar

from .._files import PART_GLOB, safe_filename
from ..errors import LibraryError
from .threads import OneThread

MAX_STEM = 100
_ENDS_LIKE_A_VARIANT = re.compile(r"-\d+$")
# Whole videos are read into memory, and decoded for posters, on this one thread. glibc's
# malloc gives each thread an arena of its own and keeps the memory freed there: decoded by
# whichever of asyncio's worker threads, 16 posters of 20 s 1080p videos left a kernel 25 MB
# larger after everything was freed; on one thread, each video's memory is reused by the next.
_VIDEO_THREAD = OneThread("mql-video")

T = TypeVar("T")


async def on_video_thread(action: Callable[..., T], *args: Any) -> T:
    """``action(*args)`` off the event loop, on the library's one thread for whole videos."""
    return await _VIDEO_THREAD.run(action, *args)


async def read_video(path: Path) -> bytes:
    """A video file's bytes, read on the library's video thread."""
    return await on_video_thread(Path(path).read_bytes)


def safe_stem(generation_id: str) -> str:
    """The file name stem for a generation id: the id itself when it is already a safe name."""
    stem = safe_filename(generation_id, suffix="")
    if stem != generation_id or len(stem) > MAX_STEM or _ENDS_LIKE_A_VARIANT.search(stem):
        digest = hashlib.sha256(generation_id.encode("utf-8", "surrogatepass")).hexdigest()[:10]
        stem = f"{stem[:MAX_STEM]}~{digest}"
    return stem


def variant_stem(generation_id: str, variant: int) -> str:
    """``<safe-id>`` for the first video, ``<safe-id>-2`` for the second, and so on."""
    stem = safe_stem(generation_id)
    return stem if variant == 0 else f"{stem}-{variant + 1}"


def inside(folder: Path, name: str) -> Path:
    """``folder / name``, refused unless it resolves to a file directly inside ``folder``."""
    if not name or name in (".", "..") or any(c in name for c in "/\\\0"):
        raise LibraryError(f"refusing the file name {name!r} in the library {folder}")
    path = folder / name
    # A name without separators resolves inside the folder unless it is a symbolic link: one
    # lstat for every name, the whole resolution (a system call per component) only for links.
    if os.path.islink(path) and path.resolve().parent != folder.resolve():
        raise LibraryError(f"refusing {path}: it resolves outside the library folder {folder}")
    return path


def copy_into(source: Path, file: IO[bytes]) -> None:
    with open(source, "rb") as src:
        shutil.copyfileobj(src, file, 1 << 20)
    file.flush()


def remove_quietly(path: Path) -> None:
    """Remove a file; one held open (a video playing) is fine on POSIX, and a failure is not fatal."""
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


def remove_stale_parts(folder: Path, before: float) -> int:
    """Remove ``.<name>.<hex>.part`` files last written before ``before``; how many went."""
    removed = 0
    for part in folder.glob(PART_GLOB):
        try:
            if part.is_file() and part.stat().st_mtime < before:
                part.unlink()
                removed += 1
        except OSError:  # gone meanwhile, or not ours to remove
            continue
    return removed
