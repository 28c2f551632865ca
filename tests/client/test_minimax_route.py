"""The MiniMax task route, over real HTTP against the emulator: the official SDK's calls by
their names and arguments (sync and async), the route each product call takes, the task's
statuses, and its video from the file object's download_url on storage, never with the key."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mql_notebook import MQL, AsyncMQL, GenerationFailedError, InvalidRequestError, Library
from mql_notebook.client import minimax
from mql_notebook.client.poller import PollTiming
from mql_notebook.client.retry import RetryPolicy
from mql_notebook.local import LocalServer
from mql_notebook.status import normalize_status

KEY = "mql_minimax_route_key"
MODEL = "MiniMax-Hailuo-2.3"
IMAGE = "https://example.com/first-frame.png"
PROMPT = "A paper boat drifts down a rainy street"
FAST_POLL = PollTiming(first_delay=0.05, min_interval=0.05, max_interval=0.2)
FAST_RETRIES = RetryPolicy(max_retries=2, base_delay=0.02, max_delay=0.1)


class Client:
    """One face for both clients: the async one is awaited, the sync one runs in a thread."""

    def __init__(self, kind: str, url: str, **options: Any):
        options.setdefault("library", False)
        self.client = (MQL if kind == "sync" else AsyncMQL)(
            KEY, url, poll_timing=FAST_POLL, retry_policy=FAST_RETRIES, **options
        )

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self.client.video, name)
        if isinstance(self.client, AsyncMQL):
            return method
        return lambda *args, **kwargs: asyncio.to_thread(method, *args, **kwargs)


@pytest.fixture(scope="module")
def storage_server():
    with LocalServer(pace=0.6, storage="redirect", fault_seed=11) as server:
        yield server


def fresh(server: LocalServer) -> LocalServer:
    server.faults.reset()
    server.clear_requests()
    assert server.storage is not None
    server.storage.ttl = 300.0
    return server


def rendered(server: LocalServer, video_id: str) -> bytes:
    found = server.emulator.jobs.find_video(video_id)
    assert found is not None
    job, index = found
    return server.emulator.videos.get(job.specs[index]).result(timeout=60).data


def paths(server: LocalServer) -> list[str]:
    return [f"{r.method} {r.path.split('/video_')[0]}" for r in server.requests]


def assert_key_never_reached_storage(server: LocalServer) -> None:
    assert server.storage_requests, "storage was never asked"
    for record in server.storage_requests:
        assert record.headers is not None
        assert "authorization" not in record.headers and "cookie" not in record.headers
        assert KEY not in " ".join(record.headers.values()) + (record.query or "")


# -- decisions, no I/O ------------------------------------------------------------------------


def test_the_route_is_chosen_from_the_request_and_route_overrides() -> None:
    assert minimax.choose_route(MODEL, {"first_frame_image": IMAGE}) == "minimax"
    assert minimax.choose_route("minimax-hailuo-02", {"first_frame_image": IMAGE}) == "minimax"
    assert minimax.choose_route(MODEL, {}) == "generations"  # text to video: the main route
    assert minimax.choose_route("veo-3", {"first_frame_image": IMAGE}) == "generations"
    assert minimax.choose_route(MODEL, {"first_frame_image": IMAGE}, "generations") == "generations"
    assert minimax.choose_route(MODEL, {}, "minimax") == "minimax"
    with pytest.raises(InvalidRequestError, match="route"):
        minimax.choose_route(MODEL, {}, "tasks")


def test_task_statuses_map_onto_the_products() -> None:
    assert minimax.TASK_STATUSES == {
        "Preparing": "pending",
        "Queueing": "pending",
        "Processing": "processing",
        "Success": "completed",
        "Fail": "failed",
    }
    for word, status in minimax.TASK_STATUSES.items():
        assert normalize_status(word) == status


def test_a_task_body_is_checked_before_anything_is_sent() -> None:
    body = minimax.task_body(MODEL, None, {"first_frame_image": IMAGE, "duration": 6})
    assert body == {"model": MODEL, "first_frame_image": IMAGE, "duration": 6}
    with pytest.raises(InvalidRequestError, match="prompt"):
        minimax.task_body(MODEL, None, {})
    with pytest.raises(InvalidRequestError, match="local path"):
        minimax.task_body(MODEL, None, {"first_frame_image": "/home/me/cat.png"})
    with pytest.raises(InvalidRequestError, match="one video"):
        minimax.task_body(MODEL, PROMPT, {"first_frame_image": IMAGE, "n": 2})


# -- the official SDK's calls, verbatim --------------------------------------------------------


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_the_sdks_task_calls_run_by_their_names_and_arguments(
    storage_server: LocalServer, kind: str
) -> None:
    server = fresh(storage_server)
    client = Client(kind, server.url)

    result = await client.create_from_image(first_frame_image=IMAGE, prompt=PROMPT)
    assert set(result) == {"task_id", "base_resp"} and result["base_resp"]["status_code"] == 0
    task_id = result["task_id"]
    status = await client.query_video_status(task_id)
    assert status["status"] in ("Preparing", "Queueing", "Processing")  # the server's word
    assert "download_url" not in status
    final = await client.query_and_wait(task_id, poll_interval=0.1, max_wait=60.0)
    assert final["status"] == "Success" and final["file_id"]
    assert (final["video_width"], final["video_height"]) == (1366, 768)
    assert final["download_url"].startswith(server.storage.base_url)  # type: ignore[union-attr]
    with_link = await client.query_video_status(task_id, include_download_url=True)
    assert with_link["download_url"]

    downloaded = await client.query_and_download(task_id, poll_interval=0.1, max_wait=60.0)
    expected = rendered(server, task_id)
    assert downloaded["file"]["file_id"] == final["file_id"]
    assert downloaded["file"]["bytes"] == len(expected) and downloaded.video == expected
    again = await client.download_video(final["file_id"])
    assert again["base_resp"]["status_code"] == 0 and again.video == expected

    creates = [r for r in server.requests if r.endpoint == "create"]
    assert [r.path for r in creates] == ["/v1/videos/minimax/generations"]
    assert not [r for r in server.requests if "/generations/" in r.path]  # never the other route
    assert [r.path.split("?")[0] for r in server.requests if r.endpoint == "content"] == [
        f"/v1/videos/download/{final['file_id']}"
    ] * 2
    assert_key_never_reached_storage(server)


async def test_a_download_to_a_path_survives_an_expired_link(
    storage_server: LocalServer, tmp_path: Path
) -> None:
    server = fresh(storage_server)
    client = Client("async", server.url)
    result = await client.create_from_image(first_frame_image=IMAGE, prompt=PROMPT)
    final = await client.query_and_wait(result["task_id"])
    expected = rendered(server, result["task_id"])
    seen: list[int] = []

    def expire_once(written: int, total: int | None) -> None:
        if not seen:
            server.storage.expire_all()  # type: ignore[union-attr]
        seen.append(written)

    server.clear_requests()
    server.faults.script("storage", ["truncate"])
    got = await client.download_video(
        final["file_id"], tmp_path / "boat.mp4", on_progress=expire_once
    )
    assert got.video == tmp_path / "boat.mp4" and got.video.read_bytes() == expected
    # Broken off, refused as expired, resumed from a fresh file object's link.
    assert [r.status for r in server.storage_requests] == [200, 403, 206]
    assert len([r for r in server.requests if r.endpoint == "content"]) == 2
    assert_key_never_reached_storage(server)


# -- the product's calls choose the route ----------------------------------------------------


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_create_and_download_with_an_image_goes_by_the_task_route(
    storage_server: LocalServer, kind: str, tmp_path: Path
) -> None:
    server = fresh(storage_server)
    library = Library(tmp_path / "lib")
    client = Client(kind, server.url, library=library)
    seen: list[str] = []
    data = await client.create_and_download(
        model=MODEL,
        prompt=PROMPT,
        first_frame_image=IMAGE,
        duration=6,
        resolution="768P",
        on_update=lambda g: seen.append(g.raw_status),
    )
    [create] = [r for r in server.requests if r.endpoint == "create"]
    assert create.path == "/v1/videos/minimax/generations"
    task_id = create.generation_id
    assert task_id is not None and data == rendered(server, task_id)
    assert seen[-1] == "Success" and set(seen) <= {
        "",
        "Preparing",
        "Queueing",
        "Processing",
        "Success",
    }
    [entry] = library.entries()
    assert (entry.id, entry.route, entry.status) == (task_id, "minimax", "completed")
    assert entry.images["first_frame_image"].url == IMAGE  # the library keeps what was sent
    assert entry.video is not None and entry.video.read_bytes() == data
    assert_key_never_reached_storage(server)

    # Text to video with the same model: the generations route; route= overrides.
    server.clear_requests()
    generation = await client.create_and_wait(model=MODEL, prompt=PROMPT, duration=6)
    assert generation.route == "generations" and generation["resolution"] == "768P"
    task = await client.create(model=MODEL, prompt=PROMPT, route="minimax")
    assert task.route == "minimax" and task.status == "pending"
    assert [r.path for r in server.requests if r.endpoint == "create"] == [
        "/v1/videos/generations",
        "/v1/videos/minimax/generations",
    ]
    waited = await client.wait(task.id)  # a bare id: the library knows its route
    assert waited.completed and waited.raw_status == "Success"


async def test_a_failed_task_ends_failed_and_its_entry_too(
    storage_server: LocalServer, tmp_path: Path
) -> None:
    server = fresh(storage_server)
    library = Library(tmp_path / "lib")
    client = Client("async", server.url, library=library)
    with pytest.raises(GenerationFailedError) as caught:
        await client.create_and_wait(model=MODEL, prompt="[[fail]] a boat", first_frame_image=IMAGE)
    assert caught.value.generation.raw_status == "Fail"
    assert caught.value.generation.status == "failed"
    [entry] = library.entries()
    assert entry.status == "failed" and entry.route == "minimax"
