"""Small pictures of input images for the view: a JPEG data URL, made in a worker thread.

The image control shows the image it holds (``PREVIEW_WIDTH`` wide) and the history strip and
gallery cards the input images of their runs (``CARD_WIDTH`` wide, a few kB each). Everything
here blocks (Pillow, files): callers on the kernel's loop run it with ``asyncio.to_thread``.
Only the picture and plain numbers reach the view, never a path.
"""

from __future__ import annotations

import base64
import io
from collections import OrderedDict
from pathlib import Path
from typing import Any

from ..media.images import EncodedImage

PREVIEW_WIDTH = 192
CARD_WIDTH = 96
_CACHE_SIZE = 512
_cache: OrderedDict[tuple[str, int], str] = OrderedDict()  # (sha256, width) -> data URL


def thumbnail_url(source: bytes | Path | Any, width: int, *, key: str | None = None) -> str:
    """A JPEG data URL of ``source`` (an image file's bytes or path, or a PIL image) at most
    ``width`` pixels wide (and 2 x ``width`` tall); "" when it cannot be read."""
    if key is not None and (key, width) in _cache:
        _cache.move_to_end((key, width))
        return _cache[(key, width)]
    try:
        from PIL import Image, ImageOps

        picture: Image.Image
        if isinstance(source, (bytes, bytearray, memoryview)):
            picture = Image.open(io.BytesIO(bytes(source)))
        elif isinstance(source, Path):
            picture = Image.open(source)
        else:
            picture = source.copy()
        picture.draft("RGB", (width, width * 2))  # a JPEG decodes at a fraction of its size
        picture = ImageOps.exif_transpose(picture)
        picture.thumbnail((width, width * 2))
        out = io.BytesIO()
        picture.convert("RGB").save(out, "JPEG", quality=75)
    except Exception:  # a thumbnail is a nicety: the card shows the name instead
        return ""
    url = "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode("ascii")
    if key is not None:
        _cache[(key, width)] = url
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return url


def image_card(image: EncodedImage | str, name: str, width: int = PREVIEW_WIDTH) -> dict[str, Any]:
    """What the view shows of an image it holds: name, size, width x height, thumbnail."""
    if isinstance(image, str):  # an http(s) URL, sent as given: never fetched here
        return card(name or image)
    picture = thumbnail_url(image.data, width, key=image.sha256)
    return card(name, len(image.data), image.width, image.height, picture)


def card(
    name: str,
    size: int | None = None,
    width: int | None = None,
    height: int | None = None,
    thumbnail: str = "",
    error: str = "",
) -> dict[str, Any]:
    """One image field's card (js/protocol.d.ts ImageCard)."""
    return {
        "name": name,
        "size": size,
        "width": width,
        "height": height,
        "thumbnail": thumbnail,
        "error": error,
    }


def input_image_cards(images: dict[str, Any], width: int = CARD_WIDTH) -> dict[str, dict[str, Any]]:
    """The cards of a library entry's input images (``Entry.images``: ``InputImage`` by field),
    their thumbnails from the library's copies (blocking: a worker thread)."""
    cards = {}
    for field, image in images.items():
        path = image.path
        name = image.url if path is None else f"{image.sha256[:8]}{path.suffix}"
        shown = image.thumbnail() if path is not None else None
        picture = thumbnail_url(shown, width, key=image.sha256) if shown is not None else ""
        cards[field] = card(name or field, image.size, image.width, image.height, picture)
    return cards
