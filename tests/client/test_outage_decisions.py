"""The decisions behind riding out an outage (retry.py) and the reconnecting state: plain
functions, no I/O, no clock."""

from __future__ import annotations

import httpx
import pytest

from mql_notebook import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    InvalidResponseError,
    NotFoundError,
    RateLimitError,
    ServerError,
)
from mql_notebook.client.retry import (
    OutageTiming,
    is_transient,
    outage_cause,
    outage_delay,
    reconnecting_reason,
)
from mql_notebook.generation import Generation

TIMING = OutageTiming()


def api_error(status: int, cls: type[APIError] = APIError, **kwargs) -> APIError:
    return cls("boom", status_code=status, operation="checking generation g", **kwargs)


def connection_error(cause: Exception, cls: type[APIConnectionError] = APIConnectionError):
    try:
        raise cls(str(cause), operation="checking generation g") from cause
    except APIConnectionError as error:
        return error


@pytest.mark.parametrize(
    "error",
    [
        connection_error(httpx.ConnectError("[Errno 111] Connection refused")),
        connection_error(httpx.ReadTimeout("timed out"), APITimeoutError),
        connection_error(httpx.RemoteProtocolError("Server disconnected")),
        api_error(408),
        api_error(429, RateLimitError),
        api_error(500, ServerError),
        api_error(502, ServerError),
        api_error(503, ServerError),
        api_error(504, ServerError),
        api_error(529, ServerError),
    ],
    ids=lambda e: type(e).__name__ + str(getattr(e, "status_code", "")),
)
def test_outages_are_transient(error: Exception) -> None:
    assert is_transient(error)


@pytest.mark.parametrize(
    "error",
    [
        api_error(400, BadRequestError),
        api_error(401, AuthenticationError),
        api_error(403, AuthenticationError),
        api_error(404, NotFoundError),
        api_error(410),
        InvalidResponseError("a 200 that is not a generation"),
        ValueError("a bug"),
    ],
    ids=lambda e: type(e).__name__ + str(getattr(e, "status_code", "")),
)
def test_answers_that_waiting_cannot_change_are_not(error: Exception) -> None:
    assert not is_transient(error)


def test_looks_back_off_to_a_cap_of_a_few_seconds() -> None:
    assert [outage_delay(TIMING, n) for n in range(1, 8)] == [0.5, 1.0, 2.0, 3.0, 3.0, 3.0, 3.0]


def test_jitter_only_shortens_a_look_and_by_at_most_a_quarter() -> None:
    for n in range(1, 8):
        plain = outage_delay(TIMING, n)
        assert 0.75 * plain <= outage_delay(TIMING, n, jitter=0.9999) < plain


def test_retry_after_asking_for_more_wins_up_to_a_bound() -> None:
    assert outage_delay(TIMING, 1, retry_after=10) == 10
    assert outage_delay(TIMING, 5, retry_after=0.2) == 3.0  # asking for less changes nothing
    assert outage_delay(TIMING, 1, retry_after=3600) == TIMING.max_retry_after


@pytest.mark.parametrize("jitter", [0.0, 0.5, 0.9999])
@pytest.mark.parametrize("phase", [0.0, 0.3, 1.7])
def test_a_15s_outage_costs_at_most_15_looks_and_is_noticed_within_3s(
    jitter: float, phase: float
) -> None:
    """The schedule the issue asks for: whenever the outage starts relative to the looks."""
    outage_start, outage_end = phase, phase + 15.0
    t, failures, looks = phase, 0, 0  # the first failed look comes at the outage's start at worst
    while t < outage_end:
        looks += 1
        failures += 1
        t += outage_delay(TIMING, failures, jitter=jitter)
    assert looks <= 15
    assert t - outage_end <= TIMING.max_delay  # the first look after the server is back
    assert t > outage_start


@pytest.mark.parametrize(
    "error,cause",
    [
        (
            connection_error(httpx.ConnectError("[Errno 111] Connection refused")),
            "connection refused",
        ),
        (
            connection_error(httpx.ReadError("[Errno 104] Connection reset by peer")),
            "connection reset",
        ),
        (
            connection_error(httpx.RemoteProtocolError("Server disconnected without a response")),
            "the server closed the connection",
        ),
        (
            connection_error(httpx.ConnectError("Name or service not known")),
            "cannot reach the server",
        ),
        (
            connection_error(httpx.ReadTimeout(""), APITimeoutError),
            "the server did not answer in time",
        ),
        (api_error(429, RateLimitError), "rate limited (HTTP 429)"),
        (api_error(503, ServerError), "HTTP 503 from the server"),
        (api_error(529, ServerError), "the server is overloaded (HTTP 529)"),
    ],
)
def test_each_cause_reads_as_a_short_reason(error: Exception, cause: str) -> None:
    assert outage_cause(error) == cause


def test_the_reason_says_when_the_server_asked_for_a_long_wait() -> None:
    assert reconnecting_reason("HTTP 503 from the server", 2.0) == (
        "HTTP 503 from the server; trying again"
    )
    assert reconnecting_reason("rate limited (HTTP 429)", 30.0, retry_after=30.0) == (
        "rate limited (HTTP 429); trying again in 30 s, as the server asked"
    )


def test_with_reconnecting_is_a_copy_of_the_last_state() -> None:
    seen = Generation({"id": "g", "status": "in_progress", "progress": 40}, id="g")
    flagged = seen.with_reconnecting("HTTP 503 from the server; trying again")
    assert seen.reconnecting is None and flagged is not seen
    assert flagged.reconnecting == "HTTP 503 from the server; trying again"
    assert (flagged.id, flagged.status, flagged.raw_status, flagged.progress) == (
        "g",
        "processing",
        "in_progress",
        40,
    )
    assert "reconnecting" not in dict(flagged) and "reconnecting=" in repr(flagged)
    assert flagged.with_reconnecting(None).reconnecting is None
