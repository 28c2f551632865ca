"""The README's MiniMax snippets (the official SDK's calls, then the product's own), taken from
the README itself and run as written against MQL_BASE_URL=local in a fresh process."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def minimax_snippets() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## MiniMax (Hailuo): the task route", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.DOTALL)


def test_the_readme_minimax_snippets_run_unchanged(tmp_path: Path) -> None:
    sdk, own = minimax_snippets()
    assert "create_from_image" in sdk and "create_and_download" in own
    checks = """
assert status["status"] in ("Preparing", "Queueing", "Processing"), status
assert task["status"] == "Success" and file.video[4:8] == b"ftyp"
assert open("hailuo.mp4", "rb").read() == file.video
assert video[4:8] == b"ftyp"
print("ok")
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MQL_")}
    env.update(MQL_BASE_URL="local", MQL_LOCAL_PACE="0.5")
    result = subprocess.run(
        [sys.executable, "-c", sdk + own + checks],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split()[-1] == "ok"
