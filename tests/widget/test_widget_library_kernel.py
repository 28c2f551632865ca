"""The widget on the library in real Jupyter kernels: one kernel's runs (finished and not) are in
a fresh kernel's ``VideoWidget().history``, play from disk and resume without a new create; and
sixteen runs of 20 s 1080p grow a kernel by less than two such videos plus 30 MB.

The kernels run in a temporary folder with ``MQL_LIBRARY`` there, against an emulator in this
process (so a job outlives the kernel that made it). Figures are printed (pytest -s).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from jupyter_client import KernelManager

from mql_notebook.local import LocalServer
from tests.reliability.test_restart import execute

pytestmark = [pytest.mark.kernel, pytest.mark.slow, pytest.mark.timeout(420)]

KEY = "mql_widget_library_key"
PROMPTS = ["A lighthouse in a storm", "A cat on a piano", "Rain on a tin roof"]


@contextmanager
def kernel(folder: Path, server: LocalServer, **env: str) -> Iterator[Any]:
    """A kernel started in ``folder`` with the emulator's URL and key and the library there."""
    environ = dict(os.environ)
    environ.update(MQL_BASE_URL=server.url, MQL_API_KEY=KEY, MQL_LIBRARY=str(folder / "mql-videos"))
    environ.update(env)
    km = KernelManager(kernel_name="python3")
    km.start_kernel(cwd=str(folder), env=environ)
    kc = km.client()
    try:
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        yield kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def result(kc: Any, code: str, timeout: float = 120) -> Any:
    """Run ``code`` in the kernel; the JSON its last printed line holds."""
    return json.loads(execute(kc, code, timeout=timeout).strip().splitlines()[-1])


# What a view would receive: the widget's messages, the videos joined from their chunks.
CAPTURE = """
import asyncio, json
from pathlib import Path
from mql_notebook import VideoWidget, Library
sent = []
def capture(w):
    w.send = lambda content, buffers=None: sent.append((content, [bytes(b) for b in buffers or []]))
def last_transfer():
    begin = max(i for i, (m, _) in enumerate(sent) if m["kind"] == "video-begin")
    parts = [bytearray() for _ in sent[begin][0]["sizes"]]
    for m, buffers in sent[begin + 1:]:
        if m["kind"] == "video-chunk":
            parts[m["variant"]] += buffers[0]
    return [bytes(p) for p in parts]
def holding(w):
    return [i for i, r in enumerate(w.history) if r.videos]
"""


def test_a_fresh_kernel_has_the_runs_of_an_earlier_one_plays_them_from_disk_and_resumes(
    tmp_path: Path,
) -> None:
    with LocalServer(pace=1, fault_seed=9, api_key=KEY) as server:
        with kernel(tmp_path, server) as kc:
            execute(
                kc,
                "from mql_notebook import VideoWidget\n"
                f"w = VideoWidget({PROMPTS[0]!r}, duration=5)\n"
                "await w.generate()\n"
                f"w.prompt = {PROMPTS[1]!r}\n"
                "await w.generate()\n",
            )
            server.pace = 8  # the third job outlives this kernel however slow the machine is
            polled = server.count(endpoint="status")  # the first two jobs' looks
            execute(kc, f"w.prompt = {PROMPTS[2]!r}\nt = w.generate()\n")
            # Its first look comes only once the create's answer is in the library: killed
            # earlier, the kernel would leave a job it never heard of (not resumable).
            server.wait_for_requests(polled + 1, endpoint="status", timeout=30)
        # That kernel is gone with its third run unfinished. A fresh one:
        with kernel(tmp_path, server) as kc:
            seen = result(
                kc,
                CAPTURE + "w = VideoWidget()\ncapture(w)\n"
                "print(json.dumps({'prompts': [r.prompt for r in w.history], "
                "'statuses': [r['status'] for r in w.runs], "
                "'resumable': [r.resumable for r in w.history], 'holding': holding(w), "
                "'own': len(VideoWidget(own_runs_only=True).history)}))",
            )
            assert seen["prompts"] == PROMPTS, seen
            assert seen["statuses"][:2] == ["completed", "completed"], seen
            assert seen["statuses"][2] in ("pending", "processing") and seen["resumable"][2]
            assert seen["holding"] == [] and seen["own"] == 0, seen

            played = result(
                kc,
                "w.show(0)\nawait w._videos.loading\n"
                "entry = Library().get(w.generation_id)\n"
                "print(json.dumps({'same': last_transfer() == [entry.video.read_bytes()] == w.videos,"
                " 'file': str(entry.video), 'holding': holding(w), 'bytes': len(w.video)}))",
            )
            assert played["same"] and played["holding"] == [0], played
            assert Path(played["file"]).parent == tmp_path / "mql-videos"

            resumed = result(
                kc,
                "w.show(2)\nw._on_view_message(w, {'kind': 'resume'}, [])\nrun = await w.task\n"
                "print(json.dumps({'status': run.status, 'error': run.error, "
                "'runs': len(w.history), 'holding': holding(w), "
                "'on_disk': Library().get(run.generation_id).status}))",
            )
    assert resumed == {
        "status": "completed",
        "error": "",
        "runs": 3,
        "holding": [2],
        "on_disk": "completed",
    }, resumed
    assert server.count("POST") == 3, "a resume created a job"
    assert not (Path.cwd() / "mql-videos").exists()


MEASURE = """
import gc, json, psutil
from mql_notebook import VideoWidget
w = VideoWidget("A harbour at dawn, boats rocking", duration=20, resolution="1080p")
await w.generate()  # warm-up: imports, the emulator's render, connections
gc.collect()
before = psutil.Process().memory_info().rss
for _ in range(16):
    run = await w.generate()
    assert run.status == "completed", run.error
gc.collect()
after = psutil.Process().memory_info().rss
print(json.dumps({"growth": after - before, "video": len(w.video),
                  "holding": [i for i, r in enumerate(w.history) if r.videos]}))
"""


def test_sixteen_runs_of_20_s_1080p_keep_only_the_shown_runs_videos(tmp_path: Path) -> None:
    with LocalServer(pace=0.3, fault_seed=4, api_key=KEY) as server:
        with kernel(tmp_path, server) as kc:
            bounded = result(kc, MEASURE, timeout=300)
        # The same without a library: every run keeps its videos (the measure can see growth).
        with kernel(tmp_path, server, MQL_LIBRARY="off") as kc:
            unbounded = result(kc, MEASURE, timeout=300)
    size, mb = bounded["video"], 1024 * 1024
    print(
        f"\n16 runs of 20 s 1080p ({size / mb:.1f} MB each): kernel RSS grew "
        f"{bounded['growth'] / mb:.1f} MB with the library, "
        f"{unbounded['growth'] / mb:.1f} MB without"
    )
    assert bounded["holding"] == [16], bounded
    assert bounded["growth"] < 2 * size + 30 * mb, bounded
    assert unbounded["holding"] == list(range(17)), unbounded
    assert unbounded["growth"] > 12 * size, unbounded
