"""The images of a create: encoded off the event loop, and sent without copying them whole.

``prepare_images`` runs ``media.images.encode_image`` for each image field in a worker thread
(reading a file, Pillow's sniffing and fitting all block). ``ImageBody`` is the request's JSON
body with each image spliced in as a data URL: the base64 text is made once and sent in 1 MiB
pieces, never joined into one string with the rest, so a 10 MB image costs its bytes and its
base64 (13 MB) at the peak, not four copies of it (a dict, a JSON string, its bytes, the
connection's buffer). The body can be sent again (a retry) as often as needed.
"""

from __future__ import annotations

import asyncio
import binascii
import json
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

from ..media.images import EncodedImage, chunks, encode_image
from ..request import DEFAULT_ASPECT_RATIO, IMAGE_NAMES, MODELS, check_option


def split_images(options: dict[str, Any]) -> dict[str, Any]:
    """Take the image fields given (not None) out of ``options``; return them by name."""
    return {name: options.pop(name) for name in IMAGE_NAMES if options.get(name) is not None}


async def prepare_images(
    images: Mapping[str, Any],
    *,
    model: str,
    aspect_ratio: str | None,
    fit: str | None,
    max_bytes: int,
) -> dict[str, EncodedImage | str]:
    """Each image ready to send (an ``EncodedImage``, or an http(s) URL as given), checked as the
    declaration says; ``fit`` reshapes it to ``aspect_ratio`` (a documented model's default when
    the request names none). Runs in a worker thread: files and Pillow block."""
    if not images:
        return {}
    aspect = aspect_ratio or (DEFAULT_ASPECT_RATIO if model in MODELS else None)

    def encode_all() -> dict[str, EncodedImage | str]:
        from ..request import BY_NAME

        ready = {}
        for name, value in images.items():
            encoded = encode_image(
                value, name=name, fit=fit, aspect_ratio=aspect, max_bytes=max_bytes
            )
            ready[name] = check_option(BY_NAME[name], model, encoded)
        return ready

    return await asyncio.to_thread(encode_all)


def parent_of(images: Mapping[str, Any], parent: Any) -> tuple[str | None, float | None]:
    """The library entry a run is made from and the time of its frame: ``parent=`` (an Entry, a
    key or an id), else the entry the first frame (or the last) was taken from, else None."""
    if parent is not None:
        key = getattr(parent, "key", parent)
        if not isinstance(key, str) or not key:
            raise TypeError(f"parent must be a library Entry, its key or its id, not {parent!r}")
        return key, None
    for name in IMAGE_NAMES:
        image = images.get(name)
        if isinstance(image, EncodedImage) and image.source_entry:
            return image.source_entry, image.source_time
    return None, None


def base64_of(data: bytes, piece: int = 3 * (1 << 16)) -> bytearray:
    """``data`` in base64, made piece by piece into one buffer of the final size: binascii's
    own encoder allocates twice the input while it works (20 MB more for a 10 MB image)."""
    out = bytearray((len(data) + 2) // 3 * 4)
    view, at = memoryview(data), 0
    for start in range(0, len(data), piece):  # a multiple of 3: no padding until the end
        encoded = binascii.b2a_base64(view[start : start + piece], newline=False)
        out[at : at + len(encoded)] = encoded
        at += len(encoded)
    return out


class ImageBody:
    """A JSON body with data-URL images spliced in; sent (async-iterated) any number of times.

    Only async-iterable: httpx takes a sync iterable as a body for its sync client only."""

    def __init__(self, parts: list[bytes | bytearray]) -> None:
        self._parts = parts
        self.length = sum(len(p) for p in parts)

    def pieces(self) -> Iterator[bytes]:
        """The body in pieces of at most 1 MiB."""
        for part in self._parts:
            yield from chunks(part)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self.pieces():
            yield piece

    @property
    def headers(self) -> dict[str, str]:
        return {"Content-Type": "application/json", "Content-Length": str(self.length)}


async def image_body(body: Mapping[str, Any]) -> ImageBody | None:
    """``body`` as an ``ImageBody`` when it holds encoded images (built in a worker thread: the
    base64 of a large image takes a while), else None (httpx's own ``json=`` does)."""
    if not any(isinstance(v, EncodedImage) for v in body.values()):
        return None
    return await asyncio.to_thread(build_image_body, body)


def build_image_body(body: Mapping[str, Any]) -> ImageBody:
    """The JSON text of ``body`` with each ``EncodedImage`` as its data URL (no I/O)."""
    token = f"mql-image-{uuid.uuid4().hex}"
    plain: dict[str, Any] = {}
    images: dict[str, EncodedImage] = {}
    for name, value in body.items():
        if isinstance(value, EncodedImage):
            plain[name] = f"{token}-{len(images)}"
            images[f'"{token}-{len(images)}"'] = value
        else:
            plain[name] = value
    text = json.dumps(plain, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    parts: list[bytes | bytearray] = []
    for marker, image in images.items():
        before, _, text = text.partition(marker)
        parts += [before.encode(), f'"{image.data_url_prefix()}'.encode()]
        parts += [base64_of(image.data), b'"']  # base64 needs no JSON escaping
    parts.append(text.encode())
    return ImageBody(parts)
