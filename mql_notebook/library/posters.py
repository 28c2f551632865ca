"""A poster frame (the first frame as a JPEG) beside each video of the library, for galleries.

Best-effort: PyAV and Pillow come with the ``local`` extra; without them, or for a file that
does not decode, there is simply no poster. Read from the file, so a large video is never
held in memory; the widget's static fallback uses the same function on bytes.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

POSTER_WIDTH = 640


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
            for frame in container.decode(video=0):
                image = frame.to_image()
                if image.width > width:
                    image = image.resize((width, max(1, round(image.height * width / image.width))))
                out = io.BytesIO()
                image.convert("RGB").save(out, "JPEG", quality=80)
                return out.getvalue()
    except Exception:  # a poster is a nicety, never an error
        return None
    return None
