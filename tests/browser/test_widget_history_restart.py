"""The history strip after a kernel restart, in JupyterLab (Debian's Chromium): runs made before
the restart are in the new kernel's widget (from the library, ./mql-videos beside the notebook),
"Show older runs" pages in the older ones, and choosing one plays its video, read from disk;
stars clicked under a run before the restart are on it after, and in the gallery's filter.
"""

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
from tests.browser.test_widget_controls import kernel_run

pytestmark = pytest.mark.browser

WIDGET = ".mql-video-widget"
ENTRY = f"{WIDGET} .mql-history-entry"
PROMPTS = ["A harbour at dawn, gulls overhead", "A snowy forest at night, lanterns"]

RESTART = """async () => {
  const session = window.jupyterapp.shell.currentWidget.sessionContext.session;
  await session.kernel.restart();
}"""


@pytest.fixture(scope="module")
def jupyter(emulator: LocalServer, browser: Any) -> Iterator[JupyterServer]:
    env = {"MQL_BASE_URL": emulator.url, "MQL_API_KEY": BROWSER_API_KEY}
    with JupyterServer("lab", env) as server:
        yield server


def test_the_history_survives_a_kernel_restart_and_plays_from_disk(
    jupyter: JupyterServer, browser: Any
) -> None:
    from playwright.sync_api import expect

    write_notebook(
        jupyter.root / "history.ipynb",
        [
            "from mql_notebook import VideoWidget\n"
            "VideoWidget.history_page = 1  # the strip starts with the latest run\n"
            "w = VideoWidget(duration=5)\nw"
        ],
    )
    page = open_notebook(browser, jupyter, "history.ipynb")
    try:
        page.wait_for_selector(WIDGET, timeout=60_000)
        for prompt in PROMPTS:
            kernel_run(page, f"w.prompt = {prompt!r}\nawait w.generate()")
        expect(page.locator(ENTRY)).to_have_count(2, timeout=30_000)
        stars = f"{WIDGET} .mql-history-rating"
        page.locator(stars).nth(1).locator(".mql-history-star").nth(3).click()  # 4 stars
        expect(page.locator(stars).nth(1)).to_have_attribute("data-rating", "4", timeout=10_000)
        pid_before = kernel_run(page, "import os; print(os.getpid())").strip()

        page.evaluate(RESTART)
        jupyter.wait_for_kernel()
        run_all_cells(page)  # the notebook's cell again: a new widget in the new kernel
        assert kernel_run(page, "import os; print(os.getpid())").strip() != pid_before
        expect(page.locator(ENTRY)).to_have_count(1, timeout=30_000)  # a page of one
        more = page.locator(f"{WIDGET} .mql-history-more")
        expect(more).to_be_visible()
        more.click()
        expect(page.locator(ENTRY)).to_have_count(2, timeout=30_000)
        expect(more).to_be_hidden()
        prompts = page.locator(f"{ENTRY} .mql-history-prompt").all_inner_texts()
        assert prompts == PROMPTS  # oldest first, as the strip always was
        assert kernel_run(page, "print(sum(bool(r.videos) for r in w.history))").strip() == "0"

        page.locator(ENTRY).first.click()
        page.wait_for_selector(f'{ENTRY}[data-index="0"][aria-current="true"]', timeout=10_000)
        video = page.wait_for_selector(f"{WIDGET} video", timeout=30_000)
        facts = page.evaluate(PLAY_VIDEO, video)
        assert facts["error"] is None and facts["readyState"] >= 2, facts
        assert 4.5 < facts["duration"] < 5.5 and facts["advanced"] > 0, facts
        assert kernel_run(page, "print(w.prompt)").strip() == PROMPTS[0]
        expect(page.locator(stars).nth(1)).to_have_attribute("data-rating", "4")
        rated = kernel_run(
            page,
            "from mql_notebook import Gallery\n"
            "g = Gallery()\n"
            "g.show_page(min_rating=4)\nprint([c['prompt'] for c in g.entries])",
        )
        assert rated.strip() == repr([PROMPTS[1]])
        assert (jupyter.root / "mql-videos" / "library.sqlite3").exists()
        assert page.console_errors == []
    finally:
        page.close()
