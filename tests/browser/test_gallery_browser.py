"""The gallery as a person uses it, in JupyterLab 4 (Debian's Chromium).

The library is filled before the page opens by a real client against the emulator (one
entry's prompt is hostile markup); the notebook shows ``Gallery(library, widget=w)`` and the
linked ``VideoWidget``. The tests below run in order on that page: cards with their posters,
the hostile prompt as text, one video playing, two compared in sync (one timeline, one
play/pause), "Use this prompt", an export of the ticked cards, and a delete that asks first.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mql_notebook import MQL
from mql_notebook.client.poller import PollTiming
from mql_notebook.library import Library
from mql_notebook.local import LocalServer
from tests.browser.gallery_checks import (
    GALLERY,
    HOSTILE,
    LOADED,
    REQUESTS,
    card,
    compare_two_and_check_sync,
    fill_library,
)
from tests.browser.jupyter_harness import (
    BROWSER_API_KEY,
    JupyterServer,
    open_notebook,
    write_notebook,
)

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = {"gallery": ROOT / "docs" / "gallery.png", "compare": ROOT / "docs" / "compare.png"}


@pytest.fixture(scope="module")
def lab(emulator: LocalServer, browser: Any) -> Iterator[JupyterServer]:
    env = {"MQL_BASE_URL": emulator.url, "MQL_API_KEY": BROWSER_API_KEY}
    with JupyterServer("lab", env) as server:
        yield server


@pytest.fixture(scope="module")
def page(lab: JupyterServer, emulator: LocalServer, browser: Any) -> Iterator[Any]:
    fill_library(lab.root / "mql-videos", emulator)
    write_notebook(
        lab.root / "gallery.ipynb",
        [
            "from mql_notebook import Gallery, VideoWidget\n"
            "w = VideoWidget()\n"
            "g = Gallery('mql-videos', widget=w)\n"
            "g",
            "w",
        ],
    )
    page = open_notebook(browser, lab, "gallery.ipynb", viewport={"width": 1280, "height": 1100})
    try:
        page.wait_for_selector(f"{GALLERY} .mql-g-card", timeout=60_000)
        yield page
    finally:
        page.close()


def screenshot(page: Any, name: str, tmp_path: Path, part: str = GALLERY) -> None:
    """The README's pictures: rewritten only when missing or asked for (MQL_UPDATE_SCREENSHOT=1)."""
    path = SCREENSHOTS[name]
    refresh = not path.exists() or os.environ.get("MQL_UPDATE_SCREENSHOT") == "1"
    target = path if refresh else tmp_path / path.name
    page.mouse.move(0, 0)
    page.wait_for_timeout(300)
    target.parent.mkdir(exist_ok=True)
    page.locator(part).screenshot(path=str(target))
    assert target.stat().st_size > 10_000


def test_cards_show_newest_first_with_their_posters(page: Any, tmp_path: Path) -> None:
    gallery = page.locator(GALLERY)
    prompts = gallery.locator(".mql-g-card .mql-g-prompt").all_text_contents()
    assert prompts == [p for p, _ in REQUESTS][::-1]
    # Every poster arrives as a picture that decoded.
    page.wait_for_function(
        """() => { const imgs = [...document.querySelectorAll('.mql-gallery-widget img.mql-g-poster')];
                   return imgs.length === 4 && imgs.every((i) => i.complete && i.naturalWidth > 0); }""",
        timeout=LOADED,
    )
    first = gallery.locator(".mql-g-card").first
    assert first.locator(".mql-g-status").text_content() == "Completed"
    assert "sora · 16:9 · 5 s" in first.locator(".mql-g-options").text_content()
    assert " kB" in first.locator(".mql-g-date").text_content()
    assert gallery.locator(".mql-g-count").text_content() == "1–4 of 4"
    assert BROWSER_API_KEY not in page.content()
    screenshot(page, "gallery", tmp_path)


def test_a_hostile_prompt_stays_text(page: Any) -> None:
    hostile = card(page, "onerror")
    assert hostile.locator(".mql-g-prompt").text_content() == HOSTILE
    # No element was made from it: one <img> per card (its poster), none with src=x, no <b>.
    assert page.locator(f"{GALLERY} img[src='x']").count() == 0
    assert page.locator(f"{GALLERY} .mql-g-card b").count() == 0
    assert page.evaluate("() => window.__mqlXss") is None
    # The filter is text too: it finds the entry by its markup, typed as plain characters.
    page.locator(f"{GALLERY} .mql-g-filter").fill("<b>bold")
    page.wait_for_function(
        "() => document.querySelector('.mql-gallery-widget').dataset.total === '1'", timeout=10_000
    )
    assert page.locator(f"{GALLERY} .mql-g-card").count() == 1
    page.locator(f"{GALLERY} .mql-g-filter").fill("")
    page.wait_for_function(
        "() => document.querySelector('.mql-gallery-widget').dataset.total === '4'", timeout=10_000
    )


def test_clicking_a_card_plays_its_video(page: Any) -> None:
    card(page, "red fox").locator(".mql-g-play").click()
    video = page.locator(f"{GALLERY} .mql-g-stage video")
    assert video.count() == 1
    facts = video.evaluate(
        """async (v) => {
          const deadline = Date.now() + 15000;
          while ((v.readyState < 2 || v.currentTime < 0.3) && Date.now() < deadline) {
            await new Promise((r) => setTimeout(r, 50));
          }
          return {ready: v.readyState, t: v.currentTime, src: v.src, duration: v.duration};
        }"""
    )
    assert facts["src"].startswith("blob:") and facts["ready"] >= 2, facts
    assert facts["t"] >= 0.3 and abs(facts["duration"] - 5) < 0.2, facts  # it really plays
    page.locator(f"{GALLERY} .mql-g-close").click()
    assert page.locator(f"{GALLERY} .mql-g-stage video").count() == 0


def test_two_compared_videos_seek_and_play_in_sync(page: Any, tmp_path: Path) -> None:
    gallery = compare_two_and_check_sync(page)
    screenshot(page, "compare", tmp_path, f"{GALLERY} .mql-g-stage")
    gallery.locator(".mql-g-close").click()


def test_use_this_prompt_fills_the_linked_widget(page: Any) -> None:
    card(page, "paper boat").locator(".mql-g-use").click()
    box = page.locator(".mql-video-widget .mql-prompt")
    page.wait_for_function(
        "() => document.querySelector('.mql-video-widget .mql-prompt').value.includes('paper boat')",
        timeout=10_000,
    )
    assert box.input_value() == REQUESTS[1][0]


def test_stars_and_a_note_are_kept_and_sort_and_filter_the_cards(
    page: Any, lab: JupyterServer
) -> None:
    library = Library(lab.root / "mql-videos")
    total = "() => document.querySelector('.mql-gallery-widget').dataset.total === '{}'"
    fox = card(page, "red fox")
    fox.locator(".mql-g-star").nth(3).click()  # four stars
    page.wait_for_function(
        "() => [...document.querySelectorAll('.mql-gallery-widget .mql-g-rating')]"
        ".some((r) => r.dataset.rating === '4')",
        timeout=10_000,
    )
    note = '<img src=x onerror="window.__mqlXss=2"> needs more snow'
    box = card(page, "paper boat").locator(".mql-g-note")
    box.fill(note)
    box.press("Tab")  # leaving the box saves it
    wait = 0
    while not any(e.note == note for e in library.entries()) and wait < 100:
        page.wait_for_timeout(100)
        wait += 1
    by_prompt = {e.prompt: e for e in library.entries()}
    assert by_prompt[REQUESTS[0][0]].rating == 4
    assert by_prompt[REQUESTS[1][0]].note == note
    assert card(page, "paper boat").locator(".mql-g-note").input_value() == note
    assert page.locator(f"{GALLERY} img[src='x']").count() == 0
    assert page.evaluate("() => window.__mqlXss") is None

    page.locator(f"{GALLERY} .mql-g-sort").select_option("rating")
    page.wait_for_function(
        "() => document.querySelector('.mql-gallery-widget .mql-g-card .mql-g-prompt')"
        ".textContent.includes('red fox')",
        timeout=10_000,
    )
    page.locator(f"{GALLERY} .mql-g-min-rating").select_option("4")
    page.wait_for_function(total.format(1), timeout=10_000)
    page.locator(f"{GALLERY} .mql-g-min-rating").select_option("0")
    page.locator(f"{GALLERY} .mql-g-sort").select_option("newest")
    page.wait_for_function(total.format(4), timeout=10_000)
    page.locator(f"{GALLERY} .mql-g-filter").fill("MORE SNOW")  # notes are searched
    page.wait_for_function(total.format(1), timeout=10_000)
    page.locator(f"{GALLERY} .mql-g-filter").fill("")
    page.wait_for_function(total.format(4), timeout=10_000)
    assert not page.console_errors, page.console_errors


def test_export_writes_the_ticked_cards_to_a_page_that_opens(
    page: Any, lab: JupyterServer, browser: Any
) -> None:
    gallery = page.locator(GALLERY)
    ticked = gallery.locator(".mql-g-selected .mql-g-prompt").all_text_contents()
    assert len(ticked) == 2  # still ticked from the compare above
    gallery.locator(".mql-g-export").click()
    notice = gallery.locator(".mql-g-notice")
    notice.filter(has_text="Exported 2 to").wait_for(timeout=30_000)
    (index,) = lab.root.glob("mql-export-*/index.html")
    assert str(index) in notice.text_content()
    shared = browser.new_page()
    try:
        shared.goto(index.as_uri())
        shown = shared.locator(".card .prompt").all_text_contents()
        assert sorted(shown) == sorted(ticked)
    finally:
        shared.close()


def test_delete_asks_first(page: Any, lab: JupyterServer) -> None:
    victim = card(page, "lighthouse")
    victim.locator(".mql-g-delete").click()
    assert "Delete video and entry?" in victim.locator(".mql-g-confirm").text_content()
    victim.locator(".mql-g-keep").click()  # changed my mind: nothing happens
    assert page.locator(f"{GALLERY} .mql-g-card").count() == 4
    assert len(Library(lab.root / "mql-videos").entries()) == 4
    victim.locator(".mql-g-delete").click()
    victim.locator(".mql-g-confirm-delete").click()
    page.wait_for_function(
        "() => document.querySelector('.mql-gallery-widget').dataset.total === '3'", timeout=10_000
    )
    assert card(page, "lighthouse").count() == 0
    left = Library(lab.root / "mql-videos").entries()
    assert len(left) == 3 and all("lighthouse" not in (e.prompt or "") for e in left)
    assert not page.console_errors, page.console_errors


MAT = 'A cat <img src=x onerror="window.__mqlXss = 2"> on a {} mat'


def test_compare_marks_the_word_and_the_option_that_differ(
    page: Any, lab: JupyterServer, emulator: LocalServer
) -> None:
    """Two entries whose prompts differ by one word (and hostile markup) and whose durations
    differ: the second column marks that word in a <mark>, names "duration 5 → 10", and the
    markup stays text."""
    library = Library(lab.root / "mql-videos")
    poll = PollTiming(first_delay=0.1, min_interval=0.1, max_interval=0.5)
    with MQL(
        api_key=BROWSER_API_KEY, base_url=emulator.url, poll_timing=poll, library=library
    ) as client:
        for colour, duration in (("red", 5), ("blue", 10)):
            job = client.video.create(prompt=MAT.format(colour), duration=duration)
            client.video.download(client.video.wait(job))
    library.close()
    gallery = page.locator(GALLERY)
    gallery.locator(".mql-g-refresh").click()
    for box in gallery.locator("input[data-action=pick]:checked").all():
        box.uncheck()  # the compare above's
    for colour in ("red", "blue"):
        card(page, f"on a {colour} mat").locator("input[data-action=pick]").check(timeout=30_000)
    assert gallery.get_attribute("data-selected") == "2"
    gallery.locator(".mql-g-compare").click()
    panes = gallery.locator(".mql-g-stage figcaption")
    panes.nth(0).wait_for()
    marks = gallery.locator(".mql-g-stage figcaption mark")
    marks.first.wait_for(timeout=10_000)
    assert marks.all_text_contents() == ["blue"]
    assert panes.nth(0).locator("mark").count() == 0
    assert panes.nth(1).locator(".mql-g-differences").text_content() == "duration 5 → 10"
    assert panes.nth(1).locator(".mql-g-prompt").text_content() == MAT.format("blue")
    assert gallery.locator(".mql-g-stage img").count() == 0
    assert page.evaluate("() => window.__mqlXss") is None
    gallery.locator(".mql-g-close").click()
    assert not page.console_errors, page.console_errors
