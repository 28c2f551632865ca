"""``MQL_BASE_URL=local`` on the command line: one background emulator that every command shares.

Each ``mql-notebook`` command is a process of its own, so the in-process emulator that Python's
``base_url="local"`` starts would forget its jobs when the command ends, and ``status ID`` after
``generate`` would answer 404. Instead the first command starts ``mql-notebook serve`` detached
(its own session, output to a log file); serve records ``{url, pid}`` and which install it is
(version, interpreter, package folder) in a state file once it listens, and later commands find
it there. It stops by itself after a while without a request, or with ``mql-notebook local stop``.

Each install has its own: the state, lock and log files are named after the install
(``mql-notebook-local-<key>.json``, ``_install.install_key``), so a command from another virtual
environment, checkout or version never silently uses an emulator running other code.

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

from .._install import install_key
from ..errors import APIConnectionError, ConfigurationError

try:
    import fcntl
except ImportError:  # Windows: no flock; the CLI falls back to the in-process emulator
    fcntl = None  # type: ignore[assignment]

FILE_PREFIX = "mql-notebook-local"  # then -<install key>.json / .lock / .log
LEGACY_STATE_NAME = "mql-notebook-local.json"  # before 0.1.1: no install recorded
ENV_IDLE_EXIT = "MQL_LOCAL_IDLE_EXIT"
ENV_PACE = "MQL_LOCAL_PACE"
ENV_MODELS = "MQL_LOCAL_MODELS"  # as local.model_args.ENV_MODELS, without importing the extra
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
    state = state_path(directory)
    found = running_daemon(state)
    if found is None:
        with _exclusive(directory / f"{FILE_PREFIX}-{install_key()}.lock"):
            found = running_daemon(state) or _start(directory, state, pace=pace, idle=idle)
    url, settings = found
    if settings.get("pace") != pace:  # jobs created from now on take this command's pace
        _post_settings(url, {"pace": pace})
    if env.get(ENV_MODELS, "").strip():  # the emulator parses them; a mistake ends this command
        _add_models(url, env[ENV_MODELS])
    return url


def state_path(directory: Path, key: str | None = None) -> Path:
    """This install's state file in ``directory`` (``key``: another install's)."""
    return directory / f"{FILE_PREFIX}-{key or install_key()}.json"


def log_path(state: Path) -> Path:
    return state.with_suffix(".log")


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


def read_state(state: Path) -> dict[str, Any] | None:
    """The state file's record (``url``, ``pid``, and the install's identity), or None."""
    try:
        recorded = json.loads(state.read_text(encoding="utf-8"))
        recorded["url"], recorded["pid"] = str(recorded["url"]), int(recorded["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return recorded if isinstance(recorded, dict) else None


def running_daemon(state: Path) -> tuple[str, dict[str, Any]] | None:
    """``(url, settings)`` of the emulator the state file names, if its process lives and answers."""
    recorded = read_state(state)
    if recorded is None:
        return None
    url, pid = recorded["url"], recorded["pid"]
    if not pid_alive(pid):
        return None
    settings = _probe(url)
    return (url, settings) if settings is not None else None


def stop_daemon(state: Path) -> int | None:
    """Stop the emulator the state file names (SIGTERM); its pid, or None if there was none."""
    import signal

    recorded = read_state(state)
    if recorded is None or not pid_alive(recorded["pid"]):
        return None
    os.kill(recorded["pid"], signal.SIGTERM)
    return int(recorded["pid"])


def recorded_states(directory: Path) -> list[Path]:
    """Every emulator state file in ``directory``: this install's and others' (and a legacy one)."""
    return sorted(directory.glob(f"{FILE_PREFIX}*.json"))


def _start(directory: Path, state: Path, *, pace: float, idle: float) -> tuple[str, dict[str, Any]]:
    log = log_path(state)
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
    # The emulator takes any mql_ key: it never needs the user's, so it never gets it. Models
    # come from each command (local_daemon_url), so a mistake in them is that command's error.
    env = {k: v for k, v in os.environ.items() if k not in ("MQL_API_KEY", ENV_MODELS)}
    with open(log, "wb") as log_file:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=log_file,
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
        if found is not None and (read_state(state) or {}).get("pid") == process.pid:
            return found
        time.sleep(0.05)  # a command-line process: nothing else waits on this thread
    if process.poll() is None:
        process.terminate()
    raise APIConnectionError(f"the local emulator did not start (see {log}): {_tail(log)}")


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


def _add_models(url: str, specs: str) -> None:
    try:
        answer = httpx.post(
            f"{url}/_emulator/settings", json={"add_models": specs}, timeout=PROBE_TIMEOUT
        )
    except httpx.HTTPError:
        return  # the command's own request says what is wrong, with the URL
    if answer.status_code == 400:
        try:
            message = answer.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = answer.text[:200]
        raise ConfigurationError(f"{ENV_MODELS}={specs!r}: {message}")


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process now has that pid: not ours
        return False
    try:  # a zombie (ended, not yet reaped: no init reaps in some containers) is not alive
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rpartition(b")")[2].split()[0] != b"Z"
    except (OSError, IndexError):
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
