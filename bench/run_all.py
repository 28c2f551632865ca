"""Run every benchmark and write BENCHMARKS.md (and docs/bench_*.png).

    python -m bench            # full run (polling jobs of 10, 17.3, 30 and 60 s; about 10 minutes)
    python -m bench --quick    # shorter jobs (10 and 17.3 s), fewer repetitions (about 4 minutes)
    python -m bench --only polling,download   # a subset (sections: polling, download,
                                              # concurrency, batch, limits, cpu, import,
                                              # notebook, render, images)

No benchmark reaches the internet: every server is on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import traceback
from pathlib import Path

from bench import splice
from bench.common import ROOT, load, machine

TARGET_SECONDS = 17.3  # issue 14, target 1: the job length the target names
SECTIONS = (
    "polling",
    "download",
    "concurrency",
    "batch",
    "limits",
    "cpu",
    "import",
    "notebook",
    "render",
    "images",
)


def fmt(x: float, digits: int = 2) -> str:
    return "n/a" if x != x else f"{x:.{digits}f}"


def ratio(a: float, b: float) -> str:
    if a != a or b != b or b == 0:
        return "n/a"
    return f"{a / b:.2f}x"


def section_polling(quick: bool) -> str:
    from bench import polling

    jobs = 3 if quick else 5
    plan = (
        [("steady", 10), ("steady", TARGET_SECONDS), ("stall", 10), ("noprogress", 10)]
        if quick
        else [
            ("steady", 10),
            ("steady", TARGET_SECONDS),
            ("steady", 30),
            ("steady", 60),
            ("stall", 30),
            ("noprogress", 30),
        ]
    )
    out = [
        "## 1. Polling: lateness and status requests",
        "",
        f"Each contender waits for the same {jobs} jobs per row at the same time; job *i* of *k* lasts",
        "T + (i/k - 1/2) x 5 s, so fixed-interval pollers meet every phase. **Late** = the moment",
        "the call returned minus the moment the job completed (both `time.monotonic()` in this",
        "process); **requests** = status GETs of that job in the server's request log.",
        "`steady` runs on the real emulator; `stall` (progress 0->50 by 0.4T, frozen until 0.8T,",
        "then 50->99) and `noprogress` (no `progress` field) on `bench/fakeapi.py`.",
        "The anchor for each row is metriqual's `create_and_wait` (fixed 5 s sleep) in the same run.",
        "",
        "| profile | T | contender | late, median s | late, max s | requests, median (max) | late vs metriqual | requests vs metriqual |",
        "|---|---|---|---|---|---|---|---|",
    ]
    timeline = target = None
    verdicts = []
    estimates = [
        "| profile | T | contender | at 25 % of the job | at 50 % | at 75 % |",
        "|---|---|---|---|---|---|",
    ]
    for profile, seconds in plan:
        print(f"polling: {profile} {seconds} s x {jobs} jobs ...", flush=True)
        result = polling.run_profile(profile, seconds, jobs)
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
                estimates.append(
                    f"| {profile} | {seconds} s | {name} | " + " | ".join(cells) + " |"
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
                f"{learned['requests_median']:g}, max {learned['requests_max']}). Without a "
                f"library: {fmt(ours['delay_median'])} s late, {ours['requests_median']:g} "
                f"requests; metriqual: {fmt(anchor['delay_median'])} s, "
                f"{anchor['requests_median']:g}."
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
    out += [""] + [v + "\n" for v in verdicts]
    out += [
        "**Time left (issue 14, target 6).** Every update a wait sends carries `expected_end`,",
        "what the badge counts down to: from the progress rate (two readings or more), else the",
        "library's learned duration, else one progress reading (as if progress rose evenly since",
        "the wait began). Below: how far the latest estimate made by 25, 50 and 75 % of each job",
        "was from its real end (median over the jobs that had one by then; *none yet*: no",
        "estimate so early). Before the first progress no estimate exists without a library.",
        "",
        *estimates,
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


def section_render(quick: bool) -> str:
    args = ["--repeat", "2", "--seconds", "2"] if quick else []
    print("render: bench/bench_render.py " + " ".join(args), flush=True)
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_render.py"), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    text = out.stdout.strip() or out.stderr.strip()
    return "\n".join(
        [
            "## 6. Emulator render time and status latency (bench/bench_render.py, a colleague's benchmark)",
            "",
            "Targets (issue 2): 5 s of 480p rendered in at most 0.5 s on 2 cores; status answers under 10 ms",
            "at the 99th percentile while a video renders. Its own output, unchanged, from this run:",
            "",
            "```",
            text,
            "```",
        ]
    )


def run_section(name: str, quick: bool) -> str:
    module_sections = {
        "polling": section_polling,
        "render": section_render,
    }
    if name in module_sections:
        return module_sections[name](quick)
    import importlib

    module = importlib.import_module(
        f"bench.{'bench_' + name if name == 'render' else name + '_bench'}"
    )
    return module.section(quick)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter jobs, fewer repetitions")
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    parser.add_argument("--output", default=str(ROOT / "BENCHMARKS.md"))
    args = parser.parse_args()
    wanted = [s.strip() for s in args.only.split(",") if s.strip()]
    (ROOT / "docs").mkdir(exist_ok=True)
    facts = machine()
    load_before = load()
    started = time.time()
    parts: dict[str, str] = {}
    when = time.strftime("%Y-%m-%d %H:%M %Z", time.localtime(started))
    for name in wanted:
        t0 = time.monotonic()
        section_load = load()
        try:
            text = run_section(name, args.quick)
        except Exception:
            text = (
                f"{splice.HEADINGS[name]} {name}\n\nNot measured: the benchmark raised\n\n"
                f"```\n{traceback.format_exc()}```"
            )
        parts[name] = splice.stamp(text, command_of(args), when, facts["commit"], section_load)
        print(f"{name}: {time.monotonic() - t0:.0f} s", flush=True)
        write(args, facts, load_before, started, parts)
    print(f"wrote {args.output}")


def command_of(args) -> str:
    command = "python -m bench" + (" --quick" if args.quick else "")
    if args.only != ",".join(SECTIONS):
        command += f" --only {args.only}"
    return command


def write(args, facts, load_before, started, parts: dict[str, str]) -> None:
    command = command_of(args)
    # A subset (--only) keeps the file's other sections; each section's first line says
    # which run measured it.
    every = args.only == ",".join(SECTIONS)
    bodies = list(parts.values()) if every else splice.merge(Path(args.output), parts)
    header = [
        "# Benchmarks",
        "",
        (
            "Written by `"
            if every
            else ("Sections " if len(parts) > 1 else "Section ")
            + ", ".join(parts)
            + " written by `"
        )
        + command
        + "` on "
        + time.strftime("%Y-%m-%d %H:%M %Z", time.localtime(started))
        + f" in {time.time() - started:.0f} s"
        + (
            ""
            if every
            else "; the others keep an earlier run's figures (see each section's first line)"
        )
        + ". Every figure sits beside its anchor measured in the same run.",
        "",
        "| machine (this run) | |",
        "|---|---|",
        *(f"| {k} | {v} |" for k, v in facts.items()),
        f"| load average (1/5/15 min) at start | {load_before} |",
        f"| load average at end | {load()} |",
        "",
        "The machine has 2 cores shared with other work: a load average near or above 2 means",
        "timings (throughput, import time, cell time) are pessimistic; lateness and request counts",
        "hardly depend on it.",
        "",
        "## How to reproduce",
        "",
        "```bash",
        "pip install -e '.[local,bench]'   # metriqual (the official SDK), matplotlib, psutil, playwright",
        "python -m bench --quick           # about 3 minutes; `python -m bench` for the full run",
        "python -m bench --only polling    # one section; see `python -m bench --help`",
        "```",
        "",
        "The notebook section also needs Chromium at /usr/bin/chromium (see shared TESTING notes).",
        "",
    ]
    text = "\n".join(header) + "\n" + "\n\n".join(b.rstrip() for b in bodies) + "\n"
    with open(args.output, "w") as f:
        f.write(text)


if __name__ == "__main__":
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    main()
