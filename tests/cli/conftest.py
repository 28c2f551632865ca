"""Fixtures for the command line's tests: real ``mql-notebook`` processes, and a runtime folder
of their own, so the background emulator that ``MQL_BASE_URL=local`` starts is this test's
alone and is stopped when the test ends (never the user's, never left running)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from mql_notebook.cli.local_daemon import STATE_NAME, stop_daemon

CliRunner = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(autouse=True)
def runtime_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> Iterator[Path]:
    """``XDG_RUNTIME_DIR`` for this test's commands: where the background emulator is recorded."""
    folder = tmp_path_factory.mktemp("runtime")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    yield folder
    stop_daemon(folder / STATE_NAME)
    # Any other emulator recorded here (a test that failed half-way): this test started it.
    for process in psutil.process_iter(["cmdline"]):
        if str(folder / STATE_NAME) in " ".join(process.info["cmdline"] or []):
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
