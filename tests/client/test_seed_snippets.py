"""The Python snippets of the API's documentation page (copied verbatim below), run as written
against MQL_BASE_URL=local."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

PREAMBLE = "from mql_notebook import MQL\nmql = MQL()\n"

# Verbatim from the API page, in its order (the status check follows the create).
SEED_SNIPPETS = """
gen = mql.video.create(
    model="sora",
    prompt="A timelapse of a flower blooming in a garden",
    aspect_ratio="16:9",
    duration=10,
)
print(gen["id"])

# Or create and wait for completion
result = mql.video.create_and_wait(
    model="sora",
    prompt="A timelapse of a flower blooming in a garden",
)

# Or create, wait, and download in one step
video = mql.video.create_and_download(
    model="sora",
    prompt="A timelapse of a flower blooming in a garden",
)

status = mql.video.get_status(gen["id"])
if status["status"] == "completed":
    content = mql.video.download(gen["id"])
"""

CHECKS = """
assert result["status"] == "completed", result
assert video[4:8] == b"ftyp", video[:16]
assert status["status"] == "completed" and content[4:8] == b"ftyp"
print("ok")
"""


def test_the_seed_snippets_run_unchanged_on_the_local_emulator() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MQL_")}
    env.update(MQL_BASE_URL="local", MQL_LOCAL_PACE="0.5")
    code = PREAMBLE + textwrap.dedent(SEED_SNIPPETS) + CHECKS
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    first, *_, last = result.stdout.split()
    assert first.startswith("video_") and last == "ok"
