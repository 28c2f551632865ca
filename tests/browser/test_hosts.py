"""The widget as a person uses it in marimo and in Voila (Debian's Chromium).

Each host serves one widget written by the test: a marimo app with ``mo.ui.anywidget(w)``,
one with a bare ``w``, and a notebook run by Voila. In each, a person types a prompt and
presses Generate; the badge moves through the job's states and the finished video plays.
The kernel uses the in-process emulator (``MQL_BASE_URL=local``) at a fast pace.

marimo renders the widget inside a shadow root: Playwright's locators pierce it, while
``document.querySelector`` does not, so every look at the page goes through a locator.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.hosts_harness import HostServer, host_server, open_host_page
from tests.browser.video_checks import PLAY_VIDEO

pytestmark = pytest.mark.browser

WIDGET = ".mql-video-widget"
JOB_TIMEOUT = 60_000  # ms; a job takes about 2 s plus rendering
RUN_TIMEOUT = 120_000  # ms; a whole run under a loaded CI machine (a host's kernel starts cold)
PROMPT = "A paper boat drifting down a rainy street, cinematic"

# Every data-status the root takes from now on, kept on the element (no global lookup).
RECORD_STATUSES = """(root) => {
  root.__mqlSeen = [root.dataset.status];
  new MutationObserver(() => {
    const s = root.dataset.status;
    if (root.__mqlSeen[root.__mqlSeen.length - 1] !== s) root.__mqlSeen.push(s);
  }).observe(root, {attributes: true, attributeFilter: ['data-status']});
}"""


@pytest.fixture(scope="module", params=["marimo", "marimo-bare", "voila"])
def host(
    request: pytest.FixtureRequest, browser: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HostServer]:
    # `browser` first: without Chromium the test skips (or fails under CI) before a server starts.
    with host_server(request.param, tmp_path_factory.mktemp(request.param)) as server:
        yield server


@pytest.fixture(scope="module")
def page(host: HostServer, browser: Any) -> Iterator[Any]:
    page = open_host_page(browser, host)
    try:
        page.locator(WIDGET).wait_for(timeout=60_000)
        yield page
    finally:
        page.close()


def test_the_widget_renders_and_waits_for_a_prompt(page: Any) -> None:
    from playwright.sync_api import expect

    widget = page.locator(WIDGET)
    assert widget.get_attribute("data-status") == "idle"
    expect(widget.locator(".mql-generate")).to_be_disabled()
    widget.locator(".mql-prompt").fill(PROMPT)
    # The button enables as soon as there is a prompt (the view's own check).
    expect(widget.locator(".mql-generate")).to_be_enabled(timeout=JOB_TIMEOUT)


def test_generate_moves_the_badge_and_the_video_plays(page: Any) -> None:
    from playwright.sync_api import expect

    widget = page.locator(WIDGET)
    widget.locator(".mql-prompt").fill(PROMPT)
    generate = widget.locator(".mql-generate")
    expect(generate).to_be_enabled(timeout=JOB_TIMEOUT)
    widget.evaluate(RECORD_STATUSES)
    generate.click()
    page.locator(f'{WIDGET}[data-status="completed"][data-running="false"]').wait_for(
        timeout=RUN_TIMEOUT
    )
    seen = widget.evaluate("(root) => root.__mqlSeen")
    assert seen[-1] == "completed" and "processing" in seen, seen
    assert set(seen) <= {"idle", "pending", "processing", "completed"}, seen
    badge = widget.locator(".mql-badge").inner_text()
    assert "Completed" in badge, badge

    video = widget.locator("video.mql-video")
    assert video.count() == 1
    facts = video.evaluate(PLAY_VIDEO)
    assert facts["error"] is None and facts["readyState"] >= 2, facts
    assert facts["src"].startswith("blob:"), facts
    assert abs(facts["duration"] - 5) < 0.2, facts  # the widget's default length
    assert abs(facts["width"] / facts["height"] - 16 / 9) < 0.02, facts
    assert facts["advanced"] > 0.2, facts  # it really decodes and plays
    assert widget.locator("a.mql-download").get_attribute("href").startswith("blob:")


def test_the_static_fallback_is_never_seen(page: Any, host: HostServer) -> None:
    """The html output kept for readers without JavaScript must not show beside a live widget."""
    fallback = page.locator(".mql-static-fallback")
    if host.name.startswith("marimo"):
        # marimo never shows `_ipython_display_` extras: no fallback at all there.
        assert fallback.count() == 0
    else:
        assert fallback.count() <= 1
        assert fallback.count() == 0 or fallback.is_hidden()


def test_no_widget_errors_in_the_console(page: Any) -> None:
    errors = [e for e in page.console_errors if "mql" in e.lower() or "anywidget" in e.lower()]
    assert not errors, errors
