"""The static fallback: markup that shows a finished run without the widget's JavaScript."""

from __future__ import annotations

import asyncio
import base64
import re
import sys
from pathlib import Path

import pytest

from mql_notebook import AsyncMQL
from mql_notebook.client.poller import PollTiming
from mql_notebook.local import LocalServer
from mql_notebook.widget import VideoWidget
from mql_notebook.widget.static_fallback import fallback_html, poster_jpeg, video_html

HOSTILE = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'


EMULATOR = {"pace": 0.3, "fault_seed": 5}


@pytest.fixture
def server(local_server) -> LocalServer:
    return local_server(**EMULATOR)


@pytest.fixture(scope="module")
def videos(local_servers, api_key: str, poll_timing: PollTiming) -> list[bytes]:
    server = local_servers.get(**EMULATOR)

    async def make() -> list[bytes]:
        async with AsyncMQL(api_key=api_key, base_url=server.url, poll_timing=poll_timing) as mql:
            gen = await mql.video.create_and_wait(
                model="sora", prompt="A red fox running through snow", duration=5, n=2
            )
            return [await mql.video.download(gen, variant=i) for i in range(2)]

    return asyncio.run(make())


def _embedded(markup: str) -> list[bytes]:
    return [
        base64.b64decode(m)
        for m in re.findall(r'src="data:video/mp4;base64,([A-Za-z0-9+/=]+)"', markup)
    ]


def test_poster_is_the_first_frame_as_a_small_jpeg(videos) -> None:
    jpeg = poster_jpeg(videos[0])
    assert jpeg is not None and jpeg[:3] == b"\xff\xd8\xff" and len(jpeg) < 200_000
    assert poster_jpeg(b"not a video") is None


def test_without_pyav_there_is_no_poster_but_still_the_video(videos, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "av", None)  # import av raises ImportError
    assert poster_jpeg(videos[0]) is None
    markup = fallback_html(prompt="p", status="completed", videos=videos[:1])
    assert "poster=" not in markup and "<img" not in markup
    assert _embedded(markup) == videos[:1]


def test_user_text_is_escaped(videos) -> None:
    markup = fallback_html(
        prompt=HOSTILE,
        status="failed",
        error=HOSTILE,
        note=HOSTILE,
        generation_id=HOSTILE,
        videos=videos[:1],
        max_bytes=0,
        saved_name=HOSTILE,
    )
    assert "<script" not in markup and "<img src=x" not in markup
    assert markup.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;img") == 5
    assert '<video src="x" onerror' not in video_html(
        videos[0], embed=False, src='x" onerror="alert(1)'
    )


def test_videos_are_embedded_while_their_total_fits_under_the_cap(videos) -> None:
    both = fallback_html(prompt="p", status="completed", videos=videos)
    assert _embedded(both) == videos and both.count('poster="data:image/jpeg;base64,') == 2
    first_only = fallback_html(
        prompt="p", status="completed", videos=videos, max_bytes=len(videos[0])
    )
    assert _embedded(first_only) == videos[:1]
    assert first_only.count("<img ") == 1 and "too large to embed" in first_only


def test_above_the_cap_the_poster_and_the_saved_file_name(videos) -> None:
    unsaved = fallback_html(prompt="p", status="completed", videos=videos[:1], max_bytes=1000)
    assert "<video" not in unsaved and '<img src="data:image/jpeg;base64,' in unsaved
    assert "not saved yet" in unsaved
    saved = fallback_html(
        prompt="p", status="completed", videos=videos[:1], max_bytes=1000, saved_name="fox.mp4"
    )
    assert "saved as <code>fox.mp4</code>" in saved


async def test_the_widget_displays_a_fallback_and_updates_it_by_id(
    server, api_key: str, poll_timing: PollTiming, monkeypatch, tmp_path: Path
) -> None:
    import IPython.display

    shown: list[tuple[dict, str | None]] = []
    monkeypatch.setattr(
        IPython.display,
        "display",
        lambda data, raw=False, display_id=None, **kw: shown.append((data, display_id)),
    )
    monkeypatch.setattr(
        IPython.display,
        "update_display",
        lambda data, raw=False, display_id=None, **kw: shown.append((data, display_id)),
    )
    client = AsyncMQL(api_key=api_key, base_url=server.url, poll_timing=poll_timing)
    w = VideoWidget(HOSTILE, duration=5, client=client)
    w._ipython_display_()
    (view, no_id), (placeholder, fallback_id) = shown
    assert "application/vnd.jupyter.widget-view+json" in view and no_id is None
    assert fallback_id and 'data-status="idle"' in placeholder["text/html"]

    run = await w.generate()
    assert run.status == "completed"
    finished, same_id = shown[-1]
    assert same_id == fallback_id and 'data-status="completed"' in finished["text/html"]
    assert _embedded(finished["text/html"]) == [w.video]
    assert "<script" not in finished["text/html"]
    assert api_key not in finished["text/html"] and api_key not in finished["text/plain"]

    w.static_fallback_max_bytes = 0
    w.save(tmp_path / "boat.mp4")
    saved, _ = shown[-1]
    assert (
        "<video" not in saved["text/html"]
        and "saved as <code>boat.mp4</code>" in saved["text/html"]
    )
    await client.aclose()
    w.close()


async def test_above_the_cap_it_links_the_library_file_relative_to_the_notebook(
    server, api_key: str, poll_timing: PollTiming, monkeypatch, tmp_path: Path
) -> None:
    """A shared notebook beside its library folder: the link opens the real file."""
    import IPython.display

    shown: list[dict] = []
    record = lambda data, raw=False, display_id=None, **kw: shown.append(data)  # noqa: E731
    monkeypatch.setattr(IPython.display, "display", record)
    monkeypatch.setattr(IPython.display, "update_display", record)
    monkeypatch.chdir(tmp_path)  # the notebook's folder, as in Jupyter
    client = AsyncMQL(
        api_key=api_key, base_url=server.url, poll_timing=poll_timing, library="mql-videos"
    )
    w = VideoWidget("A lighthouse at dusk <b>", duration=5, client=client)
    w.static_fallback_max_bytes = 0
    w._ipython_display_()
    run = await w.generate()
    assert run.status == "completed"
    markup = shown[-1]["text/html"]
    assert "<video" not in markup and '<img src="data:image/jpeg;base64,' in markup
    links = re.findall(r'<a href="([^"]+)">', markup)
    assert len(links) == 1 and links[0].startswith("mql-videos/")
    assert (tmp_path / links[0]).read_bytes() == w.video  # the link opens the exact video
    await client.aclose()


def test_a_linked_file_name_is_quoted_and_escaped(videos, tmp_path: Path) -> None:
    odd = tmp_path / 'a "b" <c>.mp4'
    markup = fallback_html(
        prompt="p", status="completed", videos=videos[:1], max_bytes=0, files=[odd]
    )
    href = re.findall(r'<a href="([^"]+)">', markup)
    assert href and "<c>" not in markup and '"b"' not in href[0]
