"""The poll planner against simulated jobs: when is completion noticed, and how many looks does it take."""

from __future__ import annotations

import itertools

import pytest

from mql_notebook.client.poller import PollPlanner, PollTiming


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


def stalling_job(duration: float):
    """Fast to 50 %, frozen until 80 % of the time, then on to the end (bench/fakeapi.py's profile)."""

    def observe(t: float) -> tuple[str, float | None]:
        x = t / duration
        if x >= 1:
            return "completed", 100.0
        if x < 0.1:
            return "pending", 0.0
        if x < 0.4:
            return "processing", float(int((x - 0.1) / 0.3 * 50))
        if x < 0.8:
            return "processing", 50.0
        return "processing", float(min(99, 50 + int((x - 0.8) / 0.2 * 50)))

    return observe


def test_a_stall_does_not_poison_the_rate_measured_after_it() -> None:
    # Before the fix, the rate from before the stall predicted completion seconds too late.
    lateness = sorted(
        run(stalling_job(30.0 + offset))[0] - (30.0 + offset) for offset in (-2, -1, 0, 1, 2)
    )
    assert lateness[len(lateness) // 2] < 1.5


def test_stalled_progress_backs_off_to_the_maximum_interval() -> None:
    planner = PollPlanner(PollTiming(max_interval=8.0), started=0.0)
    t = planner.first_delay()
    delays = []
    for _ in range(40):
        d = planner.next_delay(t, "processing", 40.0)
        delays.append(d)
        t += d
    assert delays[-1] == 8.0
    assert all(b >= a for a, b in itertools.pairwise(delays))


def test_server_hint_is_a_floor() -> None:
    planner = PollPlanner(started=0.0)
    planner.first_delay()
    assert planner.next_delay(0.25, "pending", 0.0, server_hint=3.0) == 3.0


def test_first_look_is_soon() -> None:
    assert PollPlanner().first_delay() <= 0.5
