"""One page of the gallery read from the library: the SQL page (``Library.page``: text in
prompts, models, notes and ids, a rating, an order) and its cards. Blocks: a worker thread."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from ..library import Entry, Library
from ..library.filters import check_where
from .gallery_cards import cards_of
from .transfer import CHUNK_BYTES

SORTS = ("newest", "rating")
Page = tuple[
    str, int, int, str, int, list[dict[str, Any]], list[str]
]  # query, offset, total, sort, stars, cards, the library's models


def page_bounds(offset: Any, size: int) -> int:
    """The first index of the page of ``size`` that holds entry ``offset`` (0 for nonsense)."""
    try:
        value = int(offset)
    except (TypeError, ValueError):
        value = 0
    return max(0, value - value % size) if size > 0 else 0


def filters_of(
    model: Any = None, where: Mapping[str, Any] | None = None, batch: Any = None
) -> dict[str, Any]:
    """The gallery's filter traits from ``Gallery(model=, where=, batch=)`` (checked)."""
    return {
        "model_filter": model if isinstance(model, str) else "",
        "where": check_where(where),
        "batch": batch if isinstance(batch, str) else "",
    }


def read_page(
    library: Library,
    query: Any,
    offset: Any,
    size: int,
    sort: str,
    stars: int,
    filters: Mapping[str, Any] | None = None,
) -> Page:
    """The page holding ``offset`` of the entries matching ``query``, rated ``stars`` or more
    (0: every entry), of ``filters``' model, fields and batch ("" / {}: any), in the order
    ``sort``; past the end (after deletions), the last page."""
    query = query if isinstance(query, str) else ""
    start = page_bounds(offset, size)
    chosen = {k: v for k, v in (filters or {}).items() if v}

    def read(at: int) -> tuple[list[Entry], int]:
        return library.page(
            query, offset=at, limit=size, sort=sort, min_rating=stars or None, **chosen
        )

    found, total = read(start)
    if not found and start and total:
        start = page_bounds(total - 1, size)
        found, total = read(start)
    return query, start, total, sort, stars, cards_of(library, found), library.models()


def read_posters(library: Library, keys: list[str]) -> list[tuple[str, bytes]]:
    """Blocking: the first poster of each entry that has one or can have one made now (made
    when first shown, then kept by the library; a JPEG of tens of kB)."""
    found = []
    for key in keys:
        entry = library.get(key)
        poster = library.poster(entry) if entry is not None else None
        if entry is None or poster is None:
            continue
        try:
            data = poster.read_bytes()
        except OSError:
            continue  # deleted meanwhile: the card keeps its placeholder
        if len(data) <= CHUNK_BYTES:  # one message, as one chunk would be
            found.append((entry.key, data))
    return found


def library_for(library: Library | str | os.PathLike[str] | None, widget: Any) -> Library:
    """The library given, else the linked widget's (gallery.LinkedWidget; its client's)."""
    if isinstance(library, Library):
        return library
    if library is not None:
        return Library(library)
    found = getattr(widget, "library", None) if widget is not None else None
    return found if isinstance(found, Library) else Library()
