"""``download()`` to bytes holds the video once: the body is written into the ``bytes`` handed
back (sized from Content-Length), not gathered in chunks and joined into a second copy."""

from __future__ import annotations

import os
import sys

import pytest

from mql_notebook import AsyncMQL
from mql_notebook.client.buffer import PREALLOCATE_BYTES, ByteBuffer

from .test_threaded_downloads import KEY, TOTAL, HeldBackVideo

linux_only = pytest.mark.skipif(
    not os.path.exists("/proc/self/clear_refs"), reason="needs Linux's peak-RSS mark"
)


def _resident() -> tuple[int, int]:
    """(RSS, peak RSS) of this process in bytes."""
    found = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0]) * 1024
    return found["VmRSS"], found["VmHWM"]


@linux_only
@pytest.mark.skipif(sys.implementation.name != "cpython", reason="the one-copy path is CPython's")
async def test_a_download_to_bytes_peaks_at_one_copy_of_the_video() -> None:
    with HeldBackVideo() as server:
        server.release.set()
        async with AsyncMQL(KEY, server.url) as client:
            seen: list[int] = []
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")  # the peak mark starts again from the RSS now
            base, _ = _resident()
            data = await client.video.download(
                "video_whole", on_progress=lambda w, t: seen.append(w)
            )
            _, peak = _resident()
    assert type(data) is bytes
    assert len(data) == TOTAL and data.count(0) == TOTAL
    assert seen[-1] == TOTAL
    # The old way (chunks, then b"".join) peaked at twice the video; one copy plus slack now.
    assert peak - base < 1.25 * TOTAL, f"peak grew by {(peak - base) / 2**20:.0f} MiB"


def test_a_sized_buffer_hands_out_the_object_it_filled() -> None:
    buffer = ByteBuffer()
    size = 3 * PREALLOCATE_BYTES + 5
    buffer.reserve(size)
    pieces = [bytes([i]) * 1000 for i in range(256)]
    body = b"".join(pieces)
    body = (body * (size // len(body) + 1))[:size]
    for start in range(0, size, 7001):
        buffer.write(body[start : start + 7001])
    data = buffer.take()
    assert type(data) is bytes and data == body and hash(data) == hash(body)


def test_a_buffer_starts_over_keeps_what_came_before_a_size_and_survives_more_than_announced() -> (
    None
):
    buffer = ByteBuffer()
    buffer.write(b"a" * 10)  # a first answer without a size (chunked)
    buffer.reserve(PREALLOCATE_BYTES)  # then a resume that says the whole size
    buffer.write(b"b" * (PREALLOCATE_BYTES - 10))
    assert buffer.take() == b"a" * 10 + b"b" * (PREALLOCATE_BYTES - 10)

    buffer = ByteBuffer()
    buffer.reserve(PREALLOCATE_BYTES)
    buffer.write(b"x" * 100)
    buffer.reset()  # the server sent the whole file again
    buffer.write(b"y" * PREALLOCATE_BYTES)
    buffer.write(b"z")  # past the size announced: kept, for the caller's size check to refuse
    assert buffer.take() == b"y" * PREALLOCATE_BYTES + b"z"

    buffer = ByteBuffer()
    buffer.write(b"unsized")
    assert buffer.take() == b"unsized"
    assert buffer.take() == b""
