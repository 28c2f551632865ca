"""Errors inside an HTTP 200 (MiniMax's base_resp), over real HTTP against the emulator's
``minimax:<code>`` switch: each gives its typed error after as many requests as it should
(the emulator's request log counts them), the limits are retried like a 429, the final ones
end the library's entry failed with the server's words, and the same map serves the query
and the file object."""

from __future__ import annotations

from pathlib import Path

import pytest

from mql_notebook import (
    MQL,
    APIError,
    AsyncMQL,
    AuthenticationError,
    BadRequestError,
    BillingError,
    ContentRefusedError,
    GenerationRefusedError,
    Library,
    RateLimitError,
)
from mql_notebook.client import minimax
from mql_notebook.client.poller import PollTiming
from mql_notebook.client.retry import RetryPolicy
from mql_notebook.local import LocalServer

KEY = "mql_minimax_errors_key"
MODEL = "MiniMax-Hailuo-2.3"
IMAGE = "https://example.com/first-frame.png"
PROMPT = "A lantern floats over a lake"
FAST_POLL = PollTiming(first_delay=0.05, min_interval=0.05, max_interval=0.2)
RETRIES = RetryPolicy(max_retries=2, base_delay=0.02, max_delay=0.05)


def client_of(server: LocalServer, library: Library | bool = False) -> AsyncMQL:
    return AsyncMQL(KEY, server.url, poll_timing=FAST_POLL, retry_policy=RETRIES, library=library)


def creates(server: LocalServer) -> int:
    return server.count("POST", minimax.TASK_CREATE_PATH)


FINAL_OR_REFUSED = [
    (1008, BillingError, "insufficient balance", "failed"),
    (1026, ContentRefusedError, "input new_sensitive", "failed"),
    (1027, ContentRefusedError, "output new_sensitive", "failed"),
    (1004, AuthenticationError, "authentication failed", "failed"),
    (2013, BadRequestError, "invalid params", "failed"),
    (1234, APIError, "error", "failed"),
]


@pytest.mark.parametrize(("code", "cls", "words", "entry_status"), FINAL_OR_REFUSED)
async def test_a_base_resp_error_on_create_is_raised_after_one_request(
    local_server, tmp_path: Path, code: int, cls: type[APIError], words: str, entry_status: str
) -> None:
    server = local_server(pace=0.3)
    server.faults.minimax_error(code, "create", times=5)  # it would answer so every time
    library = Library(tmp_path / "lib")
    async with client_of(server, library) as client:
        with pytest.raises(cls) as caught:
            await client.video.create_from_image(first_frame_image=IMAGE, prompt=PROMPT)
    error = caught.value
    assert type(error) is cls and error.code == str(code)
    assert words in str(error) and "inside an HTTP 200" in str(error)
    assert creates(server) == 1  # never retried
    if code in (1008, 1026, 1027):
        assert error.final
    if cls is ContentRefusedError:
        assert error.stage == {1026: "input", 1027: "output"}[code]  # type: ignore[attr-defined]
    [entry] = library.entries()
    assert entry.id is None and entry.status == entry_status and words in (entry.error or "")
    assert entry.route == "minimax"


@pytest.mark.parametrize("code", [1002, 1039])
async def test_the_limits_wait_for_a_slot_like_a_429(local_server, code: int) -> None:
    server = local_server(pace=0.3)
    server.faults.minimax_error(code, "create")  # once: the retry makes the task
    async with client_of(server) as client:
        result = await client.video.create_from_image(first_frame_image=IMAGE, prompt=PROMPT)
        assert result["task_id"] and creates(server) == 2
        assert len(server.emulator.jobs.jobs()) >= 1

        server.clear_requests()
        server.faults.minimax_error(code, "create", times=10)
        with pytest.raises(RateLimitError) as caught:  # no waiting for a slot: said at once
            await client.video.create_from_image(
                first_frame_image=IMAGE, prompt=PROMPT, slot_timeout=0
            )
    assert caught.value.code == str(code) and caught.value.status_code == 429
    assert creates(server) == 1


def test_the_sync_client_raises_the_same(local_server) -> None:
    server = local_server(pace=0.3)
    server.faults.minimax_error(1008, "create")
    with MQL(KEY, server.url, retry_policy=RETRIES, library=False) as client:
        with pytest.raises(BillingError, match="insufficient balance"):
            client.video.create_from_image(first_frame_image=IMAGE)
    assert creates(server) == 1


async def test_an_output_refused_on_query_ends_the_task_failed_after_one_look(
    local_server, tmp_path: Path
) -> None:
    server = local_server(pace=0.3)
    library = Library(tmp_path / "lib")
    async with client_of(server, library) as client:
        task = await client.video.create(model=MODEL, prompt=PROMPT, first_frame_image=IMAGE)
        server.faults.minimax_error(1027, "status", times=5)
        with pytest.raises(GenerationRefusedError) as caught:
            await client.video.wait(task)
    assert caught.value.stage == "output" and caught.value.final
    assert caught.value.generation.status == "failed"
    assert server.count(endpoint="status") == 1
    entry = library.get(task.id)
    assert entry is not None and entry.status == "failed"
    assert "output new_sensitive" in (entry.error or "")


async def test_a_rate_limit_on_query_is_ridden_out_by_the_wait(local_server) -> None:
    server = local_server(pace=0.3)
    async with client_of(server) as client:
        task = await client.video.create(model=MODEL, prompt=PROMPT, first_frame_image=IMAGE)
        server.faults.minimax_error(1002, "status", times=2)
        done = await client.video.wait(task)
    assert done.completed
    statuses = [r.fault for r in server.requests if r.endpoint == "status"]
    assert statuses[:2] == ["minimax:1002", "minimax:1002"] and statuses[-1] is None


async def test_the_file_object_speaks_the_same_map(local_server) -> None:
    server = local_server(pace=0.2)
    async with client_of(server) as client:
        result = await client.video.create_from_image(first_frame_image=IMAGE, prompt=PROMPT)
        final = await client.video.query_and_wait(result["task_id"])
        server.faults.minimax_error(1004, "content")
        server.clear_requests()
        with pytest.raises(AuthenticationError, match="1004"):
            await client.video.download_video(final["file_id"])
        assert server.count(endpoint="content") == 1
        server.faults.minimax_error(1002, "content")  # retried: the download goes on
        got = await client.video.download_video(final["file_id"])
    assert got.video[4:8] == b"ftyp"


def test_the_map_as_a_plain_function() -> None:
    def error(code: object, message: str = "boom") -> APIError | None:
        body = {"task_id": "", "base_resp": {"status_code": code, "status_msg": message}}
        import json

        return minimax.base_resp_error(json.dumps(body).encode(), operation="testing")

    assert error(0) is None and error("0") is None
    assert minimax.base_resp_error(b"<html>", operation="x") is None
    assert isinstance(error(1002), RateLimitError) and isinstance(error("1039"), RateLimitError)
    assert isinstance(error(1004), AuthenticationError)
    assert isinstance(error(1008), BillingError) and error(1008).final  # type: ignore[union-attr]
    assert isinstance(error(2013), BadRequestError)
    unknown = error(4242)
    assert type(unknown) is APIError and unknown.code == "4242" and "boom" in str(unknown)
