"""Downloads ride out outages by resuming (issue 11, "Outages ridden out", last sentence): a
content endpoint or signed storage down for a while in the middle of a download costs the
outage, not the video; what an outage is and how tries are spaced are the wait's decisions
(``retry.is_transient_status``, ``retry.outage_retry_delay``).

Over real HTTP against the emulator: the first body breaks off (a truncate fault), the
outage starts as the first bytes arrive, and the download must end in the exact bytes with
a Range resume once the endpoint is back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mql_notebook import MQL, AsyncMQL, NotFoundError, ServerError
from mql_notebook.client.retry import OutageTiming, outage_retry_delay
from mql_notebook.local import LocalServer

PROMPT = "A lighthouse at dusk, waves rolling in"
MAX_TRIES_IN_OUTAGE = 15  # the wait's bound for a 15 s outage holds for downloads too


def rendered(server: LocalServer, video_id: str) -> bytes:
    """The bytes the emulator rendered for this video: what a download must end with."""
    found = server.emulator.jobs.find_video(video_id)
    assert found is not None
    job, index = found
    return server.emulator.videos.get(job.specs[index]).result(timeout=30).data


def outage_on_first_bytes(
    server: LocalServer, endpoint: str, seconds: float, kind: str
) -> Callable[[int, int | None], None]:
    """An on_progress that takes ``endpoint`` down for ``seconds`` once the first bytes arrived."""
    seen: list[int] = []

    def on_progress(written: int, total: int | None) -> None:
        if not seen:
            server.faults.outage(endpoint=endpoint, seconds=seconds, kind=kind)
        seen.append(written)

    return on_progress


@pytest.fixture
def server(local_server) -> LocalServer:
    return local_server(pace=0.2, fault_seed=21)


@pytest.fixture(scope="module")
def redirecting() -> Iterator[LocalServer]:
    with LocalServer(pace=0.2, storage="redirect", fault_seed=22) as server:
        yield server


def made(server: LocalServer, api_key: str, poll_timing) -> tuple[str, bytes]:
    with MQL(api_key=api_key, base_url=server.url, poll_timing=poll_timing) as client:
        generation = client.video.create_and_wait(model="sora", prompt=PROMPT)
    return generation.id, rendered(server, generation.id)


@pytest.mark.parametrize("kind", ["503_html", "refused"])
def test_a_15s_content_outage_after_the_first_bytes_ends_in_the_exact_bytes(
    server: LocalServer, api_key: str, poll_timing, kind: str, tmp_path: Path
) -> None:
    gid, expected = made(server, api_key, poll_timing)
    server.clear_requests()
    server.faults.script("content", ["truncate"])  # the first body breaks off half-way
    # The default settings, as a user has them.
    with MQL(api_key=api_key, base_url=server.url) as client:
        path = client.video.download(
            gid, tmp_path / "v.mp4", on_progress=outage_on_first_bytes(server, "content", 15, kind)
        )
    assert path.read_bytes() == expected
    assert [p.name for p in tmp_path.iterdir()] == ["v.mp4"]
    content = [(r.status, r.fault or "") for r in server.requests if r.endpoint == "content"]
    assert content[0] == (200, "truncate"), content
    in_outage = content[1:-1]
    assert in_outage and all(fault.startswith("outage") for _, fault in in_outage), content
    assert len(in_outage) <= MAX_TRIES_IN_OUTAGE, content
    assert content[-1] == (206, ""), content  # resumed with Range, not started over


async def test_an_outage_of_signed_storage_is_ridden_out_and_no_key_reaches_it(
    redirecting: LocalServer, api_key: str, poll_timing
) -> None:
    server = redirecting
    server.faults.reset()
    gid, expected = await asyncio.to_thread(made, server, api_key, poll_timing)
    server.clear_requests()
    server.faults.script("storage", ["truncate"])
    async with AsyncMQL(api_key=api_key, base_url=server.url) as client:
        data = await client.video.download(
            gid, on_progress=outage_on_first_bytes(server, "storage", 5, "503_html")
        )
    assert data == expected
    storage = [(r.status, r.fault or "", r.headers or {}) for r in server.storage_requests]
    assert storage[0][:2] == (200, "truncate"), storage
    assert all(fault.startswith("outage") for _, fault, _ in storage[1:-1]), storage
    assert storage[-1][0] == 206 and storage[-1][2].get("range", "").startswith("bytes=")
    for _, _, headers in storage:
        assert "authorization" not in headers and api_key not in " ".join(headers.values())


async def test_an_outage_longer_than_the_budget_ends_with_the_servers_error_and_no_file(
    server: LocalServer, api_key: str, poll_timing, retry_policy, tmp_path: Path
) -> None:
    gid, _ = await asyncio.to_thread(made, server, api_key, poll_timing)
    server.faults.outage(endpoint="content", seconds=60, kind="503_html")
    # retry_policy rides a download outage out for 1 s only
    async with AsyncMQL(
        api_key=api_key, base_url=server.url, poll_timing=poll_timing, retry_policy=retry_policy
    ) as client:
        with pytest.raises(ServerError) as info:
            await client.video.download(gid, tmp_path / "v.mp4")
    assert info.value.status_code == 503 and gid in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_a_permanent_404_fails_at_once(server: LocalServer, api_key: str) -> None:
    server.clear_requests()
    with MQL(api_key=api_key, base_url=server.url) as client:
        with pytest.raises(NotFoundError):
            client.video.download("video_never_made")
    assert server.count(endpoint="content") == 1


def test_outage_tries_are_spaced_as_a_waits_looks_and_stop_at_the_budget() -> None:
    timing = OutageTiming(first_delay=0.5, max_delay=3.0, jitter=0.0)
    delays = [outage_retry_delay(timing, n, elapsed=1.0, budget=120.0) for n in range(1, 6)]
    assert delays == [0.5, 1.0, 2.0, 3.0, 3.0]
    # a Retry-After asking for longer wins, but the last try still lands at the budget's end
    assert outage_retry_delay(timing, 1, elapsed=10.0, budget=120.0, retry_after=30.0) == 30.0
    assert outage_retry_delay(timing, 1, elapsed=110.0, budget=120.0, retry_after=30.0) == 10.0
    assert outage_retry_delay(timing, 9, elapsed=120.0, budget=120.0) is None
