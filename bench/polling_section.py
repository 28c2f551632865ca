"""Section 1 of BENCHMARKS.md: polling lateness, status requests and the badge's time left.

Moved out of bench/run_all.py with issue 21 (items 2 and 3): several shapes of progress curve,
the time-left error at 0/10/25/50/75 % of each job and a plot per profile.
"""

from __future__ import annotations

from bench.common import ROOT
from bench.poll_replay import margin_sentence

TARGET_SECONDS = 17.3  # issue 14, target 1: the job length the target names
SHAPES = ("steady", "rise", "fraction", "decimal")  # issue 21, item 3: within 0.2 s on each


def fmt(x: float, digits: int = 2) -> str:
    return "n/a" if x != x else f"{x:.{digits}f}"


def ratio(a: float, b: float) -> str:
    if a != a or b != b or b == 0:
        return "n/a"
    return f"{a / b:.2f}x"


def _plan(quick: bool) -> list[tuple[str, float]]:
    if quick:
        return [
            ("steady", 10),
            ("steady", TARGET_SECONDS),
            ("rise", TARGET_SECONDS),
            ("fraction", TARGET_SECONDS),
            ("stall", 10),
            ("noprogress", 10),
        ]
    return [
        ("steady", 10),
        ("steady", TARGET_SECONDS),
        ("steady", 30),
        ("steady", 60),
        ("rise", TARGET_SECONDS),
        ("rise", 30),
        ("fraction", TARGET_SECONDS),
        ("decimal", TARGET_SECONDS),
        ("stall", 30),
        ("noprogress", 30),
    ]


INTRO = [
    "## 1. Polling: lateness and status requests",
    "",
    "Each contender waits for the same {jobs} jobs per row at the same time; job *i* of *k* lasts",
    "T + (i/k - 1/2) x 5 s, so fixed-interval pollers meet every phase. **Late** = the moment",
    "the call returned minus the moment the job completed (both `time.monotonic()` in this",
    "process); **requests** = status GETs of that job in the server's request log.",
    "`steady` runs on the real emulator (pending for 15 % of the job, then progress rising in",
    "whole percents); on `bench/fakeapi.py`: `rise` (no pending phase: progress rises from the",
    "create itself), `fraction` (as steady, progress as 0.0-1.0), `decimal` (as steady, percent",
    "with one decimal, 12.5), `stall` (progress 0->50 by 0.4T, frozen until 0.8T, then 50->99)",
    "and `noprogress` (no `progress` field).",
    "The anchor for each row is metriqual's `create_and_wait` (fixed 5 s sleep) in the same run.",
    "",
    "| profile | T | contender | late, median s | late, max s | requests, median (max) | late vs metriqual | requests vs metriqual |",
    "|---|---|---|---|---|---|---|---|",
]


def section_polling(quick: bool) -> str:
    from bench import polling
    from bench.timeleft_plot import plot_profile

    jobs = 3 if quick else 5
    out = [line.format(jobs=jobs) for line in INTRO]
    timeline = target = None
    verdicts, shapes = [], []
    by_profile: dict[str, list[dict]] = {}
    estimates = [
        "| profile | T | contender | at 0 % (first update) | at 10 % | at 25 % | at 50 % | at 75 % | stalled flag |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for profile, seconds in _plan(quick):
        print(f"polling: {profile} {seconds} s x {jobs} jobs ...", flush=True)
        result = polling.run_profile(profile, seconds, jobs)
        by_profile.setdefault(profile, []).append(result)
        anchor = result["summary"][polling.CONTENDERS[1]]
        for name, s in result["summary"].items():
            err = f" (errors: {'; '.join(s['errors'])})" if s["errors"] else ""
            out.append(
                f"| {profile} | {seconds} s | {name}{err} | {fmt(s['delay_median'])} | {fmt(s['delay_max'])} | "
                f"{s['requests_median']:g} ({s['requests_max']}) | {ratio(s['delay_median'], anchor['delay_median'])} | "
                f"{ratio(s['requests_median'], anchor['requests_median'])} |"
            )
        for name, s in result["summary"].items():
            if any(n for _, n in s["estimate_errors"].values()):
                cells = [
                    f"{fmt(err)} s ({n} of {s['jobs']})" if n else "none yet"
                    for err, n in s["estimate_errors"].values()
                ]
                flagged = sum(1 for r in result["runs"][name] if not r.error and r.stalled)
                estimates.append(
                    f"| {profile} | {seconds} s | {name} | "
                    + " | ".join(cells)
                    + f" | {flagged} of {s['jobs']} |"
                )
        ours = result["summary"][polling.CONTENDERS[0]]
        learned = result["summary"].get(polling.LIBRARY)
        if learned is not None:
            late_ok = learned["delay_median"] <= 0.6
            requests_ok = learned["requests_max"] <= 8
            verdicts.append(
                f"**Target 2 (issue 14)**, no progress field, {seconds} s jobs, the third job of a "
                f"kind with a library: at most 0.6 s late -> {'met' if late_ok else 'NOT met'} "
                f"(median {fmt(learned['delay_median'])} s, max {fmt(learned['delay_max'])} s); "
                f"at most 8 status requests -> {'met' if requests_ok else 'NOT met'} (median "
                f"{learned['requests_median']:g}, max {learned['requests_max']})."
            )
            first_ok = ours["delay_median"] <= anchor["delay_median"]
            fewer_ok = ours["requests_median"] <= anchor["requests_median"]
            verdicts.append(
                f"**Issue 21, item 3**, the first job of a kind without progress (no library), "
                f"{seconds} s jobs: no later than metriqual (median) -> "
                f"{'met' if first_ok else 'NOT met'} ({fmt(ours['delay_median'])} s against "
                f"{fmt(anchor['delay_median'])} s); no more status requests -> "
                f"{'met' if fewer_ok else 'NOT met'} (median {ours['requests_median']:g} against "
                f"{anchor['requests_median']:g}). How: with nothing to go by, looks every 5 s from "
                "the create, as metriqual does (the least lateness for the number of looks), after "
                "one look a quarter of a second in for instant failures; lateness then is a matter "
                "of phase, a tie on average."
            )
        if profile in SHAPES and seconds in (TARGET_SECONDS, 30):
            limit = 5 if seconds == TARGET_SECONDS else 12
            ok = ours["delay_median"] <= 0.2 and ours["requests_max"] <= limit
            shapes.append(
                f"{profile} {seconds} s: {fmt(ours['delay_median'])} s late (max "
                f"{fmt(ours['delay_max'])}), {ours['requests_median']:g} requests (max "
                f"{ours['requests_max']}; at most {limit}) -> {'met' if ok else 'NOT met'}"
            )
        if profile == "steady" and seconds == TARGET_SECONDS:
            timeline = target = result
            late_ok = ours["delay_median"] <= 0.2
            requests_ok = ours["requests_max"] <= 5
            ahead = (
                ours["delay_median"] < anchor["delay_median"]
                and ours["requests_median"] <= anchor["requests_median"]
            )
            verdicts.append(
                f"**Target 1 (issue 14)**, steady {seconds} s job: at most 0.2 s late -> "
                f"{'met' if late_ok else 'NOT met'} (median {fmt(ours['delay_median'])} s, "
                f"max {fmt(ours['delay_max'])} s); at most 5 status requests -> "
                f"{'met' if requests_ok else 'NOT met'} (median {ours['requests_median']:g}, "
                f"max {ours['requests_max']}); ahead of metriqual on both axes at once -> "
                f"{'met' if ahead else 'NOT met'} (metriqual: {fmt(anchor['delay_median'])} s late, "
                f"{anchor['requests_median']:g} requests)."
            )
        if profile == "steady" and seconds == 30:
            verdicts.append(
                f"Earlier target (issue 3), steady {seconds} s job: noticed within 0.5 s median -> "
                f"{'met' if ours['delay_median'] <= 0.5 else 'NOT met'} ({fmt(ours['delay_median'])} s); "
                f"at most 12 status requests -> {'met' if ours['requests_max'] <= 12 else 'NOT met'} "
                f"(median {ours['requests_median']:g}, max {ours['requests_max']})."
            )
        if profile == "steady" and timeline is None:
            timeline = result
    if shapes:
        verdicts.append(
            "**Issue 21, item 3**, a steady job noticed within 0.2 s (median) whatever the shape "
            "of its progress curve, with the request counts of issue 14: " + "; ".join(shapes) + "."
        )
        verdicts.append(margin_sentence())
    out += [""] + [v + "\n" for v in verdicts]
    out += [*TIME_LEFT, "", *estimates, ""]
    for profile, results in by_profile.items():
        name = f"bench_timeleft_{profile}.png"
        plot_profile(profile, results, ROOT / "docs" / name)
        out += [f"![time-left error, {profile}](docs/{name})", ""]
    out += [
        "Each picture ([docs/bench_timeleft_*.png](docs/)): per job of mql_notebook's wait, the end "
        "the badge counts down to minus the real end, against the seconds since the create "
        "(0 is exact; a cross: an update said stalled). Colours: the rows' job lengths T.",
        "",
    ]
    if target is not None:
        polling.plot_tradeoff(target, ROOT / "docs" / "bench_polling.png")
        out += [
            "![lateness against status requests](docs/bench_polling.png)",
            "",
            f"[docs/bench_polling.png](docs/bench_polling.png): every job of the {TARGET_SECONDS} s "
            "steady row, one dot per job and contender (lateness against status requests); the "
            "target is the shaded corner. Lower and further left is better.",
            "",
        ]
    if timeline is not None:
        polling.plot_timeline(timeline, ROOT / "docs" / "bench_polling_timeline.png")
        out += [
            "![status requests on one timeline](docs/bench_polling_timeline.png)",
            "",
            f"[docs/bench_polling_timeline.png](docs/bench_polling_timeline.png): each contender's "
            f"status requests for the same {timeline['seconds']} s steady job (the middle job "
            "length of that row).",
        ]
    return "\n".join(out)


TIME_LEFT = [
    "**Time left (issue 14, target 6; issue 21, item 2).** Every update a wait sends carries",
    "`expected_end`, what the badge counts down to, from the first look on: before any",
    "progress a prior, the library's learned duration of like jobs, else the request's typical",
    "duration (`mql_notebook/request/typical.py`: sora, 5 s at 480p, 45 s; the bench's jobs are",
    "shorter, so the first estimate is that far off); each look refines it by weight",
    "(`mql_notebook/client/timeleft.py`: the progress rate, or one reading, weighed against",
    "what is known, not snapped to). Past its estimate with the job still running, the end",
    "moves ahead with the clock; a stall (progress stopped for clearly longer than its rate",
    'allows) sets `stalled` and the badge reads "taking longer than usual". Below: how far',
    "the latest estimate made by 0 % (the first update), 10, 25, 50 and 75 % of each job was",
    "from its real end (median over the jobs that had one by then), and how many jobs' updates",
    "said stalled. Updates come at looks only: a plan of five looks leaves long spans in which",
    "the estimate is the one of the last look (counted down in the browser).",
]
