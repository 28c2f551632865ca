"""A sweep compared as a grid in JupyterLab (Debian's Chromium), as a person sees it: a sweep of
2 models x 3 seeds, its done cells playing inline once seen (asked when scrolled into view, not
only on click), then ``b.compare()``: 6 videos in 2 rows and 3 columns headed by the models and
the seeds, played in sync by one Play."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mql_notebook.local import LocalServer
from tests.browser.jupyter_harness import (
    BROWSER_API_KEY,
    JupyterServer,
    open_notebook,
    write_notebook,
)

pytestmark = pytest.mark.browser

GRID = ".mql-batch-widget"
GALLERY = ".mql-gallery-widget"
SWEEP = (
    "from mql_notebook import Batch\n"
    "b = Batch.sweep(prompt='A crane over a misty lake', model=['sora', 'sora-1.0-turbo'],\n"
    "                seed=range(3), duration=5, concurrency=6, name='grid browser')\n"
    "b.start()\n"
    "b"
)
COMPARE = "runs = await b.run()\ng = b.compare()\ng"

# The staged videos once they have frames: their times and whether they play.
PLAYING = """async (root) => {
  const videos = [...root.querySelectorAll('.mql-g-stage video')];
  const deadline = Date.now() + 20000;
  while (videos.some((v) => v.readyState < 2) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  return videos.map((v) => ({ready: v.readyState, paused: v.paused, t: v.currentTime}));
}"""


@pytest.fixture(scope="module")
def jupyter(emulator: LocalServer, browser: Any) -> Iterator[JupyterServer]:
    env = {"MQL_BASE_URL": emulator.url, "MQL_API_KEY": BROWSER_API_KEY}
    with JupyterServer("lab", env) as server:
        yield server


def test_a_sweep_compares_as_a_2_by_3_grid_headed_by_its_values(
    jupyter: JupyterServer, browser: Any
) -> None:
    from playwright.sync_api import expect

    write_notebook(jupyter.root / "grid.ipynb", [SWEEP, COMPARE])
    page = open_notebook(browser, jupyter, "grid.ipynb")
    try:
        cells = page.locator(f"{GRID} .mql-b-cell")
        expect(cells).to_have_count(6, timeout=60_000)
        expect(page.locator(f'{GRID} .mql-b-cell[data-status="completed"]')).to_have_count(
            6, timeout=90_000
        )
        # seen, not clicked: every done cell's video came and plays inline
        expect(page.locator(f"{GRID} .mql-b-cell video.mql-b-thumb")).to_have_count(
            6, timeout=30_000
        )
        assert page.locator(f"{GRID} .mql-b-stage video").count() == 0  # nothing opened

        root = page.locator(GALLERY)
        expect(root).to_have_attribute("data-grid", "2x3", timeout=60_000)
        cols = page.locator(f"{GALLERY} .mql-g-col-head").all_text_contents()
        rows = page.locator(f"{GALLERY} .mql-g-row-head").all_text_contents()
        assert cols == ["0", "1", "2"] and rows == ["sora", "sora-1.0-turbo"]
        assert page.locator(f"{GALLERY} .mql-g-corner").text_content() == "model \\ seed"
        panes = page.locator(f"{GALLERY} .mql-g-compare-grid > figure.mql-g-pane")
        expect(panes).to_have_count(6)
        # each row's panes are its model's, in seed order; the differences name the seed
        order = page.evaluate(
            """() => [...document.querySelectorAll('.mql-g-compare-grid > *')]
                 .map((el) => el.className.split(' ')[0])"""
        )
        assert order == [
            "mql-g-corner",
            *["mql-g-col-head"] * 3,
            "mql-g-row-head",
            *["mql-g-pane"] * 3,
            "mql-g-row-head",
            *["mql-g-pane"] * 3,
        ]
        second = panes.nth(1).locator(".mql-g-differences")
        expect(second).to_have_text("seed 0 → 1", timeout=10_000)
        expect(panes.nth(3).locator(".mql-g-differences")).to_contain_text("model sora →")

        page.locator(f"{GALLERY} .mql-g-toggle").click()
        expect(root).to_have_attribute("data-playing", "true", timeout=10_000)
        facts = root.evaluate(PLAYING)
        assert len(facts) == 6 and all(f["ready"] >= 2 and not f["paused"] for f in facts), facts
        assert page.console_errors == []
    finally:
        page.close()
