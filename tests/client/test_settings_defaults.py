"""One home for each default: ``max_retries`` is what a request really gets, over real HTTP."""

from __future__ import annotations

import pytest

from mql_notebook import AsyncMQL, ConfigurationError, RateLimitError, RetryPolicy
from mql_notebook._constants import DEFAULT_MAX_RETRIES, KEY_PREFIX
from mql_notebook.client.poller import PollTiming
from mql_notebook.client.settings import mask_key, scrub_key
from mql_notebook.local import LocalServer

KEY = "mql_settings_test_secret_0123456789"
STATUS_PATH = "/v1/videos/generations/video_missing"


@pytest.fixture
def always_busy(local_server) -> LocalServer:
    """Every status request answers 429 with a short Retry-After: each attempt is counted."""
    server = local_server(pace=0.2, fault_seed=5)
    server.faults.set("status", rate_limit=1.0, retry_after=0.01)
    return server


@pytest.mark.parametrize("max_retries", [0, 2])
async def test_max_retries_is_the_number_of_retries_sent(always_busy, max_retries) -> None:
    async with AsyncMQL(api_key=KEY, base_url=always_busy.url, max_retries=max_retries) as client:
        assert client.settings.max_retries == client.retry_policy.max_retries == max_retries
        with pytest.raises(RateLimitError):
            await client.video.get_status("video_missing")
    assert always_busy.count("GET", STATUS_PATH) == 1 + max_retries


async def test_a_retry_policy_object_wins_and_the_settings_say_so(always_busy) -> None:
    policy = RetryPolicy(max_retries=1, base_delay=0.01)
    timing = PollTiming(first_delay=0.01)
    async with AsyncMQL(
        api_key=KEY, base_url=always_busy.url, retry_policy=policy, poll_timing=timing
    ) as client:
        assert client.retry_policy is policy and client.settings.max_retries == 1
        assert client.poll_timing is timing and client.settings.poll_timing is timing
        with pytest.raises(RateLimitError):
            await client.video.get_status("video_missing")
    assert always_busy.count("GET", STATUS_PATH) == 2


def test_the_defaults_come_from_the_constants() -> None:
    client = AsyncMQL(api_key=KEY, base_url="http://127.0.0.1:9")
    assert client.settings.max_retries == RetryPolicy().max_retries == DEFAULT_MAX_RETRIES
    assert client.poll_timing == PollTiming()
    assert not hasattr(client.settings, "is_local")


def test_a_count_given_twice_and_different_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="one place"):
        AsyncMQL(
            api_key=KEY,
            base_url="http://127.0.0.1:9",
            max_retries=2,
            retry_policy=RetryPolicy(max_retries=5),
        )
    with pytest.raises(ConfigurationError, match="max_retries"):
        AsyncMQL(api_key=KEY, base_url="http://127.0.0.1:9", max_retries=-1)


def test_one_masker_for_the_key() -> None:
    assert mask_key(KEY) == KEY_PREFIX + "***" and KEY not in mask_key(KEY)
    text = scrub_key(f"GET failed with Authorization: Bearer {KEY} (twice: {KEY})", KEY)
    assert KEY not in text and text.count(mask_key(KEY)) == 2
    assert scrub_key("nothing secret", KEY) == "nothing secret"
