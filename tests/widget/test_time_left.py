"""The badge's time left: the widget's ``expected_end`` during a run, over the emulator."""

from __future__ import annotations

import time

from mql_notebook import AsyncMQL
from mql_notebook.client.poller import PollTiming
from mql_notebook.widget.video_widget import VideoWidget


async def test_a_run_with_progress_tells_the_view_when_it_should_end(
    local_server, api_key: str, poll_timing: PollTiming
) -> None:
    emulator = local_server(pace=1.5, fault_seed=3)
    client = AsyncMQL(api_key=api_key, base_url=emulator.url, poll_timing=poll_timing)
    w = VideoWidget("a lantern on a lake", client=client)
    ends: list[tuple[float, float | None, str]] = []
    w.observe(lambda c: ends.append((time.time(), c.new, w.status)), "expected_end")
    started = time.time()
    run = await w.generate()
    await client.aclose()
    assert run.status == "completed"
    estimates = [end for _, end, _ in ends if end is not None]
    assert estimates, "no estimate reached the view"
    # The first is there before any progress (the request's typical duration: far too long
    # for the emulator's 1.5 s); progress brings the latest into the job's lifetime.
    assert all(started < end for end in estimates)
    assert estimates[-1] < started + 10 * emulator.pace
    assert w.expected_end is None  # a finished run has nothing left to count down


async def test_the_badge_has_a_time_left_before_any_progress_and_says_a_stall(
    local_server, api_key: str, poll_timing: PollTiming
) -> None:
    emulator = local_server(pace=1.0)
    client = AsyncMQL(
        api_key=api_key, base_url=emulator.url, poll_timing=poll_timing, wait_timeout=7.0
    )
    w = VideoWidget("a lantern on a lake [[stall]]", client=client)
    ends: list[tuple[float | None, float | None]] = []
    stalled: list[tuple[bool, bool]] = []
    w.observe(lambda c: ends.append((c.new, w.progress)), "expected_end")
    w.observe(lambda c: stalled.append((c.new, w.running)), "stalled")
    run = await w.generate()
    await client.aclose()
    assert run.status != "completed"  # the wait gave up on the frozen job
    progress_then = next(p for end, p in ends if end is not None)
    assert not progress_then  # the time left was there before any progress
    assert (True, True) in stalled  # the view was told, while the run was live
    assert not w.stalled  # a finished run is no longer stalled
