"""Retry decisions: which failures are retried, how long to wait, and never a second billed create."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import httpx
import pytest

from mql_notebook.client.retry import (
    RetryPolicy,
    parse_retry_after,
    retry_after_exception,
    retry_after_status,
)

POLICY = RetryPolicy(max_retries=3, base_delay=0.5, max_delay=8.0, max_retry_after=60.0)
RNG = random.Random(0)


def test_retry_after_in_seconds_and_as_http_date() -> None:
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert parse_retry_after("7", now.timestamp()) == 7.0
    later = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(later, now.timestamp()) == pytest.approx(30.0)
    assert parse_retry_after("soon", now.timestamp()) is None
    assert parse_retry_after(None, 0) is None


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504, 529])
def test_gets_retry_transient_statuses(status: int) -> None:
    assert retry_after_status(POLICY, 0, status, {}, idempotent=True, now=0, rng=RNG) is not None


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409])
def test_client_errors_are_not_retried(status: int) -> None:
    assert retry_after_status(POLICY, 0, status, {}, idempotent=True, now=0, rng=RNG) is None


@pytest.mark.parametrize(
    "status,retried",
    [(429, True), (503, True), (500, False), (502, False), (529, False), (504, False)],
)
def test_create_is_resent_only_after_not_processed_answers(status: int, retried: bool) -> None:
    delay = retry_after_status(POLICY, 0, status, {}, idempotent=False, now=0, rng=RNG)
    assert (delay is not None) is retried


def test_retry_after_header_is_honoured_and_capped() -> None:
    delay = retry_after_status(
        POLICY, 0, 429, {"retry-after": "5"}, idempotent=True, now=0, rng=RNG
    )
    assert 5.0 <= delay <= 6.0
    assert (
        retry_after_status(POLICY, 0, 429, {"retry-after": "3600"}, idempotent=True, now=0, rng=RNG)
        is None
    )


def test_gives_up_after_max_retries() -> None:
    assert retry_after_status(POLICY, 3, 503, {}, idempotent=True, now=0, rng=RNG) is None


def test_backoff_grows_and_is_jittered() -> None:
    rng = random.Random(1)
    samples = [
        [
            retry_after_status(POLICY, a, 503, {}, idempotent=True, now=0, rng=rng)
            for _ in range(200)
        ]
        for a in range(3)
    ]
    assert max(samples[0]) <= 0.5 and max(samples[2]) <= 2.0
    assert len(set(samples[2])) > 100  # jitter: not one fixed value


def test_create_is_resent_only_when_the_request_never_left() -> None:
    request = httpx.Request("POST", "http://x")
    assert retry_after_exception(
        POLICY, 0, httpx.ConnectError("refused", request=request), idempotent=False, rng=RNG
    )
    for exc in (
        httpx.ReadTimeout("t", request=request),
        httpx.RemoteProtocolError("drop", request=request),
        httpx.WriteError("w", request=request),
    ):
        assert retry_after_exception(POLICY, 0, exc, idempotent=False, rng=RNG) is None
        assert retry_after_exception(POLICY, 0, exc, idempotent=True, rng=RNG) is not None
