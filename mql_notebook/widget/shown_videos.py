"""The shown run's videos: the only ones the widget holds in memory when a library keeps them.

A run whose videos are all in the library's folder drops its bytes when another run is
shown, and reads them back (in a worker thread when the kernel's loop asks) when it is
shown again; they then go to the view in chunks as any others (transfer.py). A run without
files on disk (``library=False``, or a download the library could not record) keeps its bytes:
they exist nowhere else.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from ..library.files import read_video
from . import transfer
from .history import read_videos
from .run import Run

GONE_NOTE = "The video could not be read from the library: {error}"


Send = Callable[..., Any]  # the widget's send(content, buffers=...)


class ShownVideos:
    """Loads, holds, drops and sends the shown run's videos for one widget.

    It takes from the widget only what it uses: ``send`` (a custom message with buffers),
    ``shown()`` (the run shown now, or None) and ``changed(run)`` (the run's state changed
    here, e.g. its videos were read or its files are gone: mirror it into the traits).
    """

    def __init__(
        self, *, send: Send, shown: Callable[[], Run | None], changed: Callable[[Run], None]
    ) -> None:
        self._send, self._shown, self._changed = send, shown, changed
        self._transfer = 0  # numbers the transfers, so the view drops an overtaken one
        self.loading: asyncio.Task[None] | None = None  # the read of the shown run's files
        self._loading_run: Run | None = None

    def release(self, run: Run | None, *, keep: Run | None) -> None:
        """``run`` stops being shown: drop its bytes if they are on disk."""
        if run is not None and run is not keep and run.on_disk:
            run.videos = []

    def bytes_now(self) -> list[bytes]:
        """The shown run's videos, read from disk now if needed (a user's call: it may block)."""
        run = self._shown()
        if run is None:
            return []
        if run.on_disk and not run.videos:
            try:
                run.videos = read_videos(run.files)
            except OSError as error:
                self._gone(run, error)
        return run.videos

    def send(self, run: Run | None) -> None:
        """Send ``run``'s videos to the view, reading them from disk first if needed."""
        if run is not None and run.on_disk and not run.videos:
            self._load_then_send(run)
            return
        self._transfer += 1
        transfer.send_videos(self._send, self._transfer, run)

    def _load_then_send(self, run: Run) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (a script): read now
            if self.bytes_now():
                self.send(run)
            return
        if self.loading is not None and not self.loading.done() and self._loading_run is run:
            return  # already on its way: it goes to every view when read
        self._loading_run = run
        self.loading = loop.create_task(self._load(run))

    async def _load(self, run: Run) -> None:
        try:  # on the library's video thread, so the memory of one video is reused by the next
            videos = [await read_video(f) for f in run.files if f is not None]
        except OSError as error:
            self._gone(run, error)
            if self._shown() is run:
                self.send(run)  # no files now: clears the view's videos of the run before
            return
        if self._shown() is not run:
            return  # another run was shown meanwhile: do not hold this one's bytes
        if not run.videos:
            run.videos = videos
        self._changed(run)
        self.send(run)

    def _gone(self, run: Run, error: OSError) -> None:
        """A file deleted or unreadable: say so on the run; the strip and the rest stay."""
        run.note = GONE_NOTE.format(error=error.strerror or error)
        run.files = ()
        if self._shown() is run:
            self._changed(run)
