"""An image given to a create, made ready to send: sniffed, size-checked, fitted, encoded.

``encode_image`` takes what a user has at hand (a path, the file's bytes, a PIL image, a numpy
array of H x W x 3 uint8, a ``Frame`` of an earlier video, a ``data:image/...`` URL) and gives an
``EncodedImage``: the image file's bytes as they will be sent, their format sniffed from the
bytes themselves (a PNG named ``.jpg`` is a PNG), its size and its SHA-256. An http(s) URL is
not fetched: it is sent as given. Bytes already in a format the APIs take (PNG, JPEG, WebP)
are sent unchanged unless ``fit`` has to reshape them; another format (BMP, TIFF, GIF) is
converted to PNG. A PIL image or an array is encoded as PNG (JPEG when the PNG would pass the
size limit).

``fit="crop"`` cuts the image to the video's aspect about its centre, ``fit="pad"`` adds black
bars; None sends it as it is (the gateway may refuse a first frame whose shape differs from
the video's). Everything here blocks (files, Pillow): the async client runs it in a thread.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .._constants import DEFAULT_MAX_IMAGE_BYTES
from ..errors import InvalidRequestError

Fit = Literal["crop", "pad"]
FITS: tuple[str, ...] = ("crop", "pad")
# The formats video APIs take as a frame (MiniMax: JPG, JPEG, PNG, WebP), by Pillow's name.
SENT_AS_IS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp"}
ASPECT_TOLERANCE = 0.01  # a shape within 1% of the aspect needs no fitting
DATA_URL = re.compile(r"data:(image/[a-z0-9.+-]+);base64,", re.IGNORECASE)
WHAT = (
    "a path to an image file, an http(s) URL, a data:image/...;base64 URL, the image's bytes, "
    "a PIL image, a numpy array (H x W x 3 uint8) or a frame of a video (entry.frame())"
)


@dataclass(frozen=True, eq=False)
class EncodedImage:
    """An image file's bytes as they are sent (in a data URL), with what was sniffed from them.

    ``source_entry`` is the library entry (key) a frame came from, when it did: a run made from
    it records that entry as its parent.
    """

    data: bytes = field(repr=False)
    mime: str
    width: int
    height: int
    sha256: str
    source_entry: str | None = None
    source_time: float | None = None

    @property
    def extension(self) -> str:
        return EXTENSIONS.get(self.mime, ".img")

    def data_url(self) -> str:
        """``data:image/png;base64,...``: the whole image as text (13 MB for 10 MB)."""
        return self.data_url_prefix() + base64.b64encode(self.data).decode("ascii")

    def data_url_prefix(self) -> str:
        return f"data:{self.mime};base64,"

    def __repr__(self) -> str:
        return (
            f"EncodedImage({self.mime}, {self.width}x{self.height}, {len(self.data)} bytes, "
            f"sha256 {self.sha256[:12]})"
        )


def encode_image(
    value: Any,
    *,
    name: str = "first_frame_image",
    fit: str | None = None,
    aspect_ratio: str | None = None,
    max_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
) -> EncodedImage | str:
    """``value`` ready to send as the field ``name``: an ``EncodedImage``, or an http(s) URL as given.

    Raises InvalidRequestError naming the field for anything that is not an image, a file that
    is missing or too large (over ``max_bytes``), an unknown ``fit``, or a URL to be fitted.
    """
    if fit is not None and fit not in FITS:
        raise InvalidRequestError("fit", fit, ("crop", "pad", None))
    if fit is not None and aspect_ratio is None:
        raise InvalidRequestError(
            "fit", fit, "given with aspect_ratio=, the shape to fit the image to"
        )
    if isinstance(value, str) and value[:8].lower().startswith(("http://", "https://")):
        if fit is not None:
            raise InvalidRequestError(
                name,
                value,
                WHAT,
                reason=f"fit={fit!r} cannot reshape an image at a URL (it is sent as given): "
                "download it and give its bytes or path, or leave fit=None",
            )
        return value
    image = _as_image(value, name, max_bytes)
    if fit is not None:
        image = _fitted(image, name, fit, aspect_ratio or "", max_bytes)
    return image


def _as_image(value: Any, name: str, max_bytes: int) -> EncodedImage:
    frame_image = getattr(value, "encoded_image", None)
    if callable(frame_image):  # a Frame of an earlier video: it knows its entry
        encoded = frame_image(max_bytes=max_bytes)
        assert isinstance(encoded, EncodedImage)
        return encoded
    if isinstance(value, EncodedImage):
        return _checked_size(value, name, max_bytes, what="the image")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return from_bytes(bytes(value), name=name, max_bytes=max_bytes, what="the bytes given")
    if isinstance(value, str) and value[:5].lower() == "data:":
        return _from_data_url(value, name, max_bytes)
    if isinstance(value, (str, os.PathLike)):
        return _from_path(Path(os.fspath(value)).expanduser(), name, max_bytes)
    if _is_pil(value):
        return from_pil(value, name=name, max_bytes=max_bytes)
    if hasattr(value, "__array_interface__") and hasattr(value, "shape"):
        return _from_array(value, name, max_bytes)
    raise InvalidRequestError(
        name, _shown(value), WHAT, reason=f"{name} cannot be a {type(value).__name__}"
    )


def from_bytes(
    data: bytes,
    *,
    name: str = "first_frame_image",
    max_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
    what: str = "the image",
) -> EncodedImage:
    """An image file's bytes, sniffed (never trusted from a name); converted to PNG only when
    its format is not one the APIs take."""
    _check_bytes(len(data), name, max_bytes, what)
    image = _open(data, name, what)
    mime = SENT_AS_IS.get(image.format or "")
    if mime is None:  # BMP, TIFF, GIF...: its first frame as PNG
        return from_pil(image, name=name, max_bytes=max_bytes)
    return EncodedImage(data, mime, image.width, image.height, hashlib.sha256(data).hexdigest())


def from_pil(
    image: Any, *, name: str = "first_frame_image", max_bytes: int = DEFAULT_MAX_IMAGE_BYTES
) -> EncodedImage:
    """A PIL image encoded as PNG (lossless), or as JPEG when the PNG would be over the limit."""
    if image.mode not in ("RGB", "RGBA", "L"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    data = _save(image, "PNG", compress_level=3)
    mime = "image/png"
    if len(data) > max_bytes:
        data = _save(image.convert("RGB"), "JPEG", quality=92)
        mime = "image/jpeg"
    _check_bytes(len(data), name, max_bytes, "the image (encoded as JPEG)")
    return EncodedImage(data, mime, image.width, image.height, hashlib.sha256(data).hexdigest())


def fit_box(width: int, height: int, aspect_ratio: str) -> tuple[int, int] | None:
    """The size (w, h) an image of this size takes at ``aspect_ratio`` when cropped, or None
    when it is already within 1% of it. Plain arithmetic: the emulator's check uses it too."""
    wide, tall = parse_aspect(aspect_ratio)
    target = wide / tall
    if abs(width / height - target) <= ASPECT_TOLERANCE * target:
        return None
    if width / height > target:
        return max(1, round(height * target)), height
    return width, max(1, round(width / target))


def parse_aspect(aspect_ratio: str) -> tuple[int, int]:
    wide, _, tall = str(aspect_ratio).partition(":")
    if not (wide.isdigit() and tall.isdigit() and int(wide) > 0 and int(tall) > 0):
        raise InvalidRequestError("aspect_ratio", aspect_ratio, "W:H, such as '16:9'")
    return int(wide), int(tall)


def chunks(data: bytes | bytearray, size: int = 1 << 20) -> Iterator[bytes]:
    """``data`` in pieces of ``size`` bytes (a request body sent without joining it)."""
    view = memoryview(data)
    for start in range(0, len(view), size):
        yield bytes(view[start : start + size])


# -- the ways in ----------------------------------------------------------------------


def _from_path(path: Path, name: str, max_bytes: int) -> EncodedImage:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InvalidRequestError(
            name, str(path), WHAT, reason=f"{name}: no such file {str(path)!r}"
        ) from None
    except OSError as error:
        raise InvalidRequestError(
            name, str(path), WHAT, reason=f"{name}: cannot read {str(path)!r} ({error.strerror})"
        ) from None
    if path.is_dir():
        raise InvalidRequestError(name, str(path), WHAT, reason=f"{name}: {path} is a folder")
    _check_bytes(size, name, max_bytes, str(path))  # before reading it
    return from_bytes(path.read_bytes(), name=name, max_bytes=max_bytes, what=str(path))


def _from_data_url(url: str, name: str, max_bytes: int) -> EncodedImage:
    match = DATA_URL.match(url)
    if match is None:
        raise InvalidRequestError(
            name,
            url,
            WHAT,
            reason=f"{name} is a data URL but not data:image/<format>;base64,<data>",
        )
    encoded = url[match.end() :]
    _check_bytes(len(encoded) * 3 // 4, name, max_bytes, "the data URL's image")
    try:
        data = base64.b64decode(encoded, validate=True)
    except ValueError:
        raise InvalidRequestError(
            name, url, WHAT, reason=f"{name}: the data URL's base64 does not decode"
        ) from None
    image = from_bytes(data, name=name, max_bytes=max_bytes, what="the data URL's image")
    return image


def _from_array(array: Any, name: str, max_bytes: int) -> EncodedImage:
    shape, dtype = tuple(getattr(array, "shape", ())), str(getattr(array, "dtype", ""))
    if dtype != "uint8" or len(shape) != 3 or shape[2] not in (3, 4) or 0 in shape:
        raise InvalidRequestError(
            name,
            f"array {shape} {dtype}",
            "a numpy array of H x W x 3 (RGB) or H x W x 4 (RGBA) uint8",
            reason=f"{name} is an array of shape {shape} and dtype {dtype}",
        )
    Image = _pil(name)
    return from_pil(Image.fromarray(array), name=name, max_bytes=max_bytes)


def _fitted(
    image: EncodedImage, name: str, fit: str, aspect_ratio: str, max_bytes: int
) -> EncodedImage:
    box = fit_box(image.width, image.height, aspect_ratio)
    if box is None:
        return image
    Image = _pil(name)
    from PIL import ImageOps

    picture = ImageOps.exif_transpose(Image.open(io.BytesIO(image.data)))
    w, h = picture.size
    if fit == "crop":
        cw, ch = fit_box(w, h, aspect_ratio) or (w, h)
        left, top = (w - cw) // 2, (h - ch) // 2
        shaped = picture.crop((left, top, left + cw, top + ch))
    else:
        wide, tall = parse_aspect(aspect_ratio)
        pw, ph = (w, round(w * tall / wide)) if w / h > wide / tall else (round(h * wide / tall), h)
        mode = "RGBA" if picture.mode in ("RGBA", "LA", "P") else "RGB"
        shaped = Image.new(mode, (pw, ph), (0, 0, 0, 255) if mode == "RGBA" else (0, 0, 0))
        shaped.paste(picture.convert(mode), ((pw - w) // 2, (ph - h) // 2))
    if image.mime == "image/jpeg":
        data = _save(shaped.convert("RGB"), "JPEG", quality=95)
        fitted = EncodedImage(
            data, image.mime, shaped.width, shaped.height, hashlib.sha256(data).hexdigest()
        )
    elif image.mime == "image/webp":
        data = _save(shaped, "WEBP", quality=95)
        fitted = EncodedImage(
            data, image.mime, shaped.width, shaped.height, hashlib.sha256(data).hexdigest()
        )
    else:
        fitted = from_pil(shaped, name=name, max_bytes=max_bytes)
    _check_bytes(len(fitted.data), name, max_bytes, f"the image fitted ({fit}) to {aspect_ratio}")
    return EncodedImage(
        fitted.data,
        fitted.mime,
        fitted.width,
        fitted.height,
        fitted.sha256,
        image.source_entry,
        image.source_time,
    )


# -- helpers --------------------------------------------------------------------------


def _checked_size(image: EncodedImage, name: str, max_bytes: int, what: str) -> EncodedImage:
    _check_bytes(len(image.data), name, max_bytes, what)
    return image


def _check_bytes(size: int, name: str, max_bytes: int, what: str) -> None:
    if size > max_bytes:
        raise InvalidRequestError(
            name,
            what,
            f"an image of at most {_mb(max_bytes)} (max_image_bytes= on the client, if your "
            "gateway takes larger ones)",
            reason=f"{name}: {what} is {_mb(size)}, over the limit of {_mb(max_bytes)}; "
            "send a smaller or more compressed image (a JPEG)",
        )


def _open(data: bytes, name: str, what: str) -> Any:
    Image = _pil(name)
    try:
        image = Image.open(io.BytesIO(data))
        image.size  # noqa: B018 - the header was read
    except Exception as error:  # Pillow's UnidentifiedImageError, a truncated header
        raise InvalidRequestError(
            name,
            what,
            "an image file (PNG, JPEG or WebP; others are converted to PNG)",
            reason=f"{name}: {what} is not an image Pillow can read ({type(error).__name__})",
        ) from None
    return image


def _save(image: Any, format: str, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, format, **options)
    return out.getvalue()


def _is_pil(value: Any) -> bool:
    module = type(value).__module__
    return module.startswith("PIL.") and hasattr(value, "save") and hasattr(value, "mode")


def _pil(name: str) -> Any:
    try:
        from PIL import Image
    except ImportError:  # a core dependency; only an install without it gets here
        raise InvalidRequestError(
            name, None, WHAT, reason=f"{name} needs Pillow to read images: pip install pillow"
        ) from None
    return Image


def _shown(value: Any) -> str:
    return f"<{type(value).__name__}>"


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 1_000_000 else f"{size / 1000:.0f} kB"
