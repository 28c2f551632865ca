"""Polling: how late each contender notices a finished job, and how many status requests it sends.

Contenders, all polling at the same time, each with the same set of jobs. Job ``i`` of ``k`` lasts
``T + (i/k - 1/2) * 5 s`` (its own server, so its own pace): job lengths that are not a
multiple of the poll interval, so a fixed-interval poller meets every phase (a job of exactly
10 s would be found at once by a poller looking at 0, 5 and 10 s). Contenders:
- mql_notebook ``AsyncMQL.video.create_and_wait`` (this product),
- metriqual ``MQL().video.create_and_wait`` (the official SDK, pointed at ``base_url``),
- a plain ``httpx`` loop sleeping 1 s, and one sleeping 5 s;
- on ``noprogress``, mql_notebook with a library (a fresh folder per server): two jobs to
  learn how long jobs take there, then the third job is the one measured (issue 14, target 2).

Every update mql_notebook's waits send is kept with its ``expected_end`` (the badge's time
left): ``estimate_errors`` says how far those estimates were from the real end at 0 (the
first), 10, 25, 50 and 75 % of each job (issue 14, target 6; issue 21, item 2).

Profiles: ``steady`` runs on the real emulator (``LocalServer(pace=T)``); the others
(``stall``, ``noprogress``, ``rise``, ``fraction``, ``decimal``) run on ``bench.fakeapi``
(the emulator has no knob for them). ``bench.timeleft_plot`` draws each profile's time-left
error against elapsed time.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field

import httpx

from bench.common import API_KEY, AUTH, Served, median

CONTENDERS = ("mql_notebook wait", "metriqual create_and_wait", "httpx loop 1 s", "httpx loop 5 s")
LIBRARY = "mql_notebook wait, with a library (3rd job)"
LEARNING_JOBS = 2  # the library contender's jobs before the measured one
# Shares of a job at which its latest time-left estimate is judged; at 0 the first estimate
# (the wait's first update, a quarter of a second in), if made within FIRST_WITHIN of the create.
ESTIMATE_AT = (0.0, 0.1, 0.25, 0.5, 0.75)
FIRST_WITHIN = 1.0
DONE = {"completed", "success", "succeeded"}
PROMPT = "A timelapse of a flower blooming in a garden (bench)"


@dataclass
class Run:
    contender: str
    index: int
    gid: str = ""
    created: float = 0.0
    completes_at: float = 0.0
    noticed: float = 0.0
    requests: list[float] = field(default_factory=list)
    error: str | None = None
    # (when, expected end), both time.monotonic(): each estimate an update carried.
    estimates: list[tuple[float, float]] = field(default_factory=list)
    stalled: list[float] = field(default_factory=list)  # when updates said "stalled"

    @property
    def delay(self) -> float | None:
        return None if self.error else self.noticed - self.completes_at


def _keep_estimates(run: Run):
    def on_update(generation) -> None:
        now = time.monotonic()
        if generation.expected_end is not None:
            run.estimates.append((now, now + generation.expected_end - time.time()))
        if getattr(generation, "stalled", False):
            run.stalled.append(now)

    return on_update


def _ours(urls: list[str], runs: list[Run], offsets: list[float], learn: int = 0) -> None:
    """mql_notebook on each server; with ``learn``, a library per server and that many jobs first."""
    import tempfile

    from mql_notebook import AsyncMQL, Library

    async def one(client, run: Run, offset: float) -> None:
        await asyncio.sleep(offset)
        for _ in range(learn):
            await client.video.create_and_wait(model="sora", prompt=PROMPT, duration=5)
        run.estimates.clear()
        run.stalled.clear()
        generation = await client.video.create_and_wait(
            model="sora", prompt=PROMPT, duration=5, on_update=_keep_estimates(run)
        )
        run.noticed = time.monotonic()
        run.gid = generation.id

    async def main() -> None:
        folder = tempfile.TemporaryDirectory(prefix="mql-bench-library-")
        libraries = [Library(f"{folder.name}/{i}") if learn else False for i in range(len(urls))]
        clients = [
            AsyncMQL(api_key=API_KEY, base_url=url, library=library)
            for url, library in zip(urls, libraries, strict=True)
        ]
        try:
            await asyncio.gather(
                *(one(c, r, o) for c, r, o in zip(clients, runs, offsets, strict=False))
            )
        finally:
            for client in clients:
                await client.aclose()
            folder.cleanup()

    asyncio.run(main())


def _metriqual(url: str, run: Run, offset: float) -> None:
    import metriqual

    time.sleep(offset)
    client = metriqual.MQL(api_key=API_KEY, base_url=url)
    status = client.video.create_and_wait(model="sora", prompt=PROMPT, duration=5)
    run.noticed = time.monotonic()
    run.gid = status["id"]


def _loop(url: str, run: Run, offset: float, interval: float) -> None:
    time.sleep(offset)
    with httpx.Client(base_url=url, headers=AUTH, timeout=30) as client:
        gid = client.post(
            "/v1/videos/generations", json={"model": "sora", "prompt": PROMPT, "duration": 5}
        ).json()["id"]
        while True:
            status = client.get(f"/v1/videos/generations/{gid}").json()
            if str(status.get("status", "")).lower() in DONE:
                break
            time.sleep(interval)
    run.noticed = time.monotonic()
    run.gid = gid


def _guard(target, run_list, *args):
    def go():
        try:
            target(*args)
        except Exception as exc:
            for r in run_list:
                r.error = f"{type(exc).__name__}: {exc}"[:200]

    return go


def run_profile(profile: str, seconds: float, jobs: int) -> dict:
    """Every contender with ``jobs`` jobs of ``seconds`` on ``profile``; returns runs and a summary."""
    lengths = [seconds + (i / jobs - 0.5) * 5.0 for i in range(jobs)]
    offsets = [0.0] * jobs
    contenders = CONTENDERS + ((LIBRARY,) if profile == "noprogress" else ())
    runs = {c: [Run(c, i) for i in range(jobs)] for c in contenders}
    servers, apis = [], []
    if profile == "steady":
        from mql_notebook.local import LocalServer

        for length in lengths:
            servers.append(LocalServer(pace=length, api_key=API_KEY).start())
        urls = [s.url for s in servers]
    else:
        from bench.fakeapi import FakeAPI

        for length in lengths:
            apis.append(FakeAPI(profile=profile, seconds=length))
            servers.append(Served(apis[-1].app))
        urls = [s.__enter__() for s in servers]
    try:
        threads = [
            threading.Thread(
                target=_guard(_ours, runs[CONTENDERS[0]], urls, runs[CONTENDERS[0]], offsets)
            )
        ]
        if LIBRARY in runs:
            threads.append(
                threading.Thread(
                    target=_guard(_ours, runs[LIBRARY], urls, runs[LIBRARY], offsets, LEARNING_JOBS)
                )
            )
        for run, url in zip(runs[CONTENDERS[1]], urls, strict=False):
            threads.append(threading.Thread(target=_guard(_metriqual, [run], url, run, 0.0)))
        for name, interval in ((CONTENDERS[2], 1.0), (CONTENDERS[3], 5.0)):
            for run, url in zip(runs[name], urls, strict=False):
                threads.append(
                    threading.Thread(target=_guard(_loop, [run], url, run, 0.0, interval))
                )
        for t in threads:
            t.start()
        for t in threads:
            t.join((seconds + 10) * (LEARNING_JOBS + 1) + 120)
        # What the servers saw.
        hits, started, completes = [], {}, {}
        if profile == "steady":
            for server in servers:
                hits += [(r.generation_id, r.endpoint, r.time) for r in server.requests]
                for job in server.emulator.jobs.jobs():
                    started[job.id] = job.started
                    completes[job.id] = job.started + job.pace
        else:
            for api in apis:
                hits += [(h.generation_id, h.endpoint, h.time) for h in api.log]
                for gid, job in api.jobs.items():
                    started[gid] = job.started
                    completes[gid] = job.completes_at
    finally:
        for server in servers:
            server.stop() if profile == "steady" else server.__exit__(None, None, None)
    for name in contenders:
        for run in runs[name]:
            if run.error or run.gid not in started:
                run.error = run.error or "no job id"
                continue
            run.created = started[run.gid]
            run.completes_at = completes[run.gid]
            run.requests = sorted(t for gid, ep, t in hits if gid == run.gid and ep == "status")
    summary = {}
    for name in contenders:
        ok = [r for r in runs[name] if not r.error]
        summary[name] = {
            "delay_median": median([r.delay for r in ok]),
            "delay_max": max((r.delay for r in ok), default=float("nan")),
            "requests_median": median([len(r.requests) for r in ok]),
            "requests_max": max((len(r.requests) for r in ok), default=0),
            "jobs": len(ok),
            "errors": sorted({r.error for r in runs[name] if r.error}),
            "estimate_errors": estimate_errors(ok),
        }
    return {"profile": profile, "seconds": seconds, "jobs": jobs, "runs": runs, "summary": summary}


def estimate_errors(runs: list[Run]) -> dict[float, tuple[float, int]]:
    """At each share of ESTIMATE_AT: the median |estimated - real end| (s) of the latest estimate
    made by then, and how many jobs had one."""
    out = {}
    for share in ESTIMATE_AT:
        errors = []
        for run in runs:
            moment = run.created + share * (run.completes_at - run.created)
            if share == 0:
                moment = min(run.created + FIRST_WITHIN, run.completes_at)
                made = [end for when, end in run.estimates[:1] if when <= moment]
            else:
                made = [end for when, end in run.estimates if when <= moment]
            if made:
                errors.append(abs(made[-1] - run.completes_at))
        out[share] = (median(errors), len(errors))
    return out


def plot_timeline(result: dict, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = result["runs"]
    fig, ax = plt.subplots(figsize=(10, 3.2))
    pick = result["jobs"] // 2  # the middle job: the same job length for every contender
    for row, name in enumerate(CONTENDERS):
        run = runs[name][pick] if not runs[name][pick].error else None
        if run is None:
            continue
        xs = [t - run.created for t in run.requests]
        ax.scatter(xs, [row] * len(xs), marker="|", s=250, label=None)
        ax.scatter([run.noticed - run.created], [row], marker="o", s=40, color="black", zorder=3)
        ax.text(
            result["seconds"] + 6.5,
            row,
            f"{len(run.requests)} requests, noticed +{run.delay:.2f} s",
            va="center",
            fontsize=8,
        )
    ref = runs[CONTENDERS[0]][pick]
    done = ref.completes_at - ref.created
    ax.axvline(done, color="red", linestyle="--", linewidth=1)
    ax.text(done, len(CONTENDERS) - 0.4, " job completed", color="red", fontsize=8)
    ax.set_yticks(range(len(CONTENDERS)), CONTENDERS)
    ax.set_ylim(-0.6, len(CONTENDERS) - 0.2)
    ax.set_xlim(-0.5, result["seconds"] + 15)
    ax.set_xlabel(
        "seconds since the job was created (ticks: status requests seen by the emulator; dot: noticed)"
    )
    ax.set_title(
        f"Status requests for one {done:.1f} s job (the same job length for all) with {result['profile']} progress"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_tradeoff(result: dict, path) -> None:
    """Lateness against status requests, one dot per job and contender; medians as crosses."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    ax.fill_between(
        [0, 5.5], -0.1, 0.2, color="#2a2", alpha=0.12, label="target 1 (<= 0.2 s, <= 5)"
    )
    markers = "osD^"
    for k, name in enumerate(CONTENDERS):
        ok = [r for r in result["runs"][name] if not r.error]
        if not ok:
            continue
        xs = [len(r.requests) + (k - 1.5) * 0.08 for r in ok]  # nudged apart where they overlap
        ys = [r.delay for r in ok]
        s = result["summary"][name]
        ax.scatter(xs, ys, marker=markers[k], s=36, alpha=0.75, label=name)
        ax.scatter(
            [s["requests_median"]], [s["delay_median"]], marker="x", s=80, color="black", zorder=3
        )
    ax.set_xlabel("status requests for the job")
    ax.set_ylabel("late, s (noticed minus completed)")
    ax.set_xlim(0, None)
    ax.set_ylim(-0.1, None)
    ax.set_title(
        f"{result['jobs']} steady jobs of about {result['seconds']} s each (x: median per contender)"
    )
    ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    import sys

    res = run_profile(
        sys.argv[1] if len(sys.argv) > 1 else "steady",
        float(sys.argv[2]) if len(sys.argv) > 2 else 10,
        3,
    )
    for name, s in res["summary"].items():
        print(name, s)
