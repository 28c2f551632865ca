"""``mql-notebook local status`` and ``local stop``: the background emulator that
``MQL_BASE_URL=local`` commands share (see ``local_daemon``), seen and stopped by hand."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from .._install import describe_install, install_identity
from ..errors import ConfigurationError
from . import local_daemon
from .exit_codes import EXIT_NOT_RUNNING, EXIT_OK
from .library_action import command_group

STOP_TIMEOUT = 10.0  # serve stops gracefully within a few seconds (in-flight requests get 2 s)


def add_local_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    commands = command_group(
        subparsers,
        "local",
        "the background emulator of MQL_BASE_URL=local commands: status, stop",
        "The background emulator that MQL_BASE_URL=local commands start and share. "
        "Each install (virtual environment, checkout, version) has its own.",
        "COMMAND",
    )
    status = commands.add_parser(
        "status",
        help="show the background emulators recorded for this user, this install's first",
        description="Show this install's background emulator (URL, pid, version, interpreter, "
        "package) and any other install's. Exit 0 when this install's runs, else 1.",
    )
    status.add_argument("--json", action="store_true", help="one JSON object per emulator")
    status.set_defaults(command_main=run_status)
    stop = commands.add_parser(
        "stop",
        help="stop this install's background emulator (its jobs end with it)",
        description="Stop this install's background emulator (SIGTERM) and wait until it ended.",
    )
    stop.add_argument("--all", action="store_true", help="also every other install's")
    stop.set_defaults(command_main=run_stop)


def _directory(command: str, err: TextIO) -> tuple[Path, Path] | None:
    """The folder of the recorded emulators and this install's file there; None (said on
    ``err``) when the environment names no usable folder."""
    try:
        directory = local_daemon.state_dir(os.environ)
    except ConfigurationError as exc:
        print(f"mql-notebook local {command}: {exc}", file=err)
        return None
    return directory, local_daemon.state_path(directory)


def run_status(args: argparse.Namespace, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    found = _directory("status", err)
    if found is None:
        return EXIT_NOT_RUNNING
    directory, mine = found
    rows = [_row(state, mine) for state in _states(directory, mine)]
    running = any(row["this_install"] and row["running"] for row in rows)
    if args.json:
        for row in rows:
            print(json.dumps(row), file=out)
        return EXIT_OK if running else EXIT_NOT_RUNNING
    if not running:
        print(
            f"no background emulator for this install, {describe_install(install_identity())}; "
            "the first MQL_BASE_URL=local command starts one",
            file=out,
        )
    for row in rows:
        print(_describe(row), file=out)
    return EXIT_OK if running else EXIT_NOT_RUNNING


def run_stop(args: argparse.Namespace, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    found = _directory("stop", err)
    if found is None:
        return EXIT_NOT_RUNNING
    directory, mine = found
    targets = _states(directory, mine) if args.all else [mine]
    stopped = 0
    for state in targets:
        recorded = local_daemon.read_state(state)
        pid = local_daemon.stop_daemon(state)
        if pid is None or recorded is None:
            _forget(state, recorded)  # a record of a process that is gone
            continue
        if not _ended(pid):
            print(f"the emulator at {recorded['url']} (pid {pid}) did not stop", file=err)
            return EXIT_NOT_RUNNING
        _forget(state, recorded)  # an emulator of an older release leaves its record behind
        whose = "this install's" if state == mine else f"{describe_install(recorded)}'s"
        print(f"stopped {whose} background emulator at {recorded['url']} (pid {pid})", file=out)
        stopped += 1
    if not stopped:
        print("no background emulator was running for this install", file=out)
    if not args.all:
        others = [s for s in _states(directory, mine) if s != mine and _alive(s)]
        if others:
            print(
                f"{len(others)} of other installs still run{'s' if len(others) == 1 else ''}: "
                "`mql-notebook local status` lists them, `mql-notebook local stop --all` stops them",
                file=out,
            )
    return EXIT_OK


def _states(directory: Path, mine: Path) -> list[Path]:
    """This install's state file first (whether or not it exists), then every other one."""
    return [mine, *(s for s in local_daemon.recorded_states(directory) if s != mine)]


def _row(state: Path, mine: Path) -> dict[str, Any]:
    recorded = local_daemon.read_state(state) or {}
    running = local_daemon.running_daemon(state) is not None if recorded else False
    return {
        "this_install": state == mine,
        "running": running,
        "url": recorded.get("url"),
        "pid": recorded.get("pid"),
        "version": recorded.get("version"),
        "executable": recorded.get("executable"),
        "package": recorded.get("package"),
        "state_file": str(state),
        "recorded": bool(recorded),
    }


def _describe(row: dict[str, Any]) -> str:
    if not row["recorded"]:
        return f"this install's state file: {row['state_file']} (none yet)"
    whose = "this install's" if row["this_install"] else "another install's"
    if row["version"] is None:
        whose = "an older mql-notebook's (no install recorded)"
    state = "running" if row["running"] else "not running (a stale record)"
    return (
        f"{whose} emulator: {row['url']} pid {row['pid']} {state}, {describe_install(row)}; "
        f"state file {row['state_file']}"
    )


def _alive(state: Path) -> bool:
    return local_daemon.running_daemon(state) is not None


def _ended(pid: int) -> bool:
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline:
        if not local_daemon.pid_alive(pid):
            return True
        time.sleep(0.05)  # a command-line process: nothing else waits on this thread
    return False


def _forget(state: Path, recorded: dict[str, Any] | None) -> None:
    """Remove a record whose process has ended (never one a newer emulator rewrote)."""
    if recorded is None or local_daemon.pid_alive(int(recorded["pid"])):
        return
    current = local_daemon.read_state(state)
    if current is not None and current.get("pid") == recorded["pid"]:
        state.unlink(missing_ok=True)
