"""Images the view uploads, in chunks: joined in the kernel, bounded by the image size limit.

A browser -> kernel message over 10 MiB drops the connection (tornado's
``websocket_max_message_size``), so the view sends a file as messages of at most
``UPLOAD_CHUNK_BYTES``, one binary buffer each::

    {"kind": "image-chunk", "field": "first_frame_image", "upload": "u3", "index": 0,
     "total": 3, "size": 9876543, "name": "fox.png"}                         + 1 buffer

``Uploads.add`` keeps the chunks of the latest upload of each field and returns the whole file
once its last chunk is in. An upload announced, or grown, over ``max_bytes`` is refused with an
``InvalidRequestError`` (once: its later chunks are dropped), as is a chunk out of order; the
chunks of an upload cancelled or overtaken by a newer one are dropped without a word. What
the bytes are is decided later by sniffing them (media/images.py), never from the name. Plain
bookkeeping, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidRequestError
from ..request import IMAGE_NAMES

UPLOAD_CHUNK_BYTES = 4 * 1024 * 1024  # what the view sends per message (js/images.js)
MAX_CHUNK_BYTES = 8 * 1024 * 1024  # a larger buffer is refused: the view never sends one


@dataclass
class _Upload:
    upload: str
    name: str
    total: int
    parts: list[bytes] = field(default_factory=list)
    size: int = 0


@dataclass(frozen=True)
class Uploaded:
    """A whole file from the view: its field, the file's name (for the card only), its bytes,
    and the view's id of the upload (its card carries it back: the view waits for it)."""

    field: str
    name: str
    data: bytes
    upload: str = ""


def upload_over(field_name: str, upload: str) -> dict[str, str]:
    """The message telling the view its upload was overtaken in the kernel (js/protocol.d.ts
    UploadOver): what overtook it may leave no card for the view to wait for."""
    return {"kind": "upload-over", "field": field_name, "upload": upload}


def _mb(size: float) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 1_000_000 else f"{size / 1000:.0f} kB"


class Uploads:
    """The chunks of the view's uploads by field; the latest upload of a field wins."""

    def __init__(self) -> None:
        self._open: dict[str, _Upload] = {}
        # Uploads whose later chunks are dropped without a word: refused (their error is on
        # the card already), cancelled, or overtaken by a newer upload of the same field.
        self._dropped: set[tuple[str, str]] = set()
        self._latest: dict[str, str] = {}  # by field: its latest upload, "" once cancelled

    def cancel(self, field_name: str) -> str:
        """Forget the field's upload in progress (the view cleared it, or Python set one): its
        chunks still on their way are dropped, not taken for a broken upload. Returns the id
        of the field's latest upload ("" when none): the view may still wait for it."""
        cancelled = self._open.pop(field_name, None)
        if cancelled is not None:
            self._dropped.add((field_name, cancelled.upload))
        over, self._latest[field_name] = self._latest.get(field_name, ""), ""
        return over

    def is_latest(self, field_name: str, upload: str) -> bool:
        """Whether ``upload`` is still the field's image to be (nothing cleared, set or uploaded
        there since its last chunk came): a file read in a worker thread checks before it holds."""
        return self._latest.get(field_name) == upload

    def answered(self, field_name: str, upload: str) -> None:
        """The field's card answers ``upload`` now (held or refused): nothing waits for it."""
        if self.is_latest(field_name, upload):
            self._latest[field_name] = ""

    def add(
        self, content: Mapping[str, Any], buffers: Sequence[Any], max_bytes: int
    ) -> Uploaded | None:
        """Take one chunk; the whole file once its last chunk is in, else None.

        Raises InvalidRequestError (naming the field) for an upload over ``max_bytes``, a
        chunk out of order or without its buffer; the upload is then dropped.
        """
        name = content.get("field")
        if name not in IMAGE_NAMES:
            raise InvalidRequestError("field", name, IMAGE_NAMES)
        upload = str(content.get("upload", ""))
        if (name, upload) in self._dropped:
            return None
        current = self._open.get(name)
        if current is not None and current.upload != upload and content.get("index") != 0:
            self._dropped.add((name, upload))  # an older upload's chunk: the newer one wins
            return None
        try:
            return self._add(name, upload, content, buffers, max_bytes)
        except InvalidRequestError:
            self.cancel(name)  # this upload, or the one a refused newer upload overtook
            self._dropped.add((name, upload))
            raise

    def _add(
        self,
        name: str,
        upload: str,
        content: Mapping[str, Any],
        buffers: Sequence[Any],
        max_bytes: int,
    ) -> Uploaded | None:
        index, total = content.get("index"), content.get("total")
        file_name = str(content.get("name") or "image")[:200]
        if not isinstance(index, int) or not isinstance(total, int) or not 0 <= index < total:
            raise InvalidRequestError(name, index, "chunks numbered 0 .. total - 1")
        announced = content.get("size")
        if index == 0:
            if isinstance(announced, int) and announced > max_bytes:
                raise self._too_large(name, file_name, announced, max_bytes)
            self._open[name] = _Upload(upload, file_name, total)
            self._latest[name] = upload
        current = self._open.get(name)
        if current is None or current.upload != upload or index != len(current.parts):
            raise InvalidRequestError(
                name, index, "the upload's chunks in order", reason=f"{name}: a chunk went missing"
            )
        if len(buffers) != 1 or len(buffers[0]) > MAX_CHUNK_BYTES:
            raise InvalidRequestError(name, None, "one binary buffer of at most 8 MiB a chunk")
        chunk = bytes(buffers[0])
        current.size += len(chunk)
        if current.size > max_bytes:
            raise self._too_large(name, file_name, current.size, max_bytes)
        current.parts.append(chunk)
        if len(current.parts) < current.total:
            return None
        del self._open[name]
        return Uploaded(name, current.name, b"".join(current.parts), upload)

    @staticmethod
    def _too_large(name: str, file_name: str, size: int, max_bytes: int) -> InvalidRequestError:
        return InvalidRequestError(
            name,
            file_name,
            f"an image of at most {_mb(max_bytes)} (max_image_bytes= on the client)",
            reason=f"{file_name} is {_mb(size)}, over the limit of {_mb(max_bytes)}: "
            "choose a smaller or more compressed image (a JPEG)",
        )
