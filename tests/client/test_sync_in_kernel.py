"""Sync calls in a real Jupyter kernel, whose event loop is already running, beside a background task."""

from __future__ import annotations

import os

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = [pytest.mark.kernel, pytest.mark.slow]

CELLS = [
    # A background task on the kernel's loop, like a widget's poller.
    """
import asyncio, time
ticks = []
async def heartbeat():
    while True:
        ticks.append(time.monotonic())
        await asyncio.sleep(0.05)
task = asyncio.get_running_loop().create_task(heartbeat())
await asyncio.sleep(0.2)
""",
    """
import mql_notebook
loop = asyncio.get_running_loop()
assert not getattr(loop, "_nest_patched", False), "nest_asyncio applied at import"
mql = mql_notebook.MQL()
before = len(ticks)
started = time.monotonic()
result = mql.video.create_and_wait(model="sora", prompt="A timelapse of a flower blooming in a garden")
elapsed = time.monotonic() - started
during = len(ticks) - before
print(result["status"], round(elapsed, 2), during)
assert result["status"] == "completed"
# The heartbeat kept beating while the sync call waited: the loop was not blocked.
assert during >= elapsed / 0.05 * 0.5, (during, elapsed)
content = mql.video.download(result["id"])
assert content[4:8] == b"ftyp"
task.cancel()
""",
]


def test_sync_calls_in_a_running_kernel_loop_keep_other_tasks_running(tmp_path) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    env = {"MQL_BASE_URL": "local", "MQL_LOCAL_PACE": "1.5"}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        NotebookClient(
            nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
        ).execute()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    output = "".join(o.get("text", "") for o in nb.cells[1].outputs)
    assert output.startswith("completed")
