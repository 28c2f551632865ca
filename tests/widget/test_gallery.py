"""Gallery without a browser: a real Library filled by a real client against the emulator.

The view is stood in for as in test_widget.py: the widget's message handler is called as
ipywidgets calls it, and what the widget sends (``g.send``) is recorded.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import sqlite3
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import anywidget
import pytest

from mql_notebook import MQL, AsyncMQL
from mql_notebook.client.poller import PollTiming
from mql_notebook.library import Library
from mql_notebook.local import LocalServer
from mql_notebook.widget import frontend
from mql_notebook.widget.gallery import VIEW_MESSAGES, Gallery, card_of
from mql_notebook.widget.request_traits import tagged
from mql_notebook.widget.video_widget import VideoWidget

JS = Path(__file__).resolve().parents[2] / "js"
KEY = "mql_gallery_test_key_0123456789"
FAST_POLL = PollTiming(first_delay=0.05, min_interval=0.05, max_interval=0.2)
HOSTILE = '<img src=x onerror="alert(1)"> a fox & "quotes"'
PROMPTS = ["A red fox running through snow", "A paper boat on a rainy street", HOSTILE]


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Library:
    """Three videos made and downloaded by a real client, recorded into a real library."""
    library = Library(tmp_path_factory.mktemp("library"))
    with LocalServer(pace=0.2, api_key=KEY) as server:
        client = MQL(api_key=KEY, base_url=server.url, poll_timing=FAST_POLL, library=library)
        with client:
            for i, prompt in enumerate(PROMPTS):
                generation = client.video.create_and_wait(
                    prompt=prompt, duration=5, aspect_ratio="16:9" if i != 1 else "9:16"
                )
                client.video.download(generation)
    return library


class Recorder:
    def __init__(self, widget: Gallery):
        self.messages: list[tuple[dict[str, Any], list[Any]]] = []
        widget.send = lambda content, buffers=None: self.messages.append(  # type: ignore[method-assign]
            (content, list(buffers or []))
        )

    def of(self, kind: str) -> list[tuple[dict[str, Any], list[Any]]]:
        return [m for m in self.messages if m[0]["kind"] == kind]

    def video(self) -> tuple[str, bytes]:
        """The last video transfer joined from its chunks, as the view does."""
        begin = max(i for i, (m, _) in enumerate(self.messages) if m["kind"] == "video-begin")
        header = self.messages[begin][0]
        data = bytearray()
        for content, buffers in self.messages[begin + 1 :]:
            if content["kind"] == "video-end":
                assert len(data) == header["sizes"][0]
                return header["generation_id"], bytes(data)
            assert content["offset"] == len(data)
            data += bytes(buffers[0])
        raise AssertionError("no video-end")


def view_sends(widget: Gallery, kind: str, **content: Any) -> None:
    widget._on_view_message(widget, {"kind": kind, **content}, [])


def test_entries_list_the_library_newest_first_with_what_the_cards_show(filled: Library) -> None:
    g = Gallery(filled)
    assert [e["prompt"] for e in g.entries] == PROMPTS[::-1]
    assert g.total == 3 and g.offset == 0 and g.folder == str(filled.path)
    for card, entry in zip(g.entries, filled.entries(), strict=True):
        assert card["id"] == entry.id and card["key"] == entry.key
        assert card["model"] == "sora" and card["status"] == "completed"
        assert card["options"]["duration"] == 5 and card["has_video"] and card["has_poster"]
        assert card["size"] == entry.sizes[0] > 1000
    # Only text and numbers: the state is JSON, with no path and no bytes.
    state = json.dumps(g.get_state(["entries"]))
    assert str(filled.path) not in state


def test_a_text_filter_and_pages(filled: Library) -> None:
    g = Gallery(filled, page_size=2)
    assert len(g.entries) == 2 and g.total == 3
    view_sends(g, "page", query="", offset=2)
    assert [e["prompt"] for e in g.entries] == [PROMPTS[0]] and g.offset == 2
    view_sends(g, "page", query="PAPER boat", offset=0)
    assert [e["prompt"] for e in g.entries] == [PROMPTS[1]] and g.total == 1
    view_sends(g, "page", query="sora", offset=0)  # the model matches too
    assert g.total == 3
    view_sends(g, "page", query="100%", offset=0)  # LIKE's wildcards are plain text here
    assert g.entries == [] and g.total == 0


def test_the_view_cannot_write_the_page() -> None:
    g = Gallery(Library(Path(f"/tmp/mql-gallery-{uuid.uuid4().hex}")))
    g.set_state({"entries": [{"prompt": "forged"}], "query": "x", "total": 9})
    assert g.entries == [] and g.query == "" and g.total == 0
    assert set(tagged(Gallery, "output")) <= set(g.keys)


def test_posters_and_videos_travel_as_binary_messages(filled: Library) -> None:
    g = Gallery(filled)
    sent = Recorder(g)
    keys = [e["key"] for e in g.entries]
    # Posters are made when first shown, not at each download: none yet, yet every card has one.
    assert all(e.posters == (None,) for e in filled.entries())
    assert all(card["has_poster"] for card in g.entries)
    view_sends(g, "posters", keys=keys)
    posters = sent.of("poster")
    assert [m["key"] for m, _ in posters] == keys
    for (content, buffers), entry in zip(posters, filled.entries(), strict=True):
        assert (
            content["mime"] == "image/jpeg" and bytes(buffers[0]) == entry.posters[0].read_bytes()
        )
    view_sends(g, "video", key=keys[1])
    key, data = sent.video()
    assert key == keys[1] and data == filled.get(keys[1]).video.read_bytes()
    assert data[4:8] == b"ftyp"


def test_use_this_prompt_fills_the_linked_widget(filled: Library) -> None:
    w = VideoWidget()
    g = Gallery(filled, widget=w)
    assert g.linked
    portrait = next(e for e in g.entries if e["options"]["aspect_ratio"] == "9:16")
    view_sends(g, "use", key=portrait["key"])
    assert (w.prompt, w.aspect_ratio, w.duration, w.model) == (PROMPTS[1], "9:16", 5, "sora")
    view_sends(g, "use", key="no-such-entry")
    assert "no-such-entry" in g.error and w.prompt == PROMPTS[1]


def copied(filled: Library, folder: Path) -> Library:
    """A library of its own: the filled one's files, copied with its index once closed (its
    last connection folds the write-ahead log into the file)."""
    filled.close()
    library = Library(folder)
    library.path.mkdir()
    for item in filled.path.iterdir():
        if item.is_file():
            (library.path / item.name).write_bytes(item.read_bytes())
    return library


def test_delete_removes_the_row_and_files(tmp_path: Path, filled: Library) -> None:
    library = copied(filled, tmp_path / "copy")  # this test deletes
    g = Gallery(library)
    victim = g.entries[0]
    view_sends(g, "posters", keys=[victim["key"]])  # its poster made and kept
    entry = library.get(victim["key"])
    assert entry is not None and entry.video.is_file()
    view_sends(g, "delete", key=victim["key"])
    assert library.get(victim["key"]) is None and not entry.video.exists()
    assert not entry.posters[0].exists()
    assert [e["key"] for e in g.entries] == [e.key for e in library.entries()]
    assert g.total == 2


def test_stars_and_notes_from_the_view_are_kept_sorted_and_found(
    tmp_path: Path, filled: Library
) -> None:
    library = copied(filled, tmp_path / "copy")
    g = Gallery(library)
    fox, boat, hostile = (next(c for c in g.entries if c["prompt"] == p) for p in PROMPTS)
    assert (fox["rating"], fox["note"]) == (None, "")
    view_sends(g, "rate", key=fox["key"], stars=5)
    view_sends(g, "rate", key=boat["key"], stars=2)
    view_sends(g, "note", key=boat["key"], text='needs <script>alert("x")</script> more rain')
    assert g.error == ""
    by_key = {c["key"]: c for c in g.entries}
    assert by_key[fox["key"]]["rating"] == 5 and by_key[boat["key"]]["rating"] == 2
    assert by_key[boat["key"]]["note"] == 'needs <script>alert("x")</script> more rain'

    view_sends(g, "page", query="", offset=0, sort="rating", min_rating=0)
    assert [c["key"] for c in g.entries] == [fox["key"], boat["key"], hostile["key"]]
    assert g.sort == "rating"
    view_sends(g, "page", query="", offset=0, sort="rating", min_rating=3)
    assert [c["key"] for c in g.entries] == [fox["key"]] and g.min_rating == 3 and g.total == 1
    view_sends(g, "page", query="MORE RAIN", offset=0, sort="newest", min_rating=0)
    assert [c["key"] for c in g.entries] == [boat["key"]]  # a note is found as a prompt is

    view_sends(g, "rate", key=fox["key"], stars=9)  # refused, saying what is allowed
    assert "from 0 to 5" in g.error and library.get(fox["key"]).rating == 5  # type: ignore[union-attr]
    view_sends(g, "rate", key=fox["key"], stars=None)  # the same star clicked again clears it
    g.note(boat["key"], "")
    assert library.get(fox["key"]).rating is None  # type: ignore[union-attr]
    assert library.get(boat["key"]).note is None  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="sort"):
        g.show_page(sort="best")

    # After a restart: a new Gallery on the same folder shows the rating set before.
    g.rate(hostile["key"], 4)
    library.close()
    again = Gallery(Library(library.path), page_size=5)
    again.show_page(min_rating=4)
    assert [c["key"] for c in again.entries] == [hostile["key"]]


def test_a_card_names_its_parent_and_counts_its_children(tmp_path: Path, filled: Library) -> None:
    library = copied(filled, tmp_path / "copy")
    parent = library.entries()[-1]  # the fox
    for i, t in enumerate((2.0, 3.5)):
        library.record_request(
            prompt=f"the fox, later {i}",
            model="sora",
            options={},
            origin=None,
            idempotency_key=f"child-{i}",
            parent=parent.id,
            parent_time=t,
        )
    g = Gallery(library)
    by_prompt = {c["prompt"]: c for c in g.entries}
    child = by_prompt["the fox, later 0"]
    assert (child["parent"], child["parent_id"], child["parent_time"]) == (
        parent.key,
        parent.id,
        2.0,
    )
    assert by_prompt[PROMPTS[0]]["children"] == 2 and child["children"] == 0
    view_sends(g, "page", query=parent.id, offset=0)  # the view's click on "from <id>"
    assert [c["key"] for c in g.entries] == [parent.key]
    assert [e.key for e in library.children(parent.key)] == [
        by_prompt["the fox, later 0"]["key"],
        by_prompt["the fox, later 1"]["key"],
    ]


def test_a_page_of_thousands_is_one_small_query(tmp_path: Path) -> None:
    """3,000 rows inserted directly: a page answers with page_size rows and the right total."""
    library = Library(tmp_path / "big").open()
    now = time.time()
    rows = [
        (uuid.uuid4().hex, f"gen_{i}", "completed", f"prompt number {i}", "sora", "{}", now + i)
        for i in range(3000)
    ]
    with sqlite3.connect(library.index_path) as conn:
        conn.executemany(
            "INSERT INTO entries (key, id, status, prompt, model, options, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    g = Gallery(library)
    assert g.total == 3000 and len(g.entries) == 24
    assert g.entries[0]["prompt"] == "prompt number 2999"
    started = time.perf_counter()
    view_sends(g, "page", query="", offset=2990)
    elapsed = time.perf_counter() - started
    # The page that holds entry 2990: entries 2976 to 2999, the oldest last.
    assert g.offset == 2976
    assert [e["prompt"] for e in g.entries] == [f"prompt number {i}" for i in range(23, -1, -1)]
    started = time.perf_counter()
    view_sends(g, "page", query="number 12", offset=0)
    filtered = time.perf_counter() - started
    assert g.total == 111 and len(g.entries) == 24  # 12, 120-129, 1200-1299
    print(
        f"of 3,000 entries: the last page {elapsed * 1e3:.1f} ms, a filtered page {filtered * 1e3:.1f} ms"
    )


def test_the_view_is_the_repositorys_module_and_undoes_everything_it_sets_up(
    tmp_path: Path,
) -> None:
    source = frontend.joined(*frontend.GALLERY_PARTS)  # shared.js, then gallery.js
    g = Gallery(Library(tmp_path / "empty"))
    assert g.get_state()["_esm"] == source and "function cardElement(" in source
    assert "export default { render }" in source
    # Listeners and model callbacks go through helpers that record their removal.
    assert source.count("addEventListener(") == source.count("removeEventListener(") == 1
    assert source.count("model.on(") == source.count("model.off(") == 1
    assert "URL.revokeObjectURL" in source and "cancelAnimationFrame" in source
    if shutil.which("node"):
        copy = tmp_path / "gallery.mjs"
        copy.write_text(source)
        result = subprocess.run(["node", "--check", str(copy)], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr


def _declared(name: str) -> list[str]:
    """The field names of interface ``name`` (or the kinds of union ``name``) in the protocol."""
    text = (JS / "gallery_protocol.d.ts").read_text()
    found = re.search(rf"^export interface {name}\b[^{{]*\{{(.*?)^\}}", text, re.M | re.S)
    if found:
        return re.findall(r"^  (\w+)\??:", found[1], re.M)
    union = re.search(rf"^export type {name} =(.*?);$", text, re.M | re.S)
    assert union, f"gallery_protocol.d.ts declares no {name}"
    return re.findall(r'kind: "([\w-]+)"', union[1])


def test_the_typed_protocol_declares_what_python_has(filled: Library) -> None:
    """js/gallery_protocol.d.ts, which tsc checks gallery.js against, matches the Python side."""
    own = set(Gallery.class_traits(sync=True)) - set(anywidget.AnyWidget.class_traits(sync=True))
    assert set(_declared("GalleryTraits")) == own == set(tagged(Gallery, "output"))
    assert set(_declared("Card")) == set(card_of(filled.entries()[0]))
    assert _declared("GalleryViewMessage") == list(VIEW_MESSAGES)


async def test_a_run_of_the_linked_widget_becomes_a_card(tmp_path: Path) -> None:
    """The widget's client records into a library; the gallery linked to the widget uses that
    library and shows the run once it ends, without a refresh from the view."""
    library = Library(tmp_path / "runs")
    with LocalServer(pace=0.2, api_key=KEY) as server:
        client = AsyncMQL(api_key=KEY, base_url=server.url, poll_timing=FAST_POLL, library=library)
        w = VideoWidget("A kite over a windy beach", duration=5, client=client)
        g = Gallery(widget=w)
        assert g.library == library and g.entries == []
        run = await w.generate()
        assert run.status == "completed"
        assert [e["prompt"] for e in g.entries] == ["A kite over a windy beach"]
        assert g.entries[0]["has_video"] and g.total == 1
        await client.aclose()


async def test_a_rating_set_in_the_history_shows_in_the_gallerys_filter(tmp_path: Path) -> None:
    """Stars clicked in the widget's history strip go to the library: a gallery (and a new
    widget, as after a kernel restart) sees them."""
    library = Library(tmp_path / "runs")
    with LocalServer(pace=0.2, api_key=KEY) as server:
        client = AsyncMQL(api_key=KEY, base_url=server.url, poll_timing=FAST_POLL, library=library)
        w = VideoWidget("A heron in the reeds", duration=5, client=client)
        for prompt in ("A heron in the reeds", "A heron takes off"):
            w.prompt = prompt
            assert (await w.generate()).status == "completed"
        assert [r["rateable"] for r in w.runs] == [True, True]
        w._on_view_message(w, {"kind": "rate", "index": 1, "stars": 4}, [])
        deadline = time.monotonic() + 10
        while w.runs[1]["rating"] != 4:  # written in a worker thread, then shown
            assert time.monotonic() < deadline, "the rating never showed"
            await asyncio.sleep(0.02)
        w._on_view_message(w, {"kind": "rate", "index": 0, "stars": 8}, [])  # refused
        await asyncio.sleep(0.2)
        assert w.runs[0]["rating"] is None
        with pytest.raises(ValueError, match="from 0 to 5"):
            w.rate_run(0, 8)
        assert w.rate_run(0, 2).rating == 2
        await client.aclose()

    g = Gallery(Library(library.path))
    g.show_page(min_rating=3)
    assert [c["prompt"] for c in g.entries] == ["A heron takes off"]
    assert g.entries[0]["rating"] == 4
    offline = AsyncMQL(api_key=KEY, base_url="http://127.0.0.1:9", library=library)
    again = VideoWidget(client=offline)  # a new kernel's widget: its strip from the library
    assert [r["rating"] for r in again.runs] == [2, 4]
    await offline.aclose()
