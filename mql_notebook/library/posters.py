"""A poster frame (the first frame as a JPEG) beside each video of the library, for galleries.

Made when first shown (``Library.poster``, video_files.py), not at each download. Best-effort: PyAV and Pillow come with the ``local`` extra; without them, or for a file that
does not decode, there is simply no poster. Read from the file, so a large video is never
held in memory; the widget's static fallback uses the same function on bytes.
"""

from __future__ import annotations

import functools
import importlib.util
import io
import os
from pathlib import Path

POSTER_WIDTH = 640


@functools.cache
def can_make_posters() -> bool:
    """Whether PyAV and Pillow are installed (posters can be made), without importing them."""
    return all(importlib.util.find_spec(name) is not None for name in ("av", "PIL"))


def poster_jpeg_from_file(video: Path | bytes, *, width: int = POSTER_WIDTH) -> bytes | None:
    """The first frame of an MP4 (a file, or its bytes) as a JPEG at most ``width`` pixels wide.

    None when PyAV or Pillow is missing or the video does not decode.
    """
    source = io.BytesIO(video) if isinstance(video, bytes) else os.fspath(video)
    try:
        import av
        from PIL import Image  # noqa: F401 - frame.to_image() needs it
    except ImportError:
        return None
    try:
        with av.open(source, mode="r") as container:
            stream = container.streams.video[0]
            # One frame: decoder threads would cost more to start than they save (a batch
            # makes a poster per video: 16 ms of CPU each with them, 4.5 ms without).
            stream.thread_type = "NONE"
            stream.codec_context.thread_count = 1
            for frame in container.decode(stream):
                size = {}
                if frame.width > width:  # scaled by FFmpeg while converting, not by Pillow after
                    height = max(1, round(frame.height * width / frame.width))
                    size = {"width": width, "height": height}
                image = frame.to_image(**size)
                out = io.BytesIO()
                image.convert("RGB").save(out, "JPEG", quality=80)
                return out.getvalue()
    except Exception:  # a poster is a nicety, never an error
        return None
    return None
