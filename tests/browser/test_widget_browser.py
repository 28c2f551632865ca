"""The widget as a person uses it, in JupyterLab 4 and in Notebook 7 (Debian's Chromium).

One notebook per frontend, one widget in it, and the tests below run in order on that
widget: a finished video that really plays, a failure, a cancel, choosing a history entry,
and a reload that must bring the video back. The kernel reaches a LocalServer started by
this process (MQL_BASE_URL and MQL_API_KEY in the Jupyter server's environment).
"""

from __future__ import annotations

import html
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.jupyter_harness import (
    BROWSER_API_KEY,
    JupyterServer,
    open_notebook,
    write_notebook,
)
from tests.browser.video_checks import PLAY_VIDEO

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "docs" / "widget.png"
WIDGET = ".mql-video-widget"
JOB_TIMEOUT = 60_000  # ms; a job takes about 2 s plus rendering

# Per frontend, a different frame shape, so both landscape and portrait are checked.
REQUESTS = {
    "lab": {
        "prompt": "A paper boat drifting down a rainy street, cinematic",
        "aspect_ratio": "16:9",
        "duration": 5,
    },
    "notebook": {
        "prompt": "A lighthouse at dusk, waves rolling in",
        "aspect_ratio": "9:16",
        "duration": 5,
    },
}

RECORD_STATUSES = """() => {
  const root = document.querySelector('.mql-video-widget');
  window.__mqlSeen = [root.dataset.status];
  if (window.__mqlObserver) window.__mqlObserver.disconnect();
  window.__mqlObserver = new MutationObserver(() => {
    const s = root.dataset.status;
    if (window.__mqlSeen[window.__mqlSeen.length - 1] !== s) window.__mqlSeen.push(s);
  });
  window.__mqlObserver.observe(root, {attributes: true, attributeFilter: ['data-status']});
}"""


# Contrast of the widget's text against its own background (WCAG formula), and which is lighter.
CONTRAST = """() => {
  const root = document.querySelector('.mql-video-widget');
  const rgb = (c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = (c) => {
    const [r, g, b] = rgb(c).map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const fg = lum(getComputedStyle(root.querySelector('.mql-badge-label')).color);
  const prompt = getComputedStyle(root.querySelector('.mql-prompt'));
  const bg = lum(getComputedStyle(root).backgroundColor);
  const ratio = (a, b) => (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  return {text: ratio(fg, bg), prompt: ratio(lum(prompt.color), lum(prompt.backgroundColor)), dark: bg < fg};
}"""


@pytest.fixture(scope="module")
def page(jupyter: JupyterServer, browser: Any) -> Iterator[Any]:
    write_notebook(
        jupyter.root / "widget.ipynb",
        ["from mql_notebook import VideoWidget\nw = VideoWidget()\nw"],
    )
    page = open_notebook(browser, jupyter, "widget.ipynb")
    try:
        page.wait_for_selector(WIDGET, timeout=60_000)
        yield page
    finally:
        page.close()


def statuses_seen(page: Any) -> list[str]:
    return page.evaluate("() => window.__mqlSeen")


def wait_status(page: Any, status: str, timeout: float = JOB_TIMEOUT) -> None:
    page.wait_for_selector(
        f'{WIDGET}[data-status="{status}"][data-running="false"]', timeout=timeout
    )


def press_generate(page: Any, prompt: str, **options: Any) -> None:
    widget = page.locator(WIDGET)
    widget.locator(".mql-prompt").fill(prompt)
    for name, cls in (("aspect_ratio", ".mql-aspect"), ("duration", ".mql-duration")):
        if name in options:  # free inputs (another model has values of its own)
            widget.locator(cls).fill(str(options[name]))
            widget.locator(cls).dispatch_event("change")
    if "n" in options:
        widget.locator(".mql-n").select_option(str(options["n"]))
    page.evaluate(RECORD_STATUSES)
    generate = widget.locator(".mql-generate")
    from playwright.sync_api import expect

    # Auto-waiting: the button enables once the view has the prompt and no run is in flight.
    expect(generate).to_be_enabled(timeout=JOB_TIMEOUT)
    generate.click()


def saved_outputs(page: Any, jupyter: JupyterServer, cell: int = 0) -> list[dict[str, Any]]:
    """Save the notebook from the browser (as a person would) and read the cell's outputs from disk."""
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    notebook = json.loads((jupyter.root / "widget.ipynb").read_text())
    return notebook["cells"][cell]["outputs"]


def saved_fallback(outputs: list[dict[str, Any]]) -> str:
    """The static fallback's html among a cell's saved outputs ("" when there is none)."""
    found = []
    for output in outputs:
        markup = output.get("data", {}).get("text/html", "")
        markup = "".join(markup) if isinstance(markup, list) else markup
        if "mql-static-fallback" in markup:
            found.append(markup)
    assert len(found) <= 1, f"{len(found)} fallback outputs"
    return found[0] if found else ""


def assert_saved_fallback_shows(page: Any, jupyter: JupyterServer, prompt: str) -> str:
    """The notebook saved from the browser holds the shown run as static html: status, prompt, video."""
    deadline = time.monotonic() + 10
    while True:  # the update travels kernel -> browser after the status: allow it a moment
        markup = saved_fallback(saved_outputs(page, jupyter))
        if 'data-status="completed"' in markup or time.monotonic() > deadline:
            break
        page.wait_for_timeout(250)
    assert 'data-status="completed"' in markup, markup[:500] or "no fallback output saved"
    assert html.escape(prompt) in markup, markup[:500]
    assert "<video" in markup or "<img" in markup, markup[:500]
    return markup


def test_blank_prompt_disables_generate(page: Any) -> None:
    widget = page.locator(WIDGET)
    assert widget.get_attribute("data-status") == "idle"
    assert widget.locator(".mql-generate").is_disabled()
    widget.locator(".mql-prompt").fill("   ")
    assert widget.locator(".mql-generate").is_disabled()
    # The controls offer exactly what the API accepts.
    # The documented values, as suggestions (another model's may be typed).
    suggested = "(c) => [...document.querySelector(`.mql-video-widget ${c}`).list.options].map((o) => o.value)"
    assert page.evaluate(suggested, ".mql-aspect") == ["16:9", "9:16", "1:1"]
    assert page.evaluate(suggested, ".mql-duration") == ["5", "10", "15", "20"]
    contrast = page.evaluate(CONTRAST)
    assert not contrast["dark"] and contrast["text"] >= 4.5 and contrast["prompt"] >= 4.5, contrast


def test_generate_shows_states_and_a_video_that_plays(
    page: Any, jupyter: JupyterServer, emulator: Any, tmp_path: Path
) -> None:
    request = REQUESTS[jupyter.frontend]
    press_generate(
        page, request["prompt"], aspect_ratio=request["aspect_ratio"], duration=request["duration"]
    )
    page.wait_for_selector(f'{WIDGET}[data-running="true"]', timeout=15_000)
    assert page.locator(f"{WIDGET} .mql-cancel").is_enabled()
    wait_status(page, "completed")
    seen = statuses_seen(page)
    assert seen[-1] == "completed" and "processing" in seen, seen
    assert set(seen) <= {"idle", "pending", "processing", "completed"}, seen
    badge = page.locator(f"{WIDGET} .mql-badge").inner_text()
    assert "Completed" in badge and " s" in badge, badge

    video = page.locator(f"{WIDGET} video.mql-video")
    assert video.count() == 1
    facts = video.evaluate(PLAY_VIDEO)
    assert facts["error"] is None and facts["readyState"] >= 2, facts
    assert facts["src"].startswith("blob:"), facts
    assert abs(facts["duration"] - request["duration"]) < 0.2, facts
    wide, tall = (int(x) for x in request["aspect_ratio"].split(":"))
    assert abs(facts["width"] / facts["height"] - wide / tall) < 0.02, facts
    assert facts["advanced"] > 0.2, facts  # it really decodes and plays

    link = page.locator(f"{WIDGET} a.mql-download")
    assert link.get_attribute("download", timeout=1000).endswith(".mp4")
    assert link.get_attribute("href").startswith("blob:")
    # The key the kernel holds is nowhere in the page.
    assert BROWSER_API_KEY not in page.content()
    # One create for one press.
    assert emulator.count("POST", "/v1/videos/generations") >= 1

    if jupyter.frontend == "lab":
        # The README's picture. Rewritten only when missing or asked for (MQL_UPDATE_SCREENSHOT=1),
        # so a test run does not leave the checkout modified.
        refresh = not SCREENSHOT.exists() or os.environ.get("MQL_UPDATE_SCREENSHOT") == "1"
        target = SCREENSHOT if refresh else tmp_path / "widget.png"
        video.evaluate("(v) => { v.currentTime = 1.5; }")
        page.mouse.move(0, 0)
        page.wait_for_timeout(300)
        target.parent.mkdir(exist_ok=True)
        page.locator(WIDGET).screenshot(path=str(target))
        assert target.stat().st_size > 10_000


def test_a_clicked_run_reaches_the_saved_notebook_as_static_html(
    page: Any, jupyter: JupyterServer
) -> None:
    """Generate was clicked (no cell ran): the notebook saved from the browser still holds the
    static fallback of the finished run, for GitHub, nbviewer and nbconvert."""
    markup = assert_saved_fallback_shows(page, jupyter, REQUESTS[jupyter.frontend]["prompt"])
    assert "data:video/mp4;base64," in markup  # a 5 s emulator video is far under the embedding cap


def test_failure_shows_the_server_message_as_text(page: Any) -> None:
    prompt = "<b>bold</b> <img src=x onerror=window.__pwned=1> [[fail]]"
    press_generate(page, prompt)
    wait_status(page, "failed")
    error = page.locator(f"{WIDGET} .mql-error")
    assert error.is_visible()
    assert "on purpose" in error.inner_text()
    assert "Failed" in page.locator(f"{WIDGET} .mql-badge").inner_text()
    # Text from the prompt is text, never markup.
    # (the image controls' own thumbnails are <img> elements: none made from the prompt)
    assert page.locator(f'{WIDGET} b, {WIDGET} img[src="x"], {WIDGET} img[onerror]').count() == 0
    assert page.evaluate("() => window.__pwned") is None
    entry = page.locator(f"{WIDGET} .mql-history-entry").last
    assert "<b>bold</b>" in entry.inner_text() and entry.get_attribute("data-status") == "failed"
    assert page.locator(f"{WIDGET} video").count() == 0  # the failed run has no video
    assert page.locator(f"{WIDGET} .mql-generate").is_enabled()


def test_cancel_stops_polling_and_says_the_job_may_still_run(page: Any) -> None:
    press_generate(page, "An endless corridor of mirrors [[stall]]")
    page.wait_for_selector(f'{WIDGET}[data-status="processing"]', timeout=15_000)
    page.locator(f"{WIDGET} .mql-cancel").click()
    wait_status(page, "cancelled", timeout=10_000)
    note = page.locator(f"{WIDGET} .mql-note")
    assert "may still run" in note.inner_text()
    assert page.locator(f"{WIDGET} .mql-resume").is_visible()
    assert page.locator(f"{WIDGET} .mql-cancel").is_hidden()
    assert page.locator(f"{WIDGET} .mql-generate").is_enabled()
    assert "Cancelled" in page.locator(f"{WIDGET} .mql-badge").inner_text()


def test_choosing_a_history_entry_restores_it(page: Any, jupyter: JupyterServer) -> None:
    request = REQUESTS[jupyter.frontend]
    entries = page.locator(f"{WIDGET} .mql-history-entry")
    assert entries.count() == 3
    assert [entries.nth(i).get_attribute("data-status") for i in range(3)] == [
        "completed",
        "failed",
        "cancelled",
    ]
    entries.first.click()
    wait_status(page, "completed", timeout=10_000)
    widget = page.locator(WIDGET)
    page.wait_for_function(
        "(prompt) => document.querySelector('.mql-video-widget .mql-prompt').value === prompt",
        arg=request["prompt"],
        timeout=10_000,
    )
    assert widget.locator(".mql-aspect").input_value() == request["aspect_ratio"]
    page.wait_for_selector(f"{WIDGET} video.mql-video", timeout=10_000)
    assert entries.first.get_attribute("aria-current") == "true"


def test_the_dark_theme_keeps_the_widget_readable(page: Any) -> None:
    page.evaluate(
        "() => window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Dark'})"
    )
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'", timeout=15_000)
    page.wait_for_timeout(300)
    contrast = page.evaluate(CONTRAST)
    assert contrast["dark"] and contrast["text"] >= 4.5 and contrast["prompt"] >= 4.5, contrast
    page.evaluate(
        "() => window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Light'})"
    )
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'true'", timeout=15_000)


def test_reload_brings_the_video_back(page: Any, jupyter: JupyterServer) -> None:
    """The view asks the kernel for its videos when it renders: a reloaded page shows them again."""
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    page.wait_for_timeout(500)
    page.reload()
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.commands", timeout=60_000)
    page.wait_for_selector(f'{WIDGET}[data-status="completed"] video.mql-video', timeout=60_000)
    facts = page.locator(f"{WIDGET} video.mql-video").evaluate(PLAY_VIDEO)
    assert facts["error"] is None and facts["advanced"] > 0.2, facts
    errors = [e for e in page.console_errors if "mql" in e.lower() or "anywidget" in e.lower()]
    assert not errors, errors


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason=(
        "A known limit of JupyterLab 4 / Notebook 7, not fixable from the kernel: @jupyterlab/services' "
        "KernelConnection routes update_display_data only by display_id, to the futures of the execute "
        "requests whose display_data *this page* received (_displayIdToParentIds); an update for a display id "
        "the page never saw is dropped before its parent header is looked at. A reloaded or reopened page "
        "(or another tab) has no such entry and no live future for the widget's cell, so nothing the kernel "
        "sends reaches that cell's outputs until the cell runs again. Needs a frontend extension that applies "
        "mql-static-* updates to the matching saved output, or displaying the widget again (`w` in a cell)."
    ),
)
def test_a_run_clicked_after_a_reload_reaches_the_saved_notebook(
    page: Any, jupyter: JupyterServer
) -> None:
    """The reloaded page never saw the fallback's display_data: the kernel must still reach the cell."""
    prompt = "A hot air balloon over <green> hills & fields"
    press_generate(page, prompt, duration=5)
    wait_status(page, "completed")
    assert_saved_fallback_shows(page, jupyter, prompt)


def test_no_widget_errors_in_the_console(page: Any) -> None:
    errors = [e for e in page.console_errors if "mql" in e.lower() or "anywidget" in e.lower()]
    assert not errors, errors


def test_the_static_fallback_output_is_hidden_where_the_widget_runs(page: Any) -> None:
    # mql_notebook/static_fallback.py: the text/html output beside the widget is for readers
    # without its JavaScript; the widget's CSS hides it, and its output row, in a live frontend.
    fallback = page.locator(".mql-static-fallback")
    assert fallback.count() == 1
    assert fallback.is_hidden()
    row = page.locator(".jp-OutputArea-child", has=fallback)
    assert row.count() == 1 and row.is_hidden()
    assert page.locator(".jp-OutputArea-child", has=page.locator(WIDGET)).is_visible()


# A frame of each video, seeked to the same time and drawn small, as numbers to compare.
FRAME_SUMS = """async (videos) => Promise.all(videos.map(async (video) => {
  video.pause();
  await new Promise((done) => { video.addEventListener('seeked', done, {once: true}); video.currentTime = 1.0; });
  const canvas = document.createElement('canvas');
  canvas.width = 32; canvas.height = 18;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(video, 0, 0, 32, 18);
  return Array.from(ctx.getImageData(0, 0, 32, 18).data);
}))"""


def test_a_gallery_of_two_videos_both_play_and_differ(page: Any, jupyter: JupyterServer) -> None:
    if jupyter.frontend != "lab":
        pytest.skip(
            "the n > 1 gallery is checked in JupyterLab; Notebook 7 runs the same view code"
        )
    press_generate(page, "Two kites over a windy beach", aspect_ratio="1:1", duration=5, n=2)
    wait_status(page, "completed")
    page.wait_for_selector(f'{WIDGET}[data-variants="2"]', timeout=10_000)
    videos = page.locator(f"{WIDGET} .mql-gallery video.mql-video")
    assert videos.count() == 2
    facts = [videos.nth(i).evaluate(PLAY_VIDEO) for i in range(2)]
    for f in facts:
        assert f["error"] is None and f["readyState"] >= 2 and f["advanced"] > 0.2, f
        assert abs(f["duration"] - 5) < 0.2, f
        assert f["width"] == f["height"], f  # 1:1
        assert f["src"].startswith("blob:"), f
    assert facts[0]["src"] != facts[1]["src"], facts
    first, second = page.evaluate(FRAME_SUMS, videos.element_handles())
    assert sum(first) > 0 and first != second  # two different videos, not one shown twice
    links = page.locator(f"{WIDGET} a.mql-download")
    assert [links.nth(i).get_attribute("download") for i in range(2)] == [
        f"{page.locator(WIDGET).get_attribute('data-generation-id')}-{i}.mp4" for i in (1, 2)
    ]


def test_a_full_gateway_shows_waiting_for_a_free_slot_then_the_video(
    page: Any, emulator: Any
) -> None:
    from mql_notebook import MQL

    # Every slot of this key is held by a job that never ends (this one, and any stalled job
    # of an earlier test), so the widget's job must wait however slowly this machine types;
    # a slot is freed once the badge says so.
    with MQL(api_key=BROWSER_API_KEY, base_url=emulator.url, library=False) as mql:
        mql.video.create(model="sora", prompt="The slot holder [[stall]]", duration=5)
    held = sum(
        1
        for job in emulator.emulator.jobs.jobs()
        if job.api_key == BROWSER_API_KEY and job.fate == "stall"
    )
    emulator.limits.concurrency = held
    emulator.limits.concurrency_retry_after = 0.5
    try:
        press_generate(page, "A heron waits in the reeds")
        waiting = page.wait_for_selector(
            f'{WIDGET}[data-waiting*="concurrency_limit_exceeded"]', timeout=JOB_TIMEOUT
        )
        assert "Waiting for a free slot" in page.locator(f"{WIDGET} .mql-badge").inner_text()
        assert waiting is not None
        emulator.limits.concurrency = held + 1
        wait_status(page, "completed")
        assert page.locator(f"{WIDGET}").get_attribute("data-waiting") == ""
        assert "pending" in statuses_seen(page)
    finally:
        emulator.limits.concurrency = None
