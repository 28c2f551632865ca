"""The poll plan replayed on a virtual clock: ``PollPlanner`` fed the fake API's progress curves
(bench/fakeapi.py) with a fixed round trip, no server, no sleeping. Deterministic, so it says
what the plan itself does (looks, lateness) apart from a machine's jitter, and how a change of
its timing would move both (``replay(profile, seconds, timing)``).

    python -m bench.poll_replay        # a table per profile and job length
"""

from __future__ import annotations

import statistics

from bench.fakeapi import FakeJob
from mql_notebook.client.poller import PollPlanner, PollTiming

ROUND_TRIP = 0.004  # s, one status request on loopback
CREATE_ANSWERED = 0.01  # s after the job starts, the client's clock starts
SPREAD = 5.0  # job i of JOBS lasts T + (i/JOBS - 1/2) * SPREAD, as bench/polling.py runs them
JOBS = 8


def replay(profile: str, seconds: float, timing: PollTiming | None = None) -> tuple[int, float]:
    """One job of ``profile`` lasting ``seconds``: (status looks, seconds late noticing its end)."""
    job = FakeJob("replay", profile, seconds, 0.0)
    planner = PollPlanner(timing or PollTiming(), started=CREATE_ANSWERED)
    now = CREATE_ANSWERED + planner.first_delay()
    looks = 0
    while True:
        looks += 1
        status, progress = job.state(now + ROUND_TRIP / 2)  # the server answers halfway
        answered = now + ROUND_TRIP
        if status == "completed":
            return looks, answered - seconds
        if profile == "fraction":  # the client reads fractions of one as percent
            progress = progress * 100
        now = answered + planner.next_delay(answered, status, progress)


def summary(profile: str, seconds: float, timing: PollTiming | None = None) -> dict[str, float]:
    """Mean looks and median / max lateness over the bench's spread of job lengths."""
    lengths = [seconds + (i / JOBS - 0.5) * SPREAD for i in range(JOBS)]
    runs = [replay(profile, length, timing) for length in lengths]
    return {
        "looks": statistics.mean(looks for looks, _ in runs),
        "late_median": statistics.median(late for _, late in runs),
        "late_max": max(late for _, late in runs),
    }


def margin_sentence() -> str:
    """Why a measured median may fall either side of item 3's 0.2 s: the plan's own figures."""
    from mql_notebook._constants import DEFAULT_POLL_AIM_PAST_ESTIMATE

    cases = [("steady", 17.3), ("steady", 30.0), ("rise", 17.3), ("rise", 30.0)]
    figures = ", ".join(
        f"{profile} {seconds:g} s {summary(profile, seconds)['late_median']:.2f} s"
        for profile, seconds in cases
    )
    return (
        "Why a median can land either side of 0.2 s from one run to the next: the plan looks "
        f"{DEFAULT_POLL_AIM_PAST_ESTIMATE:g} s past the end it predicts from whole-percent "
        "progress, and the prediction is off by a few hundredths of a second either way. "
        f"Replayed on a virtual clock over these curves with no jitter (`python -m "
        f"bench.poll_replay`), the medians are {figures}; a loaded machine's scheduling adds "
        "its own hundredths. Aiming sooner costs a look more on the fraction and decimal curves "
        "(the same replay with `aim_past_estimate` lowered)."
    )


if __name__ == "__main__":
    print("| profile | job | looks (mean) | late median s | late max s |")
    print("|---|---|---|---|---|")
    for profile in ("steady", "rise", "fraction", "decimal"):
        for seconds in (17.3, 30.0):
            s = summary(profile, seconds)
            print(
                f"| {profile} | {seconds:g} s | {s['looks']:.2f} | {s['late_median']:.2f} "
                f"| {s['late_max']:.2f} |"
            )
