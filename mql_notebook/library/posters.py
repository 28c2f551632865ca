"""A poster frame (the first frame as a JPEG) beside each video of the library, for galleries.

Best-effort: PyAV and Pillow come with the ``local`` extra; without them, or for a file that
does not decode, there is simply no poster. Read from the file, so a large video is never
held in memory. (``widget.static_fallback.poster_jpeg`` does the same from bytes; it lives
in the widget package, whose import pulls in anywidget, so it is not reused here.)
"""

from __future__ import annotations

import io
import os
from pathlib import Path

POSTER_WIDTH = 640


def poster_jpeg_from_file(video: Path, *, width: int = POSTER_WIDTH) -> bytes | None:
    try:
        import av
        from PIL import Image  # noqa: F401 - frame.to_image() needs it
    except ImportError:
        return None
    try:
        with av.open(os.fspath(video), mode="r") as container:
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
