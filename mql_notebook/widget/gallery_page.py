"""One page of the gallery read from the library: the SQL page (``Library.page``: text in
prompts, models, notes and ids, a rating, an order) and its cards. Blocks: a worker thread."""

from __future__ import annotations

import os
from typing import Any

from ..library import Entry, Library
from .gallery_cards import cards_of

SORTS = ("newest", "rating")
Page = tuple[
    str, int, int, str, int, list[dict[str, Any]]
]  # query, offset, total, sort, stars, cards


def page_bounds(offset: Any, size: int) -> int:
    """The first index of the page of ``size`` that holds entry ``offset`` (0 for nonsense)."""
    try:
        value = int(offset)
    except (TypeError, ValueError):
        value = 0
    return max(0, value - value % size) if size > 0 else 0


def read_page(library: Library, query: Any, offset: Any, size: int, sort: str, stars: int) -> Page:
    """The page holding ``offset`` of the entries matching ``query``, rated ``stars`` or more
    (0: every entry), in the order ``sort``; past the end (after deletions), the last page."""
    query = query if isinstance(query, str) else ""
    start = page_bounds(offset, size)

    def read(at: int) -> tuple[list[Entry], int]:
        return library.page(query, offset=at, limit=size, sort=sort, min_rating=stars or None)

    found, total = read(start)
    if not found and start and total:
        start = page_bounds(total - 1, size)
        found, total = read(start)
    return query, start, total, sort, stars, cards_of(library, found)


def library_for(library: Library | str | os.PathLike[str] | None, widget: Any) -> Library:
    """The library given, else the linked widget's (gallery.LinkedWidget; its client's)."""
    if isinstance(library, Library):
        return library
    if library is not None:
        return Library(library)
    found = getattr(widget, "library", None) if widget is not None else None
    return found if isinstance(found, Library) else Library()
