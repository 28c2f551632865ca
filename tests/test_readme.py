"""The README as a newcomer reads it: its setup line, and its API snippet run as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    found = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", README, re.S | re.M)
    assert found, f"no section {title!r}"
    return found.group(1)


def test_the_two_commands_say_first_where_they_run_and_in_what_environment() -> None:
    before_first_command = _section("Two commands").split("```bash")[0]
    for needed in ("git clone", "cd", "python3 -m venv", "externally-managed-environment"):
        assert needed in before_first_command, needed
    assert "mql-notebook-demo/" in before_first_command and ".gitignore" in before_first_command


def test_the_api_snippet_as_the_readme_shows_it_downloads_the_video() -> None:
    section = _section("In a notebook")
    snippet = section.split("The API page's snippets run as written:")[1]
    code = snippet.split("```python\n")[1].split("```")[0]
    checks = '\nassert status["status"] == "completed" and content[4:8] == b"ftyp"\nprint("ok")\n'
    env = {k: v for k, v in os.environ.items() if not k.startswith("MQL_")}
    env.update(MQL_BASE_URL="local", MQL_LOCAL_PACE="0.5")
    result = subprocess.run(
        [sys.executable, "-c", code + checks],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split()[-1] == "ok"
