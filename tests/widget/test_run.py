"""``carry_out``, the run of one generation, driven without a widget over the local emulator.

Each test reads the ``Run`` it returns (and what ``on_change`` saw on the way), as a widget
or a batch of runs would.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest

from mql_notebook import AsyncMQL
from mql_notebook.generation import Generation
from mql_notebook.local import LocalServer
from mql_notebook.widget.run import STOPPED_NOTE, Run, carry_out

PROMPT = "A lighthouse beam sweeping over a stormy sea"


@pytest.fixture
def emulator(local_server) -> LocalServer:
    return local_server(pace=0.4, fault_seed=12)


@pytest.fixture
def client(fast_client: AsyncMQL) -> AsyncMQL:
    return fast_client


def new_run(prompt: str = PROMPT, **options) -> Run:
    request = {"model": "sora", "aspect_ratio": "16:9", "duration": 5, "n": 1} | options
    return Run(prompt=prompt, **request)


@dataclass
class Seen:
    """What on_change reported: (status, progress, note, reconnecting) at each call."""

    states: list[tuple[str, float | None, str, str]] = field(default_factory=list)

    def __call__(self, run: Run) -> None:
        assert not run.finished  # the end is the return value, not an on_change
        self.states.append((run.status, run.progress, run.note, run.reconnecting))

    def statuses(self) -> list[str]:
        return [s for s, *_ in self.states]


def posts(server: LocalServer) -> int:
    return server.count("POST", "/v1/videos/generations")


async def test_a_completed_run_holds_every_variant(client, emulator) -> None:
    run, seen = new_run(n=2), Seen()
    assert await carry_out(run, client, create=True, on_change=seen) is run
    assert run.status == "completed" and run.generation_id and posts(emulator) == 1
    assert len(run.videos) == 2 and len(set(run.videos)) == 2
    assert all(video[4:8] == b"ftyp" for video in run.videos) and run.video == run.videos[0]
    assert (run.error, run.note, run.reconnecting, run.resumable) == ("", "", "", False)
    assert run.finished_at is not None and run.finished_at >= run.started_at
    assert seen.statuses()[0] == "pending" and "processing" in seen.statuses()
    assert "completed" not in seen.statuses()  # completed only once the videos are here
    notes = [note for *_, note, _ in seen.states]
    assert "Downloading video 1 of 2..." in notes and "Downloading video 2 of 2..." in notes
    assert run.to_json()["variant_count"] == 2


async def test_a_failed_job_is_the_runs_state_with_the_servers_message(client, emulator) -> None:
    run = await carry_out(new_run(f"{PROMPT} [[fail]]"), client, create=True)
    assert run.status == "failed" and "on purpose" in run.error
    assert run.videos == [] and not run.resumable and run.finished


async def test_a_wait_timeout_leaves_the_run_resumable(emulator, api_key, poll_timing) -> None:
    async with AsyncMQL(
        api_key=api_key, base_url=emulator.url, poll_timing=poll_timing, wait_timeout=0.3
    ) as client:
        run = await carry_out(new_run(f"{PROMPT} [[stall]]"), client, create=True)
    assert run.status == "failed" and run.resumable and run.generation_id in run.error
    assert STOPPED_NOTE in run.note and f"VideoWidget.resume({run.generation_id!r})" in run.note


async def test_a_transient_error_leaves_it_resumable_and_a_resume_finishes_it(
    client, emulator
) -> None:
    emulator.faults.set("content", server_error=1.0)  # every download attempt answers 5xx
    run = await carry_out(new_run(), client, create=True)
    assert run.status == "failed" and run.resumable and run.videos == []
    assert STOPPED_NOTE in run.note and run.error
    emulator.faults.reset()
    again = Run(**{**new_run().options, "prompt": "", "generation_id": run.generation_id})
    await carry_out(again, client, create=False)
    assert again.status == "completed" and again.video is not None
    assert again.prompt == PROMPT  # learned from the server's answer
    assert posts(emulator) == 1, "a resume creates no job"


async def test_a_cancel_asked_for_ends_the_run_as_cancelled(client, emulator) -> None:
    asked = False
    run = new_run(f"{PROMPT} [[stall]]")
    task = asyncio.create_task(carry_out(run, client, create=True, cancel_requested=lambda: asked))
    while run.status != "processing":
        await asyncio.sleep(0.02)
    asked = True
    task.cancel()
    assert await task is run  # an ordinary end, not an exception
    assert run.status == "cancelled" and run.resumable and run.finished
    assert run.note.startswith("Cancelled. ") and run.generation_id in run.note


async def test_a_cancel_from_outside_propagates_once_the_run_records_it(client, emulator) -> None:
    run = new_run(f"{PROMPT} [[stall]]")
    with pytest.raises(asyncio.TimeoutError):  # not the builtin on 3.10
        await asyncio.wait_for(carry_out(run, client, create=True), 0.3)
    assert run.status == "cancelled" and run.finished and run.resumable


async def test_a_cancel_before_the_start_sends_nothing(client, emulator) -> None:
    run = await carry_out(new_run(), client, create=True, cancel_requested=lambda: True)
    assert run.status == "cancelled" and not run.resumable and "may still" in run.note
    assert emulator.requests == []


async def test_a_client_that_cannot_be_built_is_the_runs_state(monkeypatch) -> None:
    monkeypatch.delenv("MQL_API_KEY", raising=False)
    monkeypatch.setenv("MQL_BASE_URL", "https://api.example.invalid")
    run = await carry_out(new_run(), AsyncMQL, create=True)
    assert run.status == "failed" and "key" in run.error.lower() and run.finished


async def test_the_chosen_resolution_is_sent(client, emulator) -> None:
    run = new_run(f"{PROMPT} [[stall]]", resolution="720p")
    with pytest.raises(asyncio.TimeoutError):  # not the builtin on 3.10
        await asyncio.wait_for(carry_out(run, client, create=True), 0.3)
    answer = await client.video.get_status(run.generation_id)
    assert answer["resolution"] == "720p" and answer["size"] == "1280x720"
    assert run.options["resolution"] == run.to_json()["resolution"] == "720p"


@pytest.mark.skipif(
    "reconnecting" not in getattr(Generation, "__slots__", ()),
    reason="the poller does not report outages yet (Generation.reconnecting)",
)
async def test_reconnecting_holds_the_outage_reason_and_clears_after_it(client, emulator) -> None:
    emulator.faults.set("status", server_error=1.0)

    def changed(run: Run) -> None:
        seen(run)
        if run.reconnecting:
            emulator.faults.reset()  # the outage ends once the run has reported it

    run, seen = new_run(), Seen()
    await carry_out(run, client, create=True, on_change=changed)
    reasons = [reason for *_, reason in seen.states]
    assert any(reasons) and not reasons[-1]
    assert run.status == "completed" and run.reconnecting == ""
