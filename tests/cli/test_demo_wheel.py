"""``mql-notebook demo`` from an installed wheel: the three notebooks it copies are inside it."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO_NOTEBOOKS = ("quickstart.ipynb", "prompt_iteration.ipynb", "batch.ipynb")


@pytest.mark.slow
def test_the_wheel_ships_every_notebook_the_demo_copies(tmp_path: Path) -> None:
    pytest.importorskip("hatchling")
    build = subprocess.run(
        [
            *(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"),
            *("-w", str(tmp_path / "dist"), str(ROOT)),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    with zipfile.ZipFile(wheel) as z:
        for name in DEMO_NOTEBOOKS:
            shipped = z.read(f"mql_notebook/notebooks/{name}")
            assert shipped == (ROOT / "notebooks" / name).read_bytes()
        z.extractall(tmp_path / "site")
    # demo.py reads them from the installed package, not from a checkout.
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); from mql_notebook.cli import demo;"
        "assert demo.__file__.startswith(sys.argv[1]);"
        "print(*(len(demo.shipped_notebook(n)) for n in demo.NOTEBOOKS))"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path / "site")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    sizes = [(ROOT / "notebooks" / n).stat().st_size for n in DEMO_NOTEBOOKS]
    assert run.stdout.split() == [str(size) for size in sizes]
