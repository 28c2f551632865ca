"""The poll planner against simulated jobs: when is completion noticed, and how many looks does it take."""

from __future__ import annotations

import pytest

from mql_notebook.polling import PollPlanner, PollTiming


def steady_job(duration: float, pending_share: float = 0.15):
    """Progress as the emulator reports it: pending first, then rising linearly to 100."""

    def observe(t: float) -> tuple[str, float | None]:
        if t >= duration:
            return "completed", 100.0
        start = duration * pending_share
        if t < start:
            return "pending", 0.0
        return "processing", float(int((t - start) / (duration - start) * 100))

    return observe


def run(observe, timing: PollTiming = PollTiming(), limit: float = 10_000) -> tuple[float, int]:
    planner = PollPlanner(timing, started=0.0)
    t = planner.first_delay()
    looks = 0
    while t < limit:
        looks += 1
        status, progress = observe(t)
        if status == "completed":
            return t, looks
        t += planner.next_delay(t, status, progress)
    raise AssertionError("never noticed")


@pytest.mark.parametrize("duration", [5.0, 10.0, 30.0, 60.0])
def test_steady_progress_is_noticed_soon_with_few_looks(duration: float) -> None:
    noticed, looks = run(steady_job(duration))
    assert noticed - duration < 0.5
    # The API's target: a 30 s job in at most 12 looks; longer jobs spend a few more while pending.
    assert looks <= (12 if duration <= 30 else 16)


def test_job_without_progress_backs_off_but_stays_within_a_share_of_the_elapsed_time() -> None:
    def observe(t: float):
        return ("completed", None) if t >= 30 else ("processing", None)

    noticed, looks = run(observe)
    assert noticed - 30 <= 0.2 * 30 + 0.25
    assert looks <= 20


def test_stalled_progress_backs_off_to_the_maximum_interval() -> None:
    planner = PollPlanner(PollTiming(max_interval=8.0), started=0.0)
    t = planner.first_delay()
    delays = []
    for _ in range(40):
        d = planner.next_delay(t, "processing", 40.0)
        delays.append(d)
        t += d
    assert delays[-1] == 8.0
    assert all(b >= a for a, b in zip(delays, delays[1:]))


def test_server_hint_is_a_floor() -> None:
    planner = PollPlanner(started=0.0)
    planner.first_delay()
    assert planner.next_delay(0.25, "pending", None, server_hint=3.0) == 3.0


def test_first_look_is_soon() -> None:
    assert PollPlanner().first_delay() <= 0.5
