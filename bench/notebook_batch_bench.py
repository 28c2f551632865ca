"""A notebook's ``Batch`` of 200 at concurrency 20 with its grid shown, 2 s jobs.

The server is ``bench/fakeapi.py`` in its own process (every job 2 s, every video the same real
MP4). The batch runs in a process of its own, as a kernel runs it: ``b.start()`` on the loop,
the grid attached (its comm stood in for: what it would send is counted, not sent), and every
0.5 s a finished cell "clicked" (the view's ``{"kind": "video"}`` message) while the batch runs.

- **wall** against the ideal 200 / 20 x 2 s = 20 s;
- **CPU** of that process for the batch's own work (``time.process_time`` from the start of the
  run to its end: imports and the library's opening excluded), as a share of one core;
- **view updates**: how many times the grid's ``states`` were written, per second;
- **click to video**: from a cell's video message arriving to its last chunk sent (the kernel's
  side of "a click plays within 200 ms"; the browser's joining of chunks is not in it).

    python -m bench.notebook_batch_bench     # prints the section's Markdown
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.batch_bench import _render_clip, _start_server
from bench.common import API_KEY, ROOT, load

PROMPTS = 200
CONCURRENCY = 20
JOB_SECONDS = 2.0

CHILD = r"""
import asyncio, json, sys, time
from mql_notebook import Batch

async def main():
    batch = Batch([f"Prompt {i}: a paper boat on a pond" for i in range(int(sys.argv[1]))],
                  concurrency=int(sys.argv[2]), duration=5)
    grid = batch.grid
    sent, writes, clicks = [], [], []
    grid.send = lambda content, buffers=None: sent.append((time.monotonic(), content["kind"]))
    grid.observe(lambda change: writes.append(time.monotonic()), names="states")
    cpu0, wall0 = time.process_time(), time.monotonic()
    task = batch.start()
    while not task.done():
        await asyncio.sleep(0.5)
        done = [r.index for r in batch.runs if r.video is not None]
        if done:
            n = len(sent)
            asked = time.monotonic()
            grid._handle_custom_msg({"kind": "video", "index": done[-1]}, [])
            while not any(k == "video-end" for _, k in sent[n:]):
                await asyncio.sleep(0.001)
            clicks.append(time.monotonic() - asked)
    runs = await task
    wall, cpu = time.monotonic() - wall0, time.process_time() - cpu0
    print(json.dumps({"wall": wall, "cpu": cpu, "writes": len(writes), "clicks": clicks,
                      "ok": sum(r.ok for r in runs)}))

asyncio.run(main())
"""


def measure() -> dict:
    with tempfile.TemporaryDirectory(dir=ROOT / "bench") as tmp:
        folder = Path(tmp)
        clip = _render_clip(folder)
        server, url = _start_server(clip)
        try:
            env = dict(os.environ, MQL_BASE_URL=url, MQL_API_KEY=API_KEY)
            env["MQL_LIBRARY"] = str(folder / "library")
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
            load_before = load()
            out = subprocess.run(
                [sys.executable, "-c", CHILD, str(PROMPTS), str(CONCURRENCY)],
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
            )
        finally:
            server.terminate()
            server.wait(10)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["load"] = load_before
    return result


def markdown(r: dict) -> str:
    clicks = sorted(r["clicks"]) or [0.0]
    worst, median = clicks[-1], clicks[len(clicks) // 2]
    ideal = PROMPTS / CONCURRENCY * JOB_SECONDS
    return "\n".join(
        [
            "## Notebook batch: 200 cells at concurrency 20 (bench/notebook_batch_bench.py)",
            "",
            f"_Load average {r['load']} at the start._",
            "",
            f"`Batch` of {PROMPTS} prompts, `concurrency={CONCURRENCY}`, its grid attached, against "
            f"`bench/fakeapi.py` in its own process ({JOB_SECONDS:g} s jobs); a finished cell "
            "clicked every 0.5 s while it runs.",
            "",
            "| | measured | anchor |",
            "|---|---|---|",
            f"| wall | {r['wall']:.1f} s | ideal {ideal:g} s |",
            f"| lines completed | {r['ok']} / {PROMPTS} | |",
            f"| CPU of the batch's own work | {r['cpu']:.2f} s = {100 * r['cpu'] / r['wall']:.1f}% "
            "of one core | under 15% |",
            f"| CPU per generation | {1000 * r['cpu'] / PROMPTS:.1f} ms | the CLI's batch: 28 ms "
            "(its section above) |",
            f"| grid state writes | {r['writes']} ({r['writes'] / r['wall']:.1f} a second) | at most"
            " about 10 a second |",
            f"| click to video sent (kernel side), median / worst of {len(r['clicks'])} | "
            f"{1000 * median:.0f} ms / {1000 * worst:.0f} ms | under 200 ms |",
        ]
    )


if __name__ == "__main__":
    print(markdown(measure()))
