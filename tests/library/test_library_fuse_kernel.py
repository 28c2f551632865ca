"""The widget in a real Jupyter kernel whose notebook folder is on FUSE (``bindfs -o direct_io``),
with its default library (``./mql-videos``, no ``MQL_LIBRARY``): the library works there, and a
fresh kernel finds the run and plays it from disk (issue 22)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from jupyter_client import KernelManager

from mql_notebook import Library
from mql_notebook.library.filesystem import ROLLBACK
from mql_notebook.local import LocalServer
from tests.library.test_library_fuse import content
from tests.reliability.test_restart import execute

pytestmark = [pytest.mark.kernel, pytest.mark.slow, pytest.mark.timeout(300)]

KEY = "mql_fuse_kernel_key"

GENERATE = """
import json
from mql_notebook import VideoWidget, Library
w = VideoWidget("A paper boat on a canal", duration=5)
run = await w.generate()
print(json.dumps({"status": run.status, "error": run.error, "note": run.note,
                  "id": run.generation_id, "bytes": len(w.video or b""),
                  "journal": Library().journal.mode, "folder": str(w.library.path)}))
"""

AGAIN = """
import json
from mql_notebook import VideoWidget
w = VideoWidget()
print(json.dumps({"ids": [r.generation_id for r in w.history], "video": w.history[-1].video.hex()}))
"""


def in_kernel(folder: Path, server: LocalServer, code: str) -> dict:
    environ = {k: v for k, v in os.environ.items() if k != "MQL_LIBRARY"}
    environ.update(MQL_BASE_URL=server.url, MQL_API_KEY=KEY)
    km = KernelManager(kernel_name="python3")
    km.start_kernel(cwd=str(folder), env=environ)
    kc = km.client()
    try:
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        return json.loads(execute(kc, code, timeout=120).strip().splitlines()[-1])
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_the_widget_with_its_default_library_on_fuse(fuse: Path) -> None:
    with LocalServer(pace=0.5, api_key=KEY) as server:
        made = in_kernel(fuse, server, GENERATE)
        assert made["status"] == "completed", made
        assert made["note"] == "" and made["error"] == "", made  # the library was on
        assert made["journal"] == ROLLBACK and made["folder"] == str(fuse / "mql-videos")
        expected = content(server.url, made["id"], KEY)
        assert made["bytes"] == len(expected)
        entry = Library(fuse / "mql-videos").get(made["id"])
        assert entry is not None and entry.files[0] is not None
        assert entry.files[0].read_bytes() == expected

        again = in_kernel(fuse, server, AGAIN)  # a fresh kernel: the run, played from disk
        assert again["ids"] == [made["id"]]
        assert bytes.fromhex(again["video"]) == expected
        assert server.count("POST", "/v1/videos/generations") == 1
