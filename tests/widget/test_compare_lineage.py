"""The gallery's compare says what differs (differences.py, the gallery's ``compared``), and a
run generated from inputs filled from an entry records that entry as its parent."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from mql_notebook import AsyncMQL, Library
from mql_notebook.local import LocalServer
from mql_notebook.widget.differences import field_differences, word_diff
from mql_notebook.widget.gallery import Gallery
from mql_notebook.widget.video_widget import VideoWidget
from tests.widget.test_gallery import FAST_POLL, HOSTILE, KEY, view_sends


def marked(segments: list[dict]) -> list[str]:
    return [s["text"] for s in segments if s["changed"]]


def test_a_word_diff_marks_the_words_that_differ_and_keeps_the_text() -> None:
    base, other = "A red fox running through snow", "A grey fox running through deep snow"
    segments = word_diff(base, other)
    assert "".join(s["text"] for s in segments) == other
    assert marked(segments) == ["grey", "deep"]
    assert marked(word_diff(base, base)) == []
    assert marked(word_diff("", "two words")) == ["two", "words"]
    assert "".join(s["text"] for s in word_diff(base, HOSTILE)) == HOSTILE


def test_field_differences_name_what_changed() -> None:
    base = {"model": "sora", "duration": 5, "aspect_ratio": "16:9"}
    other = {"model": "sora", "duration": 10, "aspect_ratio": "16:9", "seed": 7}
    assert [d["text"] for d in field_differences(base, other)] == [
        "duration 5 → 10",
        "seed — → 7",
    ]
    assert field_differences(base, dict(base)) == []


async def _made(client: AsyncMQL, prompt: str, **options) -> str:
    generation = await client.video.create_and_wait(prompt=prompt, **options)
    return generation.id


async def test_compare_and_lineage_over_the_emulator(tmp_path: Path) -> None:
    library = Library(tmp_path / "runs")
    with LocalServer(pace=0.2, api_key=KEY) as server:
        client = AsyncMQL(api_key=KEY, base_url=server.url, poll_timing=FAST_POLL, library=library)
        first = await _made(client, "A red fox in snow", duration=5)
        second = await _made(client, "A grey fox in snow", duration=10)
        w = VideoWidget(client=client)
        g = Gallery(widget=w)
        a, b = library.get(first), library.get(second)
        assert a is not None and b is not None

        # compare: asked by the view, answered in the `compared` trait
        view_sends(g, "compare", keys=[a.key, b.key])
        deadline = time.monotonic() + 10
        while not g.compared:
            assert time.monotonic() < deadline, "the compare never came"
            await asyncio.sleep(0.02)
        base, column = g.compared
        assert base["key"] == a.key and base["differences"] == []
        assert marked(column["segments"]) == ["grey"]
        assert [d["text"] for d in column["differences"]] == ["duration 5 → 10"]
        assert g.compare([b.key, a.key])[1]["segments"][1]["text"] == "red"

        # lineage: "Use this prompt", an edit, Generate
        g.use(a.key)
        w.prompt = "A red fox in deep snow"
        run = await w.generate()
        child = library.get(run.library_key)
        assert child is not None and child.parent == a.key and child.prompt.endswith("deep snow")
        g.refresh()
        card = next(c for c in g.entries if c["key"] == child.key)
        assert card["parent_id"] == first
        assert next(c for c in g.entries if c["key"] == a.key)["children"] == 1

        # show(i) of a library run, then Generate: that run is the parent
        index = next(i for i, r in enumerate(w.history) if r.library_key == b.key)
        w.show(index)
        again = await w.generate()
        made = library.get(again.library_key)
        assert made is not None and made.parent == b.key
        g.close()
        await client.aclose()


async def test_a_widget_never_filled_from_an_entry_records_no_parent(tmp_path: Path) -> None:
    library = Library(tmp_path / "runs")
    with LocalServer(pace=0.2, api_key=KEY) as server:
        client = AsyncMQL(api_key=KEY, base_url=server.url, poll_timing=FAST_POLL, library=library)
        w = VideoWidget("A kite over a beach", duration=5, client=client)
        run = await w.generate()
        entry = library.get(run.library_key)
        assert entry is not None and entry.parent is None
        await client.aclose()
