"""A lock file beside the index, for folders whose filesystem cannot run SQLite's WAL.

There the index uses the rollback journal, and every use of it (a read or a write, a few
milliseconds) happens while holding ``library.sqlite3.mql-lock``: one process at a time, on
this machine or another. The lock is made by ``link()``-ing a finished file to that name,
which succeeds for exactly one process on every filesystem that matters (local, NFSv2 and
later, SMB, Lustre, GPFS, CephFS, FUSE): no one ever reads a half-written lock. POSIX locks
are not relied on: NFS mounted with ``nolock`` and FUSE filesystems keep them on one machine.

The lock says who holds it (host, pid, the process's start time) and is stale when:
- its process is on this host and no longer runs (its pid ended, or was reused);
- it is older than ``STALE_AFTER`` seconds, whoever holds it: a use takes milliseconds, and
  a holder on another machine cannot be asked. A holder frozen longer than that (a suspended
  process, a server that stopped answering) loses its lock; it checks before committing.
A stale lock is renamed away (one breaker wins the rename) and checked to be the one judged
stale; a fresh one taken by mistake is put back.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import socket
import time
import uuid
from pathlib import Path
from typing import Any

from .._constants import LIBRARY_LOCK_PATIENCE as LOCK_PATIENCE
from ..errors import LibraryError

STALE_AFTER = 30.0  # seconds: far beyond one use of the index (milliseconds)
HOST = socket.gethostname()


def _started(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot, /proc), or None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        if not Path("/proc/self/stat").exists():  # no /proc: ask the kernel whether it lives
            try:
                os.kill(pid, 0)
                return ""
            except ProcessLookupError:
                return None
            except OSError:
                return ""
        return None


class IndexLock:
    """``with IndexLock(path): ...``: holds ``path`` while the block runs (re-entrant per thread
    is the caller's business: ``IndexedFolder`` holds it under its own lock)."""

    def __init__(self, path: Path, *, patience: float = LOCK_PATIENCE) -> None:
        self.path = path
        self.patience = patience
        self.token = ""

    def __enter__(self) -> IndexLock:
        self.acquire()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()

    def _record(self) -> dict[str, Any]:
        pid = os.getpid()
        return {
            "host": HOST,
            "pid": pid,
            "started": _started(pid),
            "time": time.time(),
            "token": self.token,
        }

    def acquire(self) -> None:
        deadline = time.monotonic() + self.patience
        delay = 0.001
        self.token = uuid.uuid4().hex
        temp = self.path.with_name(f".{self.path.name}.{self.token[:12]}")
        try:
            temp.write_text(json.dumps(self._record()))
            while True:
                if self._try(temp):
                    return
                self._break_if_stale()
                if time.monotonic() >= deadline:
                    raise LibraryError(
                        f"the library's lock {self.path} stayed taken for {self.patience:g} s "
                        f"({self._describe()}); if no process uses this library, remove that file"
                    )
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 0.05)
        except OSError as error:
            raise LibraryError(
                f"cannot take the library's lock {self.path}: {error.strerror or error}; "
                f"choose a writable folder (library=... or MQL_LIBRARY), or library=False"
            ) from error
        finally:
            temp.unlink(missing_ok=True)

    def _try(self, temp: Path) -> bool:
        try:
            os.link(temp, self.path)
            return True
        except FileExistsError:
            return False
        except OSError:  # a filesystem without hard links: an exclusive create instead
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                return False
            with os.fdopen(fd, "w") as file:
                file.write(temp.read_text())
            return True

    def held(self) -> bool:
        """Whether the lock on disk is still this one (checked before a commit)."""
        return self._read(self.path).get("token") == self.token

    def release(self) -> None:
        if self.token and self.held():
            self.path.unlink(missing_ok=True)
        self.token = ""

    @staticmethod
    def _read(path: Path) -> dict[str, Any]:
        try:
            found = json.loads(path.read_text())
            return found if isinstance(found, dict) else {}
        except (OSError, ValueError):
            return {}

    def _describe(self) -> str:
        holder = self._read(self.path)
        if not holder:
            return "its holder is unknown"
        return f"held by pid {holder.get('pid')} on {holder.get('host')}"

    def _is_stale(self, holder: dict[str, Any], age: float) -> bool:
        if age > STALE_AFTER:
            return True
        if holder.get("host") != HOST or not isinstance(holder.get("pid"), int):
            return False  # another machine's (or still being written): only age tells
        started = _started(holder["pid"])
        return started is None or (bool(holder.get("started")) and started != holder["started"])

    def _break_if_stale(self) -> None:
        try:
            modified = self.path.stat().st_mtime
        except FileNotFoundError:
            return
        holder = self._read(self.path)
        # The holder's own clock when it says (a server's mtime may be skewed from ours).
        taken = holder.get("time")
        age = time.time() - (taken if isinstance(taken, (int, float)) else modified)
        if not self._is_stale(holder, age):
            return
        aside = self.path.with_name(f".{self.path.name}.stale-{uuid.uuid4().hex[:12]}")
        try:
            os.rename(self.path, aside)
        except FileNotFoundError:  # another process broke it first
            return
        moved = self._read(aside)
        if moved.get("token") != holder.get("token"):  # a fresh lock came in meanwhile: put it back
            with contextlib.suppress(OSError):
                os.link(aside, self.path)
        aside.unlink(missing_ok=True)
