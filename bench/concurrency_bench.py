"""Concurrency: 100 generations at once from one AsyncMQL against the emulator (pace 4 s).

Wall time of the whole batch against the slowest single job inside it and against one job run
alone (the anchor); connections opened = distinct client ports seen connected to the emulator's
port (psutil, sampled every 20 ms from this process, which holds both ends).
"""

from __future__ import annotations

import asyncio
import threading
import time

import psutil

from bench.common import API_KEY

PACE = 4.0
PROMPT = "A timelapse of a flower blooming in a garden (concurrency)"


def _ports_sampler(server_port: int, ports: set[int], stop: threading.Event) -> None:
    proc = psutil.Process()
    while not stop.is_set():
        for c in proc.net_connections(kind="tcp"):
            if c.raddr and c.raddr.port == server_port:
                ports.add(c.laddr.port)
        time.sleep(0.02)


async def _batch(url: str, n: int) -> tuple[float, list[float], list[str]]:
    from mql_notebook import AsyncMQL

    async def one(client) -> float:
        t0 = time.monotonic()
        await client.video.create_and_wait(model="sora", prompt=PROMPT, duration=5)
        return time.monotonic() - t0

    async with AsyncMQL(api_key=API_KEY, base_url=url) as client:
        t0 = time.monotonic()
        results = await asyncio.gather(*(one(client) for _ in range(n)), return_exceptions=True)
        wall = time.monotonic() - t0
    times = [r for r in results if isinstance(r, float)]
    errors = sorted({f"{type(r).__name__}: {r}"[:160] for r in results if not isinstance(r, float)})
    return wall, times, errors


def measure(n: int) -> dict:
    from mql_notebook.local import LocalServer

    with LocalServer(pace=PACE, api_key=API_KEY) as server:
        asyncio.run(_batch(server.url, 1))  # warm: the render is cached for every later job
        solo_wall, _, _ = asyncio.run(_batch(server.url, 1))
        ports: set[int] = set()
        stop = threading.Event()
        sampler = threading.Thread(
            target=_ports_sampler, args=(server.port, ports, stop), daemon=True
        )
        sampler.start()
        server.clear_requests()
        wall, times, errors = asyncio.run(_batch(server.url, n))
        stop.set()
        sampler.join()
        records = server.requests
    return {
        "n": n,
        "solo": solo_wall,
        "wall": wall,
        "slowest": max(times, default=float("nan")),
        "median": sorted(times)[len(times) // 2] if times else float("nan"),
        "ok": len(times),
        "errors": errors,
        "connections": len(ports),
        "creates": sum(1 for r in records if r.endpoint == "create"),
        "status": sum(1 for r in records if r.endpoint == "status"),
        "non_2xx": sum(1 for r in records if r.status is None or r.status >= 300),
    }


def section(quick: bool) -> str:
    print("concurrency: 100 jobs at once ...", flush=True)
    r = measure(100)
    err = f" Errors: {'; '.join(r['errors'])}." if r["errors"] else ""
    return "\n".join(
        [
            "## 3. Concurrency: 100 generations at once from one AsyncMQL",
            "",
            f"Emulator pace {PACE:g} s, 100 `create_and_wait` calls gathered on one `AsyncMQL`. Anchor: one job",
            "alone on the same client settings, same run.",
            "",
            "| figure | value | vs anchor |",
            "|---|---|---|",
            f"| one job alone (anchor) | {r['solo']:.2f} s | 1.00x |",
            f"| 100 jobs: wall time of the batch | {r['wall']:.2f} s | {r['wall'] / r['solo']:.2f}x |",
            f"| 100 jobs: slowest single job | {r['slowest']:.2f} s | {r['slowest'] / r['solo']:.2f}x |",
            f"| 100 jobs: median job | {r['median']:.2f} s | {r['median'] / r['solo']:.2f}x |",
            f"| batch wall / slowest job | {r['wall'] / r['slowest']:.3f} | |",
            f"| jobs completed | {r['ok']} of {r['n']} | |",
            f"| TCP connections opened (distinct client ports) | {r['connections']} | |",
            f"| requests: create / status / non-2xx | {r['creates']} / {r['status']} / {r['non_2xx']} | |",
            "",
            f"{err}".strip(),
        ]
    )


if __name__ == "__main__":
    print(section(True))
