"""Batch at scale: ``mql-notebook batch`` of 1,000 prompts at concurrency 50, 2 s jobs.

The server is ``bench/fakeapi.py`` in its own process (steady progress, every job 2 s,
every video the same real ~1 MB MP4 rendered by the emulator, so the library's SHA-256 and
poster frame cost what they cost for real videos). The batch runs as a user runs it: the
console command in a process of its own, its library in a fresh temporary folder.

- **wall**: from starting the command to its exit, against the ideal 1000 / 50 x 2 s = 40 s;
- **CPU** (user + system) of the batch process, from ``os.wait4``; its **peak RSS** from
  ``VmHWM`` in ``/proc/PID/status``, read while it runs (``ru_maxrss`` would include this
  process's own memory, counted when the child's exec replaced the copy it was forked from);
- CPU **per generation**: the whole run's CPU / 1000, and the marginal figure (minus a
  1-prompt run's CPU: interpreter start, imports, opening the library);
- the videos in the library over time (sampled every 0.5 s), plotted to docs/bench_batch.png.

    python -m bench.batch_bench            # prints the section's Markdown
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import API_KEY, ROOT, load

PROMPTS = 1000
CONCURRENCY = 50
JOB_SECONDS = 2.0
TARGET_RATIO = 1.2  # issue 14 target 5: within 1.2x of the ideal wall time


def _render_clip(folder: Path) -> Path:
    from mql_notebook.local.render import RenderSpec, render_mp4

    clip = folder / "clip.mp4"
    clip.write_bytes(render_mp4(RenderSpec("batch bench", duration=15, resolution="720p")))
    return clip


def _start_server(clip: Path) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.fakeapi",
            "--seconds",
            str(JOB_SECONDS),
            "--video-file",
            str(clip),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()
    match = re.search(r"http://\S+", line)
    if not match:
        proc.kill()
        raise RuntimeError(f"fakeapi did not start: {line!r}")
    return proc, match.group(0)


def _run_batch(url: str, folder: Path, prompts: int, timeline: list | None = None) -> dict:
    """One ``mql-notebook batch`` process; its wall time, rusage and exit code."""
    batch = folder / f"prompts-{prompts}.txt"
    batch.write_text("".join(f"Prompt {i}: a paper boat on a pond\n" for i in range(prompts)))
    library = folder / f"library-{prompts}"
    env = dict(os.environ, MQL_BASE_URL=url, MQL_API_KEY=API_KEY)
    env.pop("MQL_LIBRARY", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "mql_notebook.cli", "batch", str(batch)]
    command += ["--concurrency", str(CONCURRENCY), "--library", str(library)]
    started = time.monotonic()
    proc = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    status, usage, peak, last_look = None, None, 0, 0.0
    while status is None:
        peak = max(peak, _high_water_mark(proc.pid))
        pid, raw, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            status = os.waitstatus_to_exitcode(raw)
            break
        now = time.monotonic() - started
        if timeline is not None and now - last_look >= 0.5:
            done = sum(1 for p in library.glob("*.mp4")) if library.exists() else 0
            timeline.append((now, done))
            last_look = now
        time.sleep(0.05)
    wall = time.monotonic() - started
    proc.returncode = status
    stderr = proc.stderr.read()
    proc.stderr.close()
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss": peak,
        "exit": status,
        "tail": stderr.strip().splitlines()[-3:],
        "videos": sum(1 for _ in library.glob("*.mp4")),
    }


def _high_water_mark(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:  # it has just exited
        pass
    return 0


def measure() -> dict:
    with tempfile.TemporaryDirectory(dir=ROOT / "bench") as tmp:
        folder = Path(tmp)
        clip = _render_clip(folder)
        server, url = _start_server(clip)
        try:
            one = _run_batch(url, folder, 1)
            before = httpx.get(f"{url}/_fake/stats").json()["requests"]
            timeline: list[tuple[float, int]] = []
            load_before = load()
            big = _run_batch(url, folder, PROMPTS, timeline)
            stats = httpx.get(f"{url}/_fake/stats").json()
            after = stats["requests"]
            import psutil

            server_cpu = sum(psutil.Process(server.pid).cpu_times()[:2])
        finally:
            server.terminate()
            server.wait(10)
        requests = {k: after.get(k, 0) - before.get(k, 0) for k in after}
        return {
            "clip_bytes": clip.stat().st_size,
            "one": one,
            "big": big,
            "requests": requests,
            "timeline": timeline,
            "server_cpu": server_cpu,
            "late": (stats["late_median"], stats["late_p90"]),
            "load_before": load_before,
            "load_after": load(),
        }


def plot(result: dict, path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    times = [t for t, _ in result["timeline"]]
    done = [d for _, d in result["timeline"]]
    ideal = [min(PROMPTS, CONCURRENCY * int(t // JOB_SECONDS)) for t in times]
    fig, ax = plt.subplots(figsize=(7, 3.2))
    ax.plot(times, done, label="videos in the library (mql-notebook batch)")
    ax.plot(times, ideal, "--", label=f"ideal: {CONCURRENCY} every {JOB_SECONDS:g} s")
    ax.set_xlabel("seconds since the command started")
    ax.set_ylabel("videos")
    ax.set_title(f"batch of {PROMPTS} prompts, concurrency {CONCURRENCY}, {JOB_SECONDS:g} s jobs")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def section(quick: bool = False) -> str:
    print(
        f"batch: {PROMPTS} prompts at concurrency {CONCURRENCY}, {JOB_SECONDS:g} s jobs", flush=True
    )
    r = measure()
    big, one = r["big"], r["one"]
    ideal = PROMPTS / CONCURRENCY * JOB_SECONDS
    ratio = big["wall"] / ideal
    per_gen = big["cpu"] / PROMPTS * 1000
    marginal = (big["cpu"] - one["cpu"]) / (PROMPTS - 1) * 1000
    req = r["requests"]
    out = [
        "## Batch at scale (bench/batch_bench.py)",
        "",
        f"`mql-notebook batch` of {PROMPTS} prompts, `--concurrency {CONCURRENCY}`, against "
        f"`bench/fakeapi.py` in its own process: {JOB_SECONDS:g} s jobs with steady progress, every "
        f"video the same real {r['clip_bytes'] / 1e6:.2f} MB MP4 (so SHA-256 and the poster frame "
        "cost what they cost). The command runs in its own process with a fresh library; "
        "CPU and peak RSS are its `os.wait4` rusage. The anchor is the ideal wall time, "
        f"{PROMPTS} / {CONCURRENCY} x {JOB_SECONDS:g} s = {ideal:.0f} s.",
        "",
        "| figure | value |",
        "|---|---|",
        f"| wall time | {big['wall']:.1f} s ({ratio:.2f}x the ideal {ideal:.0f} s; target "
        f"{TARGET_RATIO}x: {'met' if ratio <= TARGET_RATIO else 'NOT met'}) |",
        f"| ideal with that lateness per round | {PROMPTS} / {CONCURRENCY} x "
        f"({JOB_SECONDS:g} + {r['late'][0]:.2f}) s = "
        f"{PROMPTS / CONCURRENCY * (JOB_SECONDS + r['late'][0]):.1f} s (the rest: start-up, "
        "creates, downloads, the library) |",
        f"| exit code, videos in the library | {big['exit']}, {big['videos']} |",
        f"| peak RSS of the batch process | {big['rss'] / 2**20:.0f} MiB (a 1-prompt batch: "
        f"{one['rss'] / 2**20:.0f} MiB) |",
        f"| client CPU, whole run | {big['cpu']:.1f} s ({per_gen:.1f} ms per generation) |",
        f"| client CPU per generation, marginal | {marginal:.1f} ms (minus the 1-prompt run's "
        f"{one['cpu']:.2f} s: start, imports, opening the library) |",
        f"| requests per generation | create {req.get('create', 0) / PROMPTS:.2f}, status "
        f"{req.get('status', 0) / PROMPTS:.2f}, content {req.get('content', 0) / PROMPTS:.2f} |",
        f"| completion noticed late by, median / p90 | {r['late'][0]:.2f} s / {r['late'][1]:.2f} s "
        "(first status request after the job completed; both runs) |",
        f"| fake server's CPU (whole life) | {r['server_cpu']:.1f} s |",
        f"| load average before / after | {r['load_before']} / {r['load_after']} |",
    ]
    if big["exit"] != 0:
        out += ["", "The batch did not complete every line:", "", "```", *big["tail"], "```"]
    if r["timeline"] and plot(r, ROOT / "docs" / "bench_batch.png"):
        out += [
            "",
            "![videos in the library over time](docs/bench_batch.png)",
            "",
            "[docs/bench_batch.png](docs/bench_batch.png): videos landed in the library over "
            "time (files counted every 0.5 s) beside the ideal staircase.",
        ]
    return "\n".join(out)


if __name__ == "__main__":
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    print(section())
