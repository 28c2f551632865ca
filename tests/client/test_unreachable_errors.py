"""An unreachable server's error names it, for Python users as for the command line: its origin
(scheme, host, port) with why and what was being done, never the path's query or credentials."""

from __future__ import annotations

import socket

import pytest

from mql_notebook import MQL, APIConnectionError, AsyncMQL
from mql_notebook.client.retry import RetryPolicy

# No retries, and a download outage not ridden out: the error comes at once.
AT_ONCE = RetryPolicy(max_retries=0, download_outage_budget=0.0)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_the_async_clients_error_names_the_origin_and_the_operation() -> None:
    port = closed_port()
    base_url = f"http://gateway-user:hunter2@127.0.0.1:{port}/gw/v0?tenant=t-secret"
    async with AsyncMQL(api_key="mql_k", base_url=base_url, retry_policy=AT_ONCE) as client:
        with pytest.raises(APIConnectionError) as status:
            await client.video.get_status("video_1")
        with pytest.raises(APIConnectionError) as download:
            await client.video.download("video_2")
    origin = f"http://127.0.0.1:{port}"
    assert str(status.value) == (
        f"could not reach {origin} (connection refused) while checking generation video_1"
    )
    assert str(download.value) == (
        f"could not reach {origin} (connection refused) while downloading video video_2"
    )
    for error in (status.value, download.value):
        assert error.origin == origin
        for secret in ("hunter2", "gateway-user", "t-secret", "/gw"):
            assert secret not in str(error), error


def test_a_create_that_never_left_says_so_with_the_origin() -> None:
    port = closed_port()
    with MQL(api_key="mql_k", base_url=f"http://127.0.0.1:{port}", retry_policy=AT_ONCE) as client:
        with pytest.raises(APIConnectionError) as info:
            client.video.create(model="sora", prompt="A heron lands")
    # The connection was never made: nothing to warn about a second bill.
    assert str(info.value) == (
        f"could not reach http://127.0.0.1:{port} (connection refused) while creating a generation"
    )
