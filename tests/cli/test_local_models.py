"""A model the emulator was not built with, from the command line, as the newcomer typed it:
``generate --model MiniMax-Hailuo-02`` answers 404 with one sentence saying how to add it;
``MQL_LOCAL_MODELS`` adds it to the background emulator, ``serve --model`` to a served one, and
``base_url="local"`` (the demo's kernel) reads ``MQL_LOCAL_MODELS`` too."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import av
import httpx

from .conftest import CliRunner, cli_command, cli_env

PROMPT = "A paper boat on a rainy street"
HAILUO = "MiniMax-Hailuo-02"
SPEC = f"{HAILUO}:6,10:768P,1080P"
LOCAL = {"MQL_BASE_URL": "local", "MQL_LOCAL_PACE": "0.5"}


def _size(path: Path) -> tuple[int, int, float]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        duration = float(container.duration / av.time_base)
        return stream.codec_context.width, stream.codec_context.height, round(duration, 1)


def test_an_unknown_model_says_in_one_sentence_how_to_add_it(
    cli: CliRunner, tmp_path: Path
) -> None:
    result = cli("generate", PROMPT, "--model", HAILUO, cwd=tmp_path, **LOCAL)
    assert result.returncode == 3, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert f"MQL_LOCAL_MODELS={HAILUO}" in line and not re.search(r"\.\s+[A-Z]", line), line
    assert line.startswith(f"error: the local emulator does not serve model '{HAILUO}'")


def test_mql_local_models_adds_it_to_the_background_emulator(
    cli: CliRunner, tmp_path: Path
) -> None:
    env = {**LOCAL, "MQL_LOCAL_MODELS": f"veo-4; {SPEC}"}
    made = cli(
        "generate", PROMPT, "--model", HAILUO, "--duration", "6", "--resolution", "768P",
        "-o", "boat.mp4", cwd=tmp_path, **env,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert _size(tmp_path / "boat.mp4") == (1366, 768, 6.0)
    # Its own options are checked by the emulator, as a gateway would.
    refused = cli("generate", PROMPT, "--model", HAILUO, "--duration", "8", cwd=tmp_path, **env)
    assert refused.returncode == 3 and "duration" in refused.stderr and "6, 10" in refused.stderr
    # A malformed setting is a configuration error naming the variable (exit 2).
    bad = cli("generate", PROMPT, cwd=tmp_path, **{**LOCAL, "MQL_LOCAL_MODELS": "x:6:4k"})
    assert bad.returncode == 2 and "MQL_LOCAL_MODELS" in bad.stderr, bad.stderr


def test_serve_model_adds_it_and_refuses_a_bad_spec_with_serves_usage() -> None:
    bad = subprocess.run(
        cli_command("serve", "--port", "0", "--model", "x:6:4k"),
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2 and bad.stderr.startswith("usage: mql-notebook serve"), bad.stderr
    process = subprocess.Popen(
        cli_command("serve", "--port", "0", "--quiet", "--pace", "0", "--model", SPEC),
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = re.search(r"serving (http://\S+)", process.stdout.readline())
        assert url, "serve did not start"
        settings = httpx.get(f"{url.group(1)}/_emulator/settings", timeout=10).json()
        assert settings["models"][-1] == HAILUO
        created = httpx.post(
            f"{url.group(1)}/v1/videos/generations",
            json={"model": HAILUO, "prompt": PROMPT, "resolution": "1080P", "duration": 10},
            headers={"Authorization": "Bearer mql_serve_model"},
            timeout=10,
        ).json()
        assert (created["size"], created["seconds"]) == ("1920x1080", 10)
    finally:
        process.terminate()
        process.wait(20)
        if process.stdout:
            process.stdout.close()


def test_base_url_local_in_python_reads_mql_local_models(tmp_path: Path) -> None:
    # What the demo's kernel runs: MQL() with MQL_BASE_URL=local, the in-process emulator.
    code = (
        "from mql_notebook import MQL\n"
        f"video = MQL().video.create_and_download(model={HAILUO!r}, prompt='a kite', duration=10)\n"
        "open('kite.mp4', 'wb').write(video)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=cli_env(MQL_BASE_URL="local", MQL_LOCAL_PACE="0", MQL_LOCAL_MODELS=SPEC),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert _size(tmp_path / "kite.mp4") == (1366, 768, 10.0)
