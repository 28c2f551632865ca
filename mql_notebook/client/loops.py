"""Running the async core from sync code, and one HTTP connection pool per event loop.

A sync call with no event loop running uses a private loop owned by the client. A sync
call made where a loop already runs (a Jupyter cell) applies nest_asyncio to that loop,
lazily, and runs there: the other tasks on the kernel's loop (widgets' pollers) keep
running while the call waits. nest_asyncio is never applied at import.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import httpx

T = TypeVar("T")


class SyncRunner:
    """Runs coroutines to completion for the sync client."""

    def __init__(self) -> None:
        self._local = threading.local()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not None:
            _allow_nested(running)
            return running.run_until_complete(coro)
        loop: asyncio.AbstractEventLoop | None = getattr(self._local, "loop", None)
        if loop is None or loop.is_closed():
            loop = asyncio.new_event_loop()
            self._local.loop = loop
        return loop.run_until_complete(coro)

    def close(self) -> None:
        loop = getattr(self._local, "loop", None)
        if loop is not None and not loop.is_closed() and not loop.is_running():
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()


def _allow_nested(loop: asyncio.AbstractEventLoop) -> None:
    if getattr(loop, "_nest_patched", False):
        return
    import nest_asyncio2  # imported here on purpose: patching is a last resort, only for sync calls in a running loop

    nest_asyncio2.apply(loop)


class PoolPerLoop:
    """One httpx.AsyncClient (one connection pool) per event loop the client is used on.

    Connections belong to the loop that opened them; a client used from Jupyter's loop and
    from a private loop keeps one pool for each instead of breaking.
    """

    def __init__(self, factory: Callable[[], httpx.AsyncClient]) -> None:
        self._factory = factory
        self._pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()

    def get(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        with self._lock:
            pool = self._pools.get(loop)
            if pool is None or pool.is_closed:
                pool = self._factory()
                self._pools[loop] = pool
            return pool

    async def aclose_current(self) -> None:
        loop = asyncio.get_running_loop()
        with self._lock:
            pool = self._pools.pop(loop, None)
        if pool is not None:
            await pool.aclose()

    def close_all(self, runner: SyncRunner) -> None:
        """Close every pool whose loop can still run (the current one or a private one)."""
        with self._lock:
            items = list(self._pools.items())
            self._pools.clear()
        for loop, pool in items:
            if loop.is_closed():
                continue
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if loop is running:
                runner.run(pool.aclose())
            elif not loop.is_running():
                loop.run_until_complete(pool.aclose())


class ThreadedPool:
    """The sync ``httpx.Client`` that threaded downloads share (client/fetch.py), made on first use."""

    def __init__(self, factory: Callable[[], httpx.Client]) -> None:
        self._factory = factory
        self._pool: httpx.Client | None = None
        self._lock = threading.Lock()

    def get(self) -> httpx.Client:
        with self._lock:
            if self._pool is None or self._pool.is_closed:
                self._pool = self._factory()
            return self._pool

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()
