"""What the command line says when something is wrong: the URL it could not reach, each id once,
its version."""

from __future__ import annotations

import socket
from pathlib import Path

from mql_notebook import NotFoundError, __version__

from .conftest import CliRunner


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_version(cli: CliRunner, tmp_path: Path) -> None:
    result = cli("--version", cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.strip() == f"mql-notebook {__version__}"


def test_an_unreachable_server_is_named_with_what_was_being_done(
    cli: CliRunner, tmp_path: Path
) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    result = cli("status", "video_1", cwd=tmp_path, MQL_BASE_URL=url)
    assert result.returncode == 4
    assert result.stderr.strip() == (
        f"error: could not reach {url} (connection refused) while checking generation video_1"
    )


def test_a_404_names_the_id_once_besides_the_servers_own_words(
    cli: CliRunner, tmp_path: Path
) -> None:
    result = cli("status", "video_nope", cwd=tmp_path, MQL_BASE_URL="local")
    assert result.returncode == 3
    first_line = result.stderr.splitlines()[0]
    assert first_line.startswith("error: HTTP 404 while checking generation video_nope: ")
    assert "(generation video_nope)" not in first_line


def test_python_errors_keep_the_id_when_the_operation_does_not_name_it() -> None:
    # Downloading variant video_2 of generation video_1: both ids are needed.
    named = NotFoundError(
        "gone", status_code=404, operation="downloading video video_2", generation_id="video_1"
    )
    assert str(named) == "HTTP 404 while downloading video video_2 (generation video_1): gone"
    once = NotFoundError(
        "gone", status_code=404, operation="checking generation video_1", generation_id="video_1"
    )
    assert str(once) == "HTTP 404 while checking generation video_1: gone"
