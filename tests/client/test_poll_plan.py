"""The poll plan for jobs with steady progress: few looks, and the completion noticed at once."""

from __future__ import annotations

from mql_notebook.client.poller import PollPlanner

from .test_poller import run, steady_job


def test_steady_jobs_of_about_17_s_are_noticed_within_0_2_s_in_five_looks() -> None:
    durations = [14.8 + 0.25 * i for i in range(17)]  # 14.8 to 18.8 s
    results = [run(steady_job(d)) for d in durations]
    lateness = sorted(noticed - d for (noticed, _), d in zip(results, durations, strict=True))
    looks = sorted(n for _, n in results)
    assert lateness[0] >= 0 and lateness[len(lateness) // 2] <= 0.2 and lateness[-1] <= 0.3
    # Now and then the prediction comes a hair early: one more look, right after it.
    assert looks[len(looks) // 2] <= 5 and looks[-1] <= 6


def test_after_the_first_progress_the_next_look_is_never_past_the_latest_end() -> None:
    # Pending at 1 s, 50 % at 2 s: progress rose at least 50 points a second, so the job
    # ends by 2 + 50 / 50 s at the latest, whatever the elapsed time suggests.
    planner = PollPlanner(started=0.0)
    planner.first_delay()
    planner.next_delay(1.0, "pending", 0.0)
    delay = planner.next_delay(2.0, "processing", 50.0)
    assert delay <= 1.0


def test_a_stall_between_looks_is_not_taken_for_a_steady_rate() -> None:
    planner = PollPlanner(started=0.0)
    planner.first_delay()
    planner.next_delay(3.0, "processing", 10.0)
    planner.next_delay(8.0, "processing", 40.0)  # 6 points a second
    planner.next_delay(13.0, "processing", 40.0)  # should be 70 by now: stalled
    assert planner.predicted_completion() is None
