"""``mql-notebook library list|show|resume|delete`` over real processes and real HTTP."""

from __future__ import annotations

import hashlib
import json
import signal
import time
from pathlib import Path

import httpx

# The documented, stable keys of `library list --json` and `library show --json` (README.md).
ENTRY_KEYS = [
    "key",
    "id",
    "status",
    "prompt",
    "model",
    "options",
    "created_at",
    "answered_at",
    "finished_at",
    "error",
    "origin",
    "origin_kind",
    "idempotency_key",
    "route",
    "files",
    "sizes",
    "sha256",
    "posters",
    "images",
    "parent",
    "parent_time",
    "estimate",
    "cost",
    "currency",
    "counted",
    "rating",
    "note",
    "batch",
    "batch_index",
    "batch_size",
]


def listed(run_cli, env, library: Path, *extra: str) -> list[dict]:
    result = run_cli("library", "list", "--json", "--library", str(library), *extra, env=env)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def fill(tmp_path: Path, served, run_cli, prompts: list[str]) -> Path:
    batch = tmp_path / "prompts.txt"
    batch.write_text("\n".join(prompts) + "\n")
    library = tmp_path / "lib"
    result = run_cli("batch", str(batch), "--library", str(library), env=served.env)
    assert result.returncode == 0, result.stderr
    return library


def test_list_and_show_print_every_entry_with_fixed_keys(tmp_path: Path, serve, run_cli) -> None:
    served = serve(pace=0.5)
    library = fill(tmp_path, served, run_cli, ["A red fox", "A blue whale", "A green parrot"])
    entries = listed(run_cli, served.env, library)
    assert [list(e) for e in entries] == [ENTRY_KEYS] * 3
    assert {e["prompt"] for e in entries} == {"A red fox", "A blue whale", "A green parrot"}
    assert [e["created_at"] for e in entries] == sorted(
        (e["created_at"] for e in entries), reverse=True
    )
    assert all(e["status"] == "completed" and Path(e["files"][0]).is_file() for e in entries)
    assert len(listed(run_cli, served.env, library, "--limit", "2")) == 2
    assert listed(run_cli, served.env, library, "--status", "failed") == []

    table = run_cli("library", "list", "--library", str(library), env=served.env)
    assert table.returncode == 0 and all(e["id"] in table.stdout for e in entries)

    first = entries[0]
    shown = run_cli(
        "library", "show", first["id"], "--json", "--library", str(library), env=served.env
    )
    assert shown.returncode == 0 and json.loads(shown.stdout) == first
    human = run_cli("library", "show", first["id"], "--library", str(library), env=served.env)
    assert human.returncode == 0 and first["prompt"] in human.stdout
    missing = run_cli("library", "show", "video_nope", "--library", str(library), env=served.env)
    assert missing.returncode == 1 and "video_nope" in missing.stderr


def test_rate_and_note_an_entry_then_list_by_rating(tmp_path: Path, serve, run_cli) -> None:
    served = serve(pace=0.5)
    library = fill(tmp_path, served, run_cli, ["A red fox", "A blue whale"])
    fox, whale = sorted(listed(run_cli, served.env, library), key=lambda e: e["prompt"])
    where = ("--library", str(library))

    def cli(*args: str):
        return run_cli("library", *args, *where, env=served.env)

    rated = cli("rate", fox["id"], "4")
    assert rated.returncode == 0 and "★★★★☆" in rated.stderr, rated.stderr
    assert cli("rate", whale["id"], "1").returncode == 0
    noted = cli("note", whale["id"], "too dark <b>at</b> dusk")
    assert noted.returncode == 0, noted.stderr
    by_id = {e["id"]: e for e in listed(run_cli, served.env, library)}
    assert (by_id[fox["id"]]["rating"], by_id[fox["id"]]["note"]) == (4, None)
    assert (by_id[whale["id"]]["rating"], by_id[whale["id"]]["note"]) == (
        1,
        "too dark <b>at</b> dusk",
    )
    assert [e["id"] for e in listed(run_cli, served.env, library, "--rating", "3")] == [fox["id"]]
    assert len(listed(run_cli, served.env, library, "--rating", "0")) == 2

    refused = cli("rate", fox["id"], "7")
    assert refused.returncode == 2 and "from 0 to 5" in refused.stderr, refused.stderr
    assert cli("rate", fox["id"], "none").returncode == 0
    assert cli("note", whale["id"], "").returncode == 0
    by_id = {e["id"]: e for e in listed(run_cli, served.env, library)}
    assert by_id[fox["id"]]["rating"] is None and by_id[whale["id"]]["note"] is None
    missing = cli("rate", "video_nope", "3")
    assert missing.returncode == 1 and "video_nope" in missing.stderr
    shown = cli("show", whale["id"])
    assert "rating:" in shown.stdout and shown.returncode == 0


def test_list_of_a_folder_without_a_library_is_empty_and_creates_nothing(
    tmp_path: Path, run_cli, serve
) -> None:
    served = serve(pace=0.5)
    folder = tmp_path / "none"
    assert listed(run_cli, served.env, folder) == []
    assert not folder.exists()


def test_delete_removes_the_files_and_the_row_never_the_job(tmp_path: Path, serve, run_cli) -> None:
    served = serve(pace=0.5)
    library = fill(tmp_path, served, run_cli, ["A red fox", "A blue whale"])
    gone, kept = listed(run_cli, served.env, library)
    files = [Path(p) for p in gone["files"] + gone["posters"] if p]
    assert files and all(f.is_file() for f in files)

    unasked = run_cli("library", "delete", gone["id"], "--library", str(library), env=served.env)
    assert unasked.returncode == 2 and "--yes" in unasked.stderr  # no terminal to ask on
    assert all(f.is_file() for f in files)

    deleted = run_cli(
        "library", "delete", gone["id"], "--yes", "--library", str(library), env=served.env
    )
    assert deleted.returncode == 0 and "untouched" in deleted.stderr
    assert not any(f.exists() for f in files)
    assert [e["id"] for e in listed(run_cli, served.env, library)] == [kept["id"]]
    assert Path(kept["files"][0]).is_file()
    assert not [r for r in served.requests() if r["method"] == "DELETE"]
    # The job is still on the server: its video still downloads.
    content = httpx.get(
        f"{served.url}/v1/videos/{gone['id']}/content",
        headers={"Authorization": "Bearer mql_cli_batch_test"},
        timeout=30,
    )
    assert content.status_code == 200


def test_resume_finishes_the_jobs_of_a_killed_batch_without_a_second_create(
    tmp_path: Path, serve, run_cli, start_cli
) -> None:
    served = serve(pace=3.0)
    batch = tmp_path / "prompts.txt"
    batch.write_text("A red fox\nA blue whale\n")
    library = tmp_path / "lib"
    process = start_cli("batch", str(batch), "--library", str(library), env=served.env)
    give_up = time.monotonic() + 60
    while len([e for e in listed(run_cli, served.env, library) if e["id"]]) < 2:
        assert time.monotonic() < give_up, "the batch never recorded its jobs"
        time.sleep(0.1)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert any(e["status"] != "completed" for e in listed(run_cli, served.env, library))

    resumed = run_cli("library", "resume", "--json", "--library", str(library), env=served.env)
    assert resumed.returncode == 0, resumed.stderr
    outcomes = [json.loads(line) for line in resumed.stdout.splitlines()]
    assert {o["outcome"] for o in outcomes} == {"completed"}
    assert len(served.creates()) == 2
    for entry in listed(run_cli, served.env, library):
        data = Path(entry["files"][0]).read_bytes()
        assert entry["status"] == "completed"
        assert hashlib.sha256(data).hexdigest() == entry["sha256"][0]


def test_resume_lists_an_unanswered_create_and_resends_it_only_when_asked(
    tmp_path: Path, serve, run_cli
) -> None:
    served = serve(0.5, "--script", "create=drop")  # the first create's answer is lost
    batch = tmp_path / "prompts.txt"
    batch.write_text("A red fox\n")
    library = tmp_path / "lib"
    first = run_cli("batch", str(batch), "--library", str(library), env=served.env)
    assert first.returncode == 5 and "unfinished" in first.stderr
    [entry] = listed(run_cli, served.env, library)
    assert entry["id"] is None and entry["idempotency_key"]

    unasked = run_cli("library", "resume", "--library", str(library), env=served.env)
    assert unasked.returncode == 5
    assert "unanswered" in unasked.stdout and entry["idempotency_key"] in unasked.stdout
    assert len(served.creates()) == 1

    asked = run_cli(
        "library", "resume", "--resend-unanswered", "--library", str(library), env=served.env
    )
    assert asked.returncode == 0, asked.stderr
    creates = served.creates()
    assert len(creates) == 2 and len({c["generation_id"] for c in creates}) == 1  # the same job
    [entry] = listed(run_cli, served.env, library)
    assert entry["status"] == "completed" and entry["id"] == creates[0]["generation_id"]


def test_jobs_of_mql_base_url_local_are_recorded_as_the_emulators(tmp_path: Path, cli) -> None:
    # README: origin_kind is "emulator" for base_url="local"; from the CLI too (issue 23, item 8).
    library = tmp_path / "lib"
    env = {"MQL_BASE_URL": "local", "MQL_LOCAL_PACE": "0.3", "MQL_LIBRARY": str(library)}
    made = cli("generate", "A red fox", "-o", "fox.mp4", cwd=tmp_path, **env)
    assert made.returncode == 0, made.stderr
    shown = cli("library", "list", "--json", cwd=tmp_path, **env)
    assert shown.returncode == 0, shown.stderr
    (entry,) = [json.loads(line) for line in shown.stdout.splitlines()]
    assert (entry["status"], entry["origin_kind"]) == ("completed", "emulator")
