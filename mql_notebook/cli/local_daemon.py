"""``MQL_BASE_URL=local`` on the command line: one background emulator that every command shares.

Each ``mql-notebook`` command is a process of its own, so the in-process emulator that Python's
``base_url="local"`` starts would forget its jobs when the command ends, and ``status ID`` after
``generate`` would answer 404. Instead the first command starts ``mql-notebook serve`` detached
(its own session, output to a log file); serve records ``{url, pid}`` in a state file once it
listens, and later commands find it there. It stops by itself after a while without a request.

Only the command line does this; ``base_url="local"`` in Python stays in-process.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx

from ..errors import APIConnectionError, ConfigurationError

try:
    import fcntl
except ImportError:  # Windows: no flock; the CLI falls back to the in-process emulator
    fcntl = None  # type: ignore[assignment]

STATE_NAME = "mql-notebook-local.json"
LOCK_NAME = "mql-notebook-local.lock"
LOG_NAME = "mql-notebook-local.log"
ENV_IDLE_EXIT = "MQL_LOCAL_IDLE_EXIT"
ENV_PACE = "MQL_LOCAL_PACE"
DEFAULT_IDLE_EXIT = 600.0  # seconds without a request before the background emulator stops
DEFAULT_PACE = 6.0  # as the in-process emulator (local.jobs.DEFAULT_PACE), without importing it
START_TIMEOUT = 30.0  # importing PyAV and numpy on a busy machine takes a few seconds
PROBE_TIMEOUT = 2.0


def supported() -> bool:
    """Whether this platform can share a background emulator (it needs ``fcntl.flock``)."""
    return fcntl is not None


def local_daemon_url(environ: Mapping[str, str] | None = None) -> str:
    """The base URL of the shared background emulator, started first if none answers.

    Two commands started at once share one: whoever holds the lock file starts it, the other
    waits for the lock and then finds the state file written.
    """
    env = os.environ if environ is None else environ
    pace = _seconds_from(env, ENV_PACE, DEFAULT_PACE)
    idle = _seconds_from(env, ENV_IDLE_EXIT, DEFAULT_IDLE_EXIT, positive=True)
    directory = state_dir(env)
    state = directory / STATE_NAME
    found = running_daemon(state)
    if found is None:
        with _exclusive(directory / LOCK_NAME):
            found = running_daemon(state) or _start(directory, state, pace=pace, idle=idle)
    url, settings = found
    if settings.get("pace") != pace:  # jobs created from now on take this command's pace
        _post_settings(url, {"pace": pace})
    return url


def state_dir(environ: Mapping[str, str]) -> Path:
    """``$XDG_RUNTIME_DIR`` (per user, cleared at logout), else a private folder in the temp dir."""
    runtime = environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isdir(runtime) and os.access(runtime, os.W_OK):
        return Path(runtime)
    folder = Path(tempfile.gettempdir()) / f"mql-notebook-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    info = folder.stat()
    if info.st_uid != os.getuid() or info.st_mode & 0o077:
        # Someone else's folder could point this user's commands at their server.
        raise ConfigurationError(
            f"{folder} belongs to another user or is open to others: remove it, or set "
            "XDG_RUNTIME_DIR to a folder of your own"
        )
    return folder


def running_daemon(state: Path) -> tuple[str, dict[str, Any]] | None:
    """``(url, settings)`` of the emulator the state file names, if its process lives and answers."""
    try:
        recorded = json.loads(state.read_text(encoding="utf-8"))
        url, pid = str(recorded["url"]), int(recorded["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not _pid_alive(pid):
        return None
    settings = _probe(url)
    return (url, settings) if settings is not None else None


def stop_daemon(state: Path) -> int | None:
    """Stop the emulator the state file names (SIGTERM); its pid, or None if there was none."""
    import signal

    try:
        pid = int(json.loads(state.read_text(encoding="utf-8"))["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not _pid_alive(pid):
        return None
    os.kill(pid, signal.SIGTERM)
    return pid


def _start(directory: Path, state: Path, *, pace: float, idle: float) -> tuple[str, dict[str, Any]]:
    log_path = directory / LOG_NAME
    command = [
        sys.executable,
        "-m",
        "mql_notebook.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--pace",
        f"{pace:g}",
        "--idle-exit",
        f"{idle:g}",
        "--state-file",
        str(state),
        "--quiet",
    ]
    # The emulator takes any mql_ key: it never needs the user's, so it never gets it.
    env = {k: v for k, v in os.environ.items() if k != "MQL_API_KEY"}
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            env=env,
            cwd=directory,  # not the first command's folder, which the user may delete or unmount
            start_new_session=True,  # Ctrl-C in this terminal or its closing does not stop it
            close_fds=True,
        )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        found = running_daemon(state)
        if found is not None and _recorded_pid(state) == process.pid:
            return found
        time.sleep(0.05)  # a command-line process: nothing else waits on this thread
    if process.poll() is None:
        process.terminate()
    raise APIConnectionError(
        f"the local emulator did not start (see {log_path}): {_tail(log_path)}"
    )


def _recorded_pid(state: Path) -> int | None:
    try:
        return int(json.loads(state.read_text(encoding="utf-8"))["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _probe(url: str) -> dict[str, Any] | None:
    """The emulator's settings if ``url`` is an emulator that answers (a reused pid is not)."""
    try:
        response = httpx.get(f"{url}/_emulator/settings", timeout=PROBE_TIMEOUT)
        settings = response.json() if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        return None
    return settings if isinstance(settings, dict) and "pace" in settings else None


def _post_settings(url: str, values: dict[str, Any]) -> None:
    # If this fails, the command's own request says what is wrong, with the URL.
    with contextlib.suppress(httpx.HTTPError):
        httpx.post(f"{url}/_emulator/settings", json=values, timeout=PROBE_TIMEOUT)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process now has that pid: not ours
        return False
    return True


@contextlib.contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    assert fcntl is not None
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes, even on a crash
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _seconds_from(
    env: Mapping[str, str], name: str, default: float, *, positive: bool = False
) -> float:
    text = env.get(name)
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not (value > 0 if positive else value >= 0) or value == float("inf"):
        bound = "> 0" if positive else ">= 0"
        raise ConfigurationError(f"{name}={text!r} is not a number of seconds {bound}")
    return value


def _tail(path: Path, limit: int = 600) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return "no log"
    return text[-limit:] or "the log is empty"
