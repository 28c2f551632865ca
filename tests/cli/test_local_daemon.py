"""``MQL_BASE_URL=local`` on the command line: commands run one after another, each its own
process, see the same jobs through one background emulator that stops by itself when idle."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import av
import httpx
import psutil
import pytest

from mql_notebook._version import __version__
from mql_notebook.cli.local_daemon import log_path, state_path

from .conftest import CliRunner, command_env

PROMPT = "A timelapse of a flower blooming in a garden"
LOCAL = {"MQL_BASE_URL": "local", "MQL_LOCAL_PACE": "1"}
ROOT = Path(__file__).resolve().parents[2]


def _state(runtime_dir: Path) -> dict[str, object]:
    return json.loads(state_path(runtime_dir).read_text())


def _created_id(stderr: str) -> str:
    found = re.search(r"generation (\S+) created", stderr)
    assert found, stderr
    return found.group(1)


def _serving(runtime_dir: Path) -> list[int]:
    """The pids of every emulator process recorded in this test's runtime folder."""
    pids = []
    for process in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if "serve" in cmdline and f"--state-file {runtime_dir}{os.sep}" in cmdline:
            pids.append(process.pid)
    return pids


def test_the_readme_terminal_block_works_as_written(
    cli: CliRunner, tmp_path: Path, runtime_dir: Path
) -> None:
    # export MQL_BASE_URL=local; generate ...; status ID; download ID --output flower.mp4
    created = cli(
        "generate", PROMPT, "--duration", "5", "--output", "flower.mp4", cwd=tmp_path, **LOCAL
    )
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == "flower.mp4"
    generation_id = _created_id(created.stderr)
    daemon = _state(runtime_dir)
    first = (tmp_path / "flower.mp4").read_bytes()

    status = cli("status", generation_id, cwd=tmp_path, **LOCAL)
    assert status.returncode == 0, status.stderr
    assert status.stdout.split()[:2] == [generation_id, "completed"]

    (tmp_path / "flower.mp4").unlink()
    downloaded = cli("download", generation_id, "--output", "flower.mp4", cwd=tmp_path, **LOCAL)
    assert downloaded.returncode == 0, downloaded.stderr
    assert (tmp_path / "flower.mp4").read_bytes() == first
    with av.open(str(tmp_path / "flower.mp4")) as container:
        assert float(container.duration / av.time_base) == pytest.approx(5.0, abs=0.05)
    # One emulator, outliving each command, served all three.
    assert _state(runtime_dir) == daemon
    assert _serving(runtime_dir) == [daemon["pid"]]


def test_the_background_emulator_stops_when_idle_and_the_next_command_starts_another(
    cli: CliRunner, tmp_path: Path, runtime_dir: Path
) -> None:
    env = {**LOCAL, "MQL_LOCAL_IDLE_EXIT": "3"}
    created = cli("generate", PROMPT, "--output", "a.mp4", cwd=tmp_path, **env)
    assert created.returncode == 0, created.stderr
    generation_id = _created_id(created.stderr)
    first = psutil.Process(int(_state(runtime_dir)["pid"]))  # type: ignore[arg-type]

    first.wait(timeout=60)  # it exits by itself once no request came for 3 s
    assert not state_path(runtime_dir).exists()  # and says so: no stale record is left

    again = cli("status", generation_id, cwd=tmp_path, **env)
    assert again.returncode == 3
    assert "404" in again.stderr and "background emulator that forgets them" in again.stderr
    assert _state(runtime_dir)["pid"] != first.pid
    assert _serving(runtime_dir) == [_state(runtime_dir)["pid"]]


def test_two_commands_started_at_once_share_one_emulator(tmp_path: Path, runtime_dir: Path) -> None:
    commands = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mql_notebook.cli",
                "generate",
                f"{PROMPT} {i}",
                "-o",
                f"{i}.mp4",
            ],
            cwd=tmp_path,
            env=command_env(**LOCAL),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    results = [(c.wait(timeout=120), c.communicate()) for c in commands]
    assert all(code == 0 for code, _ in results), results
    state = _state(runtime_dir)
    # Both jobs were created on the one emulator recorded, and no other was started.
    requests = httpx.get(f"{state['url']}/_emulator/requests").json()["requests"]
    assert sum(r["endpoint"] == "create" for r in requests) == 2
    assert _serving(runtime_dir) == [state["pid"]]


def test_a_wait_timeout_names_the_commands_that_pick_the_job_up_and_they_work(
    cli: CliRunner, tmp_path: Path
) -> None:
    slow = {**LOCAL, "MQL_LOCAL_PACE": "3"}
    created = cli(
        "generate", PROMPT, "--output", "flower.mp4", "--timeout", "0.3", cwd=tmp_path, **slow
    )
    assert created.returncode == 6, created.stderr
    generation_id = _created_id(created.stderr)
    assert "wait(" not in created.stderr  # Python's advice has no place in a terminal
    commands = re.findall(r"`(mql-notebook [^`]+)`", created.stderr)
    assert commands == [
        f"mql-notebook wait {generation_id}",
        f"mql-notebook download {generation_id} --output flower.mp4",
    ]
    # Run them as a user would paste them.
    waited = cli(*shlex.split(commands[0])[1:], cwd=tmp_path, **slow)
    assert waited.returncode == 0, waited.stderr
    assert waited.stdout.split()[:2] == [generation_id, "completed"]
    assert "100%" in waited.stderr  # the same progress line as generate
    saved = cli(*shlex.split(commands[1])[1:], cwd=tmp_path, **slow)
    assert saved.returncode == 0, saved.stderr
    with av.open(str(tmp_path / "flower.mp4")) as container:
        assert container.streams.video[0].codec_context.name == "h264"


def test_wait_on_a_failing_job_exits_5_with_the_reason(cli: CliRunner, tmp_path: Path) -> None:
    created = cli("generate", f"{PROMPT} [[fail]]", "--timeout", "0.2", cwd=tmp_path, **LOCAL)
    generation_id = _created_id(created.stderr)
    waited = cli("wait", generation_id, cwd=tmp_path, **LOCAL)
    assert waited.returncode == 5, waited.stderr
    assert f"generation {generation_id} ended failed" in waited.stderr


def test_a_daemon_that_died_without_cleaning_up_is_replaced(
    cli: CliRunner, tmp_path: Path, runtime_dir: Path
) -> None:
    # A record naming a process that is gone (killed, machine asleep): the next command starts anew.
    state_path(runtime_dir).write_text(json.dumps({"url": "http://127.0.0.1:9", "pid": 2**22}))
    status = cli("status", "video_nope", cwd=tmp_path, **LOCAL)
    assert status.returncode == 3 and "404" in status.stderr, status.stderr
    assert _state(runtime_dir)["url"] != "http://127.0.0.1:9"
    assert _serving(runtime_dir) == [_state(runtime_dir)["pid"]]


def test_the_users_key_never_reaches_the_background_emulator(
    cli: CliRunner, tmp_path: Path, runtime_dir: Path
) -> None:
    canary = "mql_canary_key_for_the_daemon_test"
    status = cli("status", "video_nope", cwd=tmp_path, MQL_API_KEY=canary, **LOCAL)
    assert status.returncode == 3, status.stderr
    daemon = psutil.Process(int(_state(runtime_dir)["pid"]))  # type: ignore[arg-type]
    assert "MQL_API_KEY" not in daemon.environ()
    assert canary not in " ".join(daemon.cmdline())
    assert canary not in log_path(state_path(runtime_dir)).read_text()


# -- one background emulator per install (issue 23, item 3) -----------------------------------


def _other_install(tmp_path: Path) -> Path:
    """Another checkout of another version: a copy of the package, its version changed."""
    other = tmp_path / "other-checkout"
    shutil.copytree(ROOT / "mql_notebook", other / "mql_notebook", ignore=_no_caches)
    (other / "mql_notebook" / "_version.py").write_text('__version__ = "9.9.9"\n')
    return other


def _no_caches(folder: str, names: list[str]) -> list[str]:
    return [n for n in names if n == "__pycache__"]


def test_a_command_of_another_install_starts_its_own_emulator_and_local_status_shows_whose(
    cli: CliRunner, tmp_path: Path, runtime_dir: Path
) -> None:
    mine = cli("status", "video_nope", cwd=tmp_path, **LOCAL)
    assert mine.returncode == 3, mine.stderr
    recorded = _state(runtime_dir)
    assert recorded["version"] == __version__ and recorded["executable"] == sys.executable
    assert recorded["package"] == str(ROOT / "mql_notebook")

    other = _other_install(tmp_path)
    theirs = cli("status", "video_nope", cwd=tmp_path, PYTHONPATH=str(other), **LOCAL)
    assert theirs.returncode == 3, theirs.stderr
    (their_state,) = [p for p in runtime_dir.glob("*.json") if p != state_path(runtime_dir)]
    their_record = json.loads(their_state.read_text())
    assert their_record["version"] == "9.9.9"
    assert their_record["package"] == str(other / "mql_notebook")
    assert their_record["pid"] != recorded["pid"] and _state(runtime_dir) == recorded
    assert sorted(_serving(runtime_dir)) == sorted([recorded["pid"], their_record["pid"]])

    status = cli("local", "status", cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    first, second = status.stdout.strip().splitlines()
    assert first.startswith("this install's emulator: " + str(recorded["url"]))
    assert f"mql-notebook {__version__} ({ROOT / 'mql_notebook'}" in first and "running" in first
    assert second.startswith("another install's emulator: " + str(their_record["url"]))
    assert f"mql-notebook 9.9.9 ({other / 'mql_notebook'}" in second

    stopped = cli("local", "stop", cwd=tmp_path)
    assert stopped.returncode == 0, stopped.stderr
    assert f"stopped this install's background emulator at {recorded['url']}" in stopped.stdout
    assert "1 of other installs still runs" in stopped.stdout
    assert not state_path(runtime_dir).exists()
    assert _serving(runtime_dir) == [their_record["pid"]]

    assert cli("local", "stop", "--all", cwd=tmp_path).returncode == 0
    assert _serving(runtime_dir) == [] and list(runtime_dir.glob("*.json")) == []
    gone = cli("local", "status", cwd=tmp_path)
    assert gone.returncode == 1 and "no background emulator for this install" in gone.stdout


def test_sigterm_ends_the_background_emulator_and_removes_its_state_file(
    cli: CliRunner, tmp_path: Path, runtime_dir: Path
) -> None:
    assert cli("status", "video_nope", cwd=tmp_path, **LOCAL).returncode == 3
    daemon = psutil.Process(int(_state(runtime_dir)["pid"]))  # type: ignore[arg-type]
    daemon.terminate()  # kill -TERM, as serve's --state-file help says it cleans up after
    daemon.wait(timeout=30)  # not our child: its exit code is not ours to read
    assert not state_path(runtime_dir).exists()
    assert "local emulator stopped" in log_path(state_path(runtime_dir)).read_text()
