"""When to retry a request and how long to wait first: plain functions, no I/O.

GETs (status, content) are safe to repeat. The create POST starts a billed job, so it
is re-sent only when the request provably never reached the server (the connection
was never made) or the server said it did not process it (429, 503).

Inside a wait, status looks ride out outages instead (``is_transient``, ``outage_delay``):
a deploy or an overload gives 5-60 s of 502/503 pages or refused connections while the
job keeps running, so such errors never end a wait before its deadline. Downloads ride
them out the same way, for ``RetryPolicy.download_outage_budget`` seconds
(``outage_retry_delay``), then resume with Range.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import httpx

from .._constants import (
    DEFAULT_CONTENT_LAG_GRACE,
    DEFAULT_DOWNLOAD_OUTAGE_BUDGET,
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_RETRY_AFTER,
    DEFAULT_OUTAGE_BACKOFF,
    DEFAULT_OUTAGE_FIRST_DELAY,
    DEFAULT_OUTAGE_JITTER,
    DEFAULT_OUTAGE_MAX_DELAY,
    DEFAULT_RETRY_BASE_DELAY,
    DEFAULT_RETRY_MAX_DELAY,
)
from ..errors import APIConnectionError, APIError, APITimeoutError, RateLimitError

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
    # Downloads: seconds an outage (no byte arriving, every try failing) is ridden out.
    download_outage_budget: float = DEFAULT_DOWNLOAD_OUTAGE_BUDGET
    # Content answering 404 for a job known completed (storage lag) is asked again this long.
    content_lag_grace: float = DEFAULT_CONTENT_LAG_GRACE


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


# -- riding out an outage inside a wait ------------------------------------------------


@dataclass(frozen=True)
class OutageTiming:
    """How a wait spaces its status looks while the server is unreachable or failing."""

    first_delay: float = DEFAULT_OUTAGE_FIRST_DELAY  # one dropped connection costs this little
    backoff: float = DEFAULT_OUTAGE_BACKOFF
    max_delay: float = DEFAULT_OUTAGE_MAX_DELAY  # the server's return is noticed within this
    jitter: float = DEFAULT_OUTAGE_JITTER  # so that clients come back spread, not all at once
    max_retry_after: float = DEFAULT_MAX_RETRY_AFTER  # a longer Retry-After: this, then a look


def is_transient(error: BaseException) -> bool:
    """Whether a failed status look is an outage to ride out (vs. an answer that ends the wait).

    Connection errors, timeouts, 408, 429, every 5xx and 529 are; 401/403/404, the rest, and a
    final answer whatever its status (a 429 about money: ``refusals``) are not: waiting would
    not change them.
    """
    if isinstance(error, APIConnectionError):
        return True
    if isinstance(error, APIError):
        return not error.final and is_transient_status(error.status_code)
    return False


def is_transient_status(status_code: int) -> bool:
    """408, 429, every 5xx and 529: an answer that a later try may not get."""
    return status_code in (408, 429) or status_code >= 500


def is_transient_transport_error(exc: BaseException) -> bool:
    """A refused, reset or timed-out connection (an outage), not a request that cannot work."""
    return isinstance(exc, httpx.TransportError) and not isinstance(exc, httpx.UnsupportedProtocol)


def outage_retry_delay(
    timing: OutageTiming,
    failures: int,
    elapsed: float,
    budget: float,
    retry_after: float | None = None,
    jitter: float = 0.0,
) -> float | None:
    """Seconds before trying again a request that failed ``failures`` times in a row over
    ``elapsed`` seconds, or None once ``budget`` seconds are spent (then the error stands).

    Spaced as a wait's looks are (``outage_delay``); the last try lands at the budget's end.
    """
    if elapsed >= budget:
        return None
    return min(outage_delay(timing, failures, retry_after, jitter), budget - elapsed)


def outage_delay(
    timing: OutageTiming, failures: int, retry_after: float | None = None, jitter: float = 0.0
) -> float:
    """Seconds until the next look after ``failures`` failed looks in a row (1 after the first).

    Doubles from ``first_delay`` up to ``max_delay``, less up to ``timing.jitter`` of it
    (``jitter`` is a uniform draw in [0, 1)); a server's ``Retry-After`` asking for longer wins,
    up to ``max_retry_after``.
    """
    grown = timing.first_delay * timing.backoff ** max(0, failures - 1)
    delay = min(timing.max_delay, grown) * (1.0 - timing.jitter * jitter)
    if retry_after is not None:
        delay = max(delay, min(retry_after, timing.max_retry_after))
    return delay


def outage_cause(error: BaseException) -> str:
    """A short human description of why a look failed: the key of one 'reconnecting' update."""
    if isinstance(error, APITimeoutError):
        return "the server did not answer in time"
    if isinstance(error, APIConnectionError):
        cause = error.__cause__
        text = str(cause or error).lower()
        if "refused" in text:
            return "connection refused"
        if "reset" in text:
            return "connection reset"
        if isinstance(cause, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
            return "the server closed the connection"
        return "cannot reach the server"
    if isinstance(error, RateLimitError):
        return "rate limited (HTTP 429)"
    if isinstance(error, APIError):
        if error.status_code == 529:
            return "the server is overloaded (HTTP 529)"
        return f"HTTP {error.status_code} from the server"
    return type(error).__name__


def reconnecting_reason(cause: str, delay: float, retry_after: float | None = None) -> str:
    """The text of a 'reconnecting' update: the cause, and when the next look comes if it is far."""
    if retry_after is not None and delay >= retry_after and delay >= 1.0:
        return f"{cause}; trying again in {delay:.0f} s, as the server asked"
    return f"{cause}; trying again"
