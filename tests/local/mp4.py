"""What is inside an MP4 the emulator served: its boxes, stream facts, decoded frames."""

from __future__ import annotations

import io
import struct
from typing import Any

import av
import numpy as np


def top_level_boxes(data: bytes) -> list[str]:
    """The MP4's top-level box types in file order (ftyp, moov, mdat, ...)."""
    boxes, offset = [], 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if size == 1:
            size = struct.unpack(">Q", data[offset + 8 : offset + 16])[0]
        elif size == 0:
            size = len(data) - offset
        boxes.append(kind.decode("latin-1"))
        offset += size
    return boxes


def probe(data: bytes) -> dict[str, Any]:
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        ctx = stream.codec_context
        return {
            "codec": ctx.name,
            "pix_fmt": ctx.pix_fmt,
            "width": stream.width,
            "height": stream.height,
            "duration": float(stream.duration * stream.time_base),
            "fps": float(stream.average_rate),
        }


def frames(data: bytes, indexes: set[int]) -> dict[int, np.ndarray]:
    """Decoded RGB frames by index."""
    out: dict[int, np.ndarray] = {}
    with av.open(io.BytesIO(data)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i in indexes:
                out[i] = frame.to_ndarray(format="rgb24").astype(np.int16)
            if len(out) == len(indexes):
                break
    return out


def frame_count(data: bytes) -> int:
    with av.open(io.BytesIO(data)) as container:
        return sum(1 for _ in container.demux(video=0) if _.size)
