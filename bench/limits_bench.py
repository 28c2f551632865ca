"""A batch against a gateway that allows 4 jobs at once (issue 19, item 2).

``mql-notebook batch`` of 200 prompts at ``--concurrency 20`` against the real emulator run by
``mql-notebook serve --concurrency-cap 4`` in its own process: every create beyond 4 running
jobs of the key is answered ``429 concurrency_limit_exceeded`` with ``Retry-After: 2`` and
makes nothing. The batch must learn the limit (AIMD), fail no line, and finish close to the
ideal at that limit, 200 / 4 x the job's length.

Both runs are processes as a user runs them, each with a fresh library; the 200 lines differ
(a ``line`` field of their own, sent as given) but render one video, so the emulator's render
worker costs nothing that would blur the scheduling being measured. The second run, the same
batch at ``--concurrency 4`` against an emulator with no cap, is the best any batch can do at
that limit here (the same polling, downloads and library), so the difference is what learning
the limit costs.

    python -m bench.limits_bench            # prints the section's Markdown
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

from bench.common import API_KEY, ROOT, load

PROMPTS = 200
CONCURRENCY = 20
CAP = 4
JOB_SECONDS = 3.0
RETRY_AFTER = 2.0
TARGET_RATIO = 1.15  # issue 19: within 1.15x of the ideal at that limit
TARGET_CREATES = 1.5  # ... with at most 1.5 creates sent per line


def _env() -> dict[str, str]:
    env = dict(os.environ)
    for name in ("MQL_LIBRARY", "MQL_API_KEY", "MQL_BASE_URL"):
        env.pop(name, None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def _serve(*extra: str) -> tuple[subprocess.Popen, str]:
    command = [sys.executable, "-m", "mql_notebook.cli", "serve", "--port", "0", "--quiet"]
    command += ["--pace", str(JOB_SECONDS), *extra]
    proc = subprocess.Popen(command, cwd=ROOT, env=_env(), stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    match = re.search(r"serving (http://\S+)", line)
    if not match:
        proc.kill()
        raise RuntimeError(f"serve did not start: {line!r}")
    return proc, match.group(1)


def _batch(url: str, folder: Path, concurrency: int, name: str) -> dict:
    batch = folder / f"{name}.txt"
    lines = (
        json.dumps({"prompt": "A paper boat on a pond, seen from above", "line": i})
        for i in range(PROMPTS)
    )
    batch.write_text("\n".join(lines) + "\n")
    env = dict(_env(), MQL_BASE_URL=url, MQL_API_KEY=API_KEY)
    command = [sys.executable, "-m", "mql_notebook.cli", "batch", str(batch)]
    command += ["--concurrency", str(concurrency), "--library", str(folder / f"lib-{name}")]
    started = time.monotonic()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1800)
    wall = time.monotonic() - started
    records = httpx.get(f"{url}/_emulator/requests", timeout=30).json()["requests"]
    creates = [r for r in records if r["endpoint"] == "create"]
    statuses = Counter(r["status"] for r in creates)
    at_once = _most_at_once(records)
    return {
        "wall": wall,
        "exit": done.returncode,
        "tail": done.stderr.strip().splitlines()[-4:],
        "creates": len(creates),
        "made": statuses.get(200, 0),
        "busy": statuses.get(429, 0),
        "jobs": httpx.get(f"{url}/_emulator", timeout=10).json()["jobs"],
        "at_once": at_once,
        "videos": sum(1 for _ in (folder / f"lib-{name}").glob("*.mp4")),
    }


def _most_at_once(records: list[dict]) -> int:
    """The most jobs the server ran at once: from each job's create to its job's length later."""
    starts = sorted(r["time"] for r in records if r["endpoint"] == "create" and r["status"] == 200)
    events = [(t, 1) for t in starts] + [(t + JOB_SECONDS, -1) for t in starts]
    most = running = 0
    for _, step in sorted(events, key=lambda e: (e[0], e[1])):
        running += step
        most = max(most, running)
    return most


def measure() -> dict:
    with tempfile.TemporaryDirectory(dir=ROOT / "bench") as tmp:
        folder = Path(tmp)
        capped, url = _serve(
            "--concurrency-cap", str(CAP), "--concurrency-retry-after", f"{RETRY_AFTER:g}"
        )
        try:
            load_before = load()
            learned = _batch(url, folder, CONCURRENCY, "capped")
        finally:
            capped.terminate()
            capped.wait(15)
        free, url = _serve()
        try:
            best = _batch(url, folder, CAP, "uncapped")
        finally:
            free.terminate()
            free.wait(15)
    return {"learned": learned, "best": best, "load_before": load_before, "load_after": load()}


def section(quick: bool = False) -> str:
    print(
        f"limits: {PROMPTS} prompts at --concurrency {CONCURRENCY} against a cap of {CAP}",
        flush=True,
    )
    r = measure()
    learned, best = r["learned"], r["best"]
    ideal = PROMPTS / CAP * JOB_SECONDS
    ratio = learned["wall"] / ideal
    per_line = learned["creates"] / PROMPTS
    time_ok = ratio <= TARGET_RATIO
    creates_ok = per_line <= TARGET_CREATES
    out = [
        f"## Limits: a batch against a gateway allowing {CAP} at once (bench/limits_bench.py)",
        "",
        f"`mql-notebook batch` of {PROMPTS} prompts at `--concurrency {CONCURRENCY}` against "
        f"`mql-notebook serve --pace {JOB_SECONDS:g} --concurrency-cap {CAP}` (each process its "
        f"own): a create beyond {CAP} running jobs of the key is answered `429 "
        f"concurrency_limit_exceeded`, `Retry-After: {RETRY_AFTER:g}`, and makes nothing. The "
        "batch learns the limit (client/concurrency.py: AIMD, never below the jobs the gateway "
        "just accepted) and sends a busy line again later, never failing it. The lines differ "
        "(a field of their own) but render one video, so rendering does not blur the scheduling. "
        f"The anchor is the ideal at that limit, {PROMPTS} / {CAP} x {JOB_SECONDS:g} s = "
        f"{ideal:.0f} s; the same batch at `--concurrency {CAP}` against no cap is the best a "
        "batch does here (the same polling, downloads and library).",
        "",
        "| figure | learning the limit (`--concurrency 20`, cap 4) | best case (`--concurrency 4`, no cap) |",
        "|---|---|---|",
        f"| wall time | {learned['wall']:.1f} s = {ratio:.2f}x the ideal {ideal:.0f} s (target "
        f"{TARGET_RATIO}x: {'met' if time_ok else 'NOT met'}) | {best['wall']:.1f} s = "
        f"{best['wall'] / ideal:.2f}x |",
        f"| creates sent per line | {per_line:.2f} ({learned['creates']}: {learned['made']} made "
        f"a job, {learned['busy']} answered 429; target {TARGET_CREATES}: "
        f"{'met' if creates_ok else 'NOT met'}) | {best['creates'] / PROMPTS:.2f} |",
        f"| jobs on the server, videos in the library | {learned['jobs']}, {learned['videos']} | "
        f"{best['jobs']}, {best['videos']} |",
        f"| most jobs running at once | {learned['at_once']} | {best['at_once']} |",
        f"| exit code | {learned['exit']} | {best['exit']} |",
        f"| load average before / after | {r['load_before']} / {r['load_after']} | |",
    ]
    for name, run in (("learning", learned), ("best case", best)):
        if run["exit"] != 0:
            out += [
                "",
                f"The {name} run did not complete every line:",
                "",
                "```",
                *run["tail"],
                "```",
            ]
    return "\n".join(out)


if __name__ == "__main__":
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    print(section())
