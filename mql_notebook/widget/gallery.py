"""The gallery: every video of a library as cards, to filter, play, compare and reuse.

State is one page of the library at a time (``entries``, ``total``, ``query``, ``offset``,
``sort``, ``min_rating``):
the kernel pages with SQL (``Library.page``: LIMIT/OFFSET on the created_at index), so a
library of thousands of entries costs one small query per page. Pictures and videos never
go into state; the view asks for them by message and they come back as binary buffers:

view -> kernel   {"kind": "page", "query", "offset", "sort", "min_rating", "model", "fields",
                  "batch"}                                        a page (the filters, the
                                                                   pager, the order)
                 {"kind": "posters", "keys": [...]}               the cards' JPEG posters
                 {"kind": "video", "key": str}                    one entry's first video
                 {"kind": "use", "key": str}                      fill the linked VideoWidget
                 {"kind": "delete", "key": str}                   after the view's confirm step
                 {"kind": "rate", "key": str, "stars": int | None} 0-5 stars (None: cleared)
                 {"kind": "note", "key": str, "text": str}         the note ("" clears it)
                 {"kind": "export", "keys": [...]}                a page to share (``notice``)
                 {"kind": "compare", "keys": [...]}               what differs (``compared``;
                                                                   a sweep: ``compare_grid``)
kernel -> view   {"kind": "poster", "key", "mime"} + 1 buffer     (one poster, well under a chunk)
                 video-begin / video-chunk / video-end            (transfer.py; generation_id is
                                                                   the entry's key)

Entries are named by their library ``key``: an entry whose create was never answered has no
server id yet, but it has a key. The traits and messages are typed for the view in
js/gallery_protocol.d.ts: change both together.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

from ..errors import InvalidRequestError
from ..library import Entry, Library
from ..library.export import default_export_folder, export
from ..library.files import on_video_thread
from ..library.filters import parse_fields
from . import frontend, transfer
from .background import in_background
from .compare_grid import Fields, read_compare
from .gallery_cards import card_of, prompt_settings
from .gallery_page import SORTS, Page, filters_of, library_for, read_page, read_posters
from .gallery_state import DEFAULT_PAGE_SIZE, GalleryState
from .request_traits import view_updates

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "SORTS",
    "VIEW_MESSAGES",
    "Gallery",
    "LinkedWidget",
    "card_of",
    "prompt_settings",
]

MAX_PAGE_SIZE = 200
POSTER_MIME = "image/jpeg"


class LinkedWidget(Protocol):
    """What the gallery uses of the VideoWidget it fills (``Gallery(widget=w)``): its library,
    its request traits (``INPUT_NAMES``, set by "Use this prompt"), and its ``running`` trait
    (a run that ends is a new card)."""

    @property
    def library(self) -> Library | None: ...

    def has_trait(self, name: str) -> bool: ...

    def hold_sync(self) -> AbstractContextManager[object]: ...

    def observe(self, handler: Callable[..., Any], names: Any = ...) -> None: ...

    def unobserve(self, handler: Callable[..., Any], names: Any = ...) -> None: ...


class Gallery(GalleryState):
    """The library's videos as cards, newest first: filter, play, compare side by side, reuse.

    >>> g = Gallery()                      # the default library (MQL_LIBRARY or ./mql-videos)
    >>> g = Gallery(widget=w)              # "Use this prompt" fills the VideoWidget w
    >>> g.entries                          # the page shown: id, prompt, model, options, ...

    ``library`` is a ``Library`` or a folder; without one, the linked widget's client's
    library if it has one, else the default library.
    """

    _esm = frontend.GALLERY_ESM
    _css = frontend.GALLERY_CSS

    def __init__(
        self,
        library: Library | str | os.PathLike[str] | None = None,
        widget: LinkedWidget | None = None,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        model: str | None = None,
        where: Mapping[str, Any] | None = None,
        batch: str | None = None,
    ) -> None:
        if not isinstance(page_size, int) or not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(
                f"page_size must be an int from 1 to {MAX_PAGE_SIZE}, not {page_size!r}"
            )
        self.library = library_for(library, widget)
        self.widget = widget
        self._transfer = 0
        self._page_asked = 0  # pages asked for; an answer overtaken by a newer ask is dropped
        self._tasks: set[asyncio.Task[None]] = set()
        super().__init__(
            page_size=page_size,
            linked=widget is not None,
            folder=str(self.library.path),
            **filters_of(model, where, batch),
        )
        self.on_msg(self._on_view_message)
        if widget is not None:  # a run of the linked widget that ends is a new card
            widget.observe(self._on_widget_status, names="running")
        self.refresh()

    # ---- Python API ----

    def refresh(self) -> list[dict[str, Any]]:
        """Read the current page again (new runs, other processes' runs, deletions)."""
        return self.show_page(self.query, self.offset)

    def show_page(
        self,
        query: str = "",
        offset: int = 0,
        *,
        sort: str | None = None,
        min_rating: int | None = None,
        **filters: Any,
    ) -> list[dict[str, Any]]:
        """The page of entries matching ``query`` that holds the entry at ``offset``; ``sort``
        ("newest" or "rating"), ``min_rating`` (0-5 stars, 0: all), ``model=``, ``where=``
        ({"seed": 3}: any option or model's own field) and ``batch=`` stay until changed."""
        if sort is not None and sort not in SORTS:
            raise InvalidRequestError("sort", sort, SORTS)
        if min_rating is not None and min_rating not in range(6):
            raise InvalidRequestError("min_rating", min_rating, "a whole number from 0 to 5")
        if filters:
            unknown = set(filters) - {"model", "where", "batch"}
            if unknown:
                raise TypeError(f"show_page() takes model=, where=, batch=, not {unknown}")
            kept = {"model": self.model_filter, "where": self.where, "batch": self.batch}
            self._set_filters(filters_of(**{**kept, **filters}))
        self._page_asked += 1
        self._apply_page(self._read_page(query, offset, sort, min_rating))
        return list(self.entries)

    def rate(self, key: str, stars: int | None) -> None:
        """Give an entry 0-5 stars (None clears it), kept in the library; the page is read again."""
        if not self.library.rate(key, stars):
            raise KeyError(f"no entry {key!r} in the library {self.library.path}")
        self.refresh()

    def note(self, key: str, text: str | None) -> None:
        """Keep a note on an entry ("" or None clears it); the filter finds text in notes."""
        if not self.library.note(key, text):
            raise KeyError(f"no entry {key!r} in the library {self.library.path}")
        self.refresh()

    def use(self, key: str) -> dict[str, Any]:
        """Copy an entry's prompt and options onto the linked VideoWidget; returns what was set."""
        return self._fill_widget(self._entry(key))

    def compare(
        self, keys: Iterable[str], *, rows: Fields = None, cols: Fields = None
    ) -> list[dict[str, Any]]:
        """Compare the entries ``keys`` names in sync (the view opens them), the first being the
        one each is compared with: each column's prompt as segments (changed words marked) and
        settings. ``rows``/``cols`` (field names: ``rows="model", cols="seed"``) lay them out as a
        grid headed by those values, as entries of one batch are by the fields that vary."""
        columns, grid = read_compare(self.library, list(keys), rows, cols)
        with self.hold_sync():
            self.compared, self.compare_grid = columns, grid
            self.compare_shown += 1
        return list(self.compared)

    def delete(self, key: str) -> bool:
        """Remove an entry and its files from the library (never the job on the server)."""
        removed = self.library.delete(key)
        self.refresh()
        return removed

    def export(
        self, folder: str | os.PathLike[str] | None = None, entries: Iterable[str] | None = None
    ) -> Path:
        """Write a page to share (index.html, works offline) of ``entries`` (ids or keys; None:
        the shown page's) into ``folder`` (None: ./mql-export-<time>); returns its index.html.
        Blocks (copies): ``await asyncio.to_thread(g.export, ...)`` to keep the loop free."""
        keys = [c["key"] for c in self.entries] if entries is None else list(entries)
        index = export(self.library, folder or default_export_folder(), keys)
        self.notice = f"Exported {len(keys)} to {index}"
        return index

    def close(self) -> None:
        widget, self.widget = self.widget, None  # closed twice (close, then __del__): once
        if widget is not None:
            widget.unobserve(self._on_widget_status, names="running")
        for task in list(self._tasks):
            task.cancel()
        super().close()

    # ---- ipywidgets plumbing ----

    def set_state(self, sync_data: dict[str, Any]) -> None:
        """Every trait is Python's to write (tagged output): the view asks by message instead."""
        super().set_state(view_updates(type(self), sync_data))

    def _on_view_message(self, _widget: Any, content: Any, _buffers: list[Any]) -> None:
        """The view's asks. SQLite and files are read in a worker thread (a library locked by
        another process, a large video), never on the kernel's loop; traits and messages are
        written back on the loop."""
        kind = content.get("kind") if isinstance(content, Mapping) else None
        handler = VIEW_MESSAGES.get(kind) if isinstance(kind, str) else None
        if handler is not None:
            self._in_background(handler(self, content))

    async def _page(
        self, query: Any, offset: Any, sort: Any = None, min_rating: Any = None, **view: Any
    ) -> None:
        if view:  # the view's model select, field=value box and batch (a card's "batch X")
            fields = parse_fields(view.get("fields") or "")
            self._set_filters(filters_of(view.get("model"), fields, view.get("batch")))
        self._page_asked += 1
        ticket = self._page_asked
        page = await asyncio.to_thread(self._read_page, query, offset, sort, min_rating)
        if ticket == self._page_asked:  # typing in the filter: only the latest answer shows
            self._apply_page(page)

    async def _use(self, key: str) -> None:
        self._fill_widget(await asyncio.to_thread(self._entry, key))

    async def _change(self, change: Callable[[], bool], key: str) -> None:
        """A rating or a note from the view: written in a worker thread, then the page again."""
        if not await asyncio.to_thread(change):
            raise KeyError(f"no entry {key!r} in the library {self.library.path}")
        await self._page(self.query, self.offset)

    async def _export(self, keys: list[str]) -> None:
        self.notice = f"Exporting {len(keys)}…"
        try:
            index = await asyncio.to_thread(export, self.library, default_export_folder(), keys)
        finally:
            self.notice = ""  # the error says why, when it failed
        self.notice = f"Exported {len(keys)} to {index}"

    async def _compare(self, keys: list[str]) -> None:
        columns, grid = await asyncio.to_thread(read_compare, self.library, keys)
        with self.hold_sync():
            self.compared, self.compare_grid = columns, grid

    async def _delete(self, key: str) -> None:
        await asyncio.to_thread(self.library.delete, key)
        await self._page(self.query, self.offset)

    def _read_page(self, query: Any, offset: Any, sort: Any = None, stars: Any = None) -> Page:
        """Blocking: one page from the index (gallery_page.py); a sort or rating the view sends
        that is not one of SORTS or 0-5 keeps the current one."""
        sort = sort if sort in SORTS else self.sort
        stars = stars if isinstance(stars, int) and stars in range(6) else self.min_rating
        filters = {"model": self.model_filter, "where": self.where, "batch": self.batch}
        return read_page(self.library, query, offset, self.page_size, sort, stars, filters)

    def _set_filters(self, filters: Mapping[str, Any]) -> None:
        with self.hold_sync():
            for name, value in filters.items():
                setattr(self, name, value)

    def _apply_page(self, page: Page) -> None:
        with self.hold_sync():
            self.query, self.offset, self.total, self.sort, self.min_rating, self.entries = page[:6]
            self.models, self.error = page[6], ""

    def _fill_widget(self, entry: Entry) -> dict[str, Any]:
        if self.widget is None:
            raise RuntimeError("no VideoWidget is linked: Gallery(widget=w)")
        widget = self.widget
        settings = prompt_settings(entry, str(getattr(widget, "model", "") or ""))
        use_entry = getattr(widget, "use_entry", None)
        if callable(use_entry):  # a VideoWidget: its fields and images too
            use_entry(entry)
            return settings
        with widget.hold_sync():
            for name, value in settings.items():  # the model first: INPUT_NAMES' order
                if widget.has_trait(name):
                    setattr(widget, name, value)
        return settings

    def _on_widget_status(self, change: Any) -> None:
        if change.old and not change.new:  # a run of the linked widget ended
            self.refresh()

    def _entry(self, key: str) -> Entry:
        entry = self.library.get(key)
        if entry is None:
            raise KeyError(f"no entry {key!r} in the library {self.library.path}")
        return entry

    # ---- pictures and videos, as binary messages ----

    async def _send_posters(self, keys: list[str]) -> None:
        # Made here when first shown (decoded on the library's one video thread: files.py).
        for key, data in await on_video_thread(read_posters, self.library, keys[:MAX_PAGE_SIZE]):
            self.send({"kind": "poster", "key": key, "mime": POSTER_MIME}, [data])

    async def _send_video(self, key: str) -> None:
        entry = await asyncio.to_thread(self._entry, key)
        path = entry.video
        if path is None:
            raise FileNotFoundError(f"{entry.prompt or key!r} has no video in the library")
        data = await asyncio.to_thread(path.read_bytes)
        self._transfer += 1
        messages = transfer.video_messages(
            self._transfer,
            [data],
            generation_id=entry.key,
            aspect_ratio=str(entry.options.get("aspect_ratio") or ""),
        )
        for content, buffers in messages:
            self.send(content, buffers=buffers or None)

    def _in_background(self, work: Any) -> None:
        """Run a coroutine on the kernel's loop (a failure becomes ``error``), or now without one."""

        def shown(exc: Exception) -> None:
            self.error = str(exc) or type(exc).__name__

        in_background(work, shown, self._tasks)


def _keys(content: Mapping[str, Any]) -> list[str]:
    keys = content.get("keys")
    return [k for k in keys if isinstance(k, str)] if isinstance(keys, list) else []


def _key(content: Mapping[str, Any]) -> str:
    return str(content.get("key", ""))


# The view's asks (js/gallery_protocol.d.ts GalleryViewMessage): kind -> the work, run on the
# kernel's loop with files and SQLite read in a worker thread.
VIEW_MESSAGES: dict[str, Callable[[Gallery, Mapping[str, Any]], Any]] = {
    "page": lambda g, c: g._page(
        c.get("query", ""),
        c.get("offset", 0),
        c.get("sort"),
        c.get("min_rating"),
        **{k: c[k] for k in ("model", "fields", "batch") if isinstance(c.get(k), str)},
    ),
    "posters": lambda g, c: g._send_posters(_keys(c)),
    "video": lambda g, c: g._send_video(_key(c)),
    "use": lambda g, c: g._use(_key(c)),
    "delete": lambda g, c: g._delete(_key(c)),
    "rate": lambda g, c: g._change(lambda: g.library.rate(_key(c), c.get("stars")), _key(c)),
    "note": lambda g, c: g._change(lambda: g.library.note(_key(c), c.get("text")), _key(c)),
    "export": lambda g, c: g._export(_keys(c)),
    "compare": lambda g, c: g._compare(_keys(c)),
}
