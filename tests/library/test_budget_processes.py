"""One budget shared by real processes: never one video too many.

Four processes record into one library whose budget is 10 videos a day; each asks for 5 at once
over real HTTP. The reservation is taken in the transaction that records the request, so
exactly 10 creates reach the server and the other 10 are refused before they are sent.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mql_notebook import Library
from mql_notebook.local import LocalServer
from tests.library.library_support import KEY, child_env, last_json, start_python

pytestmark = pytest.mark.slow

FIVE_AT_ONCE = """
import asyncio, json, sys
from mql_notebook import AsyncMQL, BudgetExceededError
url, folder, key, tag = sys.argv[1:5]

async def main():
    async with AsyncMQL(api_key=key, base_url=url, library=folder) as client:
        async def one(i):
            try:
                generation = await client.video.create(prompt=f"process {tag}, video {i}")
            except BudgetExceededError as error:
                return {"refused": str(error), "left": error.left.videos}
            return {"id": generation.id}
        return await asyncio.gather(*(one(i) for i in range(5)))

print(json.dumps(asyncio.run(main())))
"""


def test_four_processes_sharing_a_budget_of_ten_videos_make_exactly_ten(tmp_path: Path) -> None:
    folder = tmp_path / "lib"
    Library(folder).set_budget(videos=10, per="day")
    with LocalServer(pace=0.5) as server:
        children = [
            start_python(FIVE_AT_ONCE, server.url, str(folder), KEY, str(i)) for i in range(4)
        ]
        outputs = [child.communicate(timeout=300) for child in children]
        for child, (_out, err) in zip(children, outputs, strict=True):
            assert child.returncode == 0, err
        results = [r for out, _ in outputs for r in last_json(out)]
        made = [r["id"] for r in results if "id" in r]
        refused = [r for r in results if "refused" in r]
        assert len(made) == 10 and len(set(made)) == 10
        assert len(refused) == 10
        assert server.count("POST", "/v1/videos/generations") == 10  # the others never left
        message = refused[0]["refused"]
        assert "10 videos a day" in message and "10 videos spent today" in message
        assert "0 left" in message and "library budget --videos" in message
        assert {r["left"] for r in refused} == {0}

    entries = Library(folder).entries()
    assert len(entries) == 10 and {e.id for e in entries} == set(made)  # refused: not recorded
    spent = subprocess.run(
        [
            sys.executable,
            "-m",
            "mql_notebook.cli",
            "library",
            "spent",
            "--json",
            "--library",
            folder,
        ],
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=60,
        check=False,
    )
    assert spent.returncode == 0, spent.stderr
    report = json.loads(spent.stdout)
    assert report["total"]["videos"] == 10 and report["total"]["entries"] == 10
    assert report["rows"][0]["model"] == "sora" and report["rows"][0]["videos"] == 10
    assert report["budget"]["videos"] == 10 and report["budget"]["left"] == {"videos": 0}
