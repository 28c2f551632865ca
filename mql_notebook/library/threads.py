"""The library's own worker threads: one for the index (SQLite), one for whole videos.

Each library call blocks, so async code runs it off the event loop; but the index is used
under one lock per Library, so asyncio's pool of worker threads would only queue up on that
lock, each write waking a thread to wait (measured: most of a recorded generation's cost in
a batch of 50 was threads contending for it). One thread runs them in turn instead. Videos
have a thread of their own (files.py says why), so that reading a large one never holds up
the index.
"""

from __future__ import annotations

import asyncio
import functools
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


class OneThread:
    """A worker thread made on first use (importing the library starts none), and again in a
    forked child, which inherits the executor but not its thread."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._executor: tuple[int, ThreadPoolExecutor] | None = None  # (the process's pid, it)

    async def run(self, action: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``action(*args, **kwargs)`` on this thread, awaited from the running loop."""
        if self._executor is None or self._executor[0] != os.getpid():
            executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=self.name)
            self._executor = (os.getpid(), executor)
        call = functools.partial(action, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._executor[1], call)


INDEX_THREAD = OneThread("mql-index")


async def on_index_thread(action: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``action(*args, **kwargs)`` off the event loop, on the library's one thread for its index."""
    return await INDEX_THREAD.run(action, *args, **kwargs)
