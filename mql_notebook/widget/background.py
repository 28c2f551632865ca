"""A widget's work in the background: on the kernel's loop while one runs (the task kept until
it ends), else at once; a failure goes to the widget's handler, never lost in a task."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any


def in_background(
    work: Coroutine[Any, Any, Any],
    on_error: Callable[[Exception], None],
    tasks: set[asyncio.Task[None]],
) -> None:
    """Run ``work`` as a task of the running loop, kept in ``tasks`` until done, or now with
    ``asyncio.run`` when no loop runs (a plain script); ``on_error`` hears what it raises."""

    async def guarded() -> None:
        try:
            await work
        except Exception as exc:
            on_error(exc)

    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(guarded())
        return
    task = loop.create_task(guarded())
    tasks.add(task)
    task.add_done_callback(tasks.discard)
