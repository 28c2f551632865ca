"""The command line as a user runs it: a real process, the emulator behind MQL_BASE_URL=local."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import av
import pytest

from mql_notebook.local import LocalServer

PROMPT = "A timelapse of a flower blooming in a garden"


def run(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("MQL_")}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "-m", "mql_notebook.cli", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


LOCAL = {"MQL_BASE_URL": "local", "MQL_LOCAL_PACE": "0.5"}


def test_generate_writes_a_playable_mp4_of_the_requested_duration(tmp_path: Path) -> None:
    result = run(
        "generate",
        PROMPT,
        "--duration",
        "5",
        "--aspect-ratio",
        "9:16",
        "--output",
        "flower.mp4",
        cwd=tmp_path,
        **LOCAL,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "flower.mp4"
    assert "created" in result.stderr and "completed" in result.stderr
    with av.open(str(tmp_path / "flower.mp4")) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert stream.height > stream.width  # 9:16
        assert float(container.duration / av.time_base) == pytest.approx(5.0, abs=0.05)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["flower.mp4"]


def test_status_and_download_of_an_existing_job(tmp_path: Path) -> None:
    # Separate processes share jobs through one served emulator ("local" lives inside each process).
    with LocalServer(pace=0.5) as server:
        served = {"MQL_BASE_URL": server.url, "MQL_API_KEY": "mql_cli_test"}
        _generate_then_status_then_download(tmp_path, served)


def _generate_then_status_then_download(tmp_path: Path, env: dict[str, str]) -> None:
    created = run("generate", PROMPT, "--n", "2", "--output", "v.mp4", cwd=tmp_path, **env)
    assert created.returncode == 0, created.stderr
    assert created.stdout.split() == ["v-1.mp4", "v-2.mp4"]
    assert (tmp_path / "v-1.mp4").read_bytes() != (tmp_path / "v-2.mp4").read_bytes()
    generation_id = created.stderr.split("generation ", 1)[1].split()[0]

    status = run("status", generation_id, cwd=tmp_path, **env)
    assert status.returncode == 0 and status.stdout.split()[:2] == [generation_id, "completed"]

    downloaded = run(
        "download", generation_id, "--variant", "1", "--output", "again.mp4", cwd=tmp_path, **env
    )
    assert downloaded.returncode == 0, downloaded.stderr
    assert (tmp_path / "again.mp4").read_bytes() == (tmp_path / "v-2.mp4").read_bytes()


@pytest.mark.parametrize(
    "args,code,needle",
    [
        (["generate", PROMPT, "--n", "9"], 2, "n must be an int from 1 to 4"),
        (["generate", "   "], 2, "prompt is empty"),
        (["generate", PROMPT, "--model", "sora 9"], 2, "model"),
        (["generate", PROMPT, "--model", "sora-9"], 3, "MQL_LOCAL_MODELS=sora-9"),
        (["generate", PROMPT, "--duration", "7"], 2, "duration must be one of 5, 10, 15, 20"),
        (["status", "video_does_not_exist"], 3, "404"),
    ],
)
def test_bad_input_fails_clearly_with_a_nonzero_code(
    tmp_path: Path, args: list[str], code: int, needle: str
) -> None:
    result = run(*args, cwd=tmp_path, **LOCAL)
    assert result.returncode == code, result.stderr
    assert needle in result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_unreachable_server_fails_with_code_4(tmp_path: Path) -> None:
    result = run(
        "generate", PROMPT, cwd=tmp_path, MQL_BASE_URL="http://127.0.0.1:9", MQL_API_KEY="mql_test"
    )
    assert result.returncode == 4
    assert "127.0.0.1:9" in result.stderr or "connect" in result.stderr.lower()
    assert "Traceback" not in result.stderr


def test_no_key_says_how_to_get_one(tmp_path: Path) -> None:
    result = run("status", "video_1", cwd=tmp_path)
    assert result.returncode == 2
    assert "MQL_API_KEY" in result.stderr and "local" in result.stderr


def test_every_command_has_help(tmp_path: Path) -> None:
    for command in ("generate", "status", "download", "serve", "demo"):
        result = run(command, "--help", cwd=tmp_path)
        assert result.returncode == 0 and "usage: mql-notebook " + command in result.stdout


@pytest.mark.parametrize(
    "args,usage",
    [
        (["generate", "--bogus", PROMPT], "usage: mql-notebook generate "),
        (["generate", PROMPT, "extra words"], "usage: mql-notebook generate "),
        (["library", "list", "--bogus"], "usage: mql-notebook library list "),
        (["local", "status", "--bogus"], "usage: mql-notebook local status "),
        (["serve", "--bogus"], "usage: mql-notebook serve "),
        (["--bogus", "status", "video_1"], "usage: mql-notebook [-h] [--version] COMMAND"),
    ],
)
def test_an_unknown_argument_shows_the_usage_of_the_command_it_was_given_to(
    tmp_path: Path, args: list[str], usage: str
) -> None:
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(usage), result.stderr
    bad = next(a for a in args if a in ("--bogus", "extra words"))
    assert f"error: unrecognized arguments: {bad}" in result.stderr
