"""Kill a process at random moments of three generations, resume in a fresh one: nothing lost, nothing paid twice.

The moments are drawn from a fixed seed; which step each kill lands on (before any request,
mid-create, waiting, downloading, done) is read back from the library and printed as figures.
``MQL_LIBRARY_KILLS`` sets how many kills (default 8).
"""

from __future__ import annotations

import os
import random
import signal
import time
from collections import Counter
from pathlib import Path

import pytest

from mql_notebook import Entry, Library
from tests.library.library_support import KEY, Serve, last_json, run_python, start_python

pytestmark = pytest.mark.slow

KILLS = int(os.environ.get("MQL_LIBRARY_KILLS", "8"))

THREE_AT_ONCE = """
import asyncio, sys
from mql_notebook import AsyncMQL
url, folder, key, run = sys.argv[1:5]

async def main():
    async with AsyncMQL(api_key=key, base_url=url, library=folder) as client:
        await asyncio.gather(*(
            client.video.create_and_download(prompt=f"run {run}: a kite over dunes, take {i}")
            for i in range(3)
        ))

asyncio.run(main())
print("all done")
"""

RESUME_ALL = """
import json, sys
from mql_notebook import MQL
url, folder, key = sys.argv[1:4]
with MQL(api_key=key, base_url=url, library=folder) as client:
    results = client.video.resume_pending(resend_unanswered=True)
print(json.dumps([[r.outcome, r.message] for r in results]))
"""


def step(entry: Entry) -> str:
    if entry.id is None:
        return "recorded, create not answered"
    if entry.finished:
        return "downloaded"
    return "completed, not downloaded" if entry.status == "completed" else "waiting"


def test_random_sigkills_then_resume_lose_nothing_and_pay_nothing_twice(tmp_path: Path) -> None:
    rng = random.Random(12)
    serve = Serve("--pace", "1.5")
    steps: Counter[str] = Counter()
    entries_total = 0
    all_keys: set[str | None] = set()
    try:
        for run in range(KILLS):
            folder = tmp_path / f"lib{run}"
            child = start_python(THREE_AT_ONCE, serve.url, str(folder), KEY, str(run))
            time.sleep(rng.uniform(0.2, 4.0))  # the crash point: anywhere in the job's life
            child.send_signal(signal.SIGKILL)
            child.wait(10)
            killed = Library(folder).entries() if (folder / "library.sqlite3").exists() else []
            steps.update(step(e) for e in killed)
            steps["not yet recorded"] += 3 - len(killed)
            entries_total += len(killed)

            resumed = run_python(RESUME_ALL, serve.url, str(folder), KEY)
            assert resumed.returncode == 0, resumed.stderr
            assert all(outcome == "completed" for outcome, _ in last_json(resumed.stdout))

            after = Library(folder).entries() if killed else []
            assert len(after) == len(killed)
            keys = {e.idempotency_key for e in after}
            all_keys |= keys
            creates = [r for r in serve.creates() if r["idempotency_key"] in keys]
            assert {r["idempotency_key"] for r in creates} == keys
            jobs = {r["generation_id"] for r in creates if r["generation_id"]}
            assert jobs == {e.id for e in after}  # one job per entry: nothing paid twice
            for entry in after:
                assert entry.finished and entry.files[0] is not None
                assert entry.files[0].read_bytes() == serve.content(entry.id or "")
        # Every create the server ever saw belongs to an entry: each was recorded before it left.
        assert {r["idempotency_key"] for r in serve.creates()} == all_keys
        posts = len(serve.creates())
    finally:
        serve.stop()
    print(
        f"\nlibrary crash figures: {KILLS} kills, {entries_total} entries, {posts} create POSTs "
        f"for {len(all_keys)} jobs, steps at the kill: {dict(steps)}"
    )
