"""A sweep compared as a grid, batch membership in the library and the gallery's filters, from a
notebook's side: a real emulator over HTTP, a real SQLite library, the gallery driven as
ipywidgets drives it (its message handler called)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from mql_notebook import AsyncMQL, Batch, InvalidRequestError
from mql_notebook.library import Library
from mql_notebook.library.filters import fields_text, parse_fields
from mql_notebook.widget.compare_grid import grid_of
from mql_notebook.widget.gallery import Gallery
from tests.widget.test_gallery import view_sends

MODELS = ["sora", "sora-1.0-turbo"]


@pytest.fixture
async def client(local_server, api_key, poll_timing, retry_policy, tmp_path) -> Any:
    emulator = local_server(pace=0.2)
    async with AsyncMQL(
        api_key=api_key,
        base_url=emulator.url,
        poll_timing=poll_timing,
        retry_policy=retry_policy,
        library=Library(tmp_path / "lib"),
    ) as client:
        yield client


async def until(check: Any, what: str) -> None:
    deadline = time.monotonic() + 10
    while not check():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.02)


async def sweep(client: AsyncMQL, name: str = "grid") -> Batch:
    batch = Batch.sweep(
        prompt="A grid: a heron", model=MODELS, seed=range(3), duration=5, name=name, client=client
    )
    runs = await batch.run()
    assert [r.status for r in runs] == ["completed"] * 6
    return batch


async def test_a_sweep_of_2_models_by_3_seeds_compares_as_a_2_by_3_grid(client) -> None:
    batch = await sweep(client)
    g = batch.compare()
    grid = g.compare_grid
    assert grid["row_fields"] == ["model"] and grid["col_fields"] == ["seed"]
    assert grid["rows"] == MODELS and grid["cols"] == ["0", "1", "2"]
    by_cell = {(r.model, r.line.options["seed"]): r.generation_id for r in batch.runs}
    library = client.library
    assert library is not None
    for i, model in enumerate(MODELS):
        for j in range(3):
            entry = library.get(grid["cells"][i][j])
            assert entry is not None and entry.id == by_cell[(model, j)]
    # the columns in reading order, each with its card (the view needs no page for them)
    assert [c["key"] for c in g.compared] == [k for row in grid["cells"] for k in row]
    assert all(c["card"]["has_video"] for c in g.compared)
    assert g.compare_shown == 1  # the view opens it
    assert [d["text"] for d in g.compared[1]["differences"]] == ["seed 0 → 1"]

    # rows and columns named: seed down, model across
    g.compare([c["key"] for c in g.compared], rows="seed", cols="model")
    assert g.compare_grid["rows"] == ["0", "1", "2"] and g.compare_grid["cols"] == MODELS
    assert g.compare_shown == 2

    # the view's compare of the same entries (ticked cards): a grid too, by the varied fields
    g.compare_grid = {}
    view_sends(g, "compare", keys=list(reversed(by_cell.values())))
    await until(lambda: g.compare_grid, "the grid never came")
    assert g.compare_grid["rows"] == MODELS and g.compare_grid["cols"] == ["0", "1", "2"]
    with pytest.raises(InvalidRequestError):
        g.compare(list(by_cell.values()), rows=[3])
    g.close()


async def test_each_run_of_a_batch_records_its_batch_and_index(client) -> None:
    batch = await sweep(client, name="members")
    library = client.library
    assert library is not None
    entries = [library.get(r.generation_id or "") for r in batch.runs]
    assert all(e is not None for e in entries)
    assert {e.batch for e in entries if e} == {batch.id} and batch.id.startswith("members-")
    assert [e.batch_index for e in entries if e] == list(range(6))
    assert {e.batch_size for e in entries if e} == {6}
    third = entries[2]
    assert third is not None and third.batch_text == f"batch {batch.id}, 3 of 6"
    assert third.to_dict()["batch"] == batch.id

    # a second batch that holds one of these requests again: that entry joins it
    other = Batch(
        [{"prompt": "A grid: a heron", "model": "sora", "seed": 0}, "A lone egret"],
        name="members",
        duration=5,
        client=client,
    )
    assert other.id != batch.id
    await other.run()

    g = Gallery(library, batch=batch.id)
    assert g.total == 5  # one moved on to the newer batch
    cards = {c["key"]: c for c in g.entries}
    assert all(c["batch"] == batch.id for c in cards.values())
    assert cards[third.key]["batch_text"] == f"batch {batch.id}, 3 of 6"
    # the view: a card's "batch X" filters to that batch; "" shows every entry again
    view_sends(g, "page", query="", offset=0, batch=other.id)
    await until(lambda: g.total == 2 or g.error, "the batch filter was not applied")
    assert not g.error and g.total == 2, (g.error, g.total)
    assert g.batch == other.id
    view_sends(g, "page", query="", offset=0, batch="")
    await until(lambda: g.total == 7, "the batch filter was not cleared")
    g.close()


async def test_the_gallery_filters_by_model_and_by_any_field(client) -> None:
    batch = await sweep(client, name="filters")
    library = client.library
    assert library is not None
    entry = library.get(batch.runs[4].generation_id or "")
    assert entry is not None
    library.note(entry.key, "the wings are right")

    g = Gallery(library, model="sora-1.0-turbo")
    assert g.total == 3 and {c["model"] for c in g.entries} == {"sora-1.0-turbo"}
    assert set(g.models) == set(MODELS)
    g.show_page(where={"seed": 1})  # the model filter stays
    assert g.total == 1 and g.entries[0]["key"] == entry.key
    g.show_page(model="", where={"seed": 1})
    assert g.total == 2
    assert Gallery(library, where={"seed": "1"}).total == 0  # a JSON value: 1 is not "1"
    assert Gallery(library, where={"duration": 5, "seed": 2}).total == 2

    # the view's model select and field=value box
    view_sends(g, "page", query="", offset=0, model="sora", fields="seed=2")
    await until(lambda: g.total == 1, "the view's filters were not applied")
    assert g.model_filter == "sora" and g.where == {"seed": 2}
    assert g.entries[0]["options"]["seed"] == 2
    view_sends(g, "page", query="", offset=0, model="", fields="seed=")  # not a number: text
    await until(lambda: g.total == 0, "an empty value is matched as text")
    view_sends(g, "page", query="", offset=0, model="", fields="")
    await until(lambda: g.total == 6, "the filters were not cleared")

    # text search covers prompts and notes
    assert g.show_page("WINGS ARE") and g.total == 1 and g.entries[0]["key"] == entry.key
    assert g.show_page("a heron") and g.total == 6
    with pytest.raises(InvalidRequestError):
        Gallery(library, where={"bad name": 1})
    with pytest.raises(InvalidRequestError):
        g.show_page(where="seed=1")  # type: ignore[arg-type]
    g.close()


def test_field_filter_text_reads_json_values_and_back() -> None:
    assert parse_fields("seed=3, style=noir, loop=true, tags=[1, 2]") == {
        "seed": 3,
        "style": "noir",
        "loop": True,
        "tags": [1, 2],
    }
    assert parse_fields("") == {}
    assert fields_text({"seed": 3, "style": "noir"}) == "seed=3, style=noir"
    with pytest.raises(InvalidRequestError):
        parse_fields("seed")


def test_entries_of_no_batch_stay_side_by_side(tmp_path: Path) -> None:
    assert grid_of([], None, None) is None
