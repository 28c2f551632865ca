"""Waiting for a free slot: is this answer to a create a busy gateway, and how long to wait.
Plain functions, no I/O (``slot_wait`` sleeps and sends).

Gateways cap how many jobs of a key run at once; a create beyond the cap is answered 429
(``concurrency_limit_exceeded``, Kling's 1303, ...), often with ``Retry-After``, and a 503 is
an overloaded gateway. Either way the create made nothing, so it may go again (with the same
Idempotency-Key, which makes a duplicate impossible where the server honours it) until the
slot wait's deadline. Answers that mean "never" (money, moderation: ``refusals``) are final
and end it at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from .._constants import (
    DEFAULT_MAX_RETRY_AFTER,
    DEFAULT_SLOT_BACKOFF,
    DEFAULT_SLOT_FIRST_DELAY,
    DEFAULT_SLOT_JITTER,
    DEFAULT_SLOT_MAX_DELAY,
)
from ..errors import APIError
from ..generation import Generation
from ..status import PENDING
from .retry import NOT_PROCESSED_STATUSES

# Codes of a concurrency cap (as opposed to a rate of requests): the batch runs fewer at once.
CONCURRENCY_CODES = frozenset(
    {
        "concurrency_limit_exceeded",
        "concurrency_limit",
        "too_many_concurrent_requests",
        "too_many_concurrent_tasks",
        "parallel_task_limit",
        "1303",  # Kling: parallel task over resource pack limit
    }
)


@dataclass(frozen=True)
class SlotTiming:
    """How a create spaces its tries while the gateway is full (defaults in ``_constants.py``).

    A ``Retry-After`` is honoured as asked (up to ``max_retry_after``), plus a little jitter;
    without one the tries back off from ``first_delay`` to ``max_delay``.
    """

    first_delay: float = DEFAULT_SLOT_FIRST_DELAY
    backoff: float = DEFAULT_SLOT_BACKOFF
    max_delay: float = DEFAULT_SLOT_MAX_DELAY
    jitter: float = DEFAULT_SLOT_JITTER
    max_retry_after: float = DEFAULT_MAX_RETRY_AFTER


def is_busy(error: BaseException) -> bool:
    """Whether a create's error answer made nothing and may go again: a 429 or 503 that is not
    final (money and moderation are: ``refusals``)."""
    return (
        isinstance(error, APIError)
        and not error.final
        and error.status_code in NOT_PROCESSED_STATUSES
    )


def is_concurrency_limit(error: BaseException) -> bool:
    """Whether a busy answer is about jobs running at once (not a rate of requests, nor a 503)."""
    if not isinstance(error, APIError) or error.status_code != 429:
        return False
    if (error.code or "").strip().lower() in CONCURRENCY_CODES:
        return True
    text = error.message.lower()
    return "concurren" in text or "parallel" in text or "at once" in text


def slot_delay(
    timing: SlotTiming, tries: int, retry_after: float | None, jitter: float = 0.0
) -> float:
    """Seconds before the next try after ``tries`` busy answers in a row (1 after the first).

    ``jitter`` is a uniform draw in [0, 1): many clients told the same moment come back spread.
    """
    if retry_after is not None:
        return min(retry_after, timing.max_retry_after) * (1.0 + timing.jitter * jitter / 2)
    grown = timing.first_delay * timing.backoff ** max(0, tries - 1)
    return min(timing.max_delay, grown) * (1.0 - timing.jitter * jitter)


def slot_retry_delay(
    timing: SlotTiming,
    error: BaseException,
    tries: int,
    elapsed: float,
    budget: float,
    jitter: float = 0.0,
) -> float | None:
    """Seconds before sending a create again after ``error``, or None: the error stands (it is
    not a busy answer, or the slot wait's ``budget`` of seconds is spent). The last try lands
    at the budget's end."""
    if not is_busy(error) or elapsed >= budget:
        return None
    retry_after = error.retry_after if isinstance(error, APIError) else None
    return max(0.0, min(slot_delay(timing, tries, retry_after, jitter), budget - elapsed))


def busy_cause(error: APIError) -> str:
    """What the server said, in a line: the key of one ``waiting_for_slot`` update."""
    code = f" {error.code}" if error.code else ""
    return f"HTTP {error.status_code}{code}: {error.message}"


def waiting_reason(error: APIError, delay: float) -> str:
    """The text of a ``waiting_for_slot`` update: the server's reason and when the next try is."""
    when = f"trying again in {delay:.0f} s" if delay >= 1.0 else "trying again"
    return f"{busy_cause(error)}; {when}"


def waiting_update(reason: str) -> Generation:
    """The update ``on_update`` hears while a create waits: no job (and no id) yet, pending,
    ``waiting_for_slot`` the reason."""
    return Generation({"status": PENDING}, id="").with_waiting_for_slot(reason)


def slot_timed_out(error: APIError, waited: float) -> APIError:
    """The busy answer that ended the slot wait, saying how long it waited and that nothing was
    created (a copy of the same class)."""
    note = f" (waited {waited:.0f} s for a free slot; nothing was created)"
    return type(error)(error.message + note, **error.keywords())
