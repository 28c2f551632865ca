"""Helpers shared by the tests of the local emulator (tests/test_local_*.py)."""

from __future__ import annotations

import io
import struct
import time
from typing import Any

import av
import httpx
import numpy as np

KEY = "mql_test_key"
AUTH = {"Authorization": f"Bearer {KEY}"}
# The seed page's cURL example, exactly.
SEED_BODY = {"model": "sora", "prompt": "A timelapse of a flower blooming in a garden"}
TERMINAL = {"completed", "failed"}


def client_for(url: str, **kwargs: Any) -> httpx.Client:
    return httpx.Client(base_url=url, headers=AUTH, timeout=15, **kwargs)


def create(client: httpx.Client, **body: Any) -> dict[str, Any]:
    response = client.post("/v1/videos/generations", json={**SEED_BODY, **body})
    assert response.status_code == 200, response.text
    return response.json()


def wait_terminal(
    client: httpx.Client,
    generation_id: str,
    *,
    timeout: float = 20.0,
    terminal: set[str] = TERMINAL,
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(f"/v1/videos/generations/{generation_id}").json()
        if body["status"] in terminal:
            return body
        assert time.monotonic() < deadline, f"still {body['status']} after {timeout} s"
        time.sleep(0.02)


def video(client: httpx.Client, **body: Any) -> tuple[dict[str, Any], bytes]:
    """Create, wait until completed, download the first variant."""
    generation = wait_terminal(client, create(client, **body)["id"])
    assert generation["status"] == "completed", generation
    response = client.get(f"/v1/videos/{generation['id']}/content")
    assert response.status_code == 200
    return generation, response.content


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
