"""What a user says of a run (a rating of 0-5 stars, a note) and how entries are found by it.

``LibraryRatings`` is a part of ``Library``: ``rate``, ``note`` and ``children_counts``; the plain
functions build the SQL of ``Library.page`` (text in prompts, models, notes and ids; at least
some stars; newest first or best rated first). No I/O outside the index's own calls.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import InvalidRequestError
from .filters import filter_clauses
from .index import IndexedFolder

MAX_STARS = 5
MAX_NOTE_CHARS = 10_000
SORTS = ("newest", "rating")
_ORDER = {
    "newest": "created_at DESC, rowid DESC",
    "rating": "COALESCE(rating, -1) DESC, created_at DESC, rowid DESC",
}


def check_stars(stars: Any, *, field: str = "stars") -> int | None:
    """``stars`` as stored: an int from 0 to 5, or None (no rating); else InvalidRequestError."""
    if stars is None:
        return None
    if isinstance(stars, bool) or not isinstance(stars, int) or not 0 <= stars <= MAX_STARS:
        raise InvalidRequestError(
            field, stars, f"a whole number of stars from 0 to {MAX_STARS}, or None to clear it"
        )
    return stars


def check_note(text: Any) -> str | None:
    """A note as stored: its text (None or blank: no note); else InvalidRequestError."""
    if text is None:
        return None
    if not isinstance(text, str) or len(text) > MAX_NOTE_CHARS:
        raise InvalidRequestError(
            "note", text, f"a text of at most {MAX_NOTE_CHARS} characters, or None to clear it"
        )
    return text if text.strip() else None


def check_sort(sort: Any) -> str:
    if sort not in SORTS:
        raise InvalidRequestError("sort", sort, SORTS)
    return str(sort)


def page_where(
    text: str,
    min_rating: int | None,
    *,
    model: str | None = None,
    where: Mapping[str, Any] | None = None,
    batch: str | None = None,
) -> tuple[str, list[Any]]:
    """The WHERE of a page: ``text`` (any case) in the prompt, model, note or id, at least
    ``min_rating`` stars, and the model, fields and batch given (filters.py)."""
    clauses, params = filter_clauses(model, where, batch)
    needle = text.strip()
    if needle:
        escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        columns = ("prompt", "model", "note", "id")
        clauses.append("(" + " OR ".join(f"{c} LIKE ? ESCAPE '\\'" for c in columns) + ")")
        params.extend([f"%{escaped}%"] * len(columns))
    if min_rating is not None:
        clauses.append("rating >= ?")
        params.append(check_stars(min_rating, field="min_rating"))
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), params


def page_order(sort: str) -> str:
    return _ORDER[check_sort(sort)]


class LibraryRatings(IndexedFolder):
    """Ratings, notes and children: one short write or read each."""

    def rate(self, id_or_key: str, stars: int | None) -> bool:
        """Give an entry (a generation id or a library key) 0-5 stars; None clears the rating.
        False when there is no such entry. Other values: InvalidRequestError."""
        value = check_stars(stars)
        return self._set("rating", value, id_or_key, "rating an entry")

    def note(self, id_or_key: str, text: str | None) -> bool:
        """Keep a note on an entry (shown and searched in the gallery); None or "" clears it.
        False when there is no such entry."""
        return self._set("note", check_note(text), id_or_key, "writing a note")

    def children_counts(self, keys: Iterable[str]) -> dict[str, int]:
        """How many entries were made from each of these entries (its frame as their parent)."""
        wanted = list(dict.fromkeys(keys))

        def count(conn: sqlite3.Connection) -> dict[str, int]:
            found: dict[str, int] = {}
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                found.update(
                    conn.execute(
                        "SELECT parent_key, COUNT(*) FROM entries "
                        f"WHERE parent_key IN ({', '.join('?' * len(chunk))}) GROUP BY parent_key",
                        chunk,
                    ).fetchall()
                )
            return found

        return self._read("counting children", count) if wanted else {}

    def mark_batch(self, marks: Iterable[tuple[str, str | None, str, int, int]]) -> int:
        """Record the batch of each entry (idempotency key, origin, batch id, index, size) in
        one write; returns how many entries changed."""
        rows = [(b, i, n, key, origin, b, i, n) for key, origin, b, i, n in marks]

        def update(conn: sqlite3.Connection) -> int:
            changed = 0
            for row in rows:
                changed += conn.execute(
                    "UPDATE entries SET batch = ?, batch_index = ?, batch_size = ? "
                    "WHERE idempotency_key = ? AND origin IS ? AND (batch IS NOT ? OR "
                    "batch_index IS NOT ? OR batch_size IS NOT ?)",
                    row,
                ).rowcount
            return changed

        return self._write("recording a batch", update) if rows else 0

    def _set(self, column: str, value: Any, id_or_key: str, what: str) -> bool:
        def update(conn: sqlite3.Connection) -> bool:
            changed = conn.execute(
                f"UPDATE entries SET {column} = ? WHERE key = (SELECT key FROM entries "
                "WHERE id = ? OR key = ? ORDER BY id = ? DESC LIMIT 1)",
                (value, id_or_key, id_or_key, id_or_key),
            )
            return changed.rowcount > 0

        return self._write(what, update)
