"""The widget's image fields (first and last frame): held in Python, shown as cards.

A mixin of ``VideoWidget``. The images themselves never go into a trait: ``w.first_frame_image``
(and ``last_frame_image``) hold what ``create`` takes (a path, bytes, a PIL image, a numpy array,
a ``Frame``, a data URL or an http(s) URL), read and checked when set (``InvalidRequestError``
at once for a missing file, a non-image, one over the size limit). The view's image control
uploads a file in chunks (uploads.py); "Use this frame" takes a frame of the shown video
(``frame_of_async``, the run's library entry as its parent). The ``images`` trait tells the view
per field what is held: a card with its name, size, width x height and a small JPEG thumbnail
(made in a worker thread), or the error that refused it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Mapping
from contextlib import AbstractContextManager
from typing import Any

import traitlets as t

from .._constants import DEFAULT_MAX_IMAGE_BYTES
from ..errors import InvalidRequestError
from ..media.images import FITS, EncodedImage, encode_image, from_bytes
from ..request import BY_NAME, IMAGE_NAMES
from .background import in_background
from .model_suggestions import soon
from .run import Run, error_text
from .thumbnails import PREVIEW_WIDTH, card, image_card, input_image_cards
from .uploads import Uploaded, Uploads, upload_over

log = logging.getLogger("mql_notebook")
FRAME_FIELD = "first_frame_image"  # where "Use this frame" puts the frame


def name_of(value: Any) -> str:
    """A card's name for an image given from code: its file name, its URL, or what it is."""
    if isinstance(value, str):
        return value if value[:5].lower() != "data:" else "data URL"
    if hasattr(value, "__fspath__"):
        return str(getattr(value, "name", value))
    if hasattr(value, "entry_key") and hasattr(value, "time"):
        return f"frame at {value.time:.2f} s"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "image bytes"
    return type(value).__name__


class ImageInputs(t.HasTraits):
    """``first_frame_image``, ``last_frame_image``, ``fit`` and the ``images`` cards."""

    images = t.Dict(
        help="Per image field held (first_frame_image, last_frame_image): name, size (bytes), "
        "width, height, thumbnail (a JPEG data URL), error ('' unless it was refused)."
    ).tag(sync=True, output=True)
    fit = t.Unicode(
        "",
        help='How an image of another shape than the video is sent: "crop" (about its centre), '
        '"pad" (black bars), or "" as it is.',
    ).tag(sync=True, input=True)

    # ---- what the widget provides ----
    hold_sync: Callable[[], AbstractContextManager[object]]
    send: Callable[..., None]
    _shown: Run | None

    def _max_image_bytes(self) -> int:
        return DEFAULT_MAX_IMAGE_BYTES

    def _init_images(self, given: Mapping[str, Any]) -> None:
        self._held: dict[str, Any] = {}
        self._cards: dict[str, dict[str, Any]] = {}
        self._uploads = Uploads()
        self._image_tasks: set[asyncio.Task[Any]] = set()
        for name, value in given.items():
            self.set_image(name, value)

    @property
    def first_frame_image(self) -> Any:
        """The image the next run starts from (as create takes it, checked), or None."""
        return self._held.get("first_frame_image")

    @first_frame_image.setter
    def first_frame_image(self, value: Any) -> None:
        self.set_image("first_frame_image", value)

    @property
    def last_frame_image(self) -> Any:
        """The image the next run ends on (for models that take one), or None."""
        return self._held.get("last_frame_image")

    @last_frame_image.setter
    def last_frame_image(self, value: Any) -> None:
        self.set_image("last_frame_image", value)

    def set_image(self, field: str, value: Any) -> None:
        """Hold ``value`` as the image ``field`` of the next runs; None clears it.

        It is read and checked now (a file, Pillow's sniffing; a user's call), as create
        would: InvalidRequestError names what is wrong. Its thumbnail is made in a worker
        thread. An http(s) URL is kept as given (never fetched).
        """
        if field not in IMAGE_NAMES:
            raise InvalidRequestError("field", field, IMAGE_NAMES)
        self._cancel_upload(field)
        if value is None:
            self._hold(field, None, None)
            return
        encoded = encode_image(value, name=field, max_bytes=self._max_image_bytes())
        name = name_of(value)
        if isinstance(encoded, str):
            self._hold(field, encoded, card(name))
            return
        self._hold(field, encoded, card(name, len(encoded.data), encoded.width, encoded.height))
        held = encoded

        def apply(shown: dict[str, Any]) -> None:
            if self._held.get(field) is held:
                self._hold(field, held, shown)

        soon(lambda: image_card(held, name), apply, self._image_tasks)

    @t.validate("fit")
    def _valid_fit(self, proposal: Any) -> str:
        value = proposal["value"] or ""
        if value not in ("", *FITS):
            raise InvalidRequestError("fit", value, ("crop", "pad", ""))
        return str(value)

    # ---- the view's messages ----

    def _image_chunk(self, content: Mapping[str, Any], buffers: list[Any]) -> None:
        field = str(content.get("field", ""))
        try:
            done = self._uploads.add(content, buffers, self._max_image_bytes())
        except InvalidRequestError as exc:
            if field in IMAGE_NAMES:
                name = str(content.get("name") or "image")
                self._refused(field, name, exc, upload=str(content.get("upload", "")))
            return
        if done is not None:
            self._background(self._take_upload(done), field, done.name, done.upload)

    def _clear_image(self, content: Mapping[str, Any]) -> None:
        field = str(content.get("field", ""))
        if field in IMAGE_NAMES:
            self.set_image(field, None)

    def _use_frame(self, content: Mapping[str, Any]) -> None:
        time, variant = content.get("time"), content.get("variant", 0)
        if not isinstance(time, (int, float)) or isinstance(time, bool):
            raise InvalidRequestError("time", time, "the playback time in seconds")
        at = max(0.0, float(time))
        self._background(self.use_frame(at, int(variant or 0)), FRAME_FIELD, "frame")

    async def use_frame(self, time: float | None = None, variant: int = 0) -> None:
        """Take the shown run's frame at ``time`` seconds (the last when None) as the first
        frame of the next run, which then records the shown run as its parent."""
        run = self._shown
        if run is None:
            raise RuntimeError("no video is shown to take a frame from")
        source: Any = None
        if 0 <= variant < len(run.files) and run.files[variant] is not None:
            source = run.files[variant]
        elif 0 <= variant < len(run.videos):
            source = run.videos[variant]
        if source is None:
            raise RuntimeError("the shown run has no video to take a frame from")
        from ..media.frames import frame_of_async

        frame = await frame_of_async(source, time, entry_key=run.library_key or None)
        max_bytes = self._max_image_bytes()

        def encode() -> tuple[EncodedImage, dict[str, Any]]:
            encoded = frame.encoded_image(max_bytes=max_bytes)
            return encoded, image_card(encoded, f"frame at {frame.time:.2f} s")

        encoded, shown = await asyncio.to_thread(encode)
        self._cancel_upload(FRAME_FIELD)
        self._hold(FRAME_FIELD, encoded, shown)

    async def _take_upload(self, done: Uploaded) -> None:
        max_bytes = self._max_image_bytes()

        def read() -> tuple[EncodedImage, dict[str, Any]]:
            encoded = from_bytes(done.data, name=done.field, max_bytes=max_bytes, what=done.name)
            return encoded, image_card(encoded, done.name)

        encoded, shown = await asyncio.to_thread(read)
        if self._uploads.is_latest(done.field, done.upload):  # not overtaken while it was read
            self._uploads.answered(done.field, done.upload)
            self._hold(done.field, encoded, {**shown, "upload": done.upload})

    # ---- state ----

    def _cancel_upload(self, field: str) -> None:
        # The view waits (Generate off) until a card answers its upload; what overtakes the
        # upload may leave no card (a clear), so the view is told it is over.
        over = self._uploads.cancel(field)
        if over:
            self.send(upload_over(field, over))

    def _hold(self, field: str, value: Any, shown: dict[str, Any] | None) -> None:
        if value is None or shown is None:
            self._held.pop(field, None)
            self._cards.pop(field, None)
        else:
            self._held[field], self._cards[field] = value, shown
        self.images = {name: dict(c) for name, c in self._cards.items()}

    def _refused(self, field: str, name: str, exc: BaseException, upload: str = "") -> None:
        """The field holds nothing now; its card says why (plain text), and which of the
        view's uploads it answers, if one."""
        self._held.pop(field, None)
        label = BY_NAME[field].label if field in BY_NAME else field
        refused = card(name, error=f"{label}: {error_text(exc)}")
        self._cards[field] = {**refused, "upload": upload} if upload else refused
        self.images = {n: dict(c) for n, c in self._cards.items()}

    def _background(
        self, work: Coroutine[Any, Any, None], field: str, name: str, upload: str = ""
    ) -> None:
        def refuse(exc: BaseException) -> None:  # a failure is shown on the field's card
            if not upload or self._uploads.is_latest(field, upload):  # unless overtaken
                self._uploads.answered(field, upload)
                self._refused(field, name, exc, upload)

        in_background(work, refuse, self._image_tasks)

    def _images_for_run(self) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        """What a new run sends (the held values) and shows on its card (the cards)."""
        return dict(self._held), {n: dict(c) for n, c in self._cards.items() if not c["error"]}

    def _preview_images_of(self, entry: Any) -> None:
        """The cards of a library entry's images, once their thumbnails are made."""
        held = dict(self._held)

        def apply(cards: dict[str, dict[str, Any]]) -> None:
            if self._held == held:
                self._cards.update({n: c for n, c in cards.items() if n in held})
                self.images = {n: dict(c) for n, c in self._cards.items()}

        soon(lambda: input_image_cards(entry.images, PREVIEW_WIDTH), apply, self._image_tasks)

    def _restore_images(self, values: Mapping[str, Any], cards: Mapping[str, Any]) -> None:
        """The images of a run of the strip (or a library entry), as they were sent."""
        for name in IMAGE_NAMES:
            self._cancel_upload(name)
        self._held = {n: v for n, v in values.items() if n in IMAGE_NAMES and v is not None}
        self._cards = {n: dict(cards.get(n) or card(name_of(v))) for n, v in self._held.items()}
        self.images = {n: dict(c) for n, c in self._cards.items()}
