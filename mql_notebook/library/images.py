"""The input images of the library's runs: one copy of each distinct image, named by its SHA-256.

A create's first and last frames are kept in the folder's ``images/`` (``images/<sha256>.png``),
so a run can be seen and made again after the caller's file is gone; the same image given to
many runs is stored once. An http(s) URL sent as given is recorded as that URL (not fetched).
A thumbnail (``images/<sha256>.thumb.jpg``) is made the first time a card asks for it.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._files import write_atomically
from ..errors import LibraryError
from .rows import rows_of_entries

if TYPE_CHECKING:  # loaded when used: an Entry (the client's import path) needs neither
    from ..media.images import EncodedImage

FOLDER = "images"
THUMBNAIL_WIDTH = 256
_NAME = re.compile(r"[0-9a-f]{64}\.(png|jpg|webp|img)")


@dataclass(frozen=True)
class InputImage:
    """An image a run was made from: its copy in the library (``path``) or the ``url`` it was
    sent as, with its SHA-256, type and size (None for a URL: it was never read)."""

    field: str
    path: Path | None
    url: str | None
    sha256: str | None
    mime: str | None
    width: int | None
    height: int | None
    size: int | None

    @property
    def source(self) -> Path | str:
        """What to give a create to send this image again: the copy's path, or the URL."""
        if self.path is not None:
            return self.path
        assert self.url is not None
        return self.url

    def thumbnail(self, width: int = THUMBNAIL_WIDTH) -> Path | None:
        """A JPEG at most ``width`` pixels wide beside the copy (made once; blocks), or None
        for a URL or when the copy cannot be read."""
        if self.path is None:
            return None
        thumb = self.path.with_name(self.path.name.split(".")[0] + ".thumb.jpg")
        if thumb.exists():
            return thumb
        try:
            from PIL import Image

            with Image.open(self.path) as picture:
                picture.draft("RGB", (width, width))  # a JPEG decodes at a fraction of its size
                picture.thumbnail((width, width * 4))
                out = io.BytesIO()
                picture.convert("RGB").save(out, "JPEG", quality=80)
            write_atomically(thumb, out.getvalue())
        except Exception:  # a thumbnail is a nicety, never an error
            return None
        return thumb

    def to_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "path": None if self.path is None else str(self.path),
            "url": self.url,
            "sha256": self.sha256,
            "mime": self.mime,
            "width": self.width,
            "height": self.height,
            "size": self.size,
        }


def store(folder: Path, image: EncodedImage) -> str:
    """Keep ``image`` in ``folder/images`` (once per SHA-256); returns its name there."""
    images = folder / FOLDER
    name = image.sha256 + image.extension
    path = images / name
    if path.exists() and path.stat().st_size == len(image.data):
        return name
    try:
        images.mkdir(exist_ok=True)
        write_atomically(path, image.data)
    except OSError as error:
        raise LibraryError(
            f"cannot keep the input image in the library {folder}: {error.strerror or error}"
        ) from error
    return name


def image_path(folder: Path, name: str) -> Path:
    """The copy ``name`` (as the index records it) inside ``folder/images``; refuses any other."""
    if not _NAME.fullmatch(name):
        raise LibraryError(f"refusing the image name {name!r} in the library {folder}")
    return folder / FOLDER / name


def remove_unused(folder: Path, name: str) -> None:
    """Remove a copy (and its thumbnail) no entry uses any more."""
    path = image_path(folder, name)
    for each in (path, path.with_name(name.split(".")[0] + ".thumb.jpg")):
        with contextlib.suppress(OSError):
            os.unlink(each)


def input_image(folder: Path, row: tuple[Any, ...]) -> InputImage:
    """An InputImage from a row of ``input_images`` (field, sha256, name, url, mime, w, h, size)."""
    field, sha, name, url, mime, width, height, size = row
    path = image_path(folder, name) if name else None
    return InputImage(field, path, url, sha, mime, width, height, size)


# -- the index's rows (called inside the Library's transactions) ------------------------


def store_all(folder: Path, images: dict[str, EncodedImage | str]) -> list[tuple[Any, ...]]:
    """Keep each image's copy (a URL is only recorded); the rows ``insert_rows`` writes."""
    from ..media.images import EncodedImage

    rows: list[tuple[Any, ...]] = []
    for field, image in images.items():
        if isinstance(image, EncodedImage):
            name = store(folder, image)
            rows.append(
                (
                    field,
                    image.sha256,
                    name,
                    None,
                    image.mime,
                    image.width,
                    image.height,
                    len(image.data),
                )
            )
        else:
            rows.append((field, None, None, str(image), None, None, None, None))
    return rows


def insert_rows(conn: Any, key: str, rows: list[tuple[Any, ...]]) -> None:
    """The input images' rows of the entry ``key`` (inside the Library's transaction)."""
    conn.executemany(
        "INSERT OR REPLACE INTO input_images (entry_key, field, sha256, name, url, mime, "
        "width, height, size) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(key, *row) for row in rows],
    )


def read_rows(conn: Any, folder: Path, keys: list[str]) -> dict[str, dict[str, InputImage]]:
    """The input images of the entries ``keys``, by entry key and field."""

    found: dict[str, dict[str, InputImage]] = {}
    select = (
        "SELECT entry_key, field, sha256, name, url, mime, width, height, size FROM "
        "input_images WHERE entry_key IN"
    )
    for row in rows_of_entries(conn, select, keys):
        found.setdefault(row[0], {})[row[1]] = input_image(folder, row[1:])
    return found


def unused(conn: Any, names: list[str]) -> list[str]:
    """Which of the copies ``names`` no entry refers to any more."""
    return [
        name
        for name in names
        if conn.execute("SELECT 1 FROM input_images WHERE name = ? LIMIT 1", (name,)).fetchone()
        is None
    ]
