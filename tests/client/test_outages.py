"""Waits ride out outages: a status endpoint down for 15 s in the middle of a job costs the
user the outage and a few seconds, not the job (issue 11, "Outages ridden out").

Over real HTTP against the emulator, sync and async, with a real outage switched on from
``on_update`` as soon as the job is seen processing.
"""

from __future__ import annotations

import asyncio
import itertools
import time

import httpx
import pytest

from mql_notebook import MQL, AsyncMQL, AuthenticationError, NotFoundError, WaitTimeoutError
from mql_notebook.client.poller import PollTiming
from mql_notebook.generation import Generation
from mql_notebook.local import LocalServer

PROMPT = "A lighthouse at dusk, waves rolling in"
OUTAGE = 15.0
SLACK = 6.0  # the bound: the video within outage + 6 s
MAX_LOOKS_IN_OUTAGE = 15


class Recorder:
    """on_update: records (time, status, reconnecting); starts the outage when the job is processing."""

    def __init__(self, server: LocalServer, kind: str):
        self.server, self.kind = server, kind
        self.updates: list[tuple[float, str, str | None]] = []
        self.outage_started: float | None = None

    def __call__(self, generation: Generation) -> None:
        self.updates.append((time.monotonic(), generation.status, generation.reconnecting))
        if generation.status == "processing" and self.outage_started is None:
            self.outage_started = time.monotonic()
            self.server.faults.outage(endpoint="status", seconds=OUTAGE, kind=self.kind)

    def check(self, finished: float, expected_reason: str) -> None:
        assert self.outage_started is not None, self.updates
        assert finished - self.outage_started <= OUTAGE + SLACK, finished - self.outage_started
        looks = [
            r
            for r in self.server.requests
            if r.endpoint == "status" and (r.fault or "").startswith("outage")
        ]
        assert 1 <= len(looks) <= MAX_LOOKS_IN_OUTAGE, len(looks)
        reasons = [(i, u[2]) for i, u in enumerate(self.updates) if u[2] is not None]
        assert reasons, self.updates
        assert expected_reason in reasons[0][1], reasons
        # once per change of reason, not on every failed look
        assert all(a[1] != b[1] for a, b in itertools.pairwise(reasons)), reasons
        assert len(reasons) < len(looks) or len(looks) == 1
        # ... then a normal update, and the last word is the completed job
        after = self.updates[reasons[-1][0] + 1 :]
        assert after and all(u[2] is None for u in after), self.updates
        assert self.updates[-1][1] == "completed"


@pytest.fixture
def server(local_server) -> LocalServer:
    return local_server(pace=2.0, fault_seed=11)


def test_sync_create_and_download_rides_out_a_15s_503_outage(
    server: LocalServer, api_key: str
) -> None:
    recorder = Recorder(server, "503_html")
    with MQL(api_key=api_key, base_url=server.url) as client:  # the default timings
        data = client.video.create_and_download(model="sora", prompt=PROMPT, on_update=recorder)
    finished = time.monotonic()
    assert data[4:8] == b"ftyp"
    recorder.check(finished, "HTTP 503 from the server")


async def test_async_create_and_download_rides_out_a_15s_refused_outage(
    server: LocalServer, api_key: str
) -> None:
    recorder = Recorder(server, "refused")
    async with AsyncMQL(api_key=api_key, base_url=server.url) as client:
        data = await client.video.create_and_download(
            model="sora", prompt=PROMPT, on_update=recorder
        )
    finished = time.monotonic()
    assert data[4:8] == b"ftyp"
    recorder.check(finished, "connection")


async def test_an_outage_set_over_http_is_ridden_out_and_reported(
    server: LocalServer, api_key: str, poll_timing: PollTiming
) -> None:
    async with AsyncMQL(api_key=api_key, base_url=server.url, poll_timing=poll_timing) as client:
        generation = await client.video.create(model="sora", prompt=PROMPT)
        async with httpx.AsyncClient(base_url=server.url) as admin:
            answer = await admin.post(
                "/_emulator/faults",
                json={"outage": {"endpoint": "status", "seconds": 1.5, "kind": "502"}},
            )
            assert answer.status_code == 200 and answer.json()["outages"]["status"]["kind"] == "502"
        seen: list[Generation] = []
        done = await client.video.wait(generation, on_update=seen.append)
    assert done.completed
    flags = [g.reconnecting for g in seen]
    assert flags[0] is not None and "HTTP 502" in flags[0], flags
    assert flags.count(flags[0]) == 1 and flags[-1] is None
    assert seen[0].id == generation.id and seen[0].status == generation.status  # the last known


async def test_a_deadline_inside_an_outage_ends_the_wait_with_the_reason(
    server: LocalServer, api_key: str, poll_timing: PollTiming
) -> None:
    async with AsyncMQL(api_key=api_key, base_url=server.url, poll_timing=poll_timing) as client:
        generation = await client.video.create(model="sora", prompt=PROMPT)
        server.faults.outage(endpoint="status", seconds=60, kind="529")
        with pytest.raises(WaitTimeoutError) as info:
            await client.video.wait(generation.id, timeout=1.0)
    assert info.value.generation_id == generation.id
    assert "overloaded" in str(info.value) and f"wait({generation.id!r})" in str(info.value)


async def test_not_found_still_ends_the_wait_at_once(
    server: LocalServer, api_key: str, poll_timing: PollTiming
) -> None:
    async with AsyncMQL(api_key=api_key, base_url=server.url, poll_timing=poll_timing) as client:
        with pytest.raises(NotFoundError):
            await client.video.wait("video_unknown", timeout=30)
    assert server.count(endpoint="status") == 1


async def test_a_refused_key_still_ends_the_wait_at_once(
    local_server, poll_timing: PollTiming
) -> None:
    server = local_server(pace=2.0, api_key="mql_right")
    async with AsyncMQL(api_key="mql_right", base_url=server.url) as right:
        generation = await right.video.create(model="sora", prompt=PROMPT)
    async with AsyncMQL(api_key="mql_wrong", base_url=server.url, poll_timing=poll_timing) as wrong:
        with pytest.raises(AuthenticationError) as info:
            await asyncio.wait_for(wrong.video.wait(generation.id, timeout=30), 10)
    assert info.value.status_code == 401
    assert server.count(endpoint="status") == 1
