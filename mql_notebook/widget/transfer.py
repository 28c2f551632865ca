"""Videos from the kernel to the browser as binary message buffers, in chunks.

One comm message carrying a 200 MB buffer crashed the browser-side driver in our
measurements (Chromium driven by Playwright; 8 MB chunks joined in JavaScript delivered the
same 200 MB in 4.6 s), and browser -> kernel messages over 10 MiB drop the connection
(tornado's ``websocket_max_message_size``). So every video travels as chunks of at most ``CHUNK_BYTES``, framed by a
begin and an end message that share a transfer number; the view joins the chunks
into one Blob and drops a transfer that a newer one has overtaken.

    {"kind": "video-begin", "transfer": 3, "generation_id": ..., "aspect_ratio": "16:9",
     "mime": "video/mp4", "sizes": [bytes of variant 0, bytes of variant 1, ...]}
    {"kind": "video-chunk", "transfer": 3, "variant": 0, "offset": 0}          + 1 buffer
    ...
    {"kind": "video-end", "transfer": 3}

A transfer with ``sizes == []`` clears the view's videos. These messages are typed for the view
in js/protocol.d.ts (VideoBegin, VideoChunk, VideoEnd): change both together.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

CHUNK_BYTES = 8 * 1024 * 1024
VIDEO_MIME = "video/mp4"

Message = tuple[dict[str, Any], list[memoryview]]


def iter_chunks(data: bytes, size: int = CHUNK_BYTES) -> Iterator[tuple[int, memoryview]]:
    """(offset, slice) pairs covering ``data``; slices are views, never copies."""
    if size <= 0:
        raise ValueError("chunk size must be positive")
    view = memoryview(data)
    for offset in range(0, len(view), size):
        yield offset, view[offset : offset + size]


def video_messages(
    transfer: int,
    videos: Sequence[bytes],
    *,
    generation_id: str = "",
    aspect_ratio: str = "",
    chunk_bytes: int = CHUNK_BYTES,
) -> Iterator[Message]:
    """The messages (content, buffers) that carry ``videos`` to the view."""
    yield (
        {
            "kind": "video-begin",
            "transfer": transfer,
            "generation_id": generation_id,
            "aspect_ratio": aspect_ratio,
            "mime": VIDEO_MIME,
            "sizes": [len(v) for v in videos],
        },
        [],
    )
    for variant, data in enumerate(videos):
        for offset, chunk in iter_chunks(data, chunk_bytes):
            yield (
                {"kind": "video-chunk", "transfer": transfer, "variant": variant, "offset": offset},
                [chunk],
            )
    yield {"kind": "video-end", "transfer": transfer}, []


def send_videos(
    send: Callable[..., Any], transfer: int, run: Any, *, chunk_bytes: int = CHUNK_BYTES
) -> None:
    """Send the videos of ``run`` (a ``Run``, or None to clear the view) through ``send``."""
    messages = video_messages(
        transfer,
        run.videos if run else [],
        generation_id=run.generation_id if run else "",
        aspect_ratio=str(run.options.get("aspect_ratio") or "") if run else "",
        chunk_bytes=chunk_bytes,
    )
    for content, buffers in messages:
        send(content, buffers=buffers or None)
