"""Benchmark of the local emulator: render time, and status latency while videos render.

    python bench/bench_render.py [--repeat 5] [--seconds 4]

Targets (issue 2): 5 s of 480p renders in at most 0.5 s on a 2-core machine, and status
requests answer in under 10 ms at the 99th percentile while a video renders. Latency is
measured twice: with the client in the server's own process (as in a notebook, where the
kernel runs both) and in another process (as with ``mql-notebook serve``).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time

import httpx

from mql_notebook.local import LocalServer, RenderSpec, render_mp4

AUTH = {"Authorization": "Bearer mql_bench"}
RENDERS = [  # (label, spec options)
    ("5 s 480p 16:9", {"duration": 5, "resolution": "480p"}),
    ("5 s 720p 16:9", {"duration": 5, "resolution": "720p"}),
    ("5 s 1080p 16:9", {"duration": 5, "resolution": "1080p"}),
    ("20 s 1080p 16:9", {"duration": 20, "resolution": "1080p"}),
]


def bench_render(repeat: int) -> list[tuple[str, float, float, float, int]]:
    render_mp4(RenderSpec("warm up"))  # imports, codec initialisation
    rows = []
    for label, options in RENDERS:
        times, size = [], 0
        for i in range(repeat if options["resolution"] == "480p" else max(1, repeat // 2)):
            spec = RenderSpec(f"A timelapse of a flower blooming in a garden #{i}", **options)
            start = time.perf_counter()
            size = len(render_mp4(spec))
            times.append(time.perf_counter() - start)
        rows.append((label, min(times), statistics.median(times), max(times), size))
    return rows


def row(samples):
    """p50, p99 and max in ms and the count, as one aligned table row."""
    p50, p99, top, count = percentiles(samples)
    return f"{p50:7.2f} {p99:7.2f} {top:7.2f} {count:5d}"


def percentiles(samples: list[float]) -> tuple[float, float, float, int]:
    ordered = sorted(samples)
    p = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return p(0.5) * 1e3, p(0.99) * 1e3, ordered[-1] * 1e3, len(ordered)


def status_latency(url: str, seconds: float) -> tuple[list[float], list[float]]:
    """(idle samples, samples while renders run), status requests every 5 ms."""
    with httpx.Client(base_url=url, headers=AUTH, timeout=10) as client:
        done = client.post(
            "/v1/videos/generations", json={"model": "sora", "prompt": "idle"}
        ).json()["id"]
        while client.get(f"/v1/videos/generations/{done}").json()["status"] != "completed":
            time.sleep(0.05)

        def sample(until: float, busy: list[str] | None) -> list[float]:
            out = []
            while time.monotonic() < until:
                start = time.perf_counter()
                response = client.get(f"/v1/videos/generations/{done}")
                out.append(time.perf_counter() - start)
                assert response.status_code == 200
                time.sleep(0.005)
                if busy is not None and not out.__len__() % 20:
                    statuses = {
                        client.get(f"/v1/videos/generations/{b}").json()["status"] for b in busy
                    }
                    if statuses == {"completed"}:
                        break
            return out

        idle = sample(time.monotonic() + 1.0, None)
        # Enough distinct renders to keep the renderer busy for the whole measurement.
        busy = [
            client.post(
                "/v1/videos/generations",
                json={
                    "model": "sora",
                    "prompt": f"busy render {i} {time.time()}",
                    "duration": 10,
                    "resolution": "720p",
                },
            ).json()["id"]
            for i in range(max(1, int(seconds / 1.2) + 1))
        ]
        rendering = sample(time.monotonic() + seconds, busy)
    return idle, rendering


def start_serve() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mql_notebook.cli",
            "serve",
            "--port",
            "0",
            "--pace",
            "0",
            "--quiet",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline()  # type: ignore[union-attr]
    match = re.search(r"http://\S+", line)
    if not match:
        process.kill()
        raise SystemExit(f"serve did not start: {line!r}")
    return process, match.group(0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="renders per size (default 5)")
    parser.add_argument(
        "--seconds", type=float, default=4.0, help="seconds of latency sampling while rendering"
    )
    args = parser.parse_args()
    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}, Python {sys.version.split()[0]}"
    )
    print()
    print(f"{'render':<18} {'min s':>7} {'median s':>9} {'max s':>7} {'bytes':>10}")
    for label, low, median, high, size in bench_render(args.repeat):
        print(f"{label:<18} {low:7.3f} {median:9.3f} {high:7.3f} {size:10d}")
    print()
    print(f"{'status latency':<34} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'n':>5}")
    with LocalServer(pace=0) as server:
        idle, rendering = status_latency(server.url, args.seconds)
    print(f"{'same process, idle':<34} {row(idle)}")
    print(f"{'same process, while rendering':<34} {row(rendering)}")
    process, url = start_serve()
    try:
        idle, rendering = status_latency(url, args.seconds)
    finally:
        process.terminate()
        process.wait(10)
    print(f"{'serve process, idle':<34} {row(idle)}")
    print(f"{'serve process, while rendering':<34} {row(rendering)}")


if __name__ == "__main__":
    main()
