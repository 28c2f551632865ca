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
from bench.polling_section import section_polling

SECTIONS = (
    "polling",
    "download",
    "concurrency",
    "batch",
    "limits",
    "cpu",
    "notebook_batch",
    "import",
    "notebook",
    "render",
    "images",
)


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
