"""A kernel restart in the middle of a generation: the new kernel gets the same video back with
VideoWidget.resume(id) or MQL().video.wait(id), and the server sees no second create."""

from __future__ import annotations

import time

import pytest
from jupyter_client import KernelManager

from mql_notebook.local import LocalServer
from tests.reliability.evidence import rendered_bytes, sha256

pytestmark = [pytest.mark.kernel, pytest.mark.slow, pytest.mark.timeout(180)]

KEY = "mql_restart_key"


def execute(kc, code: str, timeout: float = 60) -> str:
    """Run code in the kernel; its stdout, or an AssertionError with the kernel's traceback."""
    msg_id = kc.execute(code)
    out: list[str] = []
    deadline = time.monotonic() + timeout
    while True:
        msg = kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream" and content["name"] == "stdout":
            out.append(content["text"])
        elif kind == "error":
            raise AssertionError("\n".join(content["traceback"]))
        elif kind == "status" and content["execution_state"] == "idle":
            return "".join(out)


# The job outlives a kernel restart (a few seconds, more on a loaded machine) with room to spare.
PACE = 10


def test_restart_mid_generation_then_resume_and_wait_get_the_same_video() -> None:
    with LocalServer(pace=PACE, fault_seed=1) as server:
        setup = (
            f"from mql_notebook import VideoWidget, MQL, AsyncMQL\nimport hashlib\n"
            f"client = AsyncMQL(api_key={KEY!r}, base_url={server.url!r})\n"
        )
        km = KernelManager(kernel_name="python3")
        km.start_kernel()
        try:
            kc = km.client()
            kc.start_channels()
            kc.wait_for_ready(timeout=60)
            execute(
                kc,
                setup
                + "w = VideoWidget('A clock tower at noon', duration=5, client=client)\nt = w.generate()",
            )
            server.wait_for_requests(1, method="POST", timeout=20)
            server.wait_for_requests(1, endpoint="status", timeout=20)  # it is polling
            post = next(r for r in server.requests if r.method == "POST")
            gid = post.generation_id
            assert post.status == 200 and gid

            kc.stop_channels()
            km.restart_kernel(now=True)
            kc = km.client()
            kc.start_channels()
            kc.wait_for_ready(timeout=60)
            restarted_at = time.monotonic()
            assert restarted_at - post.time < PACE, (
                "the job finished before the restart: pace too short"
            )

            resumed = execute(
                kc,
                setup + f"w = VideoWidget.resume({gid!r}, client=client)\nawait w.task\n"
                "print(w.status, hashlib.sha256(w.video or b'').hexdigest())",
            )
            waited = execute(
                kc,
                f"m = MQL(api_key={KEY!r}, base_url={server.url!r})\n"
                f"g = m.video.wait({gid!r})\n"
                f"print(g.status, hashlib.sha256(m.video.download(g)).hexdigest())",
            )
        finally:
            km.shutdown_kernel(now=True)

        expected = sha256(rendered_bytes(server, gid))
        assert resumed.split() == ["completed", expected], resumed
        assert waited.split() == ["completed", expected], waited
        posts = [r for r in server.requests if r.method == "POST"]
        assert len(posts) == 1, posts
        # the restart happened while the job was still running: the resume really resumed
        first_completed = min(
            (r.time for r in server.requests if r.endpoint == "content"), default=0
        )
        assert first_completed > restarted_at
