"""The poll plan with a learned completion time (the library's expected duration)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from mql_notebook import AsyncMQL, Library
from mql_notebook.client.expected import ExpectedEnd
from mql_notebook.client.poller import PollPlanner

from .test_poller import steady_job


def looks_until(duration: float, expected: float | None, progress: bool = False) -> list[float]:
    """The look times of a planner for a job of ``duration`` s, expected to take ``expected`` s."""
    planner = PollPlanner(started=0.0)
    if expected is not None:
        planner.expected = ExpectedEnd.after_create(expected, 0.0, 0.0)
    observe = steady_job(duration)
    t = planner.first_delay()
    looks = [t]
    while t < duration:
        status, value = observe(t)
        t += planner.next_delay(t, status, value if progress else None)
        looks.append(t)
    return looks


@pytest.mark.parametrize("duration", [10.0, 17.3, 30.0])
def test_a_job_without_progress_is_noticed_just_after_its_learned_end(duration: float) -> None:
    looks = looks_until(duration, expected=duration)
    assert 0 < looks[-1] - duration <= 0.2
    assert any(0.85 * duration <= t < duration for t in looks)  # a look a little before it
    assert len(looks) <= 7
    # Without the library: later, over the phases a blind plan can meet (a job of exactly
    # 10 s may fall on one of its looks).
    lengths = [duration + k * 0.5 for k in range(1, 10)]
    blind = sorted(looks_until(d, expected=None)[-1] - d for d in lengths)
    assert blind[len(blind) // 2] > looks[-1] - duration


def test_a_job_running_longer_than_learned_is_looked_at_ever_more_gently() -> None:
    looks = looks_until(14.0, expected=10.0)
    after = [b - a for a, b in itertools.pairwise(looks) if a > 10.1]
    assert after == sorted(after) and after[0] <= 0.3 and looks[-1] - 14.0 < 2.0


def test_a_job_shorter_than_learned_is_seen_by_the_look_before_the_end() -> None:
    looks = looks_until(8.8, expected=10.0)
    assert looks[-1] == pytest.approx(9.0)  # the look at 0.9 of the learned time


def test_the_expected_end_is_the_first_guess_until_progress_gives_a_rate() -> None:
    planner = PollPlanner(started=0.0)
    planner.expected = ExpectedEnd.after_create(20.0, 2.0, 0.0)  # created 2 s before the wait
    assert planner.expected_completion() == 18.0
    planner.first_delay()
    planner.next_delay(1.0, "pending", 0.0)
    planner.next_delay(5.0, "processing", 20.0)
    assert planner.expected_completion() == 18.0  # one reading: no rate yet
    planner.next_delay(9.0, "processing", 60.0)
    predicted = planner.expected_completion()
    assert predicted is not None and 12.5 < predicted < 13.5  # the rate wins once there is one


def test_without_a_library_one_progress_reading_gives_a_first_estimate() -> None:
    planner = PollPlanner(started=0.0)
    planner.first_delay()
    assert planner.expected_completion() is None
    planner.next_delay(1.0, "pending", 0.0)
    assert planner.expected_completion() is None  # no progress yet: no estimate
    planner.next_delay(5.0, "processing", 39.5)
    # Progress began between 1 and 5 s, say at 3 s: 40 % in 2 s, so 100 % at 8 s.
    assert planner.expected_completion() == 8.0
    planner = PollPlanner(started=0.0)
    planner.next_delay(1.0, "pending", 0.0)
    planner.next_delay(5.0, "processing", 2.0)
    assert planner.expected_completion() is None  # 2 %: when it began weighs too much


def test_with_progress_the_learned_end_does_not_delay_the_steady_plan() -> None:
    with_library = looks_until(17.3, expected=17.3, progress=True)
    assert with_library[-1] - 17.3 <= 0.3 and len(with_library) <= 6


async def test_the_third_job_without_progress_is_looked_at_near_its_end(
    local_server, api_key: str, tmp_path: Path
) -> None:
    server = local_server(pace=2.0)
    server.progress = False
    library = Library(tmp_path / "lib")
    seen = []
    async with AsyncMQL(api_key=api_key, base_url=server.url, library=library) as client:
        for _ in range(3):
            generation = await client.video.create_and_wait(
                prompt="a kite", duration=5, on_update=seen.append
            )
    assert all("progress" not in g.raw for g in seen)
    job = next(j for j in server.emulator.jobs.jobs() if j.id == generation.id)
    looks = [
        r.time - job.started
        for r in server.requests
        if r.generation_id == generation.id and r.endpoint == "status"
    ]
    assert len(looks) <= 8
    # A look aimed a little before the learned end, then the completion: the blind back-off
    # would have gone from about 1.1 s to about 4 s.
    assert any(0.7 * job.pace <= t < job.pace for t in looks), looks
    updates = [g for g in seen if g.id == generation.id and g.expected_end is not None]
    assert updates, "the third job's updates carry the learned end"
