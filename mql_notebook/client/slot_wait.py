"""Sending a create until the gateway has a free slot: the I/O around ``slots``' decisions.

The same request (the same Idempotency-Key) goes again after each busy answer (429 that is not
final, 503), as ``Retry-After`` asks or with a backoff of a few seconds, until the slot wait's
deadline; ``on_update`` hears a ``waiting_for_slot`` update once per cause the server gives.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx

from ..errors import APIError
from .callbacks import call
from .slots import busy_cause, slot_retry_delay, slot_timed_out, waiting_reason, waiting_update

if TYPE_CHECKING:
    from ..generation import Generation
    from .operation import Operation
    from .settings import Settings
    from .transport import AnswerCheck, Transport


async def send_when_free(
    transport: Transport,
    settings: Settings,
    op: Operation,
    *,
    timeout: float,
    on_update: Callable[[Generation], Any] | None = None,
    check: AnswerCheck | None = None,
) -> tuple[httpx.Response, bool]:
    """The create's 2xx answer, and whether it waited for a slot first.

    Raises the busy answer (saying how long it waited) once ``timeout`` seconds are spent, and
    any other error at once: a final one (money, moderation) after this one request.
    """
    loop = asyncio.get_running_loop()
    started = loop.time()
    tries = 0
    reported: str | None = None
    while True:
        try:
            return await transport.send(op, retry_statuses=False, check=check), tries > 0
        except APIError as error:
            tries += 1
            elapsed = loop.time() - started
            delay = slot_retry_delay(
                settings.slot_timing, error, tries, elapsed, timeout, transport.rng.random()
            )
            if delay is None:
                if tries > 1 and elapsed >= timeout:
                    raise slot_timed_out(error, elapsed) from error
                raise
            cause = busy_cause(error)
            if cause != reported:
                reported = cause
                await call(on_update, waiting_update(waiting_reason(error, delay)))
            await asyncio.sleep(delay)
