"""The library's own worker threads: one for the index (SQLite), one for whole videos.

Each library call blocks, so async code runs it off the event loop; but the index is used
under one lock per Library, so asyncio's pool of worker threads would only queue up on that
lock, each write waking a thread to wait. One thread runs them in turn instead. Videos have
a thread of their own (files.py says why), so that reading a large one never holds up the
index.

``WritesTogether``: the writes many generations make at once (fifty jobs answered, then
polled, in the same second) queue up while the index thread writes, and go in one
transaction at its next turn (``Library.write_together``): one hand-off, one lock and one
commit for all of them, and all or none of them on a kill.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

T = TypeVar("T")
# How long a turn of writes together waits for others after its first (a write is seconds
# away from mattering; fifty polls answered in the same instant become one transaction).
GATHER_SECONDS = 0.005


class OneThread:
    """A worker thread made on first use (importing the library starts none), and again in a
    forked child, which inherits the executor but not its thread."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._executor: tuple[int, ThreadPoolExecutor] | None = None  # (the process's pid, it)

    def executor(self) -> ThreadPoolExecutor:
        if self._executor is None or self._executor[0] != os.getpid():
            executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=self.name)
            self._executor = (os.getpid(), executor)
        return self._executor[1]

    async def run(self, action: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``action(*args, **kwargs)`` on this thread, awaited from the running loop."""
        call = functools.partial(action, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self.executor(), call)

    def submit(self, action: Callable[[], object]) -> Future[object]:
        """``action()`` on this thread, from any thread (no event loop needed)."""
        return self.executor().submit(action)


INDEX_THREAD = OneThread("mql-index")


async def on_index_thread(action: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``action(*args, **kwargs)`` off the event loop, on the library's one thread for its index."""
    return await INDEX_THREAD.run(action, *args, **kwargs)


class WritesInOne(Protocol):
    def write_together(self, actions: list[Callable[[], Any]]) -> list[tuple[bool, Any]]: ...


class WritesTogether:
    """Blocking writes of one library, awaited from any event loop, run on the index thread in
    one transaction per turn: while one turn writes, the next gathers."""

    def __init__(self, library: WritesInOne) -> None:
        self._library = library
        self._queue: list[tuple[Callable[[], Any], asyncio.Future[Any]]] = []
        self._turn_pending = False
        self._guard = threading.Lock()  # a sync client's loop and a kernel's may both write
        self._pid = os.getpid()

    async def run(self, action: Callable[[], T]) -> T:
        """``action()`` (calls of the library's methods) in the next turn's transaction; its
        result, or its exception, or the turn's (the index could not be written at all)."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        with self._guard:
            if self._pid != os.getpid():  # a forked child: the parent's turn is not its own
                self._queue, self._turn_pending, self._pid = [], False, os.getpid()
            self._queue.append((action, future))
            start, self._turn_pending = not self._turn_pending, True
        if start:  # a moment later: what else comes in the same moment joins this turn
            asyncio.get_running_loop().call_later(GATHER_SECONDS, INDEX_THREAD.submit, self._turn)
        return await future

    def _turn(self) -> None:  # on the index thread
        with self._guard:
            items, self._queue = self._queue, []
        try:
            try:
                results = self._library.write_together([action for action, _ in items])
            except Exception as error:  # nothing of this turn was written
                results = [(False, error)] * len(items)
            by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], Any]]] = {}
            for (_, future), result in zip(items, results, strict=True):
                by_loop.setdefault(future.get_loop(), []).append((future, result))
            for loop, settled in by_loop.items():  # one wake-up per loop for the whole turn
                with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits
                    loop.call_soon_threadsafe(_settle, settled)
        finally:
            with self._guard:
                # Writes that came meanwhile: the next turn, behind what else waits for the thread.
                if self._queue:
                    INDEX_THREAD.submit(self._turn)
                else:
                    self._turn_pending = False


def _settle(settled: list[tuple[asyncio.Future[Any], tuple[bool, Any]]]) -> None:
    for future, (ok, value) in settled:
        if future.cancelled():
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)
