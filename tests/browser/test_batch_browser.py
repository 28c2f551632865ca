"""A sweep in JupyterLab (Debian's Chromium), as a person runs it: 2 models x 3 seeds show 6
cells whose badges go live and end Done; a cell clicked plays its video (sent only then); the
cell run again in a fresh kernel creates no job, its cells Done earlier from the library."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mql_notebook.local import LocalServer
from tests.browser.jupyter_harness import (
    BROWSER_API_KEY,
    JupyterServer,
    open_notebook,
    run_all_cells,
    write_notebook,
)
from tests.browser.test_widget_browser import PLAY_VIDEO
from tests.browser.test_widget_history_restart import RESTART

pytestmark = pytest.mark.browser

GRID = ".mql-batch-widget"
CELL = f"{GRID} .mql-b-cell"
SWEEP = (
    "from mql_notebook import Batch\n"
    "b = Batch.sweep(prompt='A heron at dawn over a lake', model=['sora', 'sora-1.0-turbo'],\n"
    "                seed=range(3), duration=5, concurrency=6)\n"
    "b.start()\n"
    "b"
)


@pytest.fixture(scope="module")
def jupyter(emulator: LocalServer, browser: Any) -> Iterator[JupyterServer]:
    env = {"MQL_BASE_URL": emulator.url, "MQL_API_KEY": BROWSER_API_KEY}
    with JupyterServer("lab", env) as server:
        yield server


def creates(server: LocalServer) -> int:
    return sum(1 for r in server.requests if r.endpoint == "create")


def test_a_sweep_of_6_completes_plays_and_creates_nothing_in_a_fresh_kernel(
    jupyter: JupyterServer, emulator: LocalServer, browser: Any
) -> None:
    from playwright.sync_api import expect

    write_notebook(jupyter.root / "sweep.ipynb", [SWEEP])
    before = creates(emulator)
    page = open_notebook(browser, jupyter, "sweep.ipynb")
    try:
        expect(page.locator(CELL)).to_have_count(6, timeout=60_000)
        labels = page.locator(f"{CELL} .mql-b-label").all_inner_texts()
        assert labels[0] == "model=sora · seed=0" and labels[5] == "model=sora-1.0-turbo · seed=2"
        done = page.locator(f'{CELL}[data-status="completed"]')
        expect(done).to_have_count(6, timeout=90_000)
        expect(page.locator(f"{GRID} .mql-b-count")).to_have_text(
            "6/6 finished · 6 done", timeout=10_000
        )
        assert creates(emulator) == before + 6

        page.locator(CELL).nth(4).click()
        video = page.wait_for_selector(f"{GRID} .mql-b-stage video", timeout=30_000)
        facts = page.evaluate(PLAY_VIDEO, video)
        assert facts["error"] is None and facts["readyState"] >= 2, facts
        assert 4.5 < facts["duration"] < 5.5 and facts["advanced"] > 0, facts

        page.evaluate(RESTART)
        jupyter.wait_for_kernel()
        run_all_cells(page)  # the same cell in a fresh kernel
        expect(page.locator(f'{CELL}[data-status="already"]')).to_have_count(6, timeout=60_000)
        assert creates(emulator) == before + 6  # nothing created again
        assert page.console_errors == []
    finally:
        page.close()
