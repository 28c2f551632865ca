"""The frame size the emulator renders for a resolution name: ``480p``, ``720p``, ``1080p``
(the documented three) and any other ``<short side>p`` a model may name (``768P``, ``540p``).

Real gateways name resolutions their own way (MiniMax's ``768P``); a model added with
``mql-notebook serve --model ID::768P`` must render at that size, not fail in the renderer.
"""

from __future__ import annotations

import re

from ..request import RESOLUTIONS
from ..request import frame_size as documented_frame_size

MIN_SHORT_SIDE = 144
MAX_SHORT_SIDE = 2160
_NAME = re.compile(r"([0-9]{3,4})[pP]")


def short_side(resolution: str) -> int | None:
    """Pixels on the short side of ``resolution``, or None when the emulator cannot render it."""
    found = _NAME.fullmatch(resolution) if isinstance(resolution, str) else None
    if found is None:
        return None
    pixels = int(found.group(1))
    return pixels if MIN_SHORT_SIDE <= pixels <= MAX_SHORT_SIDE and pixels % 2 == 0 else None


def renderable(resolution: str) -> bool:
    return short_side(resolution) is not None


def frame_size(aspect_ratio: str, resolution: str) -> tuple[int, int]:
    """(width, height) in pixels, both even: the documented names as ``request.frame_size``."""
    if resolution in RESOLUTIONS:
        return documented_frame_size(aspect_ratio, resolution)
    short = short_side(resolution)
    if short is None:
        raise ValueError(
            f"the emulator renders resolutions of the form <short side>p "
            f"({MIN_SHORT_SIDE} to {MAX_SHORT_SIDE}, even), not {resolution!r}"
        )
    wide, tall = (int(x) for x in aspect_ratio.split(":"))
    long_side = round(short * max(wide, tall) / min(wide, tall) / 2) * 2
    return (long_side, short) if wide >= tall else (short, long_side)
