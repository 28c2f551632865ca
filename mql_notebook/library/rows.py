"""Rows asked for many entries at once: a leaf without SQLite's module, so the client's image
code (library/images.py, on the client's import path) stays free of the index's imports."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def rows_of_entries(conn: Any, select: str, keys: list[str]) -> Iterator[Any]:
    """The rows of ``select`` (ending ``WHERE entry_key IN``) for the entries ``keys``, asked
    500 at a time (SQLite's limit on a query's parameters)."""
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        yield from conn.execute(f"{select} ({', '.join('?' * len(chunk))})", chunk)
