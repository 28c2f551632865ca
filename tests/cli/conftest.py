"""Fixtures for the command line's tests: real ``mql-notebook`` processes, and a runtime folder
of their own, so the background emulator that ``MQL_BASE_URL=local`` starts is this test's
alone and is stopped when the test ends (never the user's, never left running)."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from mql_notebook.cli.local_daemon import recorded_states, stop_daemon

CliRunner = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(autouse=True)
def runtime_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> Iterator[Path]:
    """``XDG_RUNTIME_DIR`` for this test's commands: where the background emulator is recorded."""
    folder = tmp_path_factory.mktemp("runtime")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    yield folder
    for state in recorded_states(folder):
        stop_daemon(state)
    # Any other emulator recorded here (a test that failed half-way): this test started it.
    for process in psutil.process_iter(["cmdline"]):
        if f"--state-file {folder}{os.sep}" in " ".join(process.info["cmdline"] or []):
            with contextlib.suppress(psutil.Error):
                process.terminate()


def command_env(**env: str) -> dict[str, str]:
    """The test's environment without the user's MQL_ settings, plus ``env``."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("MQL_")}
    full.update(env)
    return full


@pytest.fixture
def cli() -> CliRunner:
    """``cli("status", id, cwd=path, MQL_BASE_URL="local")``: one ``mql-notebook`` process."""

    def run(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "mql_notebook.cli", *args],
            cwd=cwd,
            env=command_env(**env),
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run


# -- batch and library commands: an emulator served by `mql-notebook serve` in its own
# process (it outlives a killed batch), and commands run or left running.

ROOT = Path(__file__).resolve().parents[2]
KEY = "mql_cli_batch_test"


def cli_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    for name in ("MQL_LIBRARY", "MQL_API_KEY", "MQL_BASE_URL"):
        env.pop(name, None)
    env.update(extra)
    return env


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "mql_notebook.cli", *args]


@dataclass
class Served:
    """An emulator run by ``mql-notebook serve`` in its own process."""

    url: str
    process: subprocess.Popen[str]

    @property
    def env(self) -> dict[str, str]:
        return cli_env(MQL_BASE_URL=self.url, MQL_API_KEY=KEY)

    def requests(self) -> list[dict[str, Any]]:
        answer = httpx.get(f"{self.url}/_emulator/requests", timeout=10)
        answer.raise_for_status()
        return list(answer.json()["requests"])

    def creates(self) -> list[dict[str, Any]]:
        return [r for r in self.requests() if r["endpoint"] == "create"]


@pytest.fixture
def serve() -> Iterator[Callable[..., Served]]:
    """``serve(pace=2.0)`` starts an emulator process; every one is stopped after the test."""
    started: list[subprocess.Popen[str]] = []

    def start(pace: float = 2.0, *extra: str) -> Served:
        process = subprocess.Popen(
            cli_command("serve", "--port", "0", "--pace", str(pace), "--quiet", *extra),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=cli_env(),
        )
        started.append(process)
        assert process.stdout is not None
        first = process.stdout.readline()  # "... serving http://127.0.0.1:PORT (...)"
        found = re.search(r"serving (http://\S+)", first)
        assert found, f"mql-notebook serve did not start: {first!r}"
        return Served(found.group(1), process)

    yield start
    for process in started:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()


@pytest.fixture
def run_cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """``run_cli("batch", "FILE", env=..., cwd=...)``: a ``mql-notebook`` command to its end."""

    def run(
        *args: str, env: dict[str, str], cwd: Path | None = None, timeout: float = 180
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            cli_command(*args),
            capture_output=True,
            text=True,
            env=env,
            cwd=cwd,
            timeout=timeout,
            check=False,
        )

    return run


@pytest.fixture
def start_cli() -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """``start_cli("batch", "FILE", env=...)``: a command left running (killed after the test)."""
    started: list[subprocess.Popen[str]] = []

    def start(*args: str, env: dict[str, str], cwd: Path | None = None) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            cli_command(*args),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=cwd,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait()
        if process.stderr:
            process.stderr.close()
