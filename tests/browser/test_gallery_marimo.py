"""The gallery in marimo (``marimo run``, Debian's Chromium): the same library as in the
JupyterLab test, made by a real client against the emulator; ``mo.ui.anywidget(Gallery(...))``.

marimo renders the widget inside a shadow root: every look goes through a Playwright locator
(which pierces it) or through the widget's own element.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mql_notebook.local import LocalServer
from tests.browser.gallery_checks import (
    GALLERY,
    HOSTILE,
    LOADED,
    REQUESTS,
    card,
    compare_two_and_check_sync,
)
from tests.browser.gallery_checks import fill_library as make_library
from tests.browser.hosts_harness import HostServer, host_server, open_host_page

pytestmark = pytest.mark.browser

CODE = (
    "from mql_notebook import Gallery\n"
    "from pathlib import Path\n"
    "g = mo.ui.anywidget(Gallery(Path(__file__).parent / 'mql-videos'))\n"
    "g"
)


@pytest.fixture(scope="module")
def marimo(
    browser: Any, emulator: LocalServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HostServer]:
    base: Path = tmp_path_factory.mktemp("marimo-gallery")
    make_library(base / "mql-videos", emulator)
    with host_server("marimo", base, CODE) as server:
        yield server


@pytest.fixture(scope="module")
def page(marimo: HostServer, browser: Any) -> Iterator[Any]:
    page = open_host_page(browser, marimo)
    try:
        page.locator(f"{GALLERY} .mql-g-card").first.wait_for(timeout=60_000)
        yield page
    finally:
        page.close()


def test_cards_show_with_posters_and_a_hostile_prompt_stays_text(page: Any) -> None:
    from playwright.sync_api import expect

    gallery = page.locator(GALLERY)
    prompts = gallery.locator(".mql-g-card .mql-g-prompt").all_text_contents()
    assert prompts == [p for p, _ in REQUESTS][::-1]
    expect(gallery.locator("img.mql-g-poster")).to_have_count(4, timeout=LOADED)
    decoded = gallery.locator("img.mql-g-poster").evaluate_all(
        "(imgs) => imgs.every((i) => i.complete && i.naturalWidth > 0)"
    )
    assert decoded
    assert card(page, "onerror").locator(".mql-g-prompt").text_content() == HOSTILE
    assert gallery.locator("img[src='x']").count() == 0
    assert gallery.locator(".mql-g-card b").count() == 0
    assert page.evaluate("() => window.__mqlXss") is None


def test_two_compared_videos_seek_and_play_in_sync(page: Any) -> None:
    gallery = compare_two_and_check_sync(page)
    gallery.locator(".mql-g-close").click()
    assert gallery.locator(".mql-g-stage video").count() == 0
