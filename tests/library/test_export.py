"""library/export: the page's escaping and policy, and the folder an export writes."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from pathlib import Path

import pytest

from mql_notebook.errors import LibraryError
from mql_notebook.library import Library
from mql_notebook.library.export import choose, export
from mql_notebook.library.export_page import (
    CONTENT_SECURITY_POLICY,
    SCRIPT,
    STYLE,
    json_island,
    page_html,
)
from tests.library.export_support import CALM, HOSTILE, HOSTILE_NOTE, rated, two_videos

ISLAND = re.compile(r'<script type="application/json" id="data">(.*?)</script>', re.S)


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Library:
    return two_videos(tmp_path_factory.mktemp("library"))


def test_json_island_has_no_markup_and_parses_back() -> None:
    data = {"prompt": HOSTILE, "note": "a\u2028b & c > d"}
    island = json_island(data)
    assert not set("<>&") & set(island)
    assert "\u2028" not in island
    assert json.loads(island) == data
    assert r"\u003c/script\u003e" in island


def test_hostile_text_cannot_leave_the_data_island() -> None:
    html = page_html({"title": HOSTILE, "entries": [{"prompt": HOSTILE}]})
    # Exactly two scripts: the data island (closed once) and the static one.
    assert html.count("<script") == 2
    assert html.count("</script>") == 2
    (island,) = ISLAND.findall(html)
    assert "alert(" not in html.replace(island, "")  # the hostile text is only in the island
    assert json.loads(island)["entries"][0]["prompt"] == HOSTILE


def test_the_policy_allows_exactly_the_static_script_and_style() -> None:
    html = page_html({"title": "t", "entries": []})
    scripts = re.findall(r"<script>(.*?)</script>", html, re.S)
    styles = re.findall(r"<style>(.*?)</style>", html, re.S)
    assert scripts == [SCRIPT] and styles == [STYLE]

    def sha(text: str) -> str:
        return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()

    assert f"script-src 'sha256-{sha(SCRIPT)}'" in CONTENT_SECURITY_POLICY
    assert f"style-src 'sha256-{sha(STYLE)}'" in CONTENT_SECURITY_POLICY
    assert "default-src 'none'" in CONTENT_SECURITY_POLICY
    assert "unsafe" not in CONTENT_SECURITY_POLICY
    assert "://" not in html  # nothing from the network, no CDN


def test_export_writes_a_folder_that_stands_alone(library: Library, tmp_path: Path) -> None:
    index = export(library, tmp_path / "share")
    assert index == (tmp_path / "share" / "index.html").resolve()
    (island,) = ISLAND.findall(index.read_text("utf-8"))
    data = json.loads(island)
    by_prompt = {e["prompt"]: e for e in data["entries"]}
    assert set(by_prompt) == {CALM, HOSTILE}
    for entry in data["entries"]:
        source = library.get(entry["key"])
        assert source is not None and source.video is not None
        video = index.parent / entry["videos"][0]
        assert video.read_bytes() == source.video.read_bytes()
        assert entry["posters"][0] and (index.parent / entry["posters"][0]).stat().st_size > 0
        assert entry["cost"] == source.cost_text()
        assert entry["options"]["aspect_ratio"] in ("16:9", "9:16")
        assert not any(os.path.isabs(p) for p in [*entry["videos"], *entry["posters"]])
    (image,) = by_prompt[CALM]["images"]
    assert image["field"] == "first_frame_image"
    stored = library.get(by_prompt[CALM]["key"]).images["first_frame_image"].path  # type: ignore[union-attr]
    assert (index.parent / image["src"]).read_bytes() == stored.read_bytes()
    assert by_prompt[HOSTILE]["images"] == []
    assert not list(index.parent.rglob(".*.part"))


def test_export_some_by_id_and_the_same_script_every_time(library: Library, tmp_path: Path) -> None:
    calm = next(e for e in library.entries() if e.prompt == CALM)
    one = export(library, tmp_path / "one", [calm.id or calm.key])
    both = export(library, tmp_path / "both")
    assert [p.name for p in (one.parent / "videos").iterdir()] == [f"{calm.id}.mp4"]
    scripts = [re.findall(r"<script>(.*?)</script>", p.read_text(), re.S) for p in (one, both)]
    assert scripts[0] == scripts[1] == [SCRIPT]


def test_export_refuses_unknown_ids_and_nothing_to_show(library: Library, tmp_path: Path) -> None:
    with pytest.raises(LibraryError, match="no entry 'nope'"):
        export(library, tmp_path / "x", ["nope"])
    with pytest.raises(LibraryError, match="nothing to export"):
        export(library, tmp_path / "x", [])
    assert not (tmp_path / "x" / "index.html").exists()


def test_choose_by_date_and_rating(library: Library) -> None:
    entries = library.entries()
    newest = max(e.created_at for e in entries)
    assert [e.prompt for e in choose(entries, since=newest)] == [HOSTILE]
    assert len(choose(entries)) == 2
    assert choose(entries, rating=1) == []  # none is rated yet


def test_ratings_and_notes_go_on_the_page_when_entries_have_them(
    library: Library, tmp_path: Path
) -> None:
    first, second = library.entries()
    index = export(library, tmp_path / "rated", [rated(first, 4, HOSTILE_NOTE), second])
    (island,) = ISLAND.findall(index.read_text("utf-8"))
    shown = json.loads(island)["entries"]
    assert [(e["rating"], e["note"]) for e in shown] == [(4, HOSTILE_NOTE), (None, "")]
    assert [e.prompt for e in choose([rated(first, 4, ""), second], rating=3)] == [first.prompt]
