"""``mql-notebook batch FILE`` records each line's batch in the library (``Entry.batch``: the
file's name and a digest, its index and how many lines), as a notebook ``Batch`` does: real
processes, real HTTP, ``library list --json`` read as a user reads it."""

from __future__ import annotations

import json
from pathlib import Path


def test_the_cli_batch_records_its_batch_and_each_line_s_place(
    tmp_path: Path, serve, run_cli
) -> None:
    served = serve(pace=0.2)
    batch = tmp_path / "prompts.txt"
    prompts = ["A lantern on a jetty", "A lantern in fog", "A lantern at dawn"]
    batch.write_text("\n".join(prompts) + "\n")
    library = tmp_path / "videos"
    args = ("batch", str(batch), "--duration", "5", "--library", str(library))
    done = run_cli(*args, env=served.env)
    assert done.returncode == 0, done.stderr

    listed = run_cli("library", "list", "--json", "--library", str(library), env=served.env)
    entries = {e["prompt"]: e for e in map(json.loads, listed.stdout.splitlines())}
    ids = {e["batch"] for e in entries.values()}
    assert len(ids) == 1 and ids.pop().startswith("prompts.txt-")
    assert [entries[p]["batch_index"] for p in prompts] == [0, 1, 2]
    assert {e["batch_size"] for e in entries.values()} == {3}
    before = len(served.creates())
    again = run_cli(*args, env=served.env)  # the one loop resumes: nothing created twice
    assert again.returncode == 0 and len(served.creates()) == before
    assert "3 completed (3 by an earlier run)" in again.stderr
