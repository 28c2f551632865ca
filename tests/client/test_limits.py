"""Limits and lags over real HTTP (issue 19, items 1, 3, 4): a full gateway is waited out, a
content 404 right after completion is storage lag, money and moderation end at once.

Against the emulator's switches (local/limits.py): a concurrency cap per key, content lag,
final answers, moderation by a marker word.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from mql_notebook import (
    MQL,
    AsyncMQL,
    BillingError,
    ContentRefusedError,
    DownloadError,
    GenerationFailedError,
    GenerationRefusedError,
    Library,
    RateLimitError,
    RetryPolicy,
)
from mql_notebook.generation import Generation
from mql_notebook.local import LocalServer
from mql_notebook.local.limits import FINAL_ANSWERS

PROMPT = "A paper boat drifting down a rainy street"


def rendered(server: LocalServer, video_id: str) -> bytes:
    found = server.emulator.jobs.find_video(video_id)
    assert found is not None
    job, index = found
    return server.emulator.videos.get(job.specs[index]).result(timeout=30).data


@pytest.fixture
def server(local_server) -> LocalServer:
    return local_server(pace=1.5, fault_seed=19)


def creates(server: LocalServer, status: int | None = None) -> int:
    return server.count("POST", "/v1/videos/generations", status=status)


# -- 1. waiting for a free slot ----------------------------------------------------------------


async def test_a_create_while_the_gateway_is_full_ends_in_the_video_once_a_slot_frees(
    server: LocalServer, api_key: str, poll_timing, tmp_path
) -> None:
    server.limits.concurrency = 1
    server.limits.concurrency_retry_after = 0.4
    heard: list[Generation] = []
    async with AsyncMQL(
        api_key=api_key, base_url=server.url, poll_timing=poll_timing, library=tmp_path / "lib"
    ) as client:
        first = await client.video.create(model="sora", prompt="The slot holder", duration=5)
        started = time.monotonic()
        data = await client.video.create_and_download(
            model="sora", prompt=PROMPT, duration=5, on_update=heard.append
        )
    waited = time.monotonic() - started
    waiting = [g for g in heard if g.waiting_for_slot]
    assert waiting, heard
    assert "concurrency_limit_exceeded" in waiting[0].waiting_for_slot
    assert "limit of 1" in waiting[0].waiting_for_slot  # the server's own words
    assert waiting[0].id == "" and waiting[0].status == "pending"
    assert len(waiting) == 1  # once per cause, not once per try
    after = heard[heard.index(waiting[-1]) + 1 :]
    assert after and all(g.waiting_for_slot is None for g in after)
    assert heard[-1].status == "completed"
    # One job for the waiting create: every 429 made nothing, the one 200 made it, all with one key.
    posts = [r for r in server.requests if r.endpoint == "create"]
    second = [r for r in posts if r.generation_id != first.id]
    assert {r.status for r in second} == {429, 200}
    assert len({r.idempotency_key for r in second}) == 1
    assert sum(r.status == 200 for r in second) == 1
    assert len(server.emulator.jobs) >= 2 and data == rendered(server, heard[-1].id)
    assert waited >= 1.0  # it really waited for the first job (1.5 s) to end
    assert len(Library(tmp_path / "lib").entries()) == 2


def test_sync_create_alone_waits_too_and_slot_timeout_zero_does_not(
    server: LocalServer, api_key: str
) -> None:
    server.limits.concurrency = 1
    server.limits.concurrency_retry_after = 0.3
    with MQL(api_key=api_key, base_url=server.url) as client:
        client.video.create(model="sora", prompt="The slot holder")
        before = creates(server)
        with pytest.raises(RateLimitError) as refused:
            client.video.create(model="sora", prompt=PROMPT, slot_timeout=0)
        assert creates(server) == before + 1  # one request, no wait
        assert refused.value.code == "concurrency_limit_exceeded"
        with pytest.raises(
            RateLimitError, match=r"waited 1 s for a free slot; nothing was created"
        ):
            client.video.create(model="sora", prompt=PROMPT, slot_timeout=0.8)
        generation = client.video.create(model="sora", prompt=PROMPT)  # waits for the slot
    assert generation.id and creates(server, 429) >= 3


# -- 3. storage lag ------------------------------------------------------------------------


async def test_content_missing_for_5s_after_completion_ends_in_the_exact_bytes(
    local_server, api_key: str, poll_timing
) -> None:
    server = local_server(pace=0.3, fault_seed=19)
    server.limits.content_lag = 5.0
    async with AsyncMQL(api_key=api_key, base_url=server.url, poll_timing=poll_timing) as client:
        generation = await client.video.create_and_wait(model="sora", prompt=PROMPT)
    completed = time.monotonic()
    async with AsyncMQL(api_key=api_key, base_url=server.url) as client:  # the default timings
        data = await client.video.download(generation)
    late = time.monotonic() - completed
    assert 4.5 <= late <= 5.0 + 3.5, late  # noticed within the longest spacing (3 s)
    assert data == rendered(server, generation.id)
    lagged = server.count(endpoint="content", status=404)
    assert 2 <= lagged <= 6, lagged  # 0.5 s, then further apart up to every 3 s


def test_content_missing_past_the_grace_fails_keeping_the_id_and_resumes_later(
    local_server, api_key: str, poll_timing, tmp_path
) -> None:
    server = local_server(pace=0.3, fault_seed=19)
    server.limits.content_lag = 3.0
    policy = RetryPolicy(content_lag_grace=0.8)
    library = Library(tmp_path / "lib")
    with MQL(
        api_key=api_key,
        base_url=server.url,
        poll_timing=poll_timing,
        retry_policy=policy,
        library=library,
    ) as client:
        with pytest.raises(DownloadError) as missing:
            client.video.create_and_download(model="sora", prompt=PROMPT)
        gid = missing.value.generation_id
        assert gid and f"download({gid!r}) again" in str(missing.value)
        assert [e.id for e in library.pending()] == [gid]  # the entry is kept, resumable
        time.sleep(3.0)  # a test's own wait, outside any notebook
        outcomes = client.video.resume_pending()
    assert [o.outcome for o in outcomes] == ["completed"], outcomes
    entry = library.get(gid)
    assert entry is not None and entry.files[0] is not None
    assert entry.files[0].read_bytes() == rendered(server, gid)


def test_a_404_for_an_unknown_id_still_fails_at_once(server: LocalServer, api_key: str) -> None:
    server.limits.content_lag = 30.0
    started = time.monotonic()
    with MQL(api_key=api_key, base_url=server.url) as client, pytest.raises(Exception) as err:
        client.video.download("video_never_made")
    assert time.monotonic() - started < 2 and "404" in str(err.value)


# -- "never" answers ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(FINAL_ANSWERS))
def test_each_never_answer_ends_after_one_request_with_its_message(
    server: LocalServer, api_key: str, kind: str, tmp_path
) -> None:
    server.limits.final = kind
    status, code, message = FINAL_ANSWERS[kind]
    library = Library(tmp_path / "lib")
    heard: list[Generation] = []
    with MQL(api_key=api_key, base_url=server.url, library=library) as client:
        started = time.monotonic()
        with pytest.raises(BillingError) as refused:
            client.video.create_and_download(model="sora", prompt=PROMPT, on_update=heard.append)
    assert time.monotonic() - started < 1.0
    assert creates(server) == 1  # sent once
    error = refused.value
    assert error.final and error.status_code == status and error.code == code
    assert message in str(error)
    assert heard == []  # no "waiting for a slot" for an answer that means never
    (entry,) = library.entries()
    assert entry.status == "failed" and entry.id is None and message in (entry.error or "")


# -- 4. moderation -----------------------------------------------------------------------------


def test_an_input_refusal_says_so_after_one_request_and_is_recorded(
    server: LocalServer, api_key: str, tmp_path
) -> None:
    server.limits.moderation = {"dragon": "input"}
    library = Library(tmp_path / "lib")
    with MQL(api_key=api_key, base_url=server.url, library=library) as client:
        with pytest.raises(ContentRefusedError) as refused:
            client.video.create_and_download(model="sora", prompt="A red Dragon over a castle")
    assert refused.value.stage == "input" and refused.value.final
    assert "blocked by content moderation" in str(refused.value) and "'dragon'" in str(
        refused.value
    )
    assert creates(server) == 1
    (entry,) = library.entries()
    assert entry.refused_for_content and entry.error.startswith("refused by moderation (input): ")


async def test_an_output_refusal_comes_after_the_full_render_and_says_so(
    server: LocalServer, api_key: str, poll_timing, tmp_path
) -> None:
    library = Library(tmp_path / "lib")
    async with AsyncMQL(
        api_key=api_key, base_url=server.url, poll_timing=poll_timing, library=library
    ) as client:
        started = time.monotonic()
        with pytest.raises(GenerationRefusedError) as refused:
            await client.video.create_and_wait(model="sora", prompt="A storm [[refuse_output]]")
    error = refused.value
    assert time.monotonic() - started >= 1.4  # the whole pace: rendered, then refused
    assert isinstance(error, GenerationFailedError) and isinstance(error, ContentRefusedError)
    assert error.stage == "output" and error.final and error.generation_id
    assert str(error).startswith(f"generation {error.generation_id} was refused by moderation")
    assert "the render is billed" in str(error)  # the provider's words
    entry = library.get(error.generation_id)
    assert entry is not None and entry.status == "failed" and entry.refused_for_content
    assert "refused by moderation (output)" in entry.error
    assert creates(server) == 1


async def test_a_plain_failure_is_no_refusal(server: LocalServer, api_key: str, poll_timing):
    async with AsyncMQL(api_key=api_key, base_url=server.url, poll_timing=poll_timing) as client:
        with pytest.raises(GenerationFailedError) as failed:
            await client.video.create_and_wait(model="sora", prompt="A storm [[fail]]")
    assert not isinstance(failed.value, ContentRefusedError)


async def test_many_waiting_creates_each_make_one_job(
    server: LocalServer, api_key: str, poll_timing
) -> None:
    server.pace = 0.4
    server.limits.concurrency = 2
    server.limits.concurrency_retry_after = 0.2
    async with AsyncMQL(api_key=api_key, base_url=server.url, poll_timing=poll_timing) as client:
        done = await asyncio.gather(
            *(client.video.create_and_wait(model="sora", prompt=f"{PROMPT} {i}") for i in range(6))
        )
    assert len({g.id for g in done}) == 6 and all(g.completed for g in done)
    assert creates(server, 200) == 6
