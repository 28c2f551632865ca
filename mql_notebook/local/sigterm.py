"""SIGTERM as an exception, so ``serve`` cleans up (its state file above all) when stopped by it.

uvicorn stops gracefully on SIGTERM, then raises the signal again with the handler that was
there before it started; with Python's default handler that kills the process on the spot and no
``finally`` runs. With this handler installed the signal becomes :class:`Terminated` instead.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType


class Terminated(BaseException):
    """The process received SIGTERM (a BaseException, as KeyboardInterrupt: nothing swallows it)."""


def _raise(signum: int, frame: FrameType | None) -> None:
    raise Terminated(signum)


@contextlib.contextmanager
def raise_on_sigterm() -> Iterator[None]:
    """Within: SIGTERM raises :class:`Terminated` (main thread only; elsewhere, nothing changes)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
