"""The widget's frontend files: safe DOM use, chunked transfer, and shipping inside the wheel."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from mql_notebook.widget import frontend
from mql_notebook.widget import transfer as _transfer
from mql_notebook.widget.frontend import frontend_file as _frontend_file
from mql_notebook.widget.video_widget import VideoWidget

ROOT = Path(__file__).resolve().parents[2]
JS = ROOT / "js"


def test_no_markup_is_ever_built_from_strings() -> None:
    for path in JS.glob("*.js"):  # not node_modules (the type checker, not shipped)
        source = path.read_text()
        for forbidden in (
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
            "new Function",
        ):
            assert forbidden not in source, f"{path.name} uses {forbidden}"


def test_render_returns_a_cleanup_that_undoes_everything() -> None:
    source = frontend.joined(*frontend.WIDGET_PARTS)  # the module anywidget loads
    assert re.search(r"export default \{ render \}", source)
    # Every listener and model callback is registered through helpers that record their removal.
    assert source.count("addEventListener(") == source.count("removeEventListener(") == 1
    assert source.count("model.on(") == source.count("model.off(") == 1
    assert "URL.revokeObjectURL" in source and "clearInterval" in source


@pytest.mark.skipif(
    shutil.which("node") is None,
    reason="node is not installed; the module's syntax is checked where it is",
)
def test_the_joined_modules_parse_and_import_nothing(tmp_path: Path) -> None:
    views = (
        ("widget", frontend.WIDGET_PARTS),
        ("gallery", frontend.GALLERY_PARTS),
        ("batch", frontend.BATCH_PARTS),
    )
    for name, parts in views:
        source = frontend.joined(*parts)
        assert not re.search(r"^import ", source, re.M), name  # one module, nothing to fetch
        copy = tmp_path / f"{name}.mjs"
        copy.write_text(source)
        result = subprocess.run(
            ["node", "--check", str(copy)], capture_output=True, text=True, timeout=30
        )
        assert result.returncode == 0, result.stderr


COUNTDOWN = """
import { nextCountdown, countdownText } from "./badge.js";
let c = { key: "", end: null, late: false };
const seen = [];
for (const [now, estimate] of [[0, 10], [1, 10.5], [2, 12], [3, 6], [4, 30], [5, 6]]) {
  c = nextCountdown(c, "run-1", estimate);
  seen.push(countdownText(c, now));
}
c = nextCountdown(c, "run-2", 40);  // a new run starts afresh
seen.push(countdownText(c, 6));
seen.push(countdownText(c, 6, true));  // the kernel says the job stalled
console.log(JSON.stringify(seen));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_badge_countdown_never_goes_back_up_within_a_run() -> None:
    result = subprocess.run(
        ["node", "--input-type=module", "-e", COUNTDOWN],
        cwd=JS,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        "about 10 s left",
        "about 9 s left",  # 0.5 s later: ignored, still counting down
        "about 8 s left",  # 2 s later: the same
        "about 3 s left",  # sooner: taken at once
        "taking longer than expected",  # 24 s later: said, not counted up
        "about 1 s left",  # back before the countdown's end
        "about 34 s left",
        "taking longer than usual",  # a stall: said instead of a countdown
    ]


def test_the_widget_loads_the_repositorys_frontend_in_a_checkout() -> None:
    assert _frontend_file("widget.js").read_text() == (JS / "widget.js").read_text()
    state = VideoWidget("x").get_state()
    shared, widget = (JS / "shared.js").read_text(), (JS / "widget.js").read_text()
    assert state["_esm"].startswith(shared) and "function render(" in state["_esm"]
    assert widget.split("\nfunction render(")[1] in state["_esm"]
    assert state["_css"].startswith((JS / "shared.css").read_text())
    assert state["_css"].endswith((JS / "widget.css").read_text())


def test_hot_reload_serves_a_joined_file_that_follows_its_parts(tmp_path: Path) -> None:
    """ANYWIDGET_HMR=1 in a checkout: _esm is a file (anywidget reloads it when it changes),
    rejoined from js/ whenever a part is saved (by a watchfiles thread, when installed)."""
    code = (
        "import os, time; os.environ['ANYWIDGET_HMR'] = '1'\n"
        "from mql_notebook.widget import frontend as f\n"
        "print(f.ESM)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert run.returncode == 0, run.stderr[-2000:]
    path = Path(run.stdout.strip())
    assert path.name == "widget.js" and path.read_text() == frontend.joined(*frontend.WIDGET_PARTS)


def test_chunks_are_at_most_8_mb_and_join_to_the_original() -> None:
    big = bytes(range(256)) * (20 * 1024 * 1024 // 256 + 7)  # a bit over 20 MB: three chunks
    small = b"\x00\x00\x00\x18ftypmp42" * 10
    messages = list(
        _transfer.video_messages(5, [big, small], generation_id="g", aspect_ratio="9:16")
    )
    begin, *chunks, end = messages
    assert begin[0] == {
        "kind": "video-begin",
        "transfer": 5,
        "generation_id": "g",
        "aspect_ratio": "9:16",
        "mime": "video/mp4",
        "sizes": [len(big), len(small)],
    }
    assert end[0] == {"kind": "video-end", "transfer": 5}
    assert all(len(buffers) == 1 and len(buffers[0]) <= 8 * 1024 * 1024 for _, buffers in chunks)
    assert [c["variant"] for c, _ in chunks] == [0, 0, 0, 1]
    joined: list[bytearray] = [bytearray(), bytearray()]
    for content, buffers in chunks:
        assert content["offset"] == len(joined[content["variant"]])
        joined[content["variant"]] += buffers[0]
    assert joined == [big, small]
    assert next(iter(_transfer.video_messages(1, [])))[0]["sizes"] == []


@pytest.mark.slow
def test_the_wheel_ships_the_frontend_and_the_widget_loads_it(tmp_path: Path) -> None:
    pytest.importorskip("hatchling")
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    with zipfile.ZipFile(wheel) as z:
        parts = {*frontend.WIDGET_PARTS, *frontend.GALLERY_PARTS, *frontend.BATCH_PARTS}
        for name in (
            *parts,
            "widget.css",
            "gallery.css",
            "batch.css",
            "shared.css",
        ):  # every view's
            assert z.read(f"mql_notebook/static/{name}").decode() == (JS / name).read_text()
        z.extractall(tmp_path / "site")
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); from mql_notebook import VideoWidget;"
        "import mql_notebook; assert mql_notebook.__file__.startswith(sys.argv[1]), mql_notebook.__file__;"
        "print(VideoWidget('x').get_state()['_esm'][:60])"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path / "site")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.startswith("// What both views share")
