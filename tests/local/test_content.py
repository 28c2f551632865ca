"""The emulator's videos and its content endpoint over real HTTP: real MP4s, ranges, caching headers."""

from __future__ import annotations

import numpy as np
import pytest

from mql_notebook.local import LocalServer, RenderSpec, render_mp4
from mql_notebook.request import ASPECT_RATIOS, DURATIONS, RESOLUTIONS, frame_size
from tests.local.http_calls import client_for, create, video, wait_terminal
from tests.local.mp4 import frame_count, frames, probe, top_level_boxes

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def server(local_server):
    return local_server(pace=0)


@pytest.fixture
def client(server):
    with client_for(server.url) as client:
        yield client


@pytest.fixture(scope="module")
def seed_video(local_servers):
    with client_for(local_servers.get(pace=0).url) as client:
        return video(client)


@pytest.mark.parametrize("resolution", RESOLUTIONS)
@pytest.mark.parametrize("aspect_ratio", ASPECT_RATIOS)
def test_the_mp4_is_h264_yuv420p_faststart_at_the_requested_size(client, aspect_ratio, resolution):
    generation, data = video(
        client, prompt="a lighthouse at dusk", aspect_ratio=aspect_ratio, resolution=resolution
    )
    info = probe(data)
    width, height = frame_size(aspect_ratio, resolution)
    assert (info["codec"], info["pix_fmt"]) == ("h264", "yuv420p")
    assert (info["width"], info["height"]) == (width, height)
    assert generation["size"] == f"{width}x{height}"
    assert abs(info["duration"] - 5) <= 1 / 24
    boxes = top_level_boxes(data)
    assert boxes[0] == "ftyp" and boxes.index("moov") < boxes.index("mdat")  # faststart


@pytest.mark.parametrize("duration", DURATIONS)
def test_the_duration_is_exactly_the_requested_one(client, duration):
    generation, data = video(
        client, prompt="a ticking clock", duration=duration, aspect_ratio="1:1"
    )
    info = probe(data)
    assert generation["seconds"] == duration
    assert abs(info["duration"] - duration) <= 1 / 24
    assert info["fps"] == 24
    assert frame_count(data) == duration * 24


def test_rendering_is_deterministic():
    spec = RenderSpec("A timelapse of a flower blooming in a garden", duration=5)
    assert render_mp4(spec) == render_mp4(spec)


def test_the_same_request_gives_the_same_bytes_and_etag_without_rendering_again(
    server, client, seed_video
):
    renders = server.emulator.videos.renders
    generation, data = video(client)
    assert data == seed_video[1]
    assert generation["id"] != seed_video[0]["id"]
    etags = {
        client.get(f"/v1/videos/{g}/content").headers["etag"]
        for g in (generation["id"], seed_video[0]["id"])
    }
    assert len(etags) == 1
    assert server.emulator.videos.renders == renders  # served from the cache


def test_a_different_prompt_gives_a_visibly_different_video(client, seed_video):
    _, other = video(client, prompt="A submarine under the polar ice")
    assert other != seed_video[1]
    a, b = frames(seed_video[1], {0, 60}), frames(other, {0})
    difference = np.abs(a[0] - b[0]).mean()
    assert difference > 20, difference  # mean difference per channel, out of 255
    assert np.abs(a[0] - a[60]).mean() > 5  # and the picture moves


def test_the_prompt_words_are_drawn(client):
    # Same look-defining key is impossible for two prompts, so compare the caption panel's
    # text pixels: white glyphs on a dark panel appear in the top part only where text is
    # (at the top, clear of a player's controls along the bottom).
    _, data = video(client, prompt="WWWWWWWW WWWWWWWW WWWWWWWW", aspect_ratio="1:1")
    frame = frames(data, {0})[0]
    bright = frame.min(axis=2) > 200  # white text
    rows = np.nonzero(bright.any(axis=1))[0]
    assert rows.size and rows.max() < frame.shape[0] * 0.5  # in the caption at the top
    assert bright.sum() > 2000


@pytest.mark.parametrize(
    "prompt", ["x" * 4000, "word " * 799, "🎥🌸 日本語のプロンプト\t\u200b" * 20]
)
def test_extreme_prompts_render(client, prompt):
    generation, data = video(client, prompt=prompt, aspect_ratio="9:16")
    assert probe(data)["height"] == 854 and generation["prompt"] == prompt


def test_content_headers(client, seed_video):
    generation, data = seed_video
    response = client.get(f"/v1/videos/{generation['id']}/content")
    assert response.status_code == 200
    assert response.headers["content-type"] == "video/mp4"
    assert int(response.headers["content-length"]) == len(data) == len(response.content)
    assert response.headers["accept-ranges"] == "bytes"
    etag = response.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")


def test_content_of_an_unknown_id_is_404_json(client):
    response = client.get("/v1/videos/video_nope/content")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_content_before_completion_is_409_json(client):
    stalled = create(client, prompt="never ready [[stall]]")
    response = client.get(f"/v1/videos/{stalled['id']}/content")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_ready"


def test_content_of_a_failed_job_is_409_json(client):
    failed = wait_terminal(client, create(client, prompt="doomed [[fail]]")["id"])
    assert failed["status"] == "failed"
    response = client.get(f"/v1/videos/{failed['id']}/content")
    assert response.status_code == 409 and response.json()["error"]["code"] == "generation_failed"


def test_content_before_completion_at_a_slow_pace_is_409():
    with LocalServer(pace=30) as server, client_for(server.url) as client:
        generation = create(client)
        response = client.get(f"/v1/videos/{generation['id']}/content")
        assert response.status_code == 409 and response.json()["error"]["code"] == "not_ready"
        assert "pending" in response.json()["error"]["message"]


def _ranges(size: int) -> list[tuple[str, int, tuple[int, int] | None]]:
    # (Range header, expected status, expected inclusive byte range or None for all)
    return [
        ("bytes=0-99", 206, (0, 99)),
        ("bytes=100-199", 206, (100, 199)),
        ("bytes=1000-", 206, (1000, size - 1)),
        ("bytes=-500", 206, (size - 500, size - 1)),
        ("bytes=0-", 206, (0, size - 1)),
        (f"bytes={size - 10}-{size + 1000}", 206, (size - 10, size - 1)),
        (f"bytes=-{size + 50}", 206, (0, size - 1)),
        (f"bytes={size}-", 416, None),
        (f"bytes={size + 5}-{size + 10}", 416, None),
        ("bytes=-0", 416, None),
        ("bytes=0-1,5-6", 200, None),  # several ranges: the whole body is a valid answer
        ("bytes=abc", 200, None),
        ("items=0-1", 200, None),
        ("bytes=9-3", 200, None),
    ]


def test_range_requests(client, seed_video):
    generation, data = seed_video
    size = len(data)
    url = f"/v1/videos/{generation['id']}/content"
    for header, status, wanted in _ranges(size):
        response = client.get(url, headers={"Range": header})
        assert response.status_code == status, header
        if status == 206:
            first, last = wanted
            assert response.headers["content-range"] == f"bytes {first}-{last}/{size}", header
            assert response.content == data[first : last + 1], header
            assert int(response.headers["content-length"]) == last - first + 1
        elif status == 416:
            assert response.headers["content-range"] == f"bytes */{size}", header
            assert response.json()["error"]["code"] == "range_not_satisfiable"
        else:
            assert response.content == data, header


def test_if_range_and_if_none_match(client, seed_video):
    generation, data = seed_video
    url = f"/v1/videos/{generation['id']}/content"
    etag = client.get(url).headers["etag"]
    resumed = client.get(url, headers={"Range": "bytes=10-", "If-Range": etag})
    assert resumed.status_code == 206 and resumed.content == data[10:]
    changed = client.get(url, headers={"Range": "bytes=10-", "If-Range": '"something-else"'})
    assert changed.status_code == 200 and changed.content == data
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304


def test_head_gives_the_headers_without_the_body(client, seed_video):
    generation, data = seed_video
    response = client.head(f"/v1/videos/{generation['id']}/content")
    assert response.status_code == 200
    assert int(response.headers["content-length"]) == len(data) and response.content == b""


def test_a_video_evicted_from_the_cache_is_rendered_again_identically():
    with LocalServer(pace=0, max_video_bytes=1) as server, client_for(server.url) as client:
        generation, data = video(client, aspect_ratio="1:1")
        assert len(server.emulator.videos) == 0 and server.emulator.videos.cached_bytes == 0
        again = client.get(f"/v1/videos/{generation['id']}/content")
        assert again.content == data
        assert server.emulator.videos.renders == 3  # the job, the first download, this one
