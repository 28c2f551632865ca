"""A video made from the request's first frame (and last frame): what image-to-video models do.

Frame 0 is the first image itself, scaled to the video's size (so a test can see the image
arrived); then the picture slowly zooms in and drifts (a Ken Burns move whose direction comes
from the render key). With a last frame the picture dissolves into it and the video ends on it
exactly; with a last frame only, the video zooms out of it. An image of another shape than the
video's (an http URL the create could not check) is cropped about its centre to fit.

Each frame is one Pillow resize of a box of the source (sub-pixel, so the move is smooth) and
one conversion to yuv420p by FFmpeg's scaler (BT.709, limited range, as the stream says).
"""

from __future__ import annotations

import io
import random

import av
import numpy as np
from av.video.reformatter import ColorRange, Colorspace
from PIL import Image, ImageOps

from .images import ImageRef

ZOOM = 0.12  # the picture is 12% larger at the end
DRIFT = 0.35  # how far off centre the zoom heads, as a share of the room it has


class ImageScene:
    """``frame(i)``: frame ``i`` as one (h * 3 / 2, w) yuv420p array, like ``render._Scene``."""

    def __init__(
        self,
        size: tuple[int, int],
        frame_count: int,
        key: str,
        first: ImageRef | None,
        last: ImageRef | None,
    ):
        self.width, self.height = size
        self.frame_count = frame_count
        rng = random.Random(int(key, 16))  # the render key: the same request, the same move
        self.drift = (rng.uniform(-DRIFT, DRIFT), rng.uniform(-DRIFT, DRIFT))
        self.first = self._picture(first) if first else None
        self.last = self._picture(last) if last else None

    def _picture(self, ref: ImageRef) -> Image.Image:
        data = ref.load()
        with Image.open(io.BytesIO(data)) as image:
            rgb = ImageOps.exif_transpose(image).convert("RGB")
        return ImageOps.fit(rgb, (self.width, self.height), Image.Resampling.LANCZOS)

    def frame(self, index: int) -> np.ndarray:
        progress = index / max(1, self.frame_count - 1)
        if self.first is not None:
            picture = self._zoomed(self.first, progress)
            if self.last is not None:
                weight = progress * progress * (3 - 2 * progress)  # smoothstep: ends on it
                picture = Image.blend(picture, self.last, weight) if weight > 0 else picture
        else:
            assert self.last is not None
            picture = self._zoomed(self.last, 1 - progress)  # zooms out onto the last frame
        rgb = av.VideoFrame.from_ndarray(np.asarray(picture), format="rgb24")
        yuv = rgb.reformat(
            format="yuv420p", dst_colorspace=Colorspace.ITU709, dst_color_range=ColorRange.MPEG
        )
        return yuv.to_ndarray()

    def _zoomed(self, source: Image.Image, progress: float) -> Image.Image:
        if progress <= 0:
            return source
        w, h = self.width, self.height
        scale = 1 + ZOOM * progress
        bw, bh = w / scale, h / scale
        cx = w / 2 + self.drift[0] * (w - bw) / 2
        cy = h / 2 + self.drift[1] * (h - bh) / 2
        box = (cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2)
        return source.resize((w, h), Image.Resampling.BILINEAR, box=box)
