"""The command line takes any model the gateway routes, as the Python client does: a documented
model's options are checked before anything is sent (exit 2), another model's go to the server,
whose 400 is shown with the field (exit 3). Real ``mql-notebook`` processes against the emulator."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

from .conftest import CliRunner


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def test_veo_3_with_its_8_seconds_is_sent_and_saved(cli: CliRunner, tmp_path: Path) -> None:
    result = cli(
        "generate", "A heron lands", "--model", "veo-3", "--duration", "8", "-o", "heron.mp4",
        cwd=tmp_path, MQL_BASE_URL="local",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "heron.mp4"
    assert (tmp_path / "heron.mp4").read_bytes()[4:8] == b"ftyp"
    gid = re.search(r"generation (\S+) created", result.stderr)
    assert gid is not None, result.stderr
    status = cli("status", gid.group(1), "--json", cwd=tmp_path, MQL_BASE_URL="local")
    raw = json.loads(status.stdout)
    assert raw["model"] == "veo-3" and raw["seconds"] == 8, raw


def test_an_option_the_model_lacks_is_the_servers_400_naming_the_field(
    cli: CliRunner, tmp_path: Path
) -> None:
    result = cli(
        "generate", "A heron lands", "--model", "veo-3", "--duration", "7",
        cwd=tmp_path, MQL_BASE_URL="local",
    )  # fmt: skip
    assert result.returncode == 3, result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("error: HTTP 400 while creating a generation: "), line
    assert "duration=7" in line and "8" in line and "veo-3" in line
    assert list(tmp_path.glob("*.mp4")) == []


def test_a_documented_models_bad_option_is_refused_before_sending(
    cli: CliRunner, tmp_path: Path
) -> None:
    # Nothing listens there: an exit 4 would mean the request went out.
    result = cli(
        "generate", "A heron lands", "--model", "sora", "--duration", "8",
        cwd=tmp_path, MQL_BASE_URL=_closed_port_url(), MQL_API_KEY="mql_test_key",
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "duration" in result.stderr and "5, 10, 15, 20" in result.stderr


def test_help_still_lists_the_documented_values(cli: CliRunner, tmp_path: Path) -> None:
    result = cli("generate", "--help", cwd=tmp_path)
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    for values in ("16:9, 9:16, 1:1", "5, 10, 15, 20", "480p, 720p, 1080p"):
        assert values in text, text


def test_batch_takes_another_models_duration_too(cli: CliRunner, tmp_path: Path) -> None:
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("A heron lands\n")
    library = tmp_path / "videos"
    args = ("batch", str(prompts), "--model", "veo-3", "--duration", "8")
    result = cli(*args, "--library", str(library), cwd=tmp_path, MQL_BASE_URL="local")
    assert result.returncode == 0, result.stderr
    listed = cli("library", "list", "--json", "--library", str(library), cwd=tmp_path)
    (entry,) = [json.loads(line) for line in listed.stdout.splitlines()]
    assert entry["status"] == "completed" and entry["model"] == "veo-3", entry
    assert entry["options"]["duration"] == 8, entry
