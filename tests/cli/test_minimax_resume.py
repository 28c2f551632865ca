"""A process killed while waiting for a MiniMax task, then ``mql-notebook library resume``: the
same task is asked by its query route (no second task), and the library ends with the exact
bytes, fetched from storage without the key. Real processes, a real library folder."""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from mql_notebook import Library
from mql_notebook.local import LocalServer
from tests.cli.conftest import cli_command, cli_env

KEY = "mql_minimax_resume_key"
IMAGE = "https://example.com/first-frame.png"

CHILDREN = {
    # The product's call: the route chosen from the request (a MiniMax model with an image).
    "create": """
import sys
from mql_notebook import MQL
client = MQL(sys.argv[2], sys.argv[1], library=sys.argv[3])
task = client.video.create(model="MiniMax-Hailuo-2.3", prompt="A kite over dunes",
                           first_frame_image=sys.argv[4])
print(task.id, flush=True)
client.video.wait(task)
print("finished", flush=True)  # never reached: killed on the way
""",
    # The official SDK's calls.
    "sdk": """
import sys
from mql_notebook import MQL
client = MQL(sys.argv[2], sys.argv[1], library=sys.argv[3])
result = client.video.create_from_image(first_frame_image=sys.argv[4], prompt="A kite over dunes")
print(result["task_id"], flush=True)
client.video.query_and_download(result["task_id"])
print("finished", flush=True)
""",
}


@pytest.mark.parametrize("how", sorted(CHILDREN))
def test_a_task_killed_mid_wait_is_resumed_by_its_query_route(tmp_path: Path, how: str) -> None:
    folder = tmp_path / "lib"
    with LocalServer(pace=4.0, storage="redirect") as server:
        child = subprocess.Popen(
            [sys.executable, "-c", CHILDREN[how], server.url, KEY, str(folder), IMAGE],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=cli_env(),
        )
        try:
            assert child.stdout is not None
            task_id = child.stdout.readline().strip()
            assert task_id, child.stderr.read() if child.stderr else ""
            server.wait_for_requests(2, timeout=30, endpoint="status")  # waiting on the task
            child.send_signal(signal.SIGKILL)
            child.wait(10)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
        [killed] = Library(folder).entries()
        assert (killed.id, killed.route, killed.finished) == (task_id, "minimax", False)
        server.clear_requests()

        resumed = subprocess.run(
            cli_command("library", "resume", "--json", "--library", str(folder)),
            capture_output=True,
            text=True,
            env=cli_env(MQL_BASE_URL=server.url, MQL_API_KEY=KEY),
            timeout=120,
        )
        assert resumed.returncode == 0, resumed.stderr
        [outcome] = [json.loads(line) for line in resumed.stdout.splitlines()]
        assert outcome["outcome"] == "completed", outcome
        assert outcome["entry"]["route"] == "minimax"

        paths = [r.path for r in server.requests]
        assert not [p for p in paths if "generations" in p]  # no second task, no other route
        assert {p.split("?")[0] for p in paths} == {
            f"/v1/videos/query/{task_id}",
            f"/v1/videos/download/file_{task_id}",
        }
        found = server.emulator.jobs.find_video(task_id)
        assert found is not None
        expected = server.emulator.videos.get(found[0].specs[0]).result(timeout=60).data
        assert len(server.emulator.jobs.jobs()) == 1
        for record in server.storage_requests:
            assert record.headers is not None and "authorization" not in record.headers
            assert KEY not in json.dumps(record.headers)
        assert server.storage_requests

    [entry] = Library(folder).entries()
    assert entry.status == "completed" and entry.video is not None
    data = entry.video.read_bytes()
    assert data == expected and hashlib.sha256(data).hexdigest() == entry.sha256[0]
