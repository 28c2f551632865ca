"""The command line on the MiniMax task route: ``generate`` with a first frame takes it,
``status --route minimax`` asks a task by id, and a batch line with a first frame takes it too."""

from __future__ import annotations

import json
import re
from pathlib import Path

from mql_notebook import Library

IMAGE = "https://example.com/first-frame.png"
MODEL = "MiniMax-Hailuo-2.3"


def test_generate_with_a_first_frame_goes_by_the_task_route(tmp_path: Path, serve, run_cli) -> None:
    served = serve(0.5)
    env = {**served.env, "MQL_LIBRARY": "off"}  # no library: the route comes from the create
    out = tmp_path / "kite.mp4"
    made = run_cli(
        "generate", "A kite over dunes", "--model", MODEL, "--duration", "6",
        "--field", f"first_frame_image={IMAGE}", "--output", str(out), env=env,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert out.read_bytes()[4:8] == b"ftyp"
    found = re.search(r"generation (\S+) created", made.stderr)
    assert found is not None
    task_id = found.group(1)
    assert [r["path"] for r in served.creates()] == ["/v1/videos/minimax/generations"]
    assert "Success" in made.stderr

    status = run_cli("status", task_id, "--route", "minimax", "--json", env=env)
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["status"] == "Success"
    assert not [r for r in served.requests() if "/generations/" in r["path"]]


def test_a_batch_line_with_a_first_frame_goes_by_the_task_route(
    tmp_path: Path, serve, run_cli
) -> None:
    served = serve(0.5)
    lines = tmp_path / "lines.jsonl"
    lines.write_text(
        json.dumps({"prompt": "A kite", "model": MODEL, "first_frame_image": IMAGE}) + "\n"
        + json.dumps({"prompt": "A kite", "model": MODEL, "duration": 6}) + "\n"
    )  # fmt: skip
    library = tmp_path / "lib"
    done = run_cli("batch", str(lines), "--library", str(library), env=served.env)
    assert done.returncode == 0, done.stderr
    assert sorted(r["path"] for r in served.creates()) == [
        "/v1/videos/generations",
        "/v1/videos/minimax/generations",
    ]
    routes = sorted(e.route for e in Library(library).entries() if e.status == "completed")
    assert routes == ["generations", "minimax"]
