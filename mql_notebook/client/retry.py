"""When to retry a request and how long to wait first: plain functions, no I/O.

GETs (status, content) are safe to repeat. The create POST starts a billed job, so it
is re-sent only when the request provably never reached the server (the connection
was never made) or the server said it did not process it (429, 503).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import httpx

from .._constants import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_RETRY_AFTER,
    DEFAULT_RETRY_BASE_DELAY,
    DEFAULT_RETRY_MAX_DELAY,
)

RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504, 529})
NOT_PROCESSED_STATUSES = frozenset({429, 503})  # the only answers after which a POST may go again

# Exceptions raised before a single byte of the request left: the server cannot have acted.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a request is retried (defaults in ``_constants.py``).

    ``AsyncMQL(max_retries=...)`` sets ``max_retries``; pass a whole policy as
    ``retry_policy=`` to tune the delays too.
    """

    max_retries: int = DEFAULT_MAX_RETRIES
    base_delay: float = DEFAULT_RETRY_BASE_DELAY
    max_delay: float = DEFAULT_RETRY_MAX_DELAY
    max_retry_after: float = DEFAULT_MAX_RETRY_AFTER


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After header (delta seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - now)


def backoff_delay(policy: RetryPolicy, attempt: int, rng: random.Random) -> float:
    """Exponential backoff with full jitter: uniform in [0, min(max, base * 2**attempt)], at least a little."""
    ceiling = min(policy.max_delay, policy.base_delay * (2**attempt))
    return max(0.05, rng.uniform(0, ceiling))


def retry_after_status(
    policy: RetryPolicy,
    attempt: int,
    status_code: int,
    headers: Mapping[str, str],
    *,
    idempotent: bool,
    now: float,
    rng: random.Random,
) -> float | None:
    """Delay before retrying after an error status, or None to give up."""
    if attempt >= policy.max_retries:
        return None
    allowed = RETRYABLE_STATUSES if idempotent else NOT_PROCESSED_STATUSES
    if status_code not in allowed:
        return None
    hinted = parse_retry_after(headers.get("retry-after"), now)
    if hinted is not None:
        if hinted > policy.max_retry_after:
            return None
        # A little jitter on top so many clients told the same moment do not return together.
        return hinted + rng.uniform(0, min(1.0, 0.1 + hinted * 0.1))
    return backoff_delay(policy, attempt, rng)


def retry_after_exception(
    policy: RetryPolicy, attempt: int, exc: BaseException, *, idempotent: bool, rng: random.Random
) -> float | None:
    """Delay before retrying after a transport error, or None to give up."""
    if attempt >= policy.max_retries:
        return None
    if isinstance(exc, httpx.UnsupportedProtocol):
        return None
    if isinstance(exc, _NOT_SENT) or (idempotent and isinstance(exc, httpx.TransportError)):
        return backoff_delay(policy, attempt, rng)
    return None


def request_was_sent(exc: BaseException) -> bool:
    """Whether the server may have received the request before this error."""
    return not isinstance(exc, _NOT_SENT)
