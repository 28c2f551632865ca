"""``mql-notebook serve`` in one terminal, the client in another: the lines serve prints to
export are all a user needs (a loopback server gets a placeholder key), and --idle-exit."""

from __future__ import annotations

import inspect
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from mql_notebook import ConfigurationError
from mql_notebook.client import AsyncMQL
from mql_notebook.client.settings import LOOPBACK_PLACEHOLDER_KEY, Settings, resolve_settings

from .conftest import CliRunner, command_env

PROMPT = "A timelapse of a flower blooming in a garden"


@contextmanager
def serve(*args: str) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    """``mql-notebook serve --port 0 ...``; yields the process and the lines it printed up to
    "Ctrl-C to stop" (the announcement)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "mql_notebook.cli", "serve", "--port", "0", "--quiet", *args],
        env=command_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines: list[str] = []
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("Ctrl-C to stop"):
                break
        yield process, lines
    finally:
        process.terminate()
        process.wait(timeout=30)


def _exports(lines: list[str]) -> dict[str, str]:
    """What the printed ``export NAME=VALUE   # comment`` lines set."""
    exported = {}
    for line in lines:
        if line.startswith("export "):
            name, _, value = line.split()[1].partition("=")
            exported[name] = value
    return exported


def test_the_exported_base_url_alone_is_enough(cli: CliRunner, tmp_path: Path) -> None:
    with serve("--pace", "0.5") as (_, lines):
        exported = _exports(lines)
        assert list(exported) == ["MQL_BASE_URL"], lines
        assert exported["MQL_BASE_URL"].startswith("http://127.0.0.1:")
        created = cli("generate", PROMPT, "--output", "flower.mp4", cwd=tmp_path, **exported)
        assert created.returncode == 0, created.stderr
        assert (tmp_path / "flower.mp4").stat().st_size > 0


def test_a_server_with_a_fixed_key_says_the_key_is_needed(cli: CliRunner, tmp_path: Path) -> None:
    with serve("--api-key", "mql_fixed_for_this_test") as (_, lines):
        exported = _exports(lines)
        assert set(exported) == {"MQL_BASE_URL", "MQL_API_KEY"}, lines
        assert "mql_fixed_for_this_test" not in "\n".join(lines)  # never echoed
        refused = cli("status", "video_1", cwd=tmp_path, MQL_BASE_URL=exported["MQL_BASE_URL"])
        assert refused.returncode == 3 and "fixed key" in refused.stderr
        allowed = cli(
            "status",
            "video_1",
            cwd=tmp_path,
            MQL_BASE_URL=exported["MQL_BASE_URL"],
            MQL_API_KEY="mql_fixed_for_this_test",
        )
        assert allowed.returncode == 3 and "404" in allowed.stderr


def test_serve_stops_by_itself_after_its_idle_time() -> None:
    with serve("--idle-exit", "1") as (process, lines):
        assert "stops after 1 s without a request" in lines
        assert process.wait(timeout=60) == 0
        assert process.stdout is not None
        assert "no request for 1 s" in process.stdout.read()


def _settings(url: str, environ: dict[str, str]) -> Settings:
    """The settings ``AsyncMQL(base_url=url)`` resolves (its defaults) under ``environ``."""
    arguments = inspect.signature(AsyncMQL).bind(base_url=url)
    arguments.apply_defaults()
    given = {k: v for k, v in arguments.arguments.items() if k not in ("transport", "library")}
    return resolve_settings(given, environ)


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]:8000", "http://127.0.0.2"],
)
def test_a_loopback_base_url_without_a_key_sends_a_placeholder(url: str) -> None:
    settings = _settings(url, {})
    assert settings.api_key == LOOPBACK_PLACEHOLDER_KEY
    # A key the user set still wins.
    assert _settings(url, {"MQL_API_KEY": "mql_mine"}).api_key == "mql_mine"


@pytest.mark.parametrize(
    "url", ["https://api.metriqual.com", "http://192.168.1.5:8000", "http://localhost.evil.com"]
)
def test_any_other_base_url_without_a_key_still_says_how_to_set_one(url: str) -> None:
    with pytest.raises(ConfigurationError, match="MQL_API_KEY"):
        _settings(url, {})
