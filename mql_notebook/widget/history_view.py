"""The widget's history strip on the library: reading it, merging it, paging it.

A mixin of ``VideoWidget`` (video_widget.py): it owns ``_library``, ``_runs``, ``_shown`` and the
strip's traits, and takes from the widget only the few typed hooks declared below (its client,
the run its poller carries out, restoring its inputs); the plain decisions are in history.py. Reads the user asks for (``w.history``,
``load_more_history()``) block briefly on the local index (one bounded query); those the
loop makes (after a run, on the view's "more-history") go to a worker thread.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

import traitlets as t

from ..errors import LibraryError
from .history import (
    HISTORY_PAGE,
    Cards,
    check_origin,
    merge,
    read_entries,
    read_image_cards,
    resumed_run,
    run_from_entry,
)
from .run import Run

if TYPE_CHECKING:
    from ..client import AsyncMQL
    from ..library import Entry, Library

log = logging.getLogger("mql_notebook")


class LibraryHistory(t.HasTraits):
    """``history``, ``library``, ``load_more_history()``, the strip's traits and its refresh."""

    runs = t.List(
        t.Dict(),
        help="The history strip: one dict per run (prompt, options, status, id, times, variant_count).",
    ).tag(sync=True, output=True)
    shown_run = t.Int(
        -1,
        help="The index in runs of the run whose state and videos are shown; -1 before the first run.",
    ).tag(sync=True, output=True)
    more_history = t.Bool(
        False, help="The library holds older runs than runs shows: 'more-history' loads them."
    ).tag(sync=True, output=True)

    #: How many of the library's latest runs the strip shows first, and how many more each
    #: "more-history" (the view's "Show older runs") or ``load_more_history()`` adds.
    history_page: int = HISTORY_PAGE

    # ---- what the widget provides (VideoWidget, an ipywidgets Widget) ----
    running: bool
    hold_sync: Callable[[], AbstractContextManager[object]]

    def _async_client(self) -> AsyncMQL:
        """The client resumes are checked against."""
        raise NotImplementedError

    def _busy_run(self) -> Run | None:
        """The run the widget's poller carries out now, or None."""
        raise NotImplementedError

    def _restore_inputs(self, run: Run) -> None:
        """Set the widget's inputs to ``run``'s request."""
        raise NotImplementedError

    def _preview_images_of(self, entry: Entry) -> None:
        """Show the thumbnails of ``entry``'s images (made in a worker thread)."""
        raise NotImplementedError

    def _init_history(self, library: Library | None, own_runs_only: bool) -> None:
        self._library = library
        self.own_runs_only = bool(own_runs_only)
        self._history_limit = self.history_page  # how many of the library's latest runs it shows
        self._refreshing: set[asyncio.Task[None]] = set()
        self._runs: list[Run] = []
        self._shown: Run | None = None
        self._parent_key = ""  # the entry the inputs were last filled from (use_entry, show)

    @property
    def library(self) -> Library | None:
        """The library the widget's runs are recorded in and its history read from, or None."""
        return self._library

    @property
    def history(self) -> list[Run]:
        """The history strip's runs, oldest first: the library's latest (read now) and this
        widget's own; only the shown run holds its videos when they are on disk."""
        self._read_history()
        return list(self._runs)

    def use_entry(self, entry: Entry) -> None:
        """Fill the inputs from a library entry, as the gallery's "Use this prompt" does: its
        prompt, model, options, the model's own fields and its images (the library's copies). The
        runs generated next record it as their parent."""
        self._restore_inputs(run_from_entry(entry))
        self._preview_images_of(entry)
        self._parent_key = entry.key  # the next run was made from it (its lineage)

    def load_more_history(self, count: int | None = None) -> list[Run]:
        """Add ``count`` (by default ``history_page``) older runs of the library to the strip."""
        self._history_limit += max(0, int(self.history_page if count is None else count))
        return self.history

    def rate_run(self, index: int, stars: int | None) -> Run:
        """Give run ``index`` of the strip (``w.history[index]``) 0-5 stars, None to clear it:
        kept in the library, where the gallery sorts and filters by it. Blocks briefly (the index)."""
        run = self._run_to_rate(index)
        assert self._library is not None
        self._library.rate(run.library_key, stars)
        self._show_rating(run, stars)
        return run

    def _rate_asked(self, content: Mapping[str, Any]) -> None:
        """The view's stars: written in a worker thread, then shown in the strip."""
        try:
            run, stars = self._run_to_rate(int(content.get("index", -1))), content.get("stars")
            loop = asyncio.get_running_loop()
        except (ValueError, TypeError, RuntimeError) as exc:
            log.warning("the widget could not rate that run: %s", exc)
            return
        library = self._library
        assert library is not None

        async def rate() -> None:
            try:
                await asyncio.to_thread(library.rate, run.library_key, stars)
            except Exception as exc:  # a rating out of range, an index another process broke
                log.warning("the widget could not rate that run: %s", exc)
                return
            self._show_rating(run, stars)

        task = loop.create_task(rate())
        self._refreshing.add(task)
        task.add_done_callback(self._refreshing.discard)

    def _run_to_rate(self, index: int) -> Run:
        if not 0 <= index < len(self._runs):
            raise IndexError(f"no run {index} in the history ({len(self._runs)} runs)")
        run = self._runs[index]
        if self._library is None or not run.library_key:
            raise ValueError("that run is not in a library (yet): a rating is kept there")
        return run

    def _show_rating(self, run: Run, stars: int | None) -> None:
        run.rating = stars
        self.runs = [r.to_json() for r in self._runs]

    def _resumed_run(self, generation_id: str) -> tuple[Run, Run | None]:
        """The run a resume carries out, and the library's run it takes the place of."""
        run, replaced = resumed_run(self._runs, self._shown, generation_id, self)
        if replaced is not None:
            check_origin(replaced, self._async_client())
            self._restore_inputs(replaced)  # as showing it would: that history entry, resumed
        return run, replaced

    # ---- the history on the library ----

    def _more_history_asked(self) -> None:
        self._history_limit += self.history_page
        self._read_history_soon()

    def _read_history(self) -> None:
        """Read the library's latest runs now (a user's call: blocking is theirs to choose)."""
        if self._library is not None and not self.own_runs_only:
            entries, more = read_entries(self._library, self._history_limit)
            self._apply_history(entries, more, read_image_cards(entries))

    def _read_first_history(self) -> None:
        """The strip at construction: a library that cannot be read now leaves it empty (a run
        then says why the library is off for it)."""
        try:
            self._read_history()
        except LibraryError as exc:
            log.warning("the widget could not read the library: %s", exc)

    def _read_history_soon(self) -> None:
        """The same from the loop: the index is read in a worker thread."""
        if self._library is None or self.own_runs_only:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return self._read_history()
        library, limit = self._library, self._history_limit

        def read_all() -> tuple[list[Entry], bool, Cards]:
            entries, more = read_entries(library, limit)
            return entries, more, read_image_cards(entries)

        async def read() -> None:
            try:
                found = await asyncio.to_thread(read_all)
            except Exception as exc:  # an index another process broke: the strip stays
                log.warning("the widget could not read the library %s: %s", library.path, exc)
                return
            self._apply_history(*found)

        task = loop.create_task(read())
        self._refreshing.add(task)
        task.add_done_callback(self._refreshing.discard)

    def _apply_history(self, entries: list[Entry], more: bool, cards: Cards | None = None) -> None:
        self._runs = merge(self._runs, entries, self._busy_run(), cards)
        with self.hold_sync():
            self.more_history = more
            self.runs = [r.to_json() for r in self._runs]
            if self._shown is not None:
                self.shown_run = self._runs.index(self._shown)
