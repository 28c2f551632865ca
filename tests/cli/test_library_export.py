"""``mql-notebook library export DIR``, in a real process on a real library."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from tests.cli.conftest import cli_env
from tests.library.export_support import CALM, HOSTILE, two_videos

ISLAND = re.compile(r'<script type="application/json" id="data">(.*?)</script>', re.S)


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return two_videos(tmp_path_factory.mktemp("library")).path


def prompts(index: Path) -> list[str]:
    (island,) = ISLAND.findall(index.read_text("utf-8"))
    return [e["prompt"] for e in json.loads(island)["entries"]]


def test_export_every_video_or_those_since_a_day(library: Path, tmp_path: Path, run_cli) -> None:
    env = cli_env()
    result = run_cli("library", "export", str(tmp_path / "all"), "--library", str(library), env=env)
    assert result.returncode == 0, result.stderr
    index = Path(result.stdout.strip())
    assert index == (tmp_path / "all" / "index.html").resolve()
    assert sorted(prompts(index)) == sorted([CALM, HOSTILE])
    assert len(list((tmp_path / "all" / "videos").glob("*.mp4"))) == 2
    assert index.as_uri() in result.stderr

    today = time.strftime("%Y-%m-%d")
    args = ["library", "export", str(tmp_path / "today"), "--library", str(library)]
    assert run_cli(*args, "--since", today, env=env).returncode == 0
    assert len(prompts(tmp_path / "today" / "index.html")) == 2
    later = run_cli(*args[:2], str(tmp_path / "none"), *args[3:], "--since", "2999-01-01", env=env)
    assert later.returncode == 1 and "nothing to export" in later.stderr
    assert not (tmp_path / "none" / "index.html").exists()


def test_bad_dates_and_missing_libraries_are_refused(tmp_path: Path, run_cli) -> None:
    env = cli_env()
    bad = run_cli("library", "export", str(tmp_path / "x"), "--since", "soon", env=env)
    assert bad.returncode == 2 and "--since 'soon' is not a date" in bad.stderr
    missing = run_cli(
        "library", "export", str(tmp_path / "x"), "--library", str(tmp_path / "no"), env=env
    )
    assert missing.returncode == 1 and "no library in" in missing.stderr
