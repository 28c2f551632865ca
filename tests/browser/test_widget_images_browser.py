"""The widget's image control in JupyterLab (Debian's Chromium), as a person uses it: a real PNG
chosen through the file input goes to the kernel in chunks and comes back as a thumbnail; the
run sends it as first_frame_image (the emulator decodes and checks it) and its video plays;
"Use this frame" on that video makes the frame the next run's first frame, with its thumbnail,
and the history strip shows each run's input image.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mql_notebook.local import LocalServer
from mql_notebook.media.frames import frame_of
from tests.browser.jupyter_harness import (
    BROWSER_API_KEY,
    JupyterServer,
    open_notebook,
    write_notebook,
)
from tests.browser.video_checks import PLAY_VIDEO
from tests.images import mean_difference, picture, png

pytestmark = pytest.mark.browser

WIDGET = ".mql-video-widget"
FIRST = f"{WIDGET} .mql-image-first-frame"
JOB_TIMEOUT = 60_000  # ms

# Each change of the Generate button's disabled state, with the first-frame control's state then.
RECORD_DISABLED = """(button) => {
  const control = document.querySelector('.mql-video-widget .mql-image-first-frame');
  button.__mqlSeen = [];
  new MutationObserver(() => button.__mqlSeen.push(
    {disabled: button.disabled, state: control.dataset.state})
  ).observe(button, {attributes: true, attributeFilter: ['disabled']});
}"""


@pytest.fixture(scope="module")
def jupyter(emulator: LocalServer, browser: Any) -> Iterator[JupyterServer]:
    env = {"MQL_BASE_URL": emulator.url, "MQL_API_KEY": BROWSER_API_KEY}
    with JupyterServer("lab", env) as server:
        yield server


@pytest.fixture(scope="module")
def page(jupyter: JupyterServer, browser: Any) -> Iterator[Any]:
    write_notebook(
        jupyter.root / "images.ipynb",
        [
            "from mql_notebook import VideoWidget\n"
            "w = VideoWidget('A paper boat', model='MiniMax-Hailuo-2.3', duration=6)\nw"
        ],
    )
    page = open_notebook(browser, jupyter, "images.ipynb")
    try:
        page.wait_for_selector(WIDGET, timeout=60_000)
        yield page
    finally:
        page.close()


def _png(path: Path) -> Path:
    path.write_bytes(png(picture(640, 360)))  # smooth: it survives H.264 well
    return path


def _frame(emulator: LocalServer, job_id: str, t: float | None, size: tuple[int, int]) -> Any:
    """A frame of the video the emulator rendered for this job (a MiniMax task id is its job's)."""
    job = emulator.emulator.jobs.get(job_id)
    assert job is not None
    data = emulator.emulator.videos.get(job.specs[0]).result(timeout=30).data
    return frame_of(data, t).image.convert("RGB").resize(size)


def _generate_and_play(page: Any, emulator: LocalServer, runs_before: int) -> tuple[str, dict]:
    page.locator(f"{WIDGET} .mql-generate").click()
    page.wait_for_function(
        f"""() => {{ const w = document.querySelector('{WIDGET}');
                 return w.dataset.status === 'completed' && w.dataset.running === 'false'
                   && document.querySelectorAll('{WIDGET} .mql-history-entry').length > {runs_before}
                   && document.querySelector('{WIDGET} video.mql-video'); }}""",
        timeout=JOB_TIMEOUT,
    )
    gid = page.locator(WIDGET).get_attribute("data-generation-id")
    facts = page.locator(f"{WIDGET} video.mql-video").first.evaluate(PLAY_VIDEO)
    return gid, facts


def test_an_uploaded_png_is_sent_as_the_first_frame_and_a_frame_chains_the_next_run(
    page: Any, emulator: LocalServer, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    control = page.locator(FIRST)
    generate = page.locator(f"{WIDGET} .mql-generate")
    expect(control).to_have_attribute("data-state", "empty", timeout=10_000)
    expect(generate).to_be_enabled()
    generate.evaluate(RECORD_DISABLED)
    page.locator(f"{FIRST} input.mql-image-file").set_input_files(str(_png(tmp_path / "boat.png")))
    expect(control).to_have_attribute("data-state", "set", timeout=20_000)
    # Generate waited while the image was on its way: a run then would have gone without it.
    seen = generate.evaluate("(b) => b.__mqlSeen")
    assert seen[0] == {"disabled": True, "state": "uploading"}, seen
    expect(generate).to_be_enabled()
    assert generate.get_attribute("title") == ""
    expect(page.locator(f"{FIRST} .mql-image-name")).to_contain_text("boat.png · 640×360")
    thumb = page.locator(f"{FIRST} img.mql-image-thumb")
    assert thumb.get_attribute("src").startswith("data:image/jpeg;base64,")

    gid, facts = _generate_and_play(page, emulator, 0)
    job = emulator.emulator.jobs.get(gid)
    assert job is not None and job.request.get("first_frame_image") is not None
    assert job.request.get("route") == "minimax"  # Hailuo with an image: the task route
    # The video starts on the image chosen in the browser (decoded back from the rendered MP4).
    assert mean_difference(_frame(emulator, gid, 0, (640, 360)), picture(640, 360)) < 6
    assert facts["readyState"] >= 2 and facts["error"] is None and facts["advanced"] > 0
    expect(page.locator(f"{WIDGET} .mql-history-entry img.mql-history-image")).to_have_count(1)

    # "Use this frame": the frame shown at 1 s becomes the next run's first frame.
    page.locator(f"{WIDGET} video.mql-video").first.evaluate("(v) => { v.currentTime = 1.0; }")
    page.locator(f"{WIDGET} .mql-use-frame").first.click()
    expect(page.locator(f"{FIRST} .mql-image-name")).to_contain_text("frame at 1.", timeout=20_000)
    assert page.locator(f"{FIRST} img.mql-image-thumb").get_attribute("src").startswith("data:")
    second, facts = _generate_and_play(page, emulator, 1)
    assert second != gid and facts["readyState"] >= 2
    # The second run starts on the frame chosen: the first video's frame at (about) 1 s.
    chosen = _frame(emulator, gid, 1.0, (640, 360))
    assert mean_difference(_frame(emulator, second, 0, (640, 360)), chosen) < 8
    job = emulator.emulator.jobs.get(second)
    assert job is not None and job.request.get("first_frame_image") is not None
    expect(page.locator(f"{WIDGET} .mql-history-entry img.mql-history-image")).to_have_count(2)

    # The clear button (x) empties the control and the kernel's field.
    page.locator(f"{FIRST} .mql-image-clear").click()
    expect(control).to_have_attribute("data-state", "empty", timeout=10_000)
    assert not page.console_errors, page.console_errors
