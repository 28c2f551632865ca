"""Money on the command line, as a user runs it: real processes, real HTTP, a terminal where
one is needed (a pseudo-terminal): generate keeps every paid generation in the default library;
batch prints its estimated total, asks on a terminal above a threshold, keeps a budget."""

from __future__ import annotations

import json
import os
import select
import subprocess
import time
from pathlib import Path

from tests.cli.conftest import cli_command

PRICES = {"currency": "USD", "models": {"sora": {"per_second": 0.10}}}
DEAR = {"currency": "USD", "models": {"sora": {"per_video": 4.0}}}  # 3 lines: $12 > $10


def spent(run_cli, env, library: Path) -> dict:
    result = run_cli("library", "spent", "--json", "--library", str(library), env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_generate_records_into_the_default_library_with_its_real_cost(
    tmp_path: Path, serve, run_cli
) -> None:
    served = serve(0.5, "--billing", '{"per_second": 0.2}')
    env = {**served.env, "MQL_PRICES": json.dumps(PRICES)}
    made = run_cli("generate", "A fox", "--duration", "5", "-o", "fox.mp4", env=env, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert "estimate: $0.50 (1 video, 5 s)" in made.stderr
    assert (tmp_path / "fox.mp4").is_file()
    report = spent(run_cli, env, tmp_path / "mql-videos")  # ./mql-videos, as batch's default
    assert report["total"]["videos"] == 1 and report["total"]["cost"] == 1.0  # the server's
    assert report["total"]["estimated"] == 0

    other = tmp_path / "elsewhere"
    made = run_cli("generate", "A heron", "--library", str(other), env=env, cwd=tmp_path)
    assert made.returncode == 0 and spent(run_cli, env, other)["total"]["videos"] == 1
    none = tmp_path / "none"
    none.mkdir()
    made = run_cli("generate", "A crow", "--no-library", env=env, cwd=none)
    assert made.returncode == 0, made.stderr
    assert [p.suffix for p in none.iterdir()] == [".mp4"]  # the video, and no library


def test_generate_refused_by_the_librarys_budget_exits_7_and_sends_nothing(
    tmp_path: Path, serve, run_cli
) -> None:
    served = serve(0.5)
    library = tmp_path / "lib"
    set_it = run_cli(
        "library", "budget", "--videos", "1", "--library", str(library), env=served.env
    )
    assert set_it.returncode == 0 and "budget 1 video a day" in set_it.stdout
    first = run_cli("generate", "A fox", "--library", str(library), env=served.env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    second = run_cli("generate", "A cat", "--library", str(library), env=served.env, cwd=tmp_path)
    assert second.returncode == 7 and "refused before sending" in second.stderr
    assert "1 video spent today, 0 left" in second.stderr
    assert len(served.creates()) == 1
    shown = run_cli("library", "budget", "--library", str(library), env=served.env)
    assert "spent today 1 video(s)" in shown.stdout and "0 videos left" in shown.stdout


def test_batch_prints_its_estimated_total_first(tmp_path: Path, serve, run_cli) -> None:
    served = serve(0.5)
    batch = tmp_path / "prompts.txt"
    batch.write_text('A fox\nA heron\n{"prompt": "A crow", "duration": 10}\n')
    env = {**served.env, "MQL_PRICES": json.dumps(PRICES)}
    result = run_cli("batch", str(batch), "--library", str(tmp_path / "lib"), env=env)
    assert result.returncode == 0, result.stderr
    first = result.stderr.splitlines()[0]
    assert first == "mql-notebook batch: 3 line(s) to create: $2.00 (3 videos, 20 s)"
    again = run_cli("batch", str(batch), "--library", str(tmp_path / "lib"), env=env)
    assert "to create" not in again.stderr  # nothing left to pay for
    unknown = run_cli("batch", str(batch), "--library", str(tmp_path / "other"), env=served.env)
    assert "3 videos, 20 s; costs are unknown: no price table" in unknown.stderr


def test_a_batch_over_a_budget_sends_what_fits_and_names_the_rest(
    tmp_path: Path, serve, run_cli
) -> None:
    served = serve(0.5)
    batch = tmp_path / "prompts.txt"
    batch.write_text("".join(f"Prompt {i}\n" for i in range(5)))
    result = run_cli(
        "batch",
        str(batch),
        "--budget-videos",
        "3",
        "--library",
        str(tmp_path / "lib"),
        env=served.env,
    )
    assert result.returncode == 5
    assert len(served.creates()) == 3
    assert "2 refused by a budget (not sent)" in result.stderr
    assert result.stderr.count("refused: refused before sending") == 2


def run_on_a_terminal(args: list[str], env: dict[str, str], answer: str | None) -> tuple[int, str]:
    """A command on a pseudo-terminal (stdin, stdout and stderr): ``answer`` typed when it asks."""
    master, slave = os.openpty()
    process = subprocess.Popen(
        args, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True
    )
    os.close(slave)
    seen, answered = b"", False
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the command ended and closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        if answer is not None and not answered and b"[y/N]" in seen:
            os.write(master, answer.encode() + b"\n")
            answered = True
        if process.poll() is not None and not ready:
            break
    code = process.wait(timeout=60)
    os.close(master)
    return code, seen.decode(errors="replace")


def test_a_batch_on_a_terminal_asks_before_a_large_estimate_and_yes_skips(
    tmp_path: Path, serve
) -> None:
    served = serve(0.5)
    batch = tmp_path / "prompts.txt"
    batch.write_text("A fox\nA heron\nA crow\n")
    env = {**served.env, "MQL_PRICES": json.dumps(DEAR)}
    command = cli_command("batch", str(batch), "--library", str(tmp_path / "lib"))

    code, screen = run_on_a_terminal(command, env, "n")
    assert "start 3 create(s), estimated $12.00 (3 videos, 15 s)? [y/N]" in screen
    assert "not started; nothing was sent" in screen and code == 0
    assert served.creates() == []

    code, screen = run_on_a_terminal(command, env, "y")
    assert code == 0, screen
    assert len(served.creates()) == 3

    cheap = {**served.env, "MQL_PRICES": json.dumps(PRICES)}  # $1.50: below, no question
    other = cli_command("batch", str(batch), "--library", str(tmp_path / "cheap"))
    code, screen = run_on_a_terminal(other, cheap, None)
    assert code == 0 and "[y/N]" not in screen

    skipped = cli_command("batch", str(batch), "--library", str(tmp_path / "yes"), "--yes")
    code, screen = run_on_a_terminal(skipped, env, None)
    assert code == 0 and "[y/N]" not in screen and "$12.00" in screen
    assert len(served.creates()) == 9
