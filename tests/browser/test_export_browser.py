"""The exported page opened from file:// in Debian's Chromium: the videos play, a hostile
prompt stays text, nothing is asked of the network, compare plays the videos in sync, and the
Content-Security-Policy refuses any script but the page's own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mql_notebook.library.export import export
from tests.browser.video_checks import PLAY_VIDEO
from tests.library.export_support import CALM, HOSTILE, HOSTILE_NOTE, rated, two_videos

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    library = two_videos(tmp_path_factory.mktemp("library"))
    calm, hostile = sorted(library.entries(), key=lambda e: e.prompt != CALM)
    return export(
        library, tmp_path_factory.mktemp("share"), [rated(calm, 4, HOSTILE_NOTE), hostile]
    )


@pytest.fixture
def page(browser: Any, index: Path) -> Iterator[Any]:
    context = browser.new_context()
    page = context.new_page()
    page.requests = []  # type: ignore[attr-defined]
    page.dialogs = []  # type: ignore[attr-defined]
    page.problems = []  # type: ignore[attr-defined]
    page.on("request", lambda r: page.requests.append(r.url))
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    page.on("console", lambda m: m.type == "error" and page.problems.append(m.text))
    page.goto(index.as_uri())
    page.wait_for_selector(".card video")
    yield page
    context.close()


def test_cards_play_and_a_hostile_prompt_stays_text(page: Any, index: Path) -> None:
    prompts = page.eval_on_selector_all(".card .prompt", "ps => ps.map(p => p.textContent)")
    assert sorted(prompts) == sorted([CALM, HOSTILE])
    # Not one element the prompt's markup would have made, no dialog.
    assert page.evaluate("document.querySelectorAll('img[src=x], body script').length") == 2
    assert page.evaluate("document.querySelectorAll('img:not([src^=images])').length") == 0
    for video in page.query_selector_all(".card video"):
        facts = video.evaluate(PLAY_VIDEO)
        assert facts["error"] is None and facts["readyState"] >= 2, facts
        assert facts["advanced"] > 0.2, facts
        assert facts["width"] > 0
    assert page.eval_on_selector_all(
        ".card video", "vs => vs.every(v => v.poster.endsWith('.jpg'))"
    )
    inputs = page.eval_on_selector_all(".inputs img", "is => is.map(i => i.naturalWidth)")
    assert len(inputs) == 1 and inputs[0] > 0
    assert page.text_content(".card .meta")  # model, cost, date
    assert page.text_content(".card .rating") == "★★★★☆"
    assert page.text_content(".card .note") == HOSTILE_NOTE  # text, not a <b>
    assert page.evaluate("document.querySelectorAll('b').length") == 0
    assert page.dialogs == []
    assert page.problems == []
    assert all(url.startswith(index.parent.as_uri()) for url in page.requests), page.requests


def test_the_policy_refuses_any_other_script(page: Any) -> None:
    page.evaluate(
        """() => { const s = document.createElement('script');
        s.textContent = 'window.injected = 1'; document.body.append(s); }"""
    )
    page.wait_for_timeout(200)
    assert page.evaluate("window.injected") is None
    assert any("Content Security Policy" in p for p in page.problems), page.problems


def test_compare_plays_pauses_and_seeks_together(page: Any, index: Path) -> None:
    assert page.is_disabled("#compare")
    for box in page.query_selector_all(".pick"):
        box.check()
    page.click("#compare")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.compare video')].every(v => v.readyState >= 2)"
    )
    state = "vs => vs.map(v => ({paused: v.paused, t: v.currentTime}))"
    page.click(".toggle")
    page.wait_for_timeout(1200)
    playing = page.eval_on_selector_all(".compare video", state)
    assert len(playing) == 2 and not any(v["paused"] for v in playing), playing
    assert playing[0]["t"] > 0.5 and abs(playing[0]["t"] - playing[1]["t"]) < 0.3, playing
    page.click(".toggle")
    paused = page.eval_on_selector_all(".compare video", state)
    assert all(v["paused"] for v in paused) and abs(paused[0]["t"] - paused[1]["t"]) < 0.05
    page.eval_on_selector(
        ".timeline", "r => { r.value = '2.5'; r.dispatchEvent(new Event('input')); }"
    )
    page.wait_for_timeout(300)
    seeked = page.eval_on_selector_all(".compare video", state)
    assert all(abs(v["t"] - 2.5) < 0.05 for v in seeked), seeked
    assert page.is_hidden("#cards")
    page.click(".close")
    assert page.is_visible("#cards") and page.is_hidden("#comparing")
    assert all(url.startswith(index.parent.as_uri()) for url in page.requests), page.requests
