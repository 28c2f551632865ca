"""User callbacks (on_update, on_progress) may be plain functions or coroutine functions."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any


async def call(callback: Callable[..., Any] | None, *args: Any) -> None:
    """Call ``callback(*args)``, awaiting it if it is async; None is no callback."""
    if callback is None:
        return
    result = callback(*args)
    if inspect.isawaitable(result):
        await result
