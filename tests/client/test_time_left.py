"""The time left a wait's updates carry: there from the first update, better with each look,
a stall said as one (issue 21, item 2). Over real HTTP against the emulator; the decisions
(client/timeleft.py, client/progress_scale.py) also as plain functions with a fake clock."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from mql_notebook import AsyncMQL, Library
from mql_notebook.client.poller import PollPlanner, PollTiming
from mql_notebook.client.progress_scale import ProgressScale
from mql_notebook.client.timeleft import Prior, TimeLeft
from mql_notebook.errors import WaitTimeoutError
from mql_notebook.request.typical import typical_duration

from .test_poller import run, steady_job


async def test_the_first_update_of_a_wait_has_a_time_left_before_any_progress(
    local_server, api_key: str, poll_timing: PollTiming
) -> None:
    server = local_server(pace=2.0)
    seen = []
    async with AsyncMQL(api_key=api_key, base_url=server.url, poll_timing=poll_timing) as client:
        created = await client.video.create(prompt="a heron at dawn", duration=5)
        asked = time.time()
        await client.video.wait(created, on_update=seen.append)
    first = seen[0]
    assert not first.progress  # nothing to go by yet ...
    assert first.expected_end is not None  # ... and still a time left: the request's typical one
    typical = typical_duration("sora", 5, "480p")
    assert abs(first.expected_end - (asked + typical)) < 2.0


async def test_with_a_library_the_first_update_counts_down_to_the_learned_duration(
    local_server, api_key: str, tmp_path: Path, poll_timing: PollTiming
) -> None:
    server = local_server(pace=2.0)
    server.progress = False  # only the library can tell
    seen = []
    async with AsyncMQL(
        api_key=api_key,
        base_url=server.url,
        library=Library(tmp_path / "lib"),
        poll_timing=poll_timing,
    ) as client:
        await client.video.create_and_wait(prompt="a heron at dawn", duration=5)  # learned
        created = await client.video.create(prompt="a heron at dusk", duration=5)
        asked = time.time()
        await client.video.wait(created, on_update=seen.append)
    assert seen[0].expected_end is not None
    # The learned 2 s, not the typical 45 s of a sora clip.
    assert abs(seen[0].expected_end - (asked + 2.0)) < 1.0


async def test_a_frozen_job_is_said_to_be_stalled(
    local_server, api_key: str, poll_timing: PollTiming
) -> None:
    server = local_server(pace=1.0)
    seen = []
    async with AsyncMQL(api_key=api_key, base_url=server.url, poll_timing=poll_timing) as client:
        created = await client.video.create(prompt="a heron [[stall]]", duration=5)
        with pytest.raises(WaitTimeoutError):
            await client.video.wait(created, on_update=seen.append, timeout=7.0)
    moving = [g for g in seen if g.progress and not g.stalled]
    stalled = [g for g in seen if g.stalled]
    assert moving, "progress moved first"
    assert stalled, "no update said the job stalled"
    assert stalled[0].progress == moving[-1].progress  # frozen where it stopped


def test_before_progress_the_end_is_the_prior_and_then_moves_ahead_with_the_clock() -> None:
    left = TimeLeft(created=0.0, prior=Prior(30.0, learned=True))
    assert left.look(5.0, None, None) == 30.0  # counted down in the browser meanwhile
    assert left.look(25.0, None, None) == 30.0
    later = [left.look(t, None, None) for t in (31.0, 36.0, 41.0)]
    assert all(
        end is not None and end > t for end, t in zip(later, (31.0, 36.0, 41.0), strict=True)
    )
    assert later == sorted(later)  # past it and still running: the end follows the clock
    assert not left.stalled
    assert left.look(80.0, None, None) and left.stalled  # far past the learned 30 s


def test_a_progress_estimate_moves_the_end_by_weight_not_at_once() -> None:
    learned = TimeLeft(created=0.0, prior=Prior(30.0, learned=True))
    end = learned.look(10.0, 30.0, (40.0, 3.0))
    assert end is not None and 30.0 < end < 40.0  # blended: both have weight
    loose = TimeLeft(created=0.0, prior=Prior(30.0, learned=False))
    end_loose = loose.look(10.0, 30.0, (40.0, 3.0))
    assert end_loose is not None and end < end_loose < 40.0  # a loose prior gives way more


def test_progress_that_stops_moving_is_a_stall_and_moving_again_ends_it() -> None:
    left = TimeLeft(created=0.0)
    left.look(2.0, 0.0, None)
    left.look(6.0, 40.0, (11.0, 0.5))  # 10 points a second
    left.look(8.0, 40.0, None)
    assert not left.stalled  # 2 s: could be a pause
    left.look(12.0, 40.0, None)
    assert left.stalled  # 6 s without a move at 10 points a second
    left.look(14.0, 60.0, (40.0, 0.5))  # moving again; a rate spanning the stall is too slow
    assert left.stalled  # so one look more says so rather than count down to it
    end = left.look(16.0, 80.0, (18.0, 0.5))
    assert not left.stalled and end == pytest.approx(18.0, abs=0.6)  # a new rate takes over


def test_fractions_of_one_are_read_as_percent() -> None:
    scale = ProgressScale()
    assert [v * scale.see(v) for v in (0, 0.0, 0.125, 0.5, 1.0)] == [0, 0, 12.5, 50, 100]
    percent = ProgressScale()
    assert [v * percent.see(v) for v in (0, 1, 12.5, 0.5)] == [0, 1, 12.5, 0.5]


@pytest.mark.parametrize("pending_share", [0.0, 0.15])
def test_a_steady_job_is_noticed_soon_whatever_its_shape(pending_share: float) -> None:
    durations = [14.8 + 0.5 * i for i in range(9)]
    results = [run(steady_job(d, pending_share)) for d in durations]
    lateness = sorted(t - d for (t, _), d in zip(results, durations, strict=True))
    assert lateness[0] >= 0 and lateness[len(lateness) // 2] <= 0.2
    assert sorted(n for _, n in results)[len(results) // 2] <= 5


def test_without_progress_or_a_library_the_looks_come_every_5_s_from_the_create() -> None:
    planner = PollPlanner(started=0.0)
    t, looks = planner.first_delay(), []
    while t < 30.0:
        looks.append(t)
        t += planner.next_delay(t, "processing", None)
    assert looks == pytest.approx([0.25, 5.0, 10.0, 15.0, 20.0, 25.0])  # as many as metriqual's
