"""The emulator's storage origin (LocalServer(storage=...)), spoken to with plain httpx."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from mql_notebook.local import LocalServer

AUTH = {"Authorization": "Bearer mql_storage_test"}
BODY = {"model": "sora", "prompt": "A red kite over a hill"}


def completed(api: httpx.Client, **body: Any) -> dict[str, Any]:
    generation = api.post("/v1/videos/generations", json={**BODY, **body}).json()
    deadline = time.monotonic() + 60
    while generation["status"] != "completed":
        assert time.monotonic() < deadline, generation
        time.sleep(0.05)
        generation = api.get(f"/v1/videos/generations/{generation['id']}").json()
    return generation


@pytest.fixture(scope="module")
def server():
    with LocalServer(pace=0, storage="redirect", storage_chunked=True, fault_seed=5) as server:
        yield server


@pytest.fixture
def job(server: LocalServer):
    server.faults.reset()
    server.clear_requests()
    with httpx.Client(base_url=server.url, headers=AUTH, timeout=30) as api:
        generation = completed(api)
        redirect = api.get(f"/v1/videos/{generation['id']}/content")
    return generation["id"], redirect


def test_content_redirects_to_a_signed_url_on_another_port(server: LocalServer, job) -> None:
    video_id, redirect = job
    assert redirect.status_code == 302
    location = httpx.URL(redirect.headers["location"])
    assert server.storage is not None and str(location).startswith(server.storage.base_url)
    assert location.port != httpx.URL(server.url).port
    assert location.path == f"/blob/{video_id}"
    assert set(location.params) == {"expires", "sig"}


def test_storage_serves_chunked_without_a_key_and_honours_range(server: LocalServer, job) -> None:
    _, redirect = job
    url = redirect.headers["location"]
    whole = httpx.get(url, timeout=30)
    assert whole.status_code == 200 and whole.headers["content-type"] == "video/mp4"
    assert "content-length" not in whole.headers
    assert whole.headers["transfer-encoding"] == "chunked"
    part = httpx.get(url, headers={"Range": "bytes=100-"}, timeout=30)
    assert part.status_code == 206
    assert (
        part.headers["content-range"] == f"bytes 100-{len(whole.content) - 1}/{len(whole.content)}"
    )
    assert part.content == whole.content[100:]
    assert [r.headers.get("range") for r in server.storage_requests] == [None, "bytes=100-"]


def test_unsigned_tampered_and_expired_urls_get_403_xml(server: LocalServer, job) -> None:
    video_id, redirect = job
    url = httpx.URL(redirect.headers["location"])
    unsigned = httpx.get(f"{server.storage.base_url}/blob/{video_id}")
    tampered = httpx.get(url.copy_set_param("sig", "0" * 32))
    assert (unsigned.status_code, tampered.status_code) == (403, 403)
    assert b"<Code>SignatureDoesNotMatch</Code>" in tampered.content
    assert unsigned.headers["content-type"] == "application/xml"
    server.storage.expire_all()
    expired = httpx.get(url)
    assert expired.status_code == 403
    assert b"<Message>Request has expired</Message>" in expired.content


def test_storage_faults_apply_on_the_storage_origin(server: LocalServer, job) -> None:
    _, redirect = job
    server.faults.script("storage", ["drop"])
    with pytest.raises(httpx.TransportError):
        httpx.get(redirect.headers["location"], timeout=30)
    assert [r.fault for r in server.storage_requests] == ["drop"]
    assert httpx.get(redirect.headers["location"], timeout=30).status_code == 200


def test_the_content_endpoint_still_needs_the_key(server: LocalServer, job) -> None:
    video_id, _ = job
    assert httpx.get(f"{server.url}/v1/videos/{video_id}/content").status_code == 401


def test_download_url_mode_answers_404_and_names_storage() -> None:
    with LocalServer(pace=0, storage="download_url") as server:
        with httpx.Client(base_url=server.url, headers=AUTH, timeout=30) as api:
            generation = completed(api, n=2)
            assert api.get(f"/v1/videos/{generation['id']}/content").status_code == 404
        urls = [generation["download_url"]] + [v["download_url"] for v in generation["generations"]]
        assert all(url.startswith(f"{server.storage.base_url}/blob/") for url in urls)
        assert httpx.get(urls[2], timeout=30).status_code == 200


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"storage": "s3"}, "storage must be one of"),
        ({"storage": "redirect", "signed_url_ttl": 0}, "signed_url_ttl"),
        ({"storage": "redirect", "redirect_status": 200}, "redirect_status"),
    ],
)
def test_bad_storage_settings_are_refused(options: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        LocalServer(**options)
