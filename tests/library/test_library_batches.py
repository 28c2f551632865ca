"""Batch membership in the library (schema 7): a library written before it migrates and keeps
its entries; ``mark_batch`` records an entry's batch by its Idempotency-Key; ``page`` finds the
entries of one batch, model or field value. A real SQLite file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from mql_notebook import InvalidRequestError, Library
from mql_notebook.library import INDEX_NAME, SCHEMA_VERSION
from mql_notebook.library.schema import APPLICATION_ID, MIGRATIONS


def test_a_library_at_schema_6_migrates_and_keeps_its_entries(tmp_path: Path) -> None:
    folder = tmp_path / "old"
    folder.mkdir()
    conn = sqlite3.connect(folder / INDEX_NAME)
    for step in MIGRATIONS[:6]:
        for statement in step:
            conn.execute(statement)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 6")
    conn.execute(
        "INSERT INTO entries (key, id, status, prompt, model, options, created_at, rating, "
        "origin, idempotency_key) VALUES ('k6', 'gen_6', 'completed', 'made before batches', "
        "'sora', '{\"seed\": 3}', 100.0, 4, 'http://x', 'mqlnb-batch-1')"
    )
    conn.commit()
    conn.close()

    library = Library(folder)
    old = library.get("gen_6")
    assert old is not None and (old.rating, old.batch, old.batch_text) == (4, None, "")
    assert library.mark_batch([("mqlnb-batch-1", "http://x", "prompts.txt-abc123", 2, 6)]) == 1
    assert library.mark_batch([("mqlnb-batch-1", "http://x", "prompts.txt-abc123", 2, 6)]) == 0
    assert library.mark_batch([("mqlnb-batch-1", "http://other", "b", 0, 1)]) == 0  # origin
    entry = library.get("gen_6")
    assert entry is not None and entry.batch_text == "batch prompts.txt-abc123, 3 of 6"
    assert library.page(batch="prompts.txt-abc123")[1] == 1
    assert library.page(batch="another")[1] == 0
    assert library.page(model="sora", where={"seed": 3})[1] == 1
    assert library.page(where={"seed": None})[1] == 0
    with pytest.raises(InvalidRequestError):
        library.page(where={"seed') OR 1=1 --": 1})
    library.close()
    with sqlite3.connect(folder / INDEX_NAME) as check:
        assert check.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 7
