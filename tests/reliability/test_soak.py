"""Soak: hundreds of generations through one AsyncMQL and dozens of VideoWidgets against one
emulator with faults on for every endpoint. Figures are printed (and written to
$MQL_RELIABILITY_OUT/soak.json when set); RELIABILITY.md quotes them.

    MQL_RELIABILITY_OUT=/tmp/rel /work/venv/bin/pytest -s -m slow tests/reliability/test_soak.py
"""

from __future__ import annotations

import asyncio
import gc
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

import psutil
import pytest

from mql_notebook import AsyncMQL, MQLError, WaitTimeoutError
from mql_notebook.client.poller import PollTiming
from mql_notebook.client.retry import RetryPolicy
from mql_notebook.local import LocalServer
from mql_notebook.widget import VideoWidget
from tests.reliability.evidence import (
    duplicate_creates,
    fault_kinds,
    rendered_bytes,
    sha256,
    write_figures,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(240),
    pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning"),
    pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning"),
]

SEED = 20240606
KEY = "mql_soak_key"
CLIENT_GENERATIONS = int(os.environ.get("MQL_SOAK_GENERATIONS", "200"))
WIDGET_GENERATIONS = int(os.environ.get("MQL_SOAK_WIDGETS", "24"))
CONCURRENCY = 16
PROMPTS = [f"Soak scene {i}: a lighthouse at dusk, waves number {i}" for i in range(24)]
FAULTS = {
    "*": {
        "latency": 0.01,
        "rate_limit": 0.06,
        "retry_after": 0.05,
        "server_error": 0.04,
        "overloaded": 0.03,
        "drop": 0.03,
        "truncate": 0.04,
    },
    "content": {"truncate": 0.15},
    "job": {
        "fail": 0.05
    },  # endless jobs come from [[stall]] prompts, so each one's deadline is known
}
RSS_GROWTH_LIMIT = 80 * 1024 * 1024  # after warm-up; the emulator's video cache is warm by then


def new_client(url: str) -> AsyncMQL:
    return AsyncMQL(
        api_key=KEY,
        base_url=url,
        wait_timeout=60.0,
        retry_policy=RetryPolicy(max_retries=6, base_delay=0.02, max_delay=0.2),
        poll_timing=PollTiming(first_delay=0.1, min_interval=0.1, max_interval=0.5),
    )


async def one_generation(
    client: AsyncMQL, server: LocalServer, i: int, sem: asyncio.Semaphore, folder: Path
) -> tuple[str, str | None]:
    """(outcome, generation id): 'completed' or the error class name."""
    key = f"soak-{i:04d}"
    gid: str | None = None
    stall = i % 67 == 5  # a few endless jobs
    prompt = PROMPTS[i % len(PROMPTS)] + (" [[stall]]" if stall else "")
    async with sem:
        try:
            gen = await client.video.create(
                model="sora", prompt=prompt, duration=5, resolution="480p", idempotency_key=key
            )
            gid = gen.id
            done = await client.video.wait(gid, timeout=2.0 if stall else None)
            if i % 4 == 0:  # every fourth to a path: atomic write, resumed with Range
                dest = folder / f"{i}.mp4"
                await client.video.download(done, dest)
                data = dest.read_bytes()
            else:
                data = await client.video.download(done)
        except MQLError as exc:
            if gid is not None:  # after the create, every error carries the id needed to recover
                assert getattr(exc, "generation_id", None) == gid, (type(exc).__name__, str(exc))
            if i % 4 == 0:
                leftovers = [p.name for p in folder.glob(f".{i}.mp4*")] + (
                    [f"{i}.mp4"] if (folder / f"{i}.mp4").exists() else []
                )
                assert not leftovers, f"a failed download left {leftovers}"
            # a deadline is reached only by an endless job (the others have 60 s while renders queue)
            assert isinstance(exc, WaitTimeoutError) == stall, (stall, type(exc).__name__, str(exc))
            return type(exc).__name__, gid
    expected = await asyncio.to_thread(rendered_bytes, server, gid)
    assert sha256(data) == sha256(expected), (
        f"generation {gid}: downloaded bytes differ from the rendered video"
    )
    return "completed", gid


async def one_widget(client: AsyncMQL, server: LocalServer, i: int) -> tuple[str, str]:
    w = VideoWidget(PROMPTS[(i * 7) % len(PROMPTS)], duration=5, client=client)
    w.send = lambda *a, **k: None  # type: ignore[method-assign]  # no view attached
    run = await w.generate()
    assert w.status == run.status and not w.running
    if w.status == "completed":
        expected = await asyncio.to_thread(rendered_bytes, server, w.generation_id)
        assert w.video is not None and sha256(w.video) == sha256(expected)
        return "completed", ""
    assert w.status in ("failed", "cancelled") and w.error.strip(), (w.status, w.error, w.note)
    # a clear error state: the message names the kind of failure, as plain text
    return w.status, w.error.split(":")[0][:60]


async def test_soak_with_faults_on_every_endpoint(tmp_path: Path) -> None:
    loop = asyncio.get_running_loop()
    unhandled: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: unhandled.append(context))
    process = psutil.Process()

    with LocalServer(pace=0.2, fault_seed=SEED, faults=FAULTS) as server:
        client = new_client(server.url)
        sem = asyncio.Semaphore(CONCURRENCY)
        started = time.monotonic()

        warmup = 40
        outcomes = await asyncio.gather(
            *(one_generation(client, server, i, sem, tmp_path) for i in range(warmup))
        )
        gc.collect()
        rss_warm = process.memory_info().rss
        outcomes += await asyncio.gather(
            *(
                one_generation(client, server, i, sem, tmp_path)
                for i in range(warmup, CLIENT_GENERATIONS)
            )
        )
        client_seconds = time.monotonic() - started

        widget_started = time.monotonic()
        widget_outcomes = await asyncio.gather(
            *(one_widget(client, server, i) for i in range(WIDGET_GENERATIONS))
        )
        widget_seconds = time.monotonic() - widget_started
        gc.collect()
        rss_end = process.memory_info().rss
        await client.aclose()

        records = server.requests
        problems = duplicate_creates(records)

    by_outcome = Counter(o for o, _ in outcomes)
    widget_by_outcome = Counter(o for o, _ in widget_outcomes)
    widget_errors = Counter(e for o, e in widget_outcomes if o != "completed")
    files_left = sorted(
        p.name for p in tmp_path.iterdir() if not p.name.endswith(".mp4") or p.name.startswith(".")
    )
    figures = {
        "fault_seed": SEED,
        "faults": FAULTS,
        "client_generations": len(outcomes),
        "client_outcomes": dict(by_outcome),
        "client_seconds": round(client_seconds, 1),
        "widget_generations": len(widget_outcomes),
        "widget_outcomes": dict(widget_by_outcome),
        "widget_errors": dict(widget_errors),
        "widget_seconds": round(widget_seconds, 1),
        "requests": len(records),
        "create_posts": sum(1 for r in records if r.method == "POST"),
        "faults_injected": dict(sorted(fault_kinds(records).items())),
        "rss_growth_mb_after_warmup": round((rss_end - rss_warm) / 2**20, 1),
        "renders": server.emulator.videos.renders,
        "unhandled": len(unhandled),
        "duplicate_create_problems": problems,
    }
    write_figures("soak", figures)

    assert len(outcomes) >= 200 or CLIENT_GENERATIONS < 200
    assert not unhandled, unhandled[:3]
    assert not problems, problems[:5]
    assert not files_left, files_left
    # Every outcome is a completion or one of the product's typed errors (an untyped one would have escaped gather).
    assert by_outcome["completed"] >= len(outcomes) * 0.6, by_outcome
    assert widget_by_outcome["completed"] >= len(widget_outcomes) * 0.5, widget_by_outcome
    assert rss_end - rss_warm < RSS_GROWTH_LIMIT, figures["rss_growth_mb_after_warmup"]
