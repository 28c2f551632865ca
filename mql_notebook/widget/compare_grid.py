"""A sweep compared as a grid: the compared entries in rows and columns by the fields that vary
(``rows="model", cols="seed"``), each heading the values of its row or column. Plain functions,
no I/O but ``read_compare`` (the index, in the caller's worker thread)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import InvalidRequestError
from ..library import Entry, Library
from .differences import compare_columns, settings_of
from .gallery_cards import card_of

Fields = str | Sequence[str] | None


def value_of(entry: Entry, name: str) -> Any:
    """The entry's value of a field: its prompt, its model, or an option / a model's own field."""
    if name == "prompt":
        return entry.prompt or ""
    return settings_of(entry).get(name)


def heading(entry: Entry, names: Sequence[str]) -> str:
    """The values of ``names`` as a heading: ``"sora"``, ``"sora · 5"``; "" for no names."""
    values = [value_of(entry, n) for n in names]
    return " · ".join("—" if v is None else str(v) for v in values)


def varied_fields(entries: Sequence[Entry]) -> list[str]:
    """The fields whose values differ among the entries, fewest distinct values first (the
    rows), the prompt included when it differs."""
    names: list[str] = []
    for entry in entries:
        names += [n for n in ("prompt", *settings_of(entry)) if n not in names]
    counts = {n: len({repr(value_of(e, n)) for e in entries}) for n in names}
    return sorted((n for n in names if counts[n] > 1), key=lambda n: counts[n])


def _names(value: Fields, what: str) -> list[str]:
    if value is None:
        return []
    names = [value] if isinstance(value, str) else list(value)
    if not all(isinstance(n, str) and n for n in names):
        raise InvalidRequestError(what, value, "a field name or a list of field names")
    return names


def grid_of(entries: Sequence[Entry], rows: Fields, cols: Fields) -> dict[str, Any] | None:
    """The grid of the entries (``rows``/``cols``: field names; both None: a sweep's own,
    when every entry is of one batch and fields vary), else None (side by side, as before).

    ``{"row_fields", "col_fields", "rows": [heading], "cols": [heading], "cells": [[key]]}``,
    ``""`` for an empty cell; an entry whose cell is taken already is left out."""
    row_names, col_names = _names(rows, "rows"), _names(cols, "cols")
    batches = {e.batch for e in entries}
    if len(batches) == 1 and None not in batches:  # one batch: in its order, headings too
        entries = sorted(entries, key=lambda e: -1 if e.batch_index is None else e.batch_index)
    if not row_names and not col_names:
        varied = varied_fields(entries)
        if len(batches) != 1 or None in batches or not varied:
            return None
        row_names, col_names = varied[:-1], varied[-1:]
    row_heads: list[str] = []
    col_heads: list[str] = []
    cells: dict[tuple[str, str], str] = {}
    for entry in entries:
        r, c = heading(entry, row_names), heading(entry, col_names)
        row_heads += [r] if r not in row_heads else []
        col_heads += [c] if c not in col_heads else []
        cells.setdefault((r, c), entry.key)
    return {
        "row_fields": row_names,
        "col_fields": col_names,
        "rows": row_heads,
        "cols": col_heads,
        "cells": [[cells.get((r, c), "") for c in col_heads] for r in row_heads],
    }


def read_compare(
    library: Library, keys: Sequence[str], rows: Fields = None, cols: Fields = None
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Blocking (the index, thumbnails): the compare's columns (differences.py, each with its
    ``card``) and its grid (``{}`` when side by side). In a grid the columns are in reading
    order (row by row), the first cell the one the others are compared with."""
    found = [e for e in (library.get(k) for k in keys) if e is not None]
    grid = grid_of(found, rows, cols) or {}
    if grid:
        by_key = {e.key: e for e in found}
        found = [by_key[k] for row in grid["cells"] for k in row if k]
    columns = compare_columns(found)
    for column, entry in zip(columns, found, strict=True):
        column["card"] = card_of(entry)
    return columns, grid
