"""The shipped notebooks as CI runs them (nbclient, headless, on the emulator), their static
fallback in an nbconvert HTML export, and `mql-notebook demo` as a user starts it."""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
EMULATOR_LINE = "Backend: the local emulator"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _env(**extra: str) -> dict[str, str]:
    """The environment without any MQL_ setting (no key: the notebooks pick the emulator)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MQL_")}
    env.update(extra)
    return env


def test_the_three_notebooks_are_there() -> None:
    assert {p.name for p in NOTEBOOKS} >= {
        "quickstart.ipynb",
        "prompt_iteration.ipynb",
        "batch.ipynb",
    }


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebooks_have_no_outputs_and_no_execution_counts(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert "widgets" not in nb.metadata
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: a cell has outputs"
            assert cell.execution_count is None, f"{path.name}: a cell has an execution count"
    first = nb.cells[1].source  # the backend cell, right after the title
    assert 'os.environ.setdefault("MQL_BASE_URL", "local")' in first and "MQL_API_KEY" in first


# ---- executed headless, as CI does ----


def _execute(name: str, folder: Path) -> tuple[nbformat.NotebookNode, Path]:
    """Run a notebook in ``folder`` against the emulator; save it (with widget state) there."""
    nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    client = NotebookClient(
        nb,
        timeout=180,
        kernel_name="python3",
        store_widget_state=True,
        resources={"metadata": {"path": str(folder)}},
    )
    client.execute(env=_env(MQL_BASE_URL="local", MQL_LOCAL_PACE="0.5"))
    saved = folder / name
    nbformat.write(nb, saved)
    return nb, saved


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    cache: dict[str, tuple[nbformat.NotebookNode, Path]] = {}

    def run(name: str) -> tuple[nbformat.NotebookNode, Path]:
        if name not in cache:
            cache[name] = _execute(name, tmp_path_factory.mktemp(name.split(".")[0]))
        return cache[name]

    return run


def _texts(nb: nbformat.NotebookNode) -> str:
    return "".join(
        o.get("text", "")
        for c in nb.cells
        for o in c.get("outputs", [])
        if o.output_type == "stream"
    )


def _htmls(nb: nbformat.NotebookNode) -> list[str]:
    return [
        o.data["text/html"]
        for c in nb.cells
        for o in c.get("outputs", [])
        if "text/html" in o.get("data", {})
    ]


def _fallbacks(nb: nbformat.NotebookNode) -> list[str]:
    return [h for h in _htmls(nb) if 'class="mql-static-fallback"' in h]


@pytest.mark.kernel
@pytest.mark.slow
def test_quickstart_runs_on_the_emulator_and_completes(executed) -> None:
    nb, saved = executed("quickstart.ipynb")
    text = _texts(nb)
    assert EMULATOR_LINE in text
    assert re.search(r"^completed video_\w+ \d+\.\d\d MB$", text, re.M), text
    assert re.search(r"^video_\w+ completed$", text, re.M)  # create_and_wait
    assert "downloaded" in text and "saved fox.mp4" in text
    for name in ("flower.mp4", "fox.mp4"):
        assert (saved.parent / name).read_bytes()[4:8] == b"ftyp"
    widget_outputs = [
        o for c in nb.cells for o in c.get("outputs", []) if WIDGET_VIEW in o.get("data", {})
    ]
    assert len(widget_outputs) == 1
    # The static fallback was updated in place (by display id) once the run finished.
    [fallback] = _fallbacks(nb)
    assert (
        'data-status="completed"' in fallback
        and "A timelapse of a flower blooming in a garden" in fallback
    )


@pytest.mark.kernel
@pytest.mark.slow
def test_quickstart_html_export_shows_the_video_without_widget_javascript(executed) -> None:
    from nbconvert import HTMLExporter

    _nb, saved = executed("quickstart.ipynb")
    reread = nbformat.read(saved, as_version=4)
    state = reread.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    assert any(
        m["model_name"] == "AnyModel" for m in state.values()
    )  # the widget is stored as well
    html, _ = HTMLExporter().from_notebook_node(reread)
    assert WIDGET_VIEW in html  # the widget itself is exported, for readers with its JavaScript ...
    # ... and the fallback is plain markup outside every <script> (widget state, view, loader).
    markup = re.sub(r"<script\b.*?</script>", "", html, flags=re.S | re.I)
    start = markup.index('class="mql-static-fallback"')
    video = re.search(r'<video [^>]*src="data:video/mp4;base64,([A-Za-z0-9+/=]+)"', markup[start:])
    assert video, "no embedded <video> in the fallback"
    assert base64.b64decode(video.group(1)) == (saved.parent / "flower.mp4").read_bytes()
    assert re.search(
        r'<video [^>]*poster="data:image/jpeg;base64,/9j/', markup[start:]
    )  # the first frame


@pytest.mark.kernel
@pytest.mark.slow
def test_quickstart_file_holds_the_video_once(executed) -> None:
    nb, saved = executed("quickstart.ipynb")
    video = (saved.parent / "flower.mp4").read_bytes()
    encoded = base64.b64encode(video).decode()
    text = saved.read_text()
    assert text.count(encoded[:4000]) == 1  # once: in the fallback, not in the widget state
    state = json.dumps(nb.metadata["widgets"])
    assert len(state) < 100_000, len(state)
    assert saved.stat().st_size < 1.5 * len(encoded) + 200_000, (saved.stat().st_size, len(encoded))


@pytest.mark.kernel
@pytest.mark.slow
def test_prompt_iteration_keeps_history_and_shows_variants_side_by_side(executed) -> None:
    nb, saved = executed("prompt_iteration.ipynb")
    text = _texts(nb)
    assert EMULATOR_LINE in text
    history = re.findall(r"^(\d)  completed  video_\w+ +\d+\.\d\d MB  (.+)$", text, re.M)
    assert [i for i, _ in history] == ["0", "1", "2"]
    assert re.search(r"^completed video_\w+ 3 variants$", text, re.M)
    [grid] = [h for h in _htmls(nb) if 'class="mql-video-grid"' in h]
    assert grid.count("<video ") == 3
    for i in (1, 2, 3):
        assert f'src="fox-variant-{i}.mp4"' in grid
        assert (saved.parent / f"fox-variant-{i}.mp4").read_bytes()[4:8] == b"ftyp"
    # ratings, compare with differences, a sweep as a grid, a page to share
    assert "rated: [2, None, 5]" in text
    assert re.search(r"^changed words: leaping into deep .*slow motion,", text, re.M), text
    assert "changed fields: none" in text
    assert "6 of 6 done" in text
    assert "rows: ['sora', 'sora-1.0-turbo'] columns: ['0', '1', '2']" in text
    assert re.search(r"^filtered: 1 run of batch notebook-\w+, 5 of 6$", text, re.M), text
    assert "exported: share/index.html" in text and (saved.parent / "share/index.html").is_file()
    # w.show(1) at the end: the static output follows the shown run.
    assert text.rstrip().endswith("A red fox running through fresh snow at dawn, low camera angle")
    [fallback] = _fallbacks(nb)
    assert "fresh snow at dawn" in fallback and 'data-status="completed"' in fallback


@pytest.mark.kernel
@pytest.mark.slow
def test_batch_runs_every_prompt_at_once_resumes_and_shares_a_page(executed) -> None:
    nb, saved = executed("batch.ipynb")
    text = _texts(nb)
    assert EMULATOR_LINE in text and "failed:" not in text
    assert re.search(r"^4 jobs in \d+\.\d s$", text, re.M)
    assert len(re.findall(r"^saved: ", text, re.M)) == 4
    [grid] = [h for h in _htmls(nb) if 'class="mql-video-grid"' in h]
    assert len(re.findall(r'<video [^>]*src="data:video/mp4;base64,', grid)) == 4
    assert sorted(p.name for p in (saved.parent / "batch").iterdir()) == [
        f"video-{i}.mp4" for i in range(1, 5)
    ]
    # The same batch again: every line found in the library, nothing created (never paid twice).
    assert re.search(r"^0 new jobs; \['already', 'already', 'already', 'already'\]$", text, re.M)
    assert "[(0, 'completed'), (1, 'completed')]" in text  # the sweep: one job per seed
    assert "rated: 5 stars" in text
    page = saved.parent / "share" / "index.html"
    assert "exported: share/index.html" in text and page.exists()
    assert "the best light of the four" in page.read_text(encoding="utf-8")


# ---- mql-notebook demo ----


def _cmdline(process: psutil.Process) -> list[str]:
    """A process's command line; empty for one that has just ended (a zombie, or gone)."""
    try:
        return process.cmdline()
    except psutil.Error:
        return []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_demo_copies_the_notebooks_and_serves_jupyterlab_on_the_quickstart(tmp_path: Path) -> None:
    psutil = pytest.importorskip("psutil")
    port, token = _free_port(), "mql-demo-test-token"
    folder = tmp_path / "demo"
    env = _env(
        JUPYTER_TOKEN=token,
        JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"),
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mql_notebook.cli",
            "demo",
            "--no-browser",
            "--port",
            str(port),
            "--dir",
            str(folder),
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "stderr", "w"),  # noqa: SIM115
        start_new_session=True,
    )
    try:
        deadline, status = time.monotonic() + 60, None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2
                ) as r:
                    status = json.load(r)
                    break
            except OSError:
                time.sleep(0.3)
        stderr = (tmp_path / "stderr").read_text()
        assert status is not None, (
            f"JupyterLab did not answer (exit {proc.poll()}):\n{stderr[-3000:]}"
        )
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/lab?token={token}", timeout=5) as r:
            assert r.status == 200 and b"JupyterLab" in r.read()
        # All three notebooks: the quickstart's last line points to the other two.
        for name in ("quickstart.ipynb", "prompt_iteration.ipynb", "batch.ipynb"):
            assert (folder / name).read_bytes() == (ROOT / "notebooks" / name).read_bytes()
        # The URLs it prints (for a user without a browser) open the quickstart, not the
        # Launcher: the same /lab/tree/ route the browser tests open notebooks by.
        printed = re.findall(rf"http://\S+?:{port}(/\S*)", stderr)
        assert printed and all(
            url.startswith("/lab/tree/quickstart.ipynb?token=") for url in printed
        ), printed
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/lab/tree/quickstart.ipynb?token={token}", timeout=5
        ) as r:
            assert r.status == 200 and b"JupyterLab" in r.read()
        assert "MQL_API_KEY is not set: the demo uses the local emulator" in stderr
        # The server (and so every kernel it starts) has the emulator in its environment.
        servers = [
            p
            for p in psutil.Process(proc.pid).children(recursive=True)
            if "jupyterlab" in " ".join(_cmdline(p))
        ]
        assert servers and servers[0].environ().get("MQL_BASE_URL") == "local"
        assert "MQL_API_KEY" not in servers[0].environ()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
