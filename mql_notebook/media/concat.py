"""Clips joined into one MP4, one after the other: ``concat([run1, run2, "c.mp4"], "all.mp4")``.

When every clip has the same frame size, codec, codec setup and time base (runs of one model
and resolution), the packets are copied as they are (re-muxed, no quality lost, about as fast
as copying the files), their times shifted so each clip starts where the one before ends; an
audio track present in every clip, alike in each, is copied the same way. Otherwise the clips
are decoded and encoded again as H.264 at the first clip's size and frame rate (a clip of
another shape is letterboxed), without audio. The file appears whole or not at all.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path
from typing import Any

from .._files import temporary_path
from .frames import load_av

log = logging.getLogger("mql_notebook")
Clip = Any  # a path, an MP4's bytes, an Entry or a widget's Run (anything with .files or .video)


def concat(clips: Iterable[Clip], dest: str | os.PathLike[str]) -> Path:
    """Join ``clips`` (paths, bytes, library entries, widget runs) into the MP4 ``dest``; returns it.

    Blocks while it works (a re-encode of long clips takes seconds): from async code,
    ``await asyncio.to_thread(concat, clips, dest)``.
    """
    av = load_av()
    target = Path(dest).expanduser()
    with tempfile.TemporaryDirectory(prefix="mql-concat-") as scratch:
        paths = [_path_of(clip, i, Path(scratch)) for i, clip in enumerate(clips)]
        if not paths:
            raise ValueError("concat needs at least one clip")
        probes = [_probe(av, path) for path in paths]
        temp = temporary_path(target)
        try:
            if all(p["video"] == probes[0]["video"] for p in probes):
                try:
                    _remux(av, paths, probes, temp)
                except av.error.FFmpegError as error:  # timestamps the muxer refuses
                    log.info("concat: re-muxing failed (%s); encoding again", error)
                    _reencode(av, paths, probes, temp)
            else:
                _reencode(av, paths, probes, temp)
            os.replace(temp, target)
        finally:
            temp.unlink(missing_ok=True)
    return target


def _path_of(clip: Clip, index: int, scratch: Path) -> Path:
    if isinstance(clip, (str, os.PathLike)):
        path = Path(os.fspath(clip)).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"concat: clip {index} ({path}) is not a file")
        return path
    if isinstance(clip, (bytes, bytearray)):
        path = scratch / f"clip-{index}.mp4"
        path.write_bytes(bytes(clip))
        return path
    for file in getattr(clip, "files", None) or ():
        if file is not None and Path(file).is_file():
            return Path(file)
    video = getattr(clip, "video", None)
    if isinstance(video, (str, os.PathLike, bytes, bytearray)):
        return _path_of(video, index, scratch)
    raise ValueError(
        f"concat: clip {index} ({type(clip).__name__}) has no video: give a path, an MP4's "
        "bytes, a library entry or a run with its video downloaded"
    )


def _probe(av: Any, path: Path) -> dict[str, Any]:
    with av.open(os.fspath(path)) as container:
        if not container.streams.video:
            raise ValueError(f"concat: {path} holds no video stream")
        video = container.streams.video[0]
        ctx = video.codec_context
        audio = container.streams.audio[0] if container.streams.audio else None
        return {
            "video": (
                ctx.name,
                ctx.width,
                ctx.height,
                ctx.pix_fmt,
                bytes(ctx.extradata or b""),
                video.time_base,
            ),
            "audio": None
            if audio is None
            else (
                audio.codec_context.name,
                audio.codec_context.sample_rate,
                audio.codec_context.channels,
                bytes(audio.codec_context.extradata or b""),
            ),
            "rate": video.average_rate or video.guessed_rate or Fraction(24),
            "size": (ctx.width, ctx.height),
        }


def _remux(av: Any, paths: list[Path], probes: list[dict[str, Any]], out: Path) -> None:
    with_audio = probes[0]["audio"] is not None and all(
        p["audio"] == probes[0]["audio"] for p in probes
    )
    if any(p["audio"] is not None for p in probes) and not with_audio:
        log.warning("concat: the clips' audio differs; the joined file has no audio")
    with (
        av.open(os.fspath(paths[0])) as first,
        av.open(
            os.fspath(out), "w", format="mp4", container_options={"movflags": "+faststart"}
        ) as output,
    ):
        outputs = [output.add_stream_from_template(first.streams.video[0])]
        if with_audio:
            outputs.append(output.add_stream_from_template(first.streams.audio[0]))
        offset = 0.0  # seconds: where the next clip starts
        for path in paths:
            with av.open(os.fspath(path)) as clip:
                streams = [clip.streams.video[0]] + ([clip.streams.audio[0]] if with_audio else [])
                start = min(
                    float(s.start_time * s.time_base) for s in streams if s.start_time is not None
                )
                end = offset
                for packet in clip.demux(*streams):
                    if packet.dts is None:  # the demuxer's flush packet
                        continue
                    base = packet.time_base
                    shift = round((offset - start) / base)
                    packet.pts = None if packet.pts is None else packet.pts + shift
                    packet.dts += shift
                    if packet.pts is not None and packet.stream.type == "video":
                        end = max(end, float((packet.pts + (packet.duration or 0)) * base))
                    packet.stream = outputs[0 if packet.stream.type == "video" else 1]
                    output.mux(packet)
                offset = end


def _reencode(av: Any, paths: list[Path], probes: list[dict[str, Any]], out: Path) -> None:
    import numpy as np

    if any(p["audio"] is not None for p in probes):
        log.warning(
            "concat: the clips differ in size or codec and are encoded again, without audio"
        )
    width, height = (d // 2 * 2 for d in probes[0]["size"])
    rate = Fraction(probes[0]["rate"]).limit_denominator(1001)
    with av.open(
        os.fspath(out), "w", format="mp4", container_options={"movflags": "+faststart"}
    ) as output:
        stream = output.add_stream("libx264", rate=rate)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.time_base = 1 / rate
        stream.codec_context.colorspace = 1  # BT.709, as the frames are converted
        stream.codec_context.color_range = 1
        stream.options = {"preset": "veryfast", "crf": "20"}
        index, offset = 0, 0.0
        for path in paths:
            with av.open(os.fspath(path)) as clip:
                source = clip.streams.video[0]
                source.thread_type = "AUTO"
                end = offset
                for decoded in clip.decode(source):
                    when = offset + float(decoded.time or 0.0)
                    end = max(end, when + 1 / float(rate))
                    if round(when * rate) < index:  # a faster clip: drop the frames in between
                        continue
                    frame = _letterboxed(av, np, decoded, width, height)
                    frame.pts, frame.time_base = index, 1 / rate
                    index += 1
                    for packet in stream.encode(frame):
                        output.mux(packet)
                offset = max(end, index / float(rate))
        for packet in stream.encode(None):
            output.mux(packet)


def _letterboxed(av: Any, np: Any, decoded: Any, width: int, height: int) -> Any:
    from av.video.reformatter import ColorRange, Colorspace

    yuv = {"dst_colorspace": Colorspace.ITU709, "dst_color_range": ColorRange.MPEG}
    if (decoded.width, decoded.height) == (width, height):
        return decoded.reformat(format="yuv420p", **yuv)
    scale = min(width / decoded.width, height / decoded.height)
    sw, sh = (
        max(2, round(decoded.width * scale) // 2 * 2),
        max(2, round(decoded.height * scale) // 2 * 2),
    )
    picture = decoded.reformat(width=sw, height=sh, format="rgb24").to_ndarray()
    canvas = np.zeros((height, width, 3), dtype=np.uint8)
    top, left = (height - sh) // 2, (width - sw) // 2
    canvas[top : top + sh, left : left + sw] = picture
    return av.VideoFrame.from_ndarray(canvas, format="rgb24").reformat(format="yuv420p", **yuv)
