"""Plain HTTP calls to the emulator, as the tests of tests/local/ make them (httpx, no client)."""

from __future__ import annotations

import time
from typing import Any

import httpx

KEY = "mql_test_key"
AUTH = {"Authorization": f"Bearer {KEY}"}
# The seed page's cURL example, exactly.
SEED_BODY = {"model": "sora", "prompt": "A timelapse of a flower blooming in a garden"}
TERMINAL = {"completed", "failed"}


def client_for(url: str, **kwargs: Any) -> httpx.Client:
    return httpx.Client(base_url=url, headers=AUTH, timeout=15, **kwargs)


def create(client: httpx.Client, **body: Any) -> dict[str, Any]:
    response = client.post("/v1/videos/generations", json={**SEED_BODY, **body})
    assert response.status_code == 200, response.text
    return response.json()


def wait_terminal(
    client: httpx.Client,
    generation_id: str,
    *,
    timeout: float = 20.0,
    terminal: set[str] = TERMINAL,
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(f"/v1/videos/generations/{generation_id}").json()
        if body["status"] in terminal:
            return body
        assert time.monotonic() < deadline, f"still {body['status']} after {timeout} s"
        time.sleep(0.02)


def video(client: httpx.Client, **body: Any) -> tuple[dict[str, Any], bytes]:
    """Create, wait until completed, download the first variant."""
    generation = wait_terminal(client, create(client, **body)["id"])
    assert generation["status"] == "completed", generation
    response = client.get(f"/v1/videos/{generation['id']}/content")
    assert response.status_code == 200
    return generation, response.content
