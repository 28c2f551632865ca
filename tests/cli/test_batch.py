"""``mql-notebook batch FILE`` as a user runs it: real processes, real HTTP, an emulator run by
``mql-notebook serve`` in its own process (it outlives a killed batch), jobs counted in its
request log."""

from __future__ import annotations

import hashlib
import json
import signal
import time
from pathlib import Path

import httpx
import pytest

PROMPTS = [f"Prompt number {i}: a paper boat on a pond, seen from above" for i in range(1, 13)]


def completed_entries(run_cli, env, library: Path) -> list[dict]:
    listed = run_cli("library", "list", "--json", "--library", str(library), env=env)
    assert listed.returncode == 0, listed.stderr
    entries = [json.loads(line) for line in listed.stdout.splitlines()]
    return [e for e in entries if e["status"] == "completed"]


def wait_until(condition, what: str, deadline: float = 120.0) -> None:
    """Wait for a condition seen from outside (not a timing assertion: a safety net)."""
    give_up = time.monotonic() + deadline
    while not condition():
        assert time.monotonic() < give_up, f"gave up waiting for {what}"
        time.sleep(0.05)


@pytest.mark.slow
def test_a_batch_killed_and_run_again_creates_each_job_once(
    tmp_path: Path, serve, run_cli, start_cli
) -> None:
    served = serve(pace=3.0)
    batch = tmp_path / "prompts.txt"
    batch.write_text("# twelve prompts\n\n" + "\n".join(PROMPTS) + "\n")
    library = tmp_path / "videos"
    args = ("batch", str(batch), "--concurrency", "4", "--duration", "5", "--library", str(library))

    first = start_cli(*args, env=served.env)
    wait_until(lambda: len(served.creates()) >= 4, "the first run's creates")
    first.send_signal(signal.SIGKILL)
    first.wait()
    created_before_kill = len(served.creates())
    assert created_before_kill < 12  # killed mid-batch, with lines left to create

    again = run_cli(*args, env=served.env)
    assert again.returncode == 0, again.stderr
    assert "12/12 done" in again.stderr and "\r" not in again.stderr  # plain lines, not a TTY
    creates = served.creates()
    assert len({r["generation_id"] for r in creates}) == 12  # 12 jobs in all
    assert len({r["idempotency_key"] for r in creates}) == 12
    jobs = httpx.get(f"{served.url}/_emulator", timeout=10).json()["jobs"]
    assert jobs == 12

    entries = completed_entries(run_cli, served.env, library)
    assert sorted(e["prompt"] for e in entries) == sorted(PROMPTS)
    for entry in entries:
        data = Path(entry["files"][0]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"][0]
        assert len(data) == entry["sizes"][0] > 0

    # A third run has nothing left to do: no request at all reaches the server.
    before = len(served.requests())
    third = run_cli(*args, env=served.env)
    assert third.returncode == 0, third.stderr
    assert "12 completed (12 by an earlier run)" in third.stderr
    assert len(served.requests()) == before


@pytest.mark.parametrize(
    ("bad_line", "said"),
    [
        ('{"prompt": "a fox", "duration": 7}', "duration"),
        ('{"prompt": "a fox", "durtion": 5}', "'durtion'"),
        ('{"prompt": "a fox", ', "not valid JSON"),
        ('{"duration": 5}', '"prompt"'),
        ('{"prompt": "a fox", "model": "sora 9!"}', "model"),
    ],
)
def test_a_bad_line_exits_2_naming_it_and_nothing_is_sent(
    tmp_path: Path, serve, run_cli, bad_line: str, said: str
) -> None:
    served = serve(pace=1.0)
    batch = tmp_path / "prompts.txt"
    batch.write_text(f"# header\nA red fox in the snow\n\n{bad_line}\nA blue whale\n")
    result = run_cli("batch", str(batch), "--library", str(tmp_path / "lib"), env=served.env)
    assert result.returncode == 2
    assert "line 4" in result.stderr and said in result.stderr
    assert "nothing was sent" in result.stderr
    assert served.requests() == []
    assert not (tmp_path / "lib").exists()


def test_a_prompt_too_long_for_the_api_is_caught_before_anything_is_sent(
    tmp_path: Path, serve, run_cli
) -> None:
    served = serve(pace=1.0)
    batch = tmp_path / "prompts.txt"
    batch.write_text("A red fox\n" + "x" * 100_000 + "\n")
    result = run_cli("batch", str(batch), "--library", str(tmp_path / "lib"), env=served.env)
    assert result.returncode == 2 and "line 2" in result.stderr
    assert served.requests() == []


@pytest.mark.parametrize("how", ["--no-library", "MQL_LIBRARY=off"])
def test_batch_refuses_to_run_without_the_library(tmp_path: Path, serve, run_cli, how: str) -> None:
    served = serve(pace=1.0)
    batch = tmp_path / "prompts.txt"
    batch.write_text("A red fox\n")
    env = served.env
    args = ["batch", str(batch)]
    if how == "--no-library":
        args.append("--no-library")
    else:
        env["MQL_LIBRARY"] = "off"
    result = run_cli(*args, env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "needs the library" in result.stderr and "paid twice" in result.stderr
    assert served.requests() == []


def test_failed_lines_exit_5_with_a_summary_and_are_not_paid_again(
    tmp_path: Path, serve, run_cli
) -> None:
    served = serve(pace=0.5)
    batch = tmp_path / "prompts.txt"
    batch.write_text("A red fox\nA sinking ship [[fail]]\nA blue whale\n")
    args = ("batch", str(batch), "--library", str(tmp_path / "lib"))
    first = run_cli(*args, env=served.env)
    assert first.returncode == 5
    assert "2 completed" in first.stderr and "1 failed" in first.stderr
    assert "line 2 (video_" in first.stderr
    again = run_cli(*args, env=served.env)
    assert again.returncode == 5 and "line 2 (video_" in again.stderr
    assert len(served.creates()) == 3


def test_editing_the_file_above_a_line_does_not_create_it_again(
    tmp_path: Path, serve, run_cli
) -> None:
    served = serve(pace=0.5)
    batch = tmp_path / "prompts.txt"
    batch.write_text("A red fox\nA red fox\nA blue whale\n")  # the same prompt twice: two jobs
    args = ("batch", str(batch), "--library", str(tmp_path / "lib"))
    assert run_cli(*args, env=served.env).returncode == 0
    assert len(served.creates()) == 3
    # A comment and a new prompt above moves every line down; only the new prompt is created.
    batch.write_text("# the zoo\nA green parrot\nA red fox\nA red fox\nA blue whale\n")
    result = run_cli(*args, env=served.env)
    assert result.returncode == 0, result.stderr
    assert "1 create(s) sent by this run" in result.stderr
    assert len(served.creates()) == 4
    # Another option for the same prompts is another request: new jobs.
    result = run_cli(*args, "--aspect-ratio", "1:1", env=served.env)
    assert result.returncode == 0 and len(served.creates()) == 8


def test_a_create_whose_answer_was_lost_is_sent_again_with_the_same_key(
    tmp_path: Path, serve, run_cli
) -> None:
    served = serve(0.5, "--script", "create=drop")  # the first create's answer never arrives
    batch = tmp_path / "prompts.txt"
    batch.write_text("A red fox\nA blue whale\n")
    args = ("batch", str(batch), "--library", str(tmp_path / "lib"))
    first = run_cli(*args, env=served.env)
    assert first.returncode == 5 and "1 unfinished" in first.stderr
    again = run_cli(*args, env=served.env)
    assert again.returncode == 0, again.stderr
    creates = served.creates()
    assert len(creates) == 3  # the lost one, its resend, the other line
    assert len({c["idempotency_key"] for c in creates}) == 2
    assert httpx.get(f"{served.url}/_emulator", timeout=10).json()["jobs"] == 2


def test_with_mql_base_url_local_a_re_run_resumes_from_the_background_emulator(
    tmp_path: Path, run_cli
) -> None:
    from .conftest import cli_env

    env = cli_env(MQL_BASE_URL="local", MQL_LOCAL_PACE="0.5")
    batch = tmp_path / "prompts.txt"
    batch.write_text("A red fox\nA blue whale\n")
    args = ("batch", str(batch), "--library", str(tmp_path / "lib"))
    first = run_cli(*args, env=env)
    assert first.returncode == 0, first.stderr
    assert "inside this process" not in first.stderr  # the shared background emulator
    again = run_cli(*args, env=env)
    assert again.returncode == 0 and "0 create(s) sent by this run" in again.stderr
