"""Open models: any well-formed id is sent, the gateway decides, and its answers read clearly.

Over real HTTP against the emulator's model catalogue (sora, sora-1.0-turbo, veo-3,
kling-2.1 by default), sync and async; and the error mapping as plain functions.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest

from mql_notebook import (
    MQL,
    APIError,
    AsyncMQL,
    BadRequestError,
    InvalidRequestError,
    ModelUnavailableError,
    NotFoundError,
    ServerError,
)
from mql_notebook.client import protocol
from mql_notebook.client.poller import PollTiming
from mql_notebook.local import LocalServer

PROMPT = "A paper boat on a rainy street"


@pytest.fixture
def server(local_server) -> LocalServer:
    return local_server(pace=0.3)


@pytest.fixture(params=["sync", "async"])
def video(request, server, api_key: str, poll_timing: PollTiming) -> Callable[..., Any]:
    """``await video("create", ...)``: the async client's call, or the sync one's in a thread."""
    options = {"api_key": api_key, "base_url": server.url, "poll_timing": poll_timing}
    if request.param == "async":
        client: Any = AsyncMQL(**options)

        async def call(name: str, *args: Any, **kwargs: Any) -> Any:
            return await getattr(client.video, name)(*args, **kwargs)
    else:
        client = MQL(**options)

        async def call(name: str, *args: Any, **kwargs: Any) -> Any:
            return await asyncio.to_thread(getattr(client.video, name), *args, **kwargs)

    yield call
    if isinstance(client, MQL):
        client.close()


async def test_a_model_the_client_never_heard_of_is_sent_and_served(video, server) -> None:
    data = await video(
        "create_and_download", model="kling-2.1", prompt=PROMPT, aspect_ratio="1:1", duration=5
    )
    assert data[4:8] == b"ftyp"
    assert server.count("POST", "/v1/videos/generations") == 1


async def test_options_the_model_does_not_support_come_back_as_the_servers_400(
    video, server
) -> None:
    with pytest.raises(BadRequestError) as info:
        await video("create", model="veo-3", prompt=PROMPT, duration=5)
    error = info.value
    assert (error.status_code, error.code, error.param) == (400, "invalid_duration", "duration")
    assert "duration" in str(error) and "8" in error.message and "veo-3" in error.message
    assert server.count("POST", "/v1/videos/generations") == 1


async def test_an_unknown_model_fails_after_one_post_naming_it(video, server) -> None:
    with pytest.raises(ModelUnavailableError) as info:
        await video("create", model="sora-9", prompt=PROMPT)
    error = info.value
    assert isinstance(error, APIError) and error.model == "sora-9"
    assert (error.status_code, error.code) == (404, "model_not_found")
    assert "'sora-9'" in str(error) and "choose another model" in str(error)
    assert server.count("POST", "/v1/videos/generations") == 1


async def test_a_retired_model_fails_after_one_post_naming_it(video, server) -> None:
    server.retire_models(["sora-1.0-turbo"])
    with pytest.raises(ModelUnavailableError) as info:
        await video("create_and_wait", model="sora-1.0-turbo", prompt=PROMPT)
    error = info.value
    assert (error.status_code, error.code, error.model) == (410, "model_retired", "sora-1.0-turbo")
    assert "'sora-1.0-turbo' has been retired" in str(error)
    assert "choose another model" in str(error) and "gateway decides" in str(error)
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    "options",
    [
        {"model": "sora 2"},
        {"model": "veo-3\n"},
        {"model": "x" * 129},
        {"model": ""},
        {"model": 3},
        {"model": "veo-3", "duration": "8"},
        {"model": "veo-3", "duration": 0},
        {"model": "veo-3", "n": 0},
        {"model": "veo-3", "n": 1000},
        {"model": "veo-3", "aspect_ratio": 1.77},
        {"model": "veo-3", "resolution": "   "},
    ],
)
async def test_malformed_ids_and_mistyped_options_are_refused_before_any_request(
    video, server, options: dict[str, Any]
) -> None:
    with pytest.raises(InvalidRequestError) as info:
        await video("create", **{"prompt": PROMPT, **options})
    assert info.value.field == list(options)[-1]
    assert server.requests == []


async def test_documented_models_keep_their_local_checks(video, server) -> None:
    with pytest.raises(InvalidRequestError, match="5, 10, 15, 20"):
        await video("create", model="sora", prompt=PROMPT, duration=8)
    assert server.requests == []


def test_extra_models_is_harmless(api_key: str) -> None:
    client = MQL(api_key=api_key, base_url="http://127.0.0.1:9", extra_models=("hailuo-02",))
    assert client.settings.extra_models == ("hailuo-02",)
    client.close()


# -- the error mapping (plain functions) ---------------------------------------------------


def answer(status: int, error: Any, **kwargs: Any) -> protocol.APIError:
    return protocol.error_from_response(
        status,
        {"content-type": "application/json"},
        json.dumps({"error": error}).encode(),
        **kwargs,
    )


def test_a_410_on_create_is_model_unavailable_even_without_a_code() -> None:
    error = answer(410, "Gone", operation="creating a generation", model="sora")
    assert isinstance(error, ModelUnavailableError) and error.status_code == 410
    assert "'sora'" in str(error) and "choose another model" in str(error)


@pytest.mark.parametrize("status", [400, 404])
def test_model_not_found_by_code_is_model_unavailable(status: int) -> None:
    error = answer(
        status,
        {"message": "The model `veo-9` does not exist", "code": "model_not_found", "param": None},
        operation="creating a generation",
        model="veo-9",
    )
    assert isinstance(error, ModelUnavailableError)
    assert (error.status_code, error.code, error.model) == (status, "model_not_found", "veo-9")


def test_a_404_on_create_that_is_not_about_the_model_stays_not_found() -> None:
    error = answer(404, {"message": "No route", "code": "not_found"}, operation="x", model="sora")
    assert type(error) is NotFoundError


def test_a_404_on_status_is_not_about_a_model() -> None:
    error = answer(404, {"message": "gone", "code": "model_retired"}, operation="checking")
    assert type(error) is NotFoundError


def test_a_400_names_the_field_the_server_blamed() -> None:
    error = answer(
        400,
        {"message": "must be 8 for this model", "code": "bad", "param": "duration"},
        operation="x",
    )
    assert isinstance(error, BadRequestError) and error.param == "duration"
    assert "duration: must be 8 for this model" in str(error)


def test_a_503_keeps_its_retry_after() -> None:
    error = protocol.error_from_response(
        503, {"retry-after": "7"}, b"<html><title>503</title></html>", operation="x"
    )
    assert isinstance(error, ServerError) and error.retry_after == 7.0
