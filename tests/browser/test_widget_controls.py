"""The widget's controls and layout in JupyterLab (Debian's Chromium): the free-text model box
and its suggestions, the option controls built from the request's declaration (resolution,
seed), the "Reconnecting…" badge and its countdown, the history strip that follows the shown
run, and several videos sharing the widget's width.

The kernel side is driven and read from the page, through the notebook's own kernel connection
(``kernel_run``), as a person would from another cell. JupyterLab only: Notebook 7 runs the same
view code (test_widget_browser.py covers both frontends).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from mql_notebook.local import LocalServer
from mql_notebook.request import KNOWN_MODELS
from tests.browser.jupyter_harness import (
    BROWSER_API_KEY,
    JupyterServer,
    open_notebook,
    write_notebook,
)

pytestmark = pytest.mark.browser

WIDGET = ".mql-video-widget"
JOB_TIMEOUT = 60_000  # ms

# Runs `code` in the notebook's kernel (top-level await allowed); answers its printed output.
KERNEL_RUN = """async (code) => {
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  const future = kernel.requestExecute({ code, store_history: false });
  let out = '';
  future.onIOPub = (msg) => {
    const c = msg.content;
    if (msg.header.msg_type === 'stream') out += c.text;
    if (msg.header.msg_type === 'error') out += `KERNEL ERROR ${c.ename}: ${c.evalue}`;
  };
  await future.done;
  return out;
}"""

# Where the shown history entry sits against the strip that scrolls it.
SHOWN_ENTRY = """() => {
  const strip = document.querySelector('.mql-video-widget .mql-history-list');
  const entry = strip.querySelector('[aria-current="true"]');
  const s = strip.getBoundingClientRect(), e = entry.getBoundingClientRect();
  return { index: Number(entry.dataset.index), left: e.left - s.left, right: s.right - e.right,
           scrollLeft: strip.scrollLeft, overflow: strip.scrollWidth - strip.clientWidth };
}"""


@pytest.fixture(scope="module")
def jupyter(emulator: LocalServer, browser: Any) -> Iterator[JupyterServer]:
    env = {"MQL_BASE_URL": emulator.url, "MQL_API_KEY": BROWSER_API_KEY}
    with JupyterServer("lab", env) as server:
        yield server


@pytest.fixture(scope="module")
def page(jupyter: JupyterServer, browser: Any) -> Iterator[Any]:
    write_notebook(
        jupyter.root / "controls.ipynb",
        ["from mql_notebook import VideoWidget\nw = VideoWidget(duration=5)\nw"],
    )
    page = open_notebook(browser, jupyter, "controls.ipynb")
    try:
        page.wait_for_selector(WIDGET, timeout=60_000)
        yield page
    finally:
        page.close()


def kernel_run(page: Any, code: str) -> str:
    out = page.evaluate(KERNEL_RUN, code)
    assert "KERNEL ERROR" not in out, out
    return out


def wait_kernel(page: Any, expression: str, expected: str, timeout: float = 10.0) -> None:
    """Poll the kernel until ``print(expression)`` prints ``expected`` (a view's change travels)."""
    deadline = time.monotonic() + timeout
    while True:
        got = kernel_run(page, f"print({expression})").strip()
        if got == expected or time.monotonic() > deadline:
            break
        page.wait_for_timeout(200)
    assert got == expected, (expression, got)


def test_a_model_id_the_widget_never_heard_of_can_be_typed(
    page: Any, emulator: LocalServer
) -> None:
    from playwright.sync_api import expect

    box = page.locator(f"{WIDGET} input.mql-model")
    served = list(emulator.emulator.catalogue.models)
    suggested = """() => { const box = document.querySelector('.mql-video-widget input.mql-model');
                           return [...box.list.options].map((o) => o.value); }"""
    page.wait_for_function(f"() => ({suggested})().length >= {len(served)}", timeout=10_000)
    suggestions = page.evaluate(suggested)
    # The emulator's models first (the kernel's client talks to it), then the known ids.
    assert suggestions[: len(served)] == served and set(KNOWN_MODELS) <= set(suggestions)
    box.fill("acme-video-<2>")
    wait_kernel(page, "w.model", "acme-video-<2>")
    # Back from the kernel: the box shows what Python set.
    kernel_run(page, "w.model = 'sora'")
    expect(box).to_have_value("sora", timeout=10_000)


def test_more_fields_says_what_the_typed_model_takes(page: Any) -> None:
    from playwright.sync_api import expect

    widget = page.locator(WIDGET)
    known, box = widget.locator(".mql-fields-known"), widget.locator("textarea.mql-fields")
    if widget.locator("details.mql-more-fields").get_attribute("open") is None:
        widget.locator(".mql-more-fields summary").click()
    widget.locator("input.mql-model").fill("fal-ai/kling-video/v2.1")
    widget.locator("input.mql-model").dispatch_event("change")
    wait_kernel(page, "w.model_fields['family']", "Kling")
    expect(known).to_be_visible(timeout=10_000)
    expect(known).to_have_text(re.compile(r"^Kling takes negative_prompt \(.+\), cfg_scale"))
    assert "cfg_scale = 0.5" in (box.get_attribute("placeholder") or "")
    kernel_run(page, "w.model = 'sora'")  # a model of no known family: the generic example
    expect(known).to_be_hidden(timeout=10_000)
    assert "prompt_optimizer = false" in (box.get_attribute("placeholder") or "")


def test_the_resolution_choice_reaches_the_kernel(page: Any) -> None:
    from playwright.sync_api import expect

    select = page.locator(f"{WIDGET} select.mql-resolution")
    expect(select).to_be_visible(timeout=10_000)  # built from choices.fields
    texts = select.locator("option").all_inner_texts()
    assert texts == ["auto (server default)", "480p", "720p", "1080p"]
    assert select.input_value() == ""
    select.select_option("720p")
    wait_kernel(page, "w.resolution", "720p")
    kernel_run(page, "w.resolution = ''")
    expect(select).to_have_value("", timeout=10_000)


def test_the_badge_says_reconnecting_with_the_reason_as_text(page: Any) -> None:
    reason = "HTTP 503 from the server: <b>overloaded</b>, retrying"
    kernel_run(page, f"w.reconnecting = {reason!r}")
    page.wait_for_selector(f'{WIDGET}[data-reconnecting="true"]', timeout=10_000)
    badge = page.locator(f"{WIDGET} .mql-badge")
    assert "Reconnecting…" in badge.inner_text() and reason in badge.inner_text()
    assert page.locator(f"{WIDGET} b").count() == 0  # the reason is text, never markup
    kernel_run(page, "w.reconnecting = ''")
    page.wait_for_selector(f"{WIDGET}:not([data-reconnecting])", timeout=10_000)
    assert "Reconnecting" not in badge.inner_text() and "Ready" in badge.inner_text()


def test_the_history_strip_keeps_the_shown_run_in_view(page: Any) -> None:
    kernel_run(
        page,
        "for i in range(5):\n"
        "    w.prompt = f'Run {i + 1}: a paper boat on a pond'\n"
        "    await w.generate()\n"
        "print(len(w.history))",
    )
    page.wait_for_selector(f'{WIDGET} .mql-history-entry[data-index="4"][aria-current="true"]')
    shown = page.evaluate(SHOWN_ENTRY)
    assert shown["index"] == 4 and shown["overflow"] > 0, shown  # five runs overflow the strip
    assert shown["left"] >= -1 and shown["right"] >= -1 and shown["scrollLeft"] > 0, shown
    kernel_run(page, "w.show(0)")  # e.g. from code: the strip scrolls back
    page.wait_for_selector(f'{WIDGET} .mql-history-entry[data-index="0"][aria-current="true"]')
    page.wait_for_function(
        "() => document.querySelector('.mql-video-widget .mql-history-list').scrollLeft === 0"
    )
    shown = page.evaluate(SHOWN_ENTRY)
    assert shown["index"] == 0 and shown["left"] >= -1 and shown["right"] >= -1, shown


def test_two_videos_share_the_widget_width(page: Any) -> None:
    kernel_run(
        page,
        "w.show(4)\nw.prompt, w.n = 'Two kites over a windy beach', 2\nawait w.generate()",
    )
    page.wait_for_selector(
        f'{WIDGET}[data-status="completed"][data-variants="2"]', timeout=JOB_TIMEOUT
    )
    boxes = page.evaluate(
        """() => {
          const root = document.querySelector('.mql-video-widget');
          const width = (el) => el.getBoundingClientRect().width;
          return { widget: width(root), gallery: width(root.querySelector('.mql-gallery')),
                   videos: [...root.querySelectorAll('.mql-gallery video')].map((v) => {
                     const r = v.getBoundingClientRect(); return { width: r.width, top: r.top }; }) };
        }"""
    )
    first, second = boxes["videos"]
    assert first["top"] == second["top"], boxes  # side by side
    for video in boxes["videos"]:
        # Half the gallery each (minus the 8 px gap): the width is used, not 240 px boxes.
        assert abs(video["width"] - (boxes["gallery"] - 8) / 2) < 2, boxes
        assert video["width"] > 0.45 * boxes["widget"], boxes
    shown = page.evaluate(SHOWN_ENTRY)  # the sixth run, shown, is in view as well
    assert shown["index"] == 5 and shown["left"] >= -1 and shown["right"] >= -1, shown


def test_another_models_length_and_aspect_are_typed_and_generated(page: Any) -> None:
    # veo-3 (in the emulator's catalogue) makes 8 s videos: no Sora length, so typed, not chosen.
    from playwright.sync_api import expect

    widget = page.locator(WIDGET)
    suggested = "(c) => [...document.querySelector(`.mql-video-widget ${c}`).list.options].map((o) => o.value)"
    assert page.evaluate(suggested, ".mql-duration") == ["5", "10", "15", "20"]
    runs_before = int(kernel_run(page, "w.n = 1\nw.prompt = 'A heron lands'\nprint(len(w.runs))"))
    widget.locator("input.mql-model").fill("veo-3")
    duration, aspect = widget.locator("input.mql-duration"), widget.locator("input.mql-aspect")
    duration.fill("8")
    duration.dispatch_event("change")
    wait_kernel(page, "w.duration", "8")
    duration.fill("2.5")  # not whole seconds: the box shows the kernel's value again
    duration.dispatch_event("change")
    expect(duration).to_have_value("8")
    aspect.fill("9:16")
    aspect.dispatch_event("change")
    wait_kernel(page, "w.aspect_ratio", "9:16")
    widget.locator(".mql-generate").click()
    # While it runs, the badge counts down to the estimated end, as text.
    page.wait_for_function(
        """() => document.querySelector('.mql-video-widget .mql-badge').textContent
                   .match(/about \\d+ s left/)""",
        timeout=JOB_TIMEOUT,
    )
    page.wait_for_selector(
        f'{WIDGET} .mql-history-entry[data-index="{runs_before}"][aria-current="true"]',
        timeout=JOB_TIMEOUT,
    )
    page.wait_for_selector(
        f'{WIDGET}[data-status="completed"][data-running="false"] video.mql-video',
        timeout=JOB_TIMEOUT,
    )
    wait_kernel(
        page,
        "(w.runs[-1]['model'], w.runs[-1]['options']['duration'], w.runs[-1]['options']['aspect_ratio'])",
        "('veo-3', 8, '9:16')",
    )
    assert widget.locator(".mql-gallery figure").first.get_attribute("data-aspect") == "9:16"
    kernel_run(page, "w.model, w.duration, w.aspect_ratio = 'sora', 5, '16:9'")
    expect(duration).to_have_value("5", timeout=10_000)
    expect(aspect).to_have_value("16:9", timeout=10_000)


def test_a_seed_typed_in_its_box_is_sent_with_generate(page: Any, emulator: LocalServer) -> None:
    from playwright.sync_api import expect

    widget = page.locator(WIDGET)
    kernel_run(page, "w.prompt = 'A heron lands on a jetty'")
    seed = widget.locator("input.mql-seed")
    expect(seed).to_have_value("")  # unset by default: not sent
    assert seed.get_attribute("type") == "number" and seed.get_attribute("min") == "0"
    seed.fill("7")
    runs_before = int(kernel_run(page, "print(len(w.runs))"))
    widget.locator(".mql-generate").click()  # commits the box, then asks for the run
    page.wait_for_selector(
        f'{WIDGET} .mql-history-entry[data-index="{runs_before}"][aria-current="true"]',
        timeout=JOB_TIMEOUT,
    )
    wait_kernel(page, "w.runs[-1]['options'].get('seed')", "7")
    gid = kernel_run(page, "print(w.runs[-1]['generation_id'])").strip()
    job = emulator.emulator.jobs.get(gid)
    assert job is not None and job.request["seed"] == 7  # what the server received
    assert "seed 7" in widget.locator(".mql-history-entry").last.inner_text()
    page.wait_for_selector(f'{WIDGET}[data-running="false"]', timeout=JOB_TIMEOUT)
    seed.fill("")  # an empty box: not chosen again
    seed.dispatch_event("change")
    wait_kernel(page, "w.seed", "None")


# The badge's time left, read as seconds ("about 12 s left" -> 12), or its words.
BADGE_LEFT = "() => document.querySelector('.mql-video-widget .mql-badge-left').textContent"


def test_the_countdown_never_goes_back_up_within_a_run(page: Any) -> None:
    """A later estimate within a run (progress slowed down) never makes the badge count up: a
    little later is ignored, much later says "taking longer than expected"."""
    import re

    kernel_run(
        page,
        "import time\n"
        "w.running, w.status, w.started_at = True, 'processing', time.time()\n"
        "w.expected_end = time.time() + 20",
    )
    page.wait_for_function(f"() => /about \\d+ s left/.test(({BADGE_LEFT})())", timeout=10_000)

    def seconds_left() -> int:
        found = re.search(r"about (\d+) s left", page.evaluate(BADGE_LEFT))
        assert found, page.evaluate(BADGE_LEFT)
        return int(found[1])

    first = seconds_left()
    kernel_run(page, "w.expected_end = time.time() + 21.5")  # later, but within 3 s
    page.wait_for_timeout(600)
    assert seconds_left() <= first  # still counting down, not up
    kernel_run(page, "w.expected_end = time.time() + 8")  # sooner: taken at once
    page.wait_for_function(f"() => /about [1-8] s left/.test(({BADGE_LEFT})())", timeout=10_000)
    kernel_run(page, "w.expected_end = time.time() + 40")  # clearly later: said, not counted
    page.wait_for_function(
        f"() => ({BADGE_LEFT})() === 'taking longer than expected'", timeout=10_000
    )
    assert page.locator(WIDGET).get_attribute("data-late") == "true"
    kernel_run(page, "w.running = False\nw.show(len(w.runs) - 1)")
    page.wait_for_selector(f'{WIDGET}[data-running="false"][data-late="false"]', timeout=10_000)


def test_a_stalled_job_reads_taking_longer_than_usual(page: Any) -> None:
    """The kernel's ``stalled`` (progress stopped for clearly longer than its rate allows)
    replaces the countdown on the badge, and the countdown is back once it clears."""
    kernel_run(
        page,
        "import time\n"
        "w.running, w.status, w.started_at = True, 'processing', time.time()\n"
        "w.expected_end, w.stalled = time.time() + 20, True",
    )
    page.wait_for_function(f"() => ({BADGE_LEFT})() === 'taking longer than usual'", timeout=10_000)
    kernel_run(page, "w.stalled = False")
    page.wait_for_function(f"() => /about \\d+ s left/.test(({BADGE_LEFT})())", timeout=10_000)
    kernel_run(page, "w.running = False")


def test_no_widget_errors_in_the_console(page: Any) -> None:
    errors = [e for e in page.console_errors if "mql" in e.lower() or "anywidget" in e.lower()]
    assert not errors, errors
