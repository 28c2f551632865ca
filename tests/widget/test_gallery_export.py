"""Gallery.export and the view's Export button, on a real library: the page is written into a
folder the kernel names, and the gallery's notice says where."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mql_notebook.library import Library
from mql_notebook.widget.gallery import Gallery
from tests.library.export_support import CALM, HOSTILE, two_videos

ISLAND = re.compile(r'<script type="application/json" id="data">(.*?)</script>', re.S)


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Library:
    return two_videos(tmp_path_factory.mktemp("library"))


def prompts(index: Path) -> list[str]:
    (island,) = ISLAND.findall(index.read_text("utf-8"))
    return [e["prompt"] for e in json.loads(island)["entries"]]


def test_export_the_shown_page_or_given_ids(library: Library, tmp_path: Path) -> None:
    gallery = Gallery(library)
    index = gallery.export(tmp_path / "page")
    assert sorted(prompts(index)) == sorted([CALM, HOSTILE])
    assert str(index) in gallery.notice
    calm = next(c for c in gallery.entries if c["prompt"] == CALM)
    assert prompts(gallery.export(tmp_path / "one", [calm["id"]])) == [CALM]
    gallery.show_page("paper boat")  # the shown page: the filter's match only
    assert prompts(gallery.export(tmp_path / "shown")) == [CALM]


def test_the_export_button_writes_a_folder_the_kernel_names(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    gallery = Gallery(library)
    hostile = next(c for c in gallery.entries if c["prompt"] == HOSTILE)
    gallery._on_view_message(gallery, {"kind": "export", "keys": [hostile["key"]]}, [])
    (folder,) = tmp_path.glob("mql-export-*")
    index = folder / "index.html"
    assert prompts(index) == [HOSTILE]
    assert gallery.notice == f"Exported 1 to {index}"
    assert gallery.error == ""
    gallery._on_view_message(gallery, {"kind": "export", "keys": ["no-such-key"]}, [])
    assert "no entry 'no-such-key'" in gallery.error and gallery.notice == ""
