"""One library shared by real processes: concurrent writers, a SIGKILL at each step, resuming.

The emulator runs where it outlives the processes under test (this process, or
``mql-notebook serve`` in a process of its own), and its request log counts the creates.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from mql_notebook import AsyncMQL, Entry, Library
from mql_notebook.local import LocalServer
from tests.library.library_support import (
    KEY,
    Serve,
    child_env,
    last_json,
    run_python,
    sha256,
    start_python,
    wait_until,
)

pytestmark = pytest.mark.slow

FIVE_AT_ONCE = """
import asyncio, json, sys
from mql_notebook import AsyncMQL
url, folder, key, tag = sys.argv[1:5]

async def main():
    async with AsyncMQL(api_key=key, base_url=url, library=folder) as client:
        async def one(i):
            generation = await client.video.create_and_wait(prompt=f"process {tag}, video {i}")
            await client.video.download(generation)
            return generation.id
        return await asyncio.gather(*(one(i) for i in range(5)))

print(json.dumps(asyncio.run(main())))
"""


def test_four_processes_five_generations_each_into_one_library(tmp_path: Path) -> None:
    folder = tmp_path / "lib"
    with LocalServer(pace=1.0) as server:
        children = [
            start_python(FIVE_AT_ONCE, server.url, str(folder), KEY, str(i)) for i in range(4)
        ]
        outputs = [child.communicate(timeout=300) for child in children]
        for child, (_out, err) in zip(children, outputs, strict=True):
            assert child.returncode == 0, err
            assert "locked" not in err and "could not record" not in err, err
        ids = {gid for out, _ in outputs for gid in last_json(out)}
        assert len(ids) == 20
        assert server.count("POST", "/v1/videos/generations") == 20
        entries = Library(folder).entries()
        assert len(entries) == 20 and {e.id for e in entries} == ids
        for entry in entries:
            assert entry.status == "completed" and entry.finished
            assert entry.files[0] is not None
            data = entry.files[0].read_bytes()
            job, index = server.emulator.jobs.find_video(entry.id)  # type: ignore[misc,arg-type]
            expected = server.emulator.videos.get(job.specs[index]).result(timeout=120).data
            assert sha256(data) == entry.sha256[0] == sha256(expected)
        assert len({e.files[0] for e in entries}) == 20
        assert Library(folder).pending() == []


HAMMER = """
import sys
from mql_notebook import Library
library = Library(sys.argv[1])
for i in range(150):
    entry = library.record_request(
        prompt=f"{sys.argv[2]}-{i}", model="sora", options={}, origin=None,
        idempotency_key=f"{sys.argv[2]}-{i}",
    )
    library.record_answer(entry.key, f"video_{sys.argv[2]}_{i}", "processing")
    library.record_status(entry.key, "completed")
print("done")
"""


def test_processes_writing_as_fast_as_they_can_lose_nothing(tmp_path: Path) -> None:
    """Six processes, 450 transactions each, no pause: no lost row, no "database is locked"."""
    folder = tmp_path / "lib"
    children = [start_python(HAMMER, str(folder), f"p{i}") for i in range(6)]
    for child in children:
        out, err = child.communicate(timeout=300)
        assert child.returncode == 0 and out.strip() == "done", err
    entries = Library(folder).entries()
    assert len(entries) == 900
    assert {e.status for e in entries} == {"completed"}
    assert len({e.id for e in entries}) == 900


WAIT_AND_DOWNLOAD = """
import sys
from mql_notebook import MQL
url, folder, key = sys.argv[1:4]
MQL(api_key=key, base_url=url, library=folder).video.create_and_download(
    prompt="a ferry crossing a grey sea", duration=5
)
print("finished")  # never reached: killed on the way
"""

RESUME = """
import json, sys
from mql_notebook import MQL
url, folder, key, resend = sys.argv[1:5]
with MQL(api_key=key, base_url=url, library=folder) as client:
    results = client.video.resume_pending(resend_unanswered=resend == "resend")
print(json.dumps([[r.outcome, r.entry.id, r.message] for r in results]))
"""


def one_entry(folder: Path) -> Entry | None:
    if not (folder / "library.sqlite3").exists():
        return None
    entries = Library(folder).entries()
    return entries[0] if entries else None


# Where the process dies: the serve options that hold it there, and when the test kills it.
CRASH_POINTS = {
    "before the create is answered": (
        ["--pace", "1", "--script", "create=latency:4"],
        lambda e: e is not None and e.id is None,
    ),
    "while it waits": (["--pace", "6"], lambda e: e is not None and e.id is not None),
    "while it downloads": (
        ["--pace", "1", "--fault", "content.latency=4"],
        lambda e: e is not None and e.status == "completed",
    ),
}


@pytest.mark.parametrize("crash_point", list(CRASH_POINTS))
def test_sigkill_then_resume_in_a_fresh_process(tmp_path: Path, crash_point: str) -> None:
    serve_args, ready = CRASH_POINTS[crash_point]
    folder = tmp_path / "lib"
    serve = Serve(*serve_args)
    try:
        child = start_python(WAIT_AND_DOWNLOAD, serve.url, str(folder), KEY)
        wait_until(lambda: ready(one_entry(folder)), 60, f"the child to reach {crash_point}")
        time.sleep(0.3)  # well inside the held step
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        killed = one_entry(folder)
        assert killed is not None and not killed.finished and killed.files == ()

        unanswered = killed.id is None
        resumed = run_python(RESUME, serve.url, str(folder), KEY, "resend" if unanswered else "")
        assert resumed.returncode == 0, resumed.stderr
        [[outcome, generation_id, message]] = last_json(resumed.stdout)
        assert outcome == "completed", message

        creates = serve.creates()
        made = {r["generation_id"] for r in creates if r["generation_id"]}
        assert made == {generation_id}  # one job in all: no second create was billed
        if not unanswered:
            assert len(creates) == 1
        else:  # re-sent with the same key, which the server honoured
            assert {r["idempotency_key"] for r in creates} == {killed.idempotency_key}
        entry = Library(folder).get(generation_id)
        assert entry is not None and entry.key == killed.key and entry.finished
        assert entry.files[0] is not None
        assert entry.files[0].read_bytes() == serve.content(generation_id)
        assert Library(folder).pending() == []
    finally:
        serve.stop()


CREATE_ON_LOCAL = """
import os, sys
os.environ["MQL_LOCAL_PACE"] = "600"
from mql_notebook import MQL
print(MQL(base_url="local", library=sys.argv[1]).video.create(prompt="a slow sunrise").id)
"""


async def test_a_job_of_an_ended_in_process_emulator_is_reported_lost(tmp_path: Path) -> None:
    folder = tmp_path / "lib"
    made = run_python(CREATE_ON_LOCAL, str(folder))
    assert made.returncode == 0, made.stderr
    generation_id = made.stdout.strip().splitlines()[-1]
    with LocalServer(pace=0.3) as server:
        async with AsyncMQL(api_key=KEY, base_url=server.url, library=folder) as client:
            [result] = await client.video.resume_pending()
        assert server.requests == []  # nothing was asked of another server
    assert result.outcome == "lost"
    assert result.entry.id == generation_id and result.entry.status == "failed"
    assert "no longer running" in (result.entry.error or "")
    assert Library(folder).pending() == []


KEEP_LOCAL_RUNNING = """
import os, sys
os.environ["MQL_LOCAL_PACE"] = "1"
from mql_notebook import MQL
client = MQL(base_url="local", library=sys.argv[1])
print(client.video.create(prompt="a heron in reeds").id, client.settings.base_url, flush=True)
sys.stdin.read()  # keeps its emulator running until the test closes stdin
"""


async def test_a_job_of_an_in_process_emulator_still_running_elsewhere_is_finished(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "lib"
    other = subprocess.Popen(
        [sys.executable, "-c", KEEP_LOCAL_RUNNING, str(folder)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=child_env(),
    )
    try:
        assert other.stdout is not None
        generation_id, other_url = other.stdout.readline().split()
        with LocalServer(pace=0.3) as server:
            async with AsyncMQL(api_key=KEY, base_url=server.url, library=folder) as client:
                [result] = await client.video.resume_pending()
            assert server.requests == []  # our key went nowhere; the other emulator was asked
        assert result.outcome == "completed", result.message
        assert result.entry.files[0] is not None
        expected = httpx.get(
            f"{other_url}/v1/videos/{generation_id}/content",
            headers={"Authorization": "Bearer mql_local_emulator"},
        ).content
        assert result.entry.files[0].read_bytes() == expected
    finally:
        other.communicate("", timeout=30)
