"""A run carried out in the background: one asyncio task on the kernel's running loop.

``VideoWidget`` starts a run here and returns at once, so the cell ends while the job runs;
the task mirrors the run through ``on_change`` and calls ``on_end`` exactly once, however it
ends: done, failed, cancelled by ``cancel()``, cancelled from outside, or cancelled before
its first step (when ``carry_out``'s own handlers never ran).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .run import Run, carry_out, record_end

if TYPE_CHECKING:
    from ..client import AsyncMQL

NO_LOOP = (
    "the widget polls on a running event loop: call generate() in a notebook cell "
    "or inside async code (in a script: asyncio.run(main()) with `await w.generate()`)"
)


class RunTask:
    """The task of one run, and the cancel a person asked for (an ordinary end, not an error)."""

    def __init__(
        self,
        run: Run,
        client: AsyncMQL | Callable[[], AsyncMQL],
        *,
        create: bool,
        on_change: Callable[[Run], Any],
        on_end: Callable[[Run], Any],
        api_key: Callable[[], object],
        name: str,
    ) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError(NO_LOOP) from None
        self.run = run
        self._client = client
        self._create = create
        self._on_change = on_change
        self._on_end = on_end
        self._api_key = api_key
        self._cancel_requested = False
        self._started = False
        self.task: asyncio.Task[Run] = loop.create_task(self._go(), name=name)
        self.task.add_done_callback(self._done)

    def cancel(self) -> bool:
        """Stop polling (the remote job may still run); False when the task has ended."""
        if self.task.done():
            return False
        self._cancel_requested = True
        if self._started:
            self.task.cancel()
        # else: the task has not run yet; carry_out sees the request at its start and ends as
        # cancelled (a task cancelled before its first step would skip carry_out's handlers).
        return True

    async def _go(self) -> Run:
        self._started = True
        try:
            return await carry_out(
                self.run,
                self._client,
                create=self._create,
                on_change=self._on_change,
                cancel_requested=lambda: self._cancel_requested,
            )
        finally:
            self._on_end(self.run)

    def _done(self, task: asyncio.Task[Run]) -> None:
        """Safety net: a task cancelled before its first step never ran carry_out's handlers."""
        if self.run.finished:
            return
        exc = asyncio.CancelledError() if task.cancelled() else task.exception()
        record_end(
            self.run, exc or RuntimeError("the poller ended unexpectedly"), api_key=self._api_key()
        )
        self._on_end(self.run)
