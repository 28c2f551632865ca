"""The library on a real FUSE filesystem without shared mmap (``bindfs -o direct_io``, issue 22).

There SQLite's WAL cannot work though its pragma answers ``wal``: the library sees the mount,
probes, and uses the rollback journal under its lock file. Real processes, real HTTP to the
emulator, and every video compared byte for byte with what it serves. Figures are printed
(``pytest -s``) for RELIABILITY.md.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from mql_notebook import MQL, Library, LibraryError, VideoWidget
from mql_notebook.library.filesystem import ROLLBACK, WAL, mount_of, probe
from mql_notebook.local import LocalServer
from tests.library.library_support import (
    KEY,
    Serve,
    child_env,
    last_json,
    sha256,
    start_python,
    wait_until,
)
from tests.library.test_library_processes import FIVE_AT_ONCE, HAMMER, WAIT_AND_DOWNLOAD, one_entry

pytestmark = pytest.mark.slow
CLI = (sys.executable, "-m", "mql_notebook.cli")


def content(url: str, video_id: str, key: str = KEY) -> bytes:
    response = httpx.get(
        f"{url}/v1/videos/{video_id}/content", headers={"Authorization": f"Bearer {key}"}
    )
    response.raise_for_status()
    return response.content


def journal_of(index: Path) -> bytes:
    """Bytes 18-19 of an SQLite file: 1, 1 for the rollback journal, 2, 2 for WAL."""
    return index.read_bytes()[18:20]


def test_the_mount_and_a_probe_tell_what_the_pragma_does_not(fuse: Path) -> None:
    mount = mount_of(fuse)
    assert mount is not None and mount.shared and mount.fstype.startswith("fuse")
    # What issue 22 saw: the pragma answers wal, the first write fails.
    conn = sqlite3.connect(fuse / "plain.sqlite3", isolation_level=None)
    assert conn.execute("PRAGMA journal_mode = WAL").fetchone()[0] == "wal"
    with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
        conn.execute("CREATE TABLE t (x)")
    conn.close()
    assert probe(fuse, WAL) is not None and probe(fuse, ROLLBACK) is None
    assert not list(fuse.glob(".mql-probe-*")), "a probe left its scratch files"
    journal = Library(fuse / "lib").journal
    assert journal.mode == ROLLBACK and journal.mount == mount


def test_create_and_download_into_a_library_on_fuse(fuse: Path) -> None:
    folder = fuse / "lib"
    with LocalServer(pace=0.3) as server:
        with MQL(api_key=KEY, base_url=server.url, library=folder) as client:
            data = client.video.create_and_download(prompt="A kite over dunes", duration=5)
        [entry] = Library(folder).entries()
        assert entry.status == "completed" and entry.files[0] is not None
        assert entry.id is not None
        assert data == entry.files[0].read_bytes() == content(server.url, entry.id)
        assert entry.sha256[0] == sha256(data)
        assert server.count("POST", "/v1/videos/generations") == 1
    assert journal_of(folder / "library.sqlite3") == b"\x01\x01"
    left = {p.name for p in folder.iterdir()} - {f"{entry.id}.mp4", f"{entry.id}.jpg"}
    assert left == {"library.sqlite3"}, left  # no WAL files, no lock, no scratch database


def test_four_processes_five_generations_each_on_fuse(fuse: Path) -> None:
    folder = fuse / "lib"
    started = time.monotonic()
    with LocalServer(pace=1.0) as server:
        children = [
            start_python(FIVE_AT_ONCE, server.url, str(folder), KEY, str(i)) for i in range(4)
        ]
        outputs = [child.communicate(timeout=300) for child in children]
        elapsed = time.monotonic() - started
        for child, (_out, err) in zip(children, outputs, strict=True):
            assert child.returncode == 0, err
            assert "could not record" not in err and "Error" not in err, err
        ids = {gid for out, _ in outputs for gid in last_json(out)}
        assert len(ids) == 20
        assert server.count("POST", "/v1/videos/generations") == 20
        entries = Library(folder).entries()
        assert len(entries) == 20 and {e.id for e in entries} == ids
        for entry in entries:
            assert entry.status == "completed" and entry.files[0] is not None
            assert entry.id is not None
            data = entry.files[0].read_bytes()
            assert sha256(data) == entry.sha256[0] == sha256(content(server.url, entry.id))
        assert Library(folder).pending() == []
    print(f"\n[fuse] 4 processes x 5 generations: 20 entries, exact bytes, {elapsed:.1f} s")


def test_processes_writing_flat_out_on_fuse_lose_nothing(fuse: Path) -> None:
    folder = fuse / "lib"
    started = time.monotonic()
    children = [start_python(HAMMER, str(folder), f"p{i}") for i in range(6)]
    for child in children:
        out, err = child.communicate(timeout=300)
        assert child.returncode == 0 and out.strip() == "done", err
    elapsed = time.monotonic() - started
    entries = Library(folder).entries()
    assert len(entries) == 900 and len({e.id for e in entries}) == 900
    assert {e.status for e in entries} == {"completed"}
    print(f"\n[fuse] 6 processes x 450 transactions: 900 entries in {elapsed:.1f} s")


def test_a_kill_mid_wait_then_library_resume_on_fuse(fuse: Path) -> None:
    folder = fuse / "lib"
    serve = Serve("--pace", "6")
    try:
        child = start_python(WAIT_AND_DOWNLOAD, serve.url, str(folder), KEY)
        killed = wait_until(
            lambda: (e := one_entry(folder)) is not None and e.id is not None and e,
            60,
            "the child to wait",
        )
        time.sleep(0.3)
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        env = child_env() | {"MQL_BASE_URL": serve.url, "MQL_API_KEY": KEY}
        resumed = subprocess.run(
            [*CLI, "library", "resume", "--json", "--library", str(folder)],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        assert resumed.returncode == 0, resumed.stderr
        assert json.loads(resumed.stdout.strip().splitlines()[-1])["outcome"] == "completed"
        assert len(serve.creates()) == 1  # no second job
        entry = Library(folder).get(killed.id)
        assert entry is not None and entry.key == killed.key and entry.files[0] is not None
        assert entry.files[0].read_bytes() == serve.content(killed.id)
        assert Library(folder).pending() == []
    finally:
        serve.stop()


HOLD_THE_LOCK = """
import sys, time
from mql_notebook.library.lockfile import IndexLock
from pathlib import Path
lock = IndexLock(Path(sys.argv[1]))
lock.acquire()
print("held", flush=True)
time.sleep(600)
"""


def test_a_process_killed_holding_the_lock_does_not_stop_the_next(fuse: Path) -> None:
    library = Library(fuse / "lib").open()
    holder = start_python(HOLD_THE_LOCK, str(library.lock_path))
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    holder.send_signal(signal.SIGKILL)
    holder.wait(10)
    assert library.lock_path.exists()
    started = time.monotonic()
    library.record_request(
        prompt="after", model="sora", options={}, origin=None, idempotency_key="k"
    )
    assert time.monotonic() - started < 2  # its pid is gone: stale at once, not after 30 s
    assert not library.lock_path.exists() and len(library.entries()) == 1


KILLED_MID_TRANSACTION = """
import sys, time
from mql_notebook import Library
library = Library(sys.argv[1])
def half(conn):
    conn.execute("INSERT INTO entries (key, status, created_at) VALUES ('half', 'pending', 0)")
    conn.execute("UPDATE entries SET status = 'half-written'")
    print("inside", flush=True)
    time.sleep(600)
library._write("writing half a transaction", half)
"""


def test_a_process_killed_mid_transaction_leaves_the_index_as_before(fuse: Path) -> None:
    library = Library(fuse / "lib")
    library.record_request(
        prompt="kept", model="sora", options={}, origin=None, idempotency_key="k"
    )
    child = start_python(KILLED_MID_TRANSACTION, str(library.path))
    assert child.stdout is not None and child.stdout.readline().strip() == "inside"
    child.send_signal(signal.SIGKILL)
    child.wait(10)
    assert library.lock_path.exists()
    [entry] = library.entries()  # the journal rolled back by the next holder of the lock
    assert entry.prompt == "kept" and entry.status == "pending"
    assert not library.lock_path.exists()
    library.record_status(entry.key, "failed", error="written after the kill")
    assert library.get(entry.key).status == "failed"  # type: ignore[union-attr]
    assert not (fuse / "lib" / "library.sqlite3-journal").exists()  # deleted at that commit


def test_an_index_left_in_wal_mode_is_switched_and_kept(tmp_path: Path, fuse: Path) -> None:
    local = Library(tmp_path / "local")
    entry = local.record_request(
        prompt="p", model="sora", options={}, origin=None, idempotency_key="k"
    )
    local.close()
    assert journal_of(local.index_path) == b"\x02\x02"
    (fuse / "lib").mkdir()
    shutil.copyfile(local.index_path, fuse / "lib" / "library.sqlite3")
    moved = Library(fuse / "lib")
    assert [e.key for e in moved.entries()] == [entry.key]
    moved.record_status(entry.key, "failed", error="moved")
    assert moved.get(entry.key).status == "failed"  # type: ignore[union-attr]
    assert journal_of(moved.index_path) == b"\x01\x01"


def test_a_library_that_cannot_be_written_refuses_before_the_post(read_only_fuse: Path) -> None:
    folder = read_only_fuse / "lib"
    with LocalServer(pace=0.3) as server:
        with MQL(api_key=KEY, base_url=server.url, library=folder) as client:
            with pytest.raises(LibraryError) as raised:
                client.video.create(prompt="never sent")
        assert server.count("POST", "/v1/videos/generations") == 0
    message = str(raised.value)
    assert str(folder) in message and "library=False" in message, message


async def test_the_widget_plays_the_video_when_its_library_cannot_be_written(
    read_only_fuse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (read_only_fuse.parent / "ro-source" / "lib").mkdir()  # the folder exists, read-only
    monkeypatch.delenv("MQL_LIBRARY", raising=False)
    with LocalServer(pace=0.3) as server:
        monkeypatch.setenv("MQL_BASE_URL", server.url)
        monkeypatch.setenv("MQL_API_KEY", KEY)
        widget = VideoWidget("A lantern on a pier", duration=5, library=read_only_fuse / "lib")
        run = await widget.generate()
        assert run.status == "completed", run.error
        assert widget.note.startswith("The library is off for this run:"), widget.note
        assert str(read_only_fuse / "lib") in widget.note
        assert widget.video == content(server.url, run.generation_id)
        assert server.count("POST", "/v1/videos/generations") == 1
    assert os.listdir(read_only_fuse / "lib") == []
