"""The emulator's side of a first or last frame: checked as the real API checks it, kept for the render.

A ``data:image/...;base64,`` URL is decoded and sniffed (Pillow) at once: not an image, over the
emulator's size limit, or a shape other than the video's (models refuse a first frame whose
aspect differs) answers 400 naming the field. A local path is refused by the declaration's own
check (``request.checks.check_image``), as the real API refuses it. An http(s) URL is fetched
by the render (as a provider fetches it): one that cannot be fetched fails the job, saying why.
"""

from __future__ import annotations

import base64
import hashlib
import io
from dataclasses import dataclass, field
from typing import Any

from .._constants import DEFAULT_MAX_IMAGE_BYTES
from ..errors import InvalidRequestError
from ..media.images import DATA_URL, fit_box

FETCH_TIMEOUT = 10.0
ALLOWED = "an image (PNG, JPEG or WebP) as an http(s) URL or a data:image/...;base64 URL"


@dataclass(frozen=True)
class ImageRef:
    """One image of a job: by its SHA-256 (of the bytes, or of the URL when it is to be fetched)."""

    sha256: str
    url: str | None = None
    data: bytes | None = field(default=None, repr=False, compare=False)
    mime: str | None = field(default=None, compare=False)
    width: int | None = field(default=None, compare=False)
    height: int | None = field(default=None, compare=False)

    def echo(self) -> Any:
        """How the job's object shows it: the URL, or what the data URL held (not its bytes)."""
        if self.url is not None:
            return self.url
        return {
            "type": self.mime,
            "width": self.width,
            "height": self.height,
            "bytes": len(self.data or b""),
            "sha256": self.sha256,
        }

    def load(self, max_bytes: int = DEFAULT_MAX_IMAGE_BYTES) -> bytes:
        """The image's bytes: held, or fetched from its URL (in the render thread)."""
        if self.data is not None:
            return self.data
        assert self.url is not None
        import httpx

        try:
            with httpx.stream(
                "GET", self.url, timeout=FETCH_TIMEOUT, follow_redirects=True
            ) as response:
                response.raise_for_status()
                data = bytearray()
                for chunk in response.iter_bytes():
                    data += chunk
                    if len(data) > max_bytes:
                        raise ValueError(f"the image at {self.url} is over {max_bytes} bytes")
        except httpx.HTTPError as error:
            raise ValueError(f"the image at {self.url} could not be fetched: {error}") from None
        return bytes(data)


def read_image(name: str, value: str, max_bytes: int) -> ImageRef:
    """A checked image field (an http(s) URL or a data URL) as the job keeps it."""
    match = DATA_URL.match(value)
    if match is None:  # an http(s) URL (check_image let nothing else through)
        return ImageRef(hashlib.sha256(value.encode()).hexdigest(), url=value)
    encoded = value[match.end() :]
    if len(encoded) * 3 // 4 > max_bytes:
        raise InvalidRequestError(
            name,
            "a data URL",
            f"an image of at most {max_bytes} bytes",
            reason=f"{name} is about {len(encoded) * 3 // 4} bytes, over the limit",
        )
    data = base64.b64decode(encoded)
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            kind, width, height = image.format, image.width, image.height
    except Exception:
        raise InvalidRequestError(
            name, "a data URL", ALLOWED, reason=f"{name} does not hold an image"
        ) from None
    mime = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}.get(kind or "")
    if mime is None:
        raise InvalidRequestError(name, "a data URL", ALLOWED, reason=f"{name} is a {kind} image")
    return ImageRef(hashlib.sha256(data).hexdigest(), None, data, mime, width, height)


def check_shape(name: str, image: ImageRef, aspect_ratio: str) -> None:
    """400 for an image whose shape is not the video's (within 1%): fit it first."""
    if image.width is None or image.height is None:
        return
    if fit_box(image.width, image.height, aspect_ratio) is not None:
        raise InvalidRequestError(
            name,
            f"{image.width}x{image.height}",
            f"an image of the video's shape, {aspect_ratio} (crop or pad it first: "
            "fit='crop' or fit='pad' on the client)",
            reason=f"{name} is {image.width}x{image.height}, not of the video's aspect "
            f"{aspect_ratio}",
        )
