"""Test pictures that survive H.264 well (smooth gradients and a block), and comparing frames."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from PIL import Image


def picture(width: int = 854, height: int = 480, hue: int = 0) -> np.ndarray:
    """An H x W x 3 uint8 picture: two gradients and a coloured block (``hue`` moves it)."""
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack(
        [x * 255 // width, y * 255 // height, (x + y) * 127 // (width + height) + 60 + hue % 60],
        -1,
    ).astype(np.uint8)
    left = width // 5 + (hue * 7) % (width // 3)
    rgb[height // 4 : height // 2, left : left + width // 4] = (230, 40 + hue % 150, 40)
    return rgb


def png(array: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(array).save(out, "PNG")
    return out.getvalue()


def jpeg(array: np.ndarray, quality: int = 92) -> bytes:
    out = io.BytesIO()
    Image.fromarray(array).save(out, "JPEG", quality=quality)
    return out.getvalue()


def mean_difference(a: Any, b: Any) -> float:
    """The mean absolute difference of two pictures (0 to 255), the same size."""
    first, second = np.asarray(a).astype(np.int16), np.asarray(b).astype(np.int16)
    assert first.shape == second.shape, (first.shape, second.shape)
    return float(np.abs(first - second).mean())


def duration(path: Any) -> float:
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return float(stream.duration * stream.time_base)
