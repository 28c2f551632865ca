"""What the gallery's browser tests share: a library made by a real client, and the checks of
the compare view that every host must pass (JupyterLab, marimo)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mql_notebook import MQL
from mql_notebook.client.poller import PollTiming
from mql_notebook.library import Library
from mql_notebook.local import LocalServer
from tests.browser.jupyter_harness import BROWSER_API_KEY

GALLERY = ".mql-gallery-widget"
HOSTILE = '<img src=x onerror="window.__mqlXss = 1"> a cat & <b>bold</b>'
REQUESTS = [
    ("A red fox running through fresh snow, golden hour", "16:9"),
    ("A paper boat drifting down a rainy street, cinematic", "16:9"),
    ("A lighthouse at dusk, waves rolling in", "16:9"),
    (HOSTILE, "16:9"),
]
LOADED = 30_000  # ms for a poster or a video to reach the page

# The compared videos' times, read in one tick, once they have frames.
TIMES = """async (root) => {
  const videos = [...root.querySelectorAll('.mql-g-stage video')];
  const deadline = Date.now() + 15000;
  while (videos.some((v) => v.readyState < 2 || v.seeking) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  return videos.map((v) => ({t: v.currentTime, ready: v.readyState, paused: v.paused,
                              src: v.src, duration: v.duration}));
}"""

# Move the shared timeline as a person drags it: input events, then change.
SEEK = """(range, to) => {
  range.value = String(to);
  range.dispatchEvent(new Event('input', {bubbles: true}));
  range.dispatchEvent(new Event('change', {bubbles: true}));
}"""


def fill_library(folder: Path, emulator: LocalServer) -> Library:
    """Every request of REQUESTS made, waited for and downloaded into a library at ``folder``."""
    library = Library(folder)
    poll = PollTiming(first_delay=0.1, min_interval=0.1, max_interval=0.5)
    with MQL(
        api_key=BROWSER_API_KEY, base_url=emulator.url, poll_timing=poll, library=library
    ) as client:
        jobs = [client.video.create(prompt=p, aspect_ratio=a, duration=5) for p, a in REQUESTS]
        for job in jobs:
            client.video.download(client.video.wait(job))
    library.close()
    return library


def card(page: Any, prompt: str) -> Any:
    return page.locator(f"{GALLERY} .mql-g-card").filter(
        has=page.locator(".mql-g-prompt", has_text=prompt)
    )


def compare_two_and_check_sync(page: Any) -> Any:
    """Pick two cards, compare them: one timeline seeks both, one button plays and pauses both,
    and their currentTime stays within 0.1 s after a seek and while playing. Returns the
    gallery's locator with the compare view open at 1.5 s, paused."""
    gallery = page.locator(GALLERY)
    for prompt in ("red fox", "lighthouse"):
        card(page, prompt).locator("input[data-action=pick]").check()
    assert gallery.get_attribute("data-selected") == "2"
    gallery.locator(".mql-g-compare").click()
    assert gallery.get_attribute("data-stage") == "compare"
    root = gallery.element_handle()
    times = page.evaluate(TIMES, root)
    assert len(times) == 2 and all(t["ready"] >= 2 for t in times), times
    assert times[0]["src"] != times[1]["src"] and all(t["src"].startswith("blob:") for t in times)

    timeline = gallery.locator(".mql-g-timeline")
    timeline.evaluate(SEEK, 2.5)
    times = page.evaluate(TIMES, root)
    assert all(abs(t["t"] - 2.5) < 0.1 for t in times), times
    assert abs(times[0]["t"] - times[1]["t"]) < 0.1, times

    gallery.locator(".mql-g-toggle").click()  # one button plays both
    page.wait_for_timeout(1200)
    times = page.evaluate(TIMES, root)
    assert not any(t["paused"] for t in times), times
    assert all(t["t"] > 3.0 for t in times), times  # they really advanced from 2.5
    assert abs(times[0]["t"] - times[1]["t"]) < 0.1, times
    print(f"compare: {abs(times[0]['t'] - times[1]['t']) * 1000:.0f} ms apart while playing")
    gallery.locator(".mql-g-toggle").click()  # and pauses both
    times = page.evaluate(TIMES, root)
    assert all(t["paused"] for t in times) and abs(times[0]["t"] - times[1]["t"]) < 0.1, times

    timeline.evaluate(SEEK, 1.5)
    times = page.evaluate(TIMES, root)
    assert all(abs(t["t"] - 1.5) < 0.1 for t in times), times
    return gallery
