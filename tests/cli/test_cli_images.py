"""Images on the command line: ``--first-frame-image PATH --fit crop``, as a user types it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from PIL import Image

from mql_notebook import frame_of
from tests.cli.conftest import cli_command
from tests.images import mean_difference, picture


def test_generate_from_an_image_fitted_and_kept_in_the_library(serve, tmp_path: Path) -> None:
    served = serve(0.3)
    square = picture(480, 480)
    Image.fromarray(square).save(tmp_path / "first.png")
    env = {**served.env, "MQL_LIBRARY": str(tmp_path / "lib")}
    made = subprocess.run(
        cli_command(
            "generate", "A kite over the dunes", "--first-frame-image", "first.png",
            "--fit", "crop", "-o", "kite.mp4",
        ),
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    cropped = Image.fromarray(square[105:375]).resize((854, 480), Image.Resampling.LANCZOS)
    assert mean_difference(frame_of(tmp_path / "kite.mp4", 0), cropped) < 4  # the middle 16:9
    listed = subprocess.run(
        cli_command("library", "list", "--json", "--library", str(tmp_path / "lib")),
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    (entry,) = [json.loads(line) for line in listed.stdout.splitlines()]
    image = entry["images"]["first_frame_image"]
    assert (image["width"], image["height"]) == (480, 270) and Path(image["path"]).is_file()
    wrong = subprocess.run(
        cli_command("generate", "x", "--first-frame-image", "missing.png"),
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert wrong.returncode == 2 and "no such file" in wrong.stderr
