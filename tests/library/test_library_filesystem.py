"""The filesystem decisions without a mount: mountinfo, the journal choice, the lock's stale rule,
and no bare SQLite error (issue 22). The real FUSE mount is in test_library_fuse.py."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path

import pytest

from mql_notebook import Library, LibraryError
from mql_notebook.library import lockfile
from mql_notebook.library.filesystem import (
    ROLLBACK,
    WAL,
    Mount,
    choose_journal,
    mount_of,
    parse_mountinfo,
)
from mql_notebook.library.lockfile import IndexLock

MOUNTINFO = """\
22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
30 22 0:40 / /home rw,relatime shared:2 - nfs4 filer:/home rw,vers=4.2
31 30 0:41 / /home/ann/my\\040notebooks rw - fuse.sshfs ann@box:/nb rw,user_id=0
32 22 0:42 / /scratch rw - lustre 10.0.0.1@tcp:/scratch rw,flock
33 22 0:43 / /tmp rw - tmpfs tmpfs rw
34 33 0:44 / /tmp rw - overlay overlay rw
"""


def test_mountinfo_names_the_mount_that_holds_a_folder() -> None:
    mounts = parse_mountinfo(MOUNTINFO)
    assert [m.fstype for m in mounts] == [
        "ext4",
        "nfs4",
        "fuse.sshfs",
        "lustre",
        "tmpfs",
        "overlay",
    ]

    def of(path: str) -> Mount:
        found = mount_of(Path(path), mounts)
        assert found is not None
        return found

    assert of("/home/ann/mql-videos").fstype == "nfs4"
    assert of("/home/ann/my notebooks/mql-videos").fstype == "fuse.sshfs"  # \040 is a space
    assert of("/home2/x").fstype == "ext4"  # not inside /home
    assert of("/scratch").fstype == "lustre"
    assert of("/tmp/x").fstype == "overlay"  # the mount on top
    assert [m.shared for m in mounts] == [False, True, True, True, False, False]
    real = mount_of(Path.cwd())  # this machine's own /proc/self/mountinfo
    assert real is None or real.point in str(Path.cwd().resolve())


def test_a_shared_filesystem_gets_the_rollback_journal_and_a_local_one_the_truth(
    tmp_path: Path,
) -> None:
    nfs = Mount("/home", "nfs4", "filer:/home")
    journal = choose_journal(tmp_path, nfs)
    assert journal.mode == ROLLBACK and "nfs4" in journal.reason
    assert choose_journal(tmp_path, Mount("/", "ext4", "/dev/sda1")).mode == WAL  # probed
    assert choose_journal(tmp_path, None).mode == WAL  # not Linux: the probe alone decides
    assert os.listdir(tmp_path) == []


def test_a_folder_where_no_journal_works_is_refused_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("mql_notebook.library.filesystem.probe", lambda folder, mode: "no room")
    with pytest.raises(LibraryError, match="cannot hold an SQLite index") as raised:
        choose_journal(tmp_path, Mount("/x", "fuse.s3fs", "bucket"))
    assert str(tmp_path) in str(raised.value) and "library=False" in str(raised.value)


def lock_record(path: Path, **fields: object) -> None:
    record = {"host": lockfile.HOST, "pid": os.getpid(), "time": time.time(), "token": "theirs"}
    path.write_text(json.dumps(record | fields))


def test_a_live_lock_is_waited_for_and_a_stale_one_broken(tmp_path: Path) -> None:
    path = tmp_path / "library.sqlite3.mql-lock"
    lock_record(path, pid=os.getpid(), started=lockfile._started(os.getpid()))
    with pytest.raises(LibraryError, match="stayed taken"):
        IndexLock(path, patience=0.2).acquire()  # a live process of this host holds it
    lock_record(path, host="another-machine", time=time.time())
    with pytest.raises(LibraryError, match="another-machine"):
        IndexLock(path, patience=0.2).acquire()  # young: only age tells for another host
    lock_record(path, host="another-machine", time=time.time() - lockfile.STALE_AFTER - 1)
    with IndexLock(path, patience=0.2) as held:  # old: broken
        assert held.held()
    assert not path.exists()
    lock_record(path, pid=2**22 + 12345)  # a pid that does not run: stale at once
    with IndexLock(path, patience=0.2):
        pass
    assert not path.exists() and not list(tmp_path.iterdir())


def test_a_lock_taken_from_a_frozen_holder_is_not_removed_by_it(tmp_path: Path) -> None:
    path = tmp_path / "lock"
    mine = IndexLock(path)
    mine.acquire()
    lock_record(path, token="a breaker's")  # as if it had been judged stale and taken
    assert not mine.held()
    mine.release()
    assert json.loads(path.read_text())["token"] == "a breaker's"


def test_no_bare_sqlite_error_reaches_the_user(tmp_path: Path) -> None:
    library = Library(tmp_path / "lib")
    library.index_path.mkdir(parents=True)  # the index's name is taken by a folder
    with pytest.raises(LibraryError) as raised:
        library.entries()
    message = str(raised.value)
    assert str(library.index_path) in message and "library=False" in message, message
    assert isinstance(raised.value.__cause__, sqlite3.Error)
