"""One frame of a video, decoded exactly from its file: the last by default, else the one shown
at ``t`` seconds. The decoder seeks to the nearest keyframe at or before ``t`` and decodes
forward to the frame shown there, so the pixels are the file's, not a thumbnail's.

``frame_of`` blocks (PyAV); ``frame_of_async`` runs it in a worker thread, for code on an event
loop. The ``Frame`` it returns can be given as ``first_frame_image=`` (or ``last_frame_image=``)
to a create: it knows the library entry it came from (``entry_key``), which the new run then
records as its parent.
"""

from __future__ import annotations

import asyncio
import io
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._constants import DEFAULT_MAX_IMAGE_BYTES
from .images import EncodedImage, from_pil

VideoSource = str | os.PathLike[str] | bytes


@dataclass(frozen=True, eq=False)
class Frame:
    """A decoded frame: ``image`` (a PIL RGB image), ``time`` (its time in the video, seconds),
    ``source`` (the video's path, when it was a file) and ``entry_key`` (its library entry).

    ``np.asarray(frame)`` is its H x W x 3 uint8 array; in a notebook it shows as the picture.
    """

    image: Any = field(repr=False)
    time: float
    source: Path | None = None
    entry_key: str | None = None

    @property
    def width(self) -> int:
        return int(self.image.width)

    @property
    def height(self) -> int:
        return int(self.image.height)

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height

    def to_numpy(self) -> Any:
        """The frame as an H x W x 3 uint8 numpy array."""
        import numpy as np

        return np.asarray(self.image)

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        array = self.to_numpy()
        return array if dtype is None else array.astype(dtype)

    def save(self, path: str | os.PathLike[str], format: str | None = None) -> Path:
        """Write the frame as an image file (its format from the name, else ``format``)."""
        self.image.save(path, format)
        return Path(path)

    def encoded_image(self, *, max_bytes: int = DEFAULT_MAX_IMAGE_BYTES) -> EncodedImage:
        """The frame as a PNG to send (lossless), remembering its entry and time."""
        png = from_pil(self.image, max_bytes=max_bytes)
        return EncodedImage(
            png.data, png.mime, png.width, png.height, png.sha256, self.entry_key, self.time
        )

    def _repr_png_(self) -> bytes:
        out = io.BytesIO()
        self.image.save(out, "PNG")
        return out.getvalue()

    def __repr__(self) -> str:
        where = f", entry {self.entry_key}" if self.entry_key else ""
        name = f" of {self.source.name}" if self.source else ""
        return f"Frame({self.width}x{self.height} at {self.time:.3f} s{name}{where})"


def frame_of(video: VideoSource, t: float | None = None, *, entry_key: str | None = None) -> Frame:
    """The frame of ``video`` (a path or the file's bytes) shown at ``t`` seconds; the last
    frame when ``t`` is None.

    Raises ValueError for a ``t`` before 0 or past the video's end, or a file without video;
    RuntimeError naming what to install when PyAV is missing.
    """
    if t is not None and (not isinstance(t, (int, float)) or isinstance(t, bool) or t < 0):
        raise ValueError(f"t must be a number of seconds >= 0 (or None: the last frame), not {t!r}")
    av = load_av()
    source: Any = io.BytesIO(video) if isinstance(video, bytes) else os.fspath(video)
    path = None if isinstance(video, bytes) else Path(os.fspath(video))
    with av.open(source, mode="r") as container:
        if not container.streams.video:
            raise ValueError(f"{path or 'the bytes given'} holds no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"  # several frames decode at once: a seek decodes up to a GOP
        time_base = stream.time_base
        start = stream.start_time or 0
        length = _seconds(stream, container)
        if t is not None and length is not None and t > length + 1e-6:
            raise ValueError(f"t={t} is past the end of the video ({length:.3f} s)")
        if t is None:
            target = None
            # Seeking to the end lands on the last keyframe; a file whose index does not say
            # its length is decoded from the start.
            if stream.duration:
                container.seek(start + stream.duration, stream=stream, backward=True)
        else:
            target = start + math.floor(t / time_base + 1e-6)
            container.seek(target, stream=stream, backward=True)
        chosen = None
        for decoded in container.decode(stream):
            if decoded.pts is None:
                continue
            if target is not None and decoded.pts > target:
                if chosen is None:  # t before the first frame's time: the first frame
                    chosen = decoded
                break
            chosen = decoded
        if chosen is None:
            raise ValueError(f"{path or 'the video'} has no frame to decode")
        image = chosen.to_image()  # RGB, with the stream's own colour matrix (BT.709 here)
        when = float((chosen.pts - start) * time_base)
    return Frame(image, when, path, entry_key)


async def frame_of_async(
    video: VideoSource, t: float | None = None, *, entry_key: str | None = None
) -> Frame:
    """``frame_of`` in a worker thread: for code on an event loop (a widget, an async cell)."""
    return await asyncio.to_thread(frame_of, video, t, entry_key=entry_key)


def _seconds(stream: Any, container: Any) -> float | None:
    """The video's length: the stream's duration, else the container's; None when unknown."""
    if stream.duration:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / 1_000_000
    return None


def load_av() -> Any:
    """PyAV, or RuntimeError saying how to install it."""
    try:
        import av
    except ImportError:
        raise RuntimeError(
            "decoding a frame needs PyAV: pip install av (or pip install 'mql-notebook[local]')"
        ) from None
    return av
