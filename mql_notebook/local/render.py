"""Prompt -> a real H.264 MP4, deterministic and cheap.

Everything the video looks like comes from one SHA-256 of the prompt and options (the
"render key"): palette, stripe pattern, scroll direction and the paths of the moving discs.
Same request, same bytes; a different prompt or variant, a visibly different video. A
request's ``seed`` (Veo, Runway and Kling take one) joins the key: the same seed gives the
same video again, another seed another palette and motion; without one the key is what it
always was.

Speed matters (5 s of 480p must render in well under half a second on 2 cores), so
frames are built directly in the encoder's own pixel format (YUV 4:2:0): the pieces are
drawn once (a periodic background tile, disc masks, a caption panel with the prompt's
words, drawn by Pillow) and each frame only copies slices of them, with no per-frame
colour conversion or alpha blending. x264 runs with a fixed preset and thread count and
the muxer in bitexact mode, so the output does not depend on the machine's load or clock.
"""

from __future__ import annotations

import colorsys
import hashlib
import json
import math
import os
import random
import tempfile
from dataclasses import asdict, dataclass
from fractions import Fraction

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..request import (
    DEFAULT_ASPECT_RATIO,
    DEFAULT_DURATION,
    DEFAULT_MODEL,
    DEFAULT_RESOLUTION,
)
from .resolution import frame_size

FPS = 24
# ultrafast: ~0.1 s for 5 s of 480p on 2 cores; the files are larger than with slower
# presets but the content is synthetic and smooth, so they stay small (tens of KB per second).
X264_PRESET = "ultrafast"
X264_CRF = 26
KEYFRAME_SECONDS = 2  # a keyframe every 2 s keeps seeking in a <video> element snappy
# A fixed thread count (not "auto"): x264's output is only reproducible for a given count.
ENCODER_THREADS = 2
BANNER = "mql-notebook local emulator"


@dataclass(frozen=True)
class RenderSpec:
    """What one video looks like; ``variant`` is the index within an ``n > 1`` request."""

    prompt: str
    model: str = DEFAULT_MODEL
    aspect_ratio: str = DEFAULT_ASPECT_RATIO
    duration: int = DEFAULT_DURATION
    resolution: str = DEFAULT_RESOLUTION
    variant: int = 0
    seed: int | None = None
    """The request's ``seed``; None (no seed) renders as before seeds existed."""

    def __post_init__(self) -> None:
        if self.seed is not None and (
            isinstance(self.seed, bool) or not isinstance(self.seed, int)
        ):
            raise TypeError(f"seed must be an int or None, not {self.seed!r}")

    @property
    def key(self) -> str:
        """Hex SHA-256 of every field: the cache key and what the video's look is drawn from.

        An unseeded spec leaves ``seed`` out, so its key (and its video) is the one it had before.
        """
        fields = asdict(self)
        if self.seed is None:
            del fields["seed"]
        text = json.dumps(fields, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    @property
    def size(self) -> tuple[int, int]:
        return frame_size(self.aspect_ratio, self.resolution)

    @property
    def frame_count(self) -> int:
        return self.duration * FPS


def render_mp4(spec: RenderSpec) -> bytes:
    """Render ``spec`` to the bytes of a faststart MP4 (H.264, yuv420p, 24 fps)."""
    scene = _Scene(spec)
    # PyAV cannot write +faststart into a BytesIO (the muxer rewrites the file to move
    # the moov atom to the front), hence a temporary file.
    fd, path = tempfile.mkstemp(prefix="mql-render-", suffix=".mp4")
    os.close(fd)
    try:
        _encode(scene, path)
        with open(path, "rb") as f:
            return f.read()
    finally:
        os.unlink(path)


def _encode(scene: _Scene, path: str) -> None:
    width, height = scene.width, scene.height
    with av.open(
        path,
        "w",
        format="mp4",
        container_options={"movflags": "+faststart", "fflags": "+bitexact"},
    ) as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width = width
        stream.height = height
        stream.pix_fmt = "yuv420p"
        ctx = stream.codec_context
        ctx.thread_count = ENCODER_THREADS
        ctx.gop_size = KEYFRAME_SECONDS * FPS
        ctx.time_base = Fraction(1, FPS)
        ctx.flags |= av.codec.context.Flags.bitexact
        ctx.colorspace = 1  # BT.709: frames are converted with BT.709 limited-range maths
        ctx.color_primaries = 1
        ctx.color_trc = 1
        ctx.color_range = 1  # limited ("tv") range
        stream.options = {"preset": X264_PRESET, "crf": str(X264_CRF)}
        for index in range(scene.frame_count):
            frame = av.VideoFrame.from_ndarray(scene.frame(index), format="yuv420p")
            frame.pts = index
            frame.time_base = Fraction(1, FPS)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


def _rgb_to_yuv(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Full-resolution Y and half-resolution U, V (BT.709, limited range) of an RGB image."""
    f = rgb.astype(np.float32)
    r, g, b = f[..., 0], f[..., 1], f[..., 2]
    y = 16 + (46.559 * r + 156.629 * g + 15.812 * b) / 255
    u = 128 + (-25.664 * r - 86.336 * g + 112.0 * b) / 255
    v = 128 + (112.0 * r - 101.730 * g - 10.270 * b) / 255
    return _u8(y), _u8(_half(u)), _u8(_half(v))


def _half(plane: np.ndarray) -> np.ndarray:
    """2x2 box average (the image's sides are even)."""
    return (plane[0::2, 0::2] + plane[1::2, 0::2] + plane[0::2, 1::2] + plane[1::2, 1::2]) / 4


def _u8(plane: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.clip(np.rint(plane), 0, 255).astype(np.uint8))


def _colour(hue: float, saturation: float, value: float) -> tuple[int, int, int]:
    r, g, b = colorsys.hsv_to_rgb(hue % 1.0, saturation, value)
    return round(r * 255), round(g * 255), round(b * 255)


def _even(x: float) -> int:
    return int(x) // 2 * 2


class _Scene:
    """The precomputed pieces of one video, and ``frame(i)`` assembling frame ``i`` from them."""

    def __init__(self, spec: RenderSpec):
        self.spec = spec
        self.width, self.height = spec.size
        self.frame_count = spec.frame_count
        rng = random.Random(int(spec.key, 16))
        w, h = self.width, self.height
        short = min(w, h)

        base_hue = rng.random()
        spread = rng.uniform(0.08, 0.3)
        self.palette = [
            _colour(base_hue, rng.uniform(0.55, 0.9), rng.uniform(0.55, 0.9)),
            _colour(base_hue + spread, rng.uniform(0.5, 0.9), rng.uniform(0.35, 0.7)),
            _colour(base_hue - spread, rng.uniform(0.4, 0.8), rng.uniform(0.6, 1.0)),
        ]
        accent_hue = base_hue + 0.5 + rng.uniform(-0.08, 0.08)

        # Caption panel first, at the top (a player's controls cover the bottom of the
        # picture): the background only has to fill the space below it.
        self.panel_h, panel_rgb = self._caption_panel(rng, accent_hue)
        self.panel_yuv = _rgb_to_yuv(panel_rgb)
        self.bar_yuv = _rgb_to_yuv(
            np.array([[_colour(accent_hue, 0.8, 1.0)] * 2] * 2, dtype=np.uint8)
        )
        scene_h = self.scene_h = h - self.panel_h

        # A background tile periodic in x (period px) and y (period py), scrolled at a
        # constant speed: the window onto it moves, nothing is redrawn.
        self.period_x = _even(rng.uniform(0.35, 0.9) * w) + 2
        self.period_y = _even(rng.uniform(0.35, 0.9) * scene_h) + 2
        speed = rng.uniform(0.15, 0.45) * short  # pixels per second
        angle = rng.uniform(0, 2 * math.pi)
        self.velocity = (speed * math.cos(angle), speed * math.sin(angle))
        self.tile = _rgb_to_yuv(self._tile(rng, w + self.period_x, scene_h + self.period_y))

        # Discs moving along Lissajous paths inside the scene area.
        self.discs = []
        for k in range(rng.randint(2, 4)):
            radius = _even(rng.uniform(0.05, 0.12) * short) + 2
            colour = _colour(
                accent_hue + rng.uniform(-0.15, 0.15) + k * 0.07,
                rng.uniform(0.5, 1.0),
                rng.uniform(0.75, 1.0),
            )
            yy, xx = np.mgrid[0 : 2 * radius, 0 : 2 * radius]
            mask = (xx - radius + 0.5) ** 2 + (yy - radius + 0.5) ** 2 <= radius**2
            small = mask.reshape(radius, 2, radius, 2).mean(axis=(1, 3)) >= 0.5
            yuv = _rgb_to_yuv(np.array([[colour] * 2] * 2, dtype=np.uint8))
            path = (
                rng.uniform(0.5, 2.0),
                rng.uniform(0, 2 * math.pi),  # cycles over the video, phase in x
                rng.uniform(0.5, 2.0),
                rng.uniform(0, 2 * math.pi),  # the same in y
            )
            self.discs.append(
                (radius, mask, small, int(yuv[0][0, 0]), int(yuv[1][0, 0]), int(yuv[2][0, 0]), path)
            )

        self._buffer = np.empty((h * 3 // 2, w), dtype=np.uint8)

    def _tile(self, rng: random.Random, tw: int, th: int) -> np.ndarray:
        c0, c1, c2 = (np.array(c, dtype=np.float32) for c in self.palette)
        y, x = np.mgrid[0:th, 0:tw].astype(np.float32)
        wobble = rng.uniform(0.5, 2.5)
        stripes = rng.choice((1, 2, 3))
        mix1 = 0.5 + 0.5 * np.sin(
            2 * np.pi * stripes * x / self.period_x + wobble * np.sin(2 * np.pi * y / self.period_y)
        )
        mix2 = 0.5 + 0.5 * np.cos(2 * np.pi * y / self.period_y + rng.uniform(0, 2 * np.pi))
        rgb = c0 * (1 - mix1[..., None]) + c1 * mix1[..., None]
        rgb = rgb * (1 - 0.6 * mix2[..., None]) + c2 * (0.6 * mix2[..., None])
        return np.clip(rgb, 0, 255).astype(np.uint8)

    def _caption_panel(self, rng: random.Random, accent_hue: float) -> tuple[int, np.ndarray]:
        """The panel's height (even) and its RGB pixels: the prompt, then a footer line."""
        w, h = self.width, self.height
        portrait = h > w
        big = _font(max(12, round(min(w, h) / 15)))
        small = _font(max(9, round(min(w, h) / 32)))
        margin = _even(min(w, h) / 24)
        line_h = round(big.size * 1.25)
        lines = _wrap(self.spec.prompt, big, w - 2 * margin, max_lines=4 if portrait else 2)
        panel_h = _even(margin * 2 + line_h * len(lines) + small.size * 1.6 + 4)
        panel_h = min(panel_h, _even(h * 0.45))
        image = Image.new("RGB", (w, panel_h), _colour(accent_hue, 0.35, 0.16))
        draw = ImageDraw.Draw(image)
        y = margin
        for line in lines:
            draw.text((margin, y), line, font=big, fill=(245, 245, 245))
            y += line_h
        parts = [
            BANNER,
            self.spec.model,
            f"{self.spec.duration} s",
            f"{self.spec.aspect_ratio} {self.spec.resolution}",
        ]
        if self.spec.variant:
            parts.append(f"variant {self.spec.variant}")
        if self.spec.seed is not None:
            parts.append(f"seed {self.spec.seed}")
        parts.append(self.spec.key[:8])
        while len(parts) > 1 and small.getlength(" · ".join(parts)) > w - 2 * margin:
            parts.pop(0)  # a narrow frame drops the banner first
        footer = " · ".join(parts)
        draw.text(
            (margin, panel_h - margin // 2 - small.size * 1.2),
            footer,
            font=small,
            fill=(170, 170, 170),
        )
        return panel_h, np.asarray(image)

    def frame(self, index: int) -> np.ndarray:
        """Frame ``index`` as one (h * 3 / 2, w) yuv420p array (reused between calls)."""
        w, h = self.width, self.height
        t = index / FPS
        buf = self._buffer
        flat = buf.reshape(
            -1
        )  # planes are packed back to back (h / 2 may be odd: no row alignment)
        y_plane = flat[: w * h].reshape(h, w)
        u_plane = flat[w * h : w * h * 5 // 4].reshape(h // 2, w // 2)
        v_plane = flat[w * h * 5 // 4 :].reshape(h // 2, w // 2)
        top, scene_h = self.panel_h, self.scene_h  # the scene fills the rows below the panel

        ox = _even((self.velocity[0] * t) % self.period_x)
        oy = _even((self.velocity[1] * t) % self.period_y)
        ty, tu, tv = self.tile
        y_plane[top:] = ty[oy : oy + scene_h, ox : ox + w]
        u_plane[top // 2 :] = tu[oy // 2 : (oy + scene_h) // 2, ox // 2 : (ox + w) // 2]
        v_plane[top // 2 :] = tv[oy // 2 : (oy + scene_h) // 2, ox // 2 : (ox + w) // 2]

        phase = t / self.spec.duration
        for radius, mask, small, yv, uv, vv, (fx, px, fy, py) in self.discs:
            cx = (w / 2 - radius) + (w / 2 - radius) * 0.9 * math.sin(2 * math.pi * fx * phase + px)
            cy = (scene_h / 2 - radius) + (scene_h / 2 - radius) * 0.9 * math.sin(
                2 * math.pi * fy * phase + py
            )
            x0, y0 = _even(max(cx, 0)), top + _even(max(cy, 0))
            if y0 + 2 * radius > h or x0 + 2 * radius > w:
                continue  # a frame too small for this disc (not with the sizes the API allows)
            y_plane[y0 : y0 + 2 * radius, x0 : x0 + 2 * radius][mask] = yv
            u_plane[y0 // 2 : y0 // 2 + radius, x0 // 2 : x0 // 2 + radius][small] = uv
            v_plane[y0 // 2 : y0 // 2 + radius, x0 // 2 : x0 // 2 + radius][small] = vv

        py_, pu, pv = self.panel_yuv
        y_plane[:top] = py_
        u_plane[: top // 2] = pu
        v_plane[: top // 2] = pv
        # A progress bar along the panel's bottom edge: the video's own clock, visible at a glance.
        bar = _even(w * (index + 1) / self.frame_count)
        if bar:
            y_plane[top - 4 : top, :bar] = self.bar_yuv[0][0, 0]
            u_plane[top // 2 - 2 : top // 2, : bar // 2] = self.bar_yuv[1][0, 0]
            v_plane[top // 2 - 2 : top // 2, : bar // 2] = self.bar_yuv[2][0, 0]
        return buf


def _font(size: int) -> ImageFont.FreeTypeFont:
    # Pillow >= 10.1 bundles a scalable font; without FreeType it would fall back to a
    # fixed bitmap font, which cannot be sized: refuse that plainly.
    font = ImageFont.load_default(size=size)
    if not isinstance(font, ImageFont.FreeTypeFont):
        raise RuntimeError("the emulator needs Pillow built with FreeType to draw the prompt")
    return font


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int, *, max_lines: int) -> list[str]:
    """Greedy word wrap to ``width`` pixels, at most ``max_lines`` lines, an ellipsis if cut."""
    # No line holds more than a few hundred characters: the rest could never be shown.
    words = text[: 160 * max_lines].split()
    cut = len(text) > 160 * max_lines
    lines: list[str] = []
    current = ""
    for word in words:
        candidate = f"{current} {word}" if current else word
        if font.getlength(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = word
        while font.getlength(current) > width:  # a word wider than the frame: split it
            size = _longest_fit(current, font, width)
            lines.append(current[:size])
            current = current[size:]
        if len(lines) > max_lines:
            break
    if current:
        lines.append(current)
    if len(lines) > max_lines or cut:
        last = lines[min(len(lines), max_lines) - 1]
        while last and font.getlength(last + " …") > width:
            last = last[:-1]
        lines = [*lines[: max_lines - 1], last.rstrip() + " …"]
    return lines or [""]


def _longest_fit(text: str, font: ImageFont.FreeTypeFont, width: int) -> int:
    """The length of the longest prefix of ``text`` that fits in ``width`` pixels (at least 1)."""
    low, high = 1, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if font.getlength(text[:middle]) <= width:
            low = middle
        else:
            high = middle - 1
    return low
