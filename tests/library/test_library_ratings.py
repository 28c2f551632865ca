"""Ratings, notes and lineage in a real library file: kept across processes and schema versions."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from mql_notebook import InvalidRequestError, Library
from mql_notebook.library import INDEX_NAME, SCHEMA_VERSION
from mql_notebook.library.schema import APPLICATION_ID, MIGRATIONS


def record(library: Library, prompt: str, parent: str | None = None, t: float | None = None):
    return library.record_request(
        prompt=prompt,
        model="sora",
        options={"duration": 5},
        origin="https://api.example",
        idempotency_key=f"idem-{prompt}",
        parent=parent,
        parent_time=t,
    )


def test_a_rating_and_a_note_are_kept_found_and_cleared(tmp_path: Path) -> None:
    library = Library(tmp_path / "lib")
    a = record(library, "a red fox")
    b = record(library, "a blue whale")
    library.record_answer(b.key, "gen_whale", "completed")
    assert (a.rating, a.note) == (None, None)

    assert library.rate(a.key, 4) and library.rate("gen_whale", 2)
    assert library.note("gen_whale", "too dark; try dawn light")
    library.close()

    again = Library(tmp_path / "lib")  # another connection: stored in the file
    assert again.get(a.key).rating == 4  # type: ignore[union-attr]
    whale = again.get("gen_whale")
    assert whale is not None and (whale.rating, whale.note) == (2, "too dark; try dawn light")
    assert whale.to_dict()["rating"] == 2 and whale.to_dict()["note"] == whale.note

    found, total = again.page("DAWN")  # a note is searched as a prompt is
    assert [e.key for e in found] == [b.key] and total == 1
    assert [e.key for e in again.page("gen_wh")[0]] == [b.key]  # and the id
    assert [e.key for e in again.page(min_rating=3)[0]] == [a.key]
    assert [e.key for e in again.page(sort="rating")[0]] == [a.key, b.key]
    assert [e.key for e in again.entries(min_rating=1)] == [b.key, a.key]

    assert again.rate(a.key, None) and again.note("gen_whale", "")
    assert again.get(a.key).rating is None  # type: ignore[union-attr]
    assert again.get(b.key).note is None  # type: ignore[union-attr]
    assert [e.key for e in again.page(sort="rating")[0]] == [b.key, a.key]
    assert again.rate("no-such-entry", 3) is False


@pytest.mark.parametrize("stars", [6, -1, 2.5, "3", True])
def test_a_rating_out_of_range_is_refused_saying_what_is_allowed(
    tmp_path: Path, stars: object
) -> None:
    library = Library(tmp_path / "lib")
    entry = record(library, "a fox")
    with pytest.raises(InvalidRequestError, match="from 0 to 5, or None"):
        library.rate(entry.key, stars)  # type: ignore[arg-type]
    with pytest.raises(InvalidRequestError, match="sort"):
        library.page(sort="best")
    assert library.get(entry.key).rating is None  # type: ignore[union-attr]


def test_children_of_a_run_made_from_its_frame(tmp_path: Path) -> None:
    library = Library(tmp_path / "lib")
    parent = record(library, "a fox runs")
    library.record_answer(parent.key, "gen_parent", "completed")
    first = record(library, "the fox jumps", parent="gen_parent", t=2.0)
    second = record(library, "the fox sleeps", parent=parent.key, t=4.5)
    record(library, "unrelated")
    assert first.parent == parent.key and first.parent_time == 2.0
    assert [e.key for e in library.children("gen_parent")] == [first.key, second.key]
    assert library.children(first.key) == []
    assert library.children_counts([parent.key, first.key]) == {parent.key: 2}


def test_a_library_at_schema_5_migrates_and_keeps_its_entries(tmp_path: Path) -> None:
    folder = tmp_path / "old"
    folder.mkdir()
    conn = sqlite3.connect(folder / INDEX_NAME)
    for step in MIGRATIONS[:5]:
        for statement in step:
            conn.execute(statement)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 5")
    conn.execute(
        "INSERT INTO entries (key, id, status, prompt, model, created_at, route) "
        "VALUES ('k5', 'gen_5', 'completed', 'made before ratings', 'sora', 100.0, NULL)"
    )
    conn.commit()
    conn.close()

    library = Library(folder)
    old = library.get("gen_5")
    assert old is not None and (old.prompt, old.rating, old.note) == (
        "made before ratings",
        None,
        None,
    )
    assert library.rate("gen_5", 5) and library.note("gen_5", "the keeper")
    library.close()
    with sqlite3.connect(folder / INDEX_NAME) as check:
        assert check.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 7
        assert check.execute("SELECT rating, note FROM entries").fetchall() == [(5, "the keeper")]
