"""A real FUSE filesystem for the library tests: Debian's ``bindfs``, mounted by root.

``bindfs -o direct_io`` refuses a shared ``mmap`` (ENODEV), as many FUSE and network
filesystems do, so SQLite's WAL cannot work there while ``PRAGMA journal_mode=WAL`` still
answers ``wal``: the case of issue 22. ``-r`` mounts it read-only: a library that cannot be
written at all. Tests skip when the machine cannot mount (not root, no bindfs or /dev/fuse),
except in CI (``CI=true``), where that fails them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def cannot_mount() -> str | None:
    """Why bindfs cannot be mounted here, or None."""
    if os.geteuid() != 0:
        return "mounting bindfs needs root"
    if shutil.which("bindfs") is None:
        return "Debian's bindfs is not installed (apt-get install bindfs)"
    if not Path("/dev/fuse").exists():
        return "/dev/fuse is missing"
    return None


def require_mount() -> None:
    reason = cannot_mount()
    if reason is None:
        return
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"the FUSE tests must run in CI: {reason}")
    pytest.skip(reason)


def _mounted(target: Path) -> bool:
    real = os.path.realpath(target)
    with open("/proc/self/mountinfo") as mounts:
        return any(line.split()[4] == real for line in mounts)


def _unmount(target: Path) -> None:
    for command in (["fusermount", "-u", str(target)], ["umount", str(target)]):
        if shutil.which(command[0]) is None:
            continue
        for _ in range(50):  # a process that just ended may still hold a file: try again
            if subprocess.run(command, capture_output=True, check=False).returncode == 0:
                return
            if not _mounted(target):
                return
            time.sleep(0.1)
    if _mounted(target):
        subprocess.run(["umount", "-l", str(target)], capture_output=True, check=False)


@contextmanager
def bindfs(source: Path, target: Path, *options: str) -> Iterator[Path]:
    """``source`` mounted at ``target`` through bindfs with ``options``; unmounted in every case."""
    require_mount()
    source.mkdir(parents=True, exist_ok=True)
    target.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["bindfs", *options, str(source), str(target)], capture_output=True, text=True, check=False
    )
    try:
        assert done.returncode == 0, f"bindfs failed: {done.stderr}"
        assert _mounted(target), "bindfs returned but nothing is mounted"
        yield target
    finally:
        _unmount(target)
    assert not _mounted(target), f"{target} is still mounted"


@pytest.fixture
def fuse(tmp_path: Path) -> Iterator[Path]:
    """A folder on ``bindfs -o direct_io`` (no shared mmap: WAL cannot work there)."""
    with bindfs(tmp_path / "fuse-source", tmp_path / "fuse", "-o", "direct_io") as folder:
        yield folder


@pytest.fixture
def read_only_fuse(tmp_path: Path) -> Iterator[Path]:
    """A folder on a read-only bindfs: a library that cannot be written at all."""
    with bindfs(tmp_path / "ro-source", tmp_path / "ro", "-r", "-o", "direct_io") as folder:
        yield folder
