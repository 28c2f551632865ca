"""JupyterLab as the demo's child: one Ctrl-C (or SIGTERM, or the terminal closing) stops it and
its kernels, quietly, and the demo exits 128 + the signal's number (130, 143, 129).

JupyterLab runs in a session of its own, so the terminal's Ctrl-C reaches only the demo: Jupyter
would otherwise ask "Shut down this Jupyter server (y/[n])?" and the demo would print a
KeyboardInterrupt traceback. The demo then sends it SIGTERM, on which Jupyter shuts its kernels
down and exits; whatever is left after ``STOP_TIMEOUT`` (a kernel that would not end) is killed.
Kernels run in sessions of their own too, so they are found as the server's descendants.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import FrameType

STOP_TIMEOUT = 20.0  # Jupyter gives each kernel 5 s to shut down, then kills it
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class _Stop(Exception):
    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop(signum)


def run_until_stopped(command: Sequence[str], *, cwd: Path, env: Mapping[str, str]) -> int:
    """Run ``command`` until it ends (its exit code) or this process gets a stop signal."""
    previous = {sig: signal.signal(sig, _raise_stop) for sig in STOP_SIGNALS}
    process: subprocess.Popen[bytes] | None = None
    try:
        process = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,  # nothing to confirm on: Jupyter asks no question
            start_new_session=os.name == "posix",
        )
        return process.wait()
    except _Stop as stop:
        for sig in STOP_SIGNALS:  # a second Ctrl-C must not cut the shutdown short
            signal.signal(sig, signal.SIG_IGN)
        if process is not None:
            print("\nstopping JupyterLab and its kernels", file=sys.stderr, flush=True)
            stop_server(process)
        return 128 + stop.signum
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def stop_server(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (Jupyter then shuts its kernels down), then SIGKILL for whatever remains."""
    descendants = _descendants(process.pid)  # before they are orphaned
    with contextlib.suppress(ProcessLookupError):
        process.terminate()
    try:
        process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.kill()
        process.wait()
    for pid in (*descendants, *_descendants(process.pid)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)  # a kernel Jupyter could not stop


def _descendants(pid: int) -> list[int]:
    """Every living descendant of ``pid`` (Linux's /proc; elsewhere none are known)."""
    children: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                fields = stat.read().rpartition(b")")[2].split()
        except OSError:
            continue
        if len(fields) > 1 and fields[0] != b"Z":
            children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found
