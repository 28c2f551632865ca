"""Downloads of content behind redirects to signed storage, over real HTTP against the emulator's
storage origin (a second loopback port): sync and async clients run the same cases."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mql_notebook import MQL, AsyncMQL, DownloadError, DownloadTooLargeError
from mql_notebook.client.poller import PollTiming
from mql_notebook.client.redirects import MAX_REDIRECTS
from mql_notebook.client.retry import RetryPolicy
from mql_notebook.local import LocalServer, SignedStorage

KEY = "mql_signed_downloads_key"
PROMPT = "A lighthouse at dusk, waves below"
FAST_RETRIES = RetryPolicy(max_retries=4, base_delay=0.02, max_delay=0.1)
FAST_POLL = PollTiming(first_delay=0.05, min_interval=0.05, max_interval=0.3)


class Client:
    """One face for both clients: the async one is awaited, the sync one runs in a thread."""

    def __init__(self, kind: str, url: str, **options: Any):
        options.setdefault("retry_policy", FAST_RETRIES)
        self.client = (MQL if kind == "sync" else AsyncMQL)(
            KEY, url, poll_timing=FAST_POLL, **options
        )

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self.client.video, name)
        if isinstance(self.client, AsyncMQL):
            return method
        return lambda *args, **kwargs: asyncio.to_thread(method, *args, **kwargs)


@pytest.fixture(scope="module")
def redirecting():
    with LocalServer(pace=0, storage="redirect", storage_chunked=True, fault_seed=3) as server:
        yield server


@pytest.fixture(scope="module")
def download_url_only():
    with LocalServer(pace=0, storage="download_url", fault_seed=4) as server:
        yield server


def fresh(server: LocalServer) -> LocalServer:
    server.faults.reset()
    server.clear_requests()
    assert server.storage is not None
    server.storage.detour = None
    server.storage.ttl = 300.0
    return server


def rendered(server: LocalServer, video_id: str) -> bytes:
    """The bytes the emulator rendered for this video: what a download must end with."""
    found = server.emulator.jobs.find_video(video_id)
    assert found is not None
    job, index = found
    return server.emulator.videos.get(job.specs[index]).result(timeout=30).data


def assert_no_credentials_reached_storage(server: LocalServer) -> None:
    assert server.storage_requests, "storage was never asked"
    for record in server.storage_requests:
        assert record.headers is not None
        assert "authorization" not in record.headers, record
        assert "cookie" not in record.headers, record
        assert KEY not in " ".join(record.headers.values())


def expire_on_first_progress(server: LocalServer) -> Callable[[int, int | None], None]:
    """An on_progress that expires every signed URL once the first bytes have arrived."""
    seen: list[int] = []

    def on_progress(written: int, total: int | None) -> None:
        if not seen:
            assert server.storage is not None
            server.storage.expire_all()
        seen.append(written)

    return on_progress


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("to_path", [False, True], ids=["bytes", "path"])
async def test_redirected_chunked_broken_off_expired_download_ends_in_the_exact_bytes(
    redirecting: LocalServer, kind: str, to_path: bool, tmp_path: Path
) -> None:
    server = fresh(redirecting)
    client = Client(kind, server.url)
    generation = await client.create_and_wait(model="sora", prompt=PROMPT)
    expected = rendered(server, generation.id)
    server.clear_requests()
    server.faults.script("storage", ["truncate"])  # the first storage body breaks off

    dest = tmp_path / "video.mp4" if to_path else None
    got = await client.download(generation, dest, on_progress=expire_on_first_progress(server))

    data = got.read_bytes() if to_path else got
    assert data == expected
    if to_path:
        assert [p.name for p in tmp_path.iterdir()] == ["video.mp4"]
    storage = [(r.status, r.fault, r.headers.get("range")) for r in server.storage_requests]
    # Broken off, resumed at storage and refused there (expired), resumed with a fresh link.
    assert [status for status, _, _ in storage] == [200, 403, 206]
    assert storage[0][1] == "truncate" and storage[0][2] is None
    assert storage[1][2] == storage[2][2] and storage[2][2].startswith("bytes=")
    first_query, refreshed_query = (
        server.storage_requests[1].query,
        server.storage_requests[2].query,
    )
    assert first_query != refreshed_query  # the API was asked for a new signed URL
    content = [r.status for r in server.requests if r.endpoint == "content"]
    assert content == [302, 302]
    assert_no_credentials_reached_storage(server)


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_a_307_to_storage_is_followed_without_the_key(kind: str) -> None:
    with LocalServer(pace=0, storage="redirect", redirect_status=307) as server:
        client = Client(kind, server.url)
        generation = await client.create_and_wait(model="sora", prompt=PROMPT)
        data = await client.download(generation.id)
        assert data == rendered(server, generation.id)
        assert [r.status for r in server.requests if r.endpoint == "content"] == [307]
        assert [r.status for r in server.storage_requests] == [200]
        assert_no_credentials_reached_storage(server)


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("given", ["generation", "id"])
async def test_download_url_is_used_when_the_content_endpoint_answers_404(
    download_url_only: LocalServer, kind: str, given: str
) -> None:
    server = fresh(download_url_only)
    client = Client(kind, server.url)
    generation = await client.create_and_wait(model="sora", prompt=PROMPT)
    assert generation.download_url is not None
    assert generation.download_url.startswith(f"{server.storage.base_url}/blob/")
    server.clear_requests()

    data = await client.download(generation if given == "generation" else generation.id)

    assert data == rendered(server, generation.id)
    assert [r.status for r in server.requests if r.endpoint == "content"] == [404]
    assert [r.status for r in server.storage_requests] == [200]
    assert_no_credentials_reached_storage(server)


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_an_expired_download_url_is_asked_for_again(
    download_url_only: LocalServer, kind: str
) -> None:
    server = fresh(download_url_only)
    client = Client(kind, server.url)
    generation = await client.create_and_wait(model="sora", prompt=PROMPT)
    server.storage.expire_all()  # the URL in the generation the caller holds is stale

    data = await client.download(generation)

    assert data == rendered(server, generation.id)
    assert [r.status for r in server.storage_requests] == [403, 200]
    assert_no_credentials_reached_storage(server)


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize(
    ("detour", "message"),
    [
        ("loop", "redirects in a loop"),
        (MAX_REDIRECTS + 5, f"redirected more than {MAX_REDIRECTS} times"),
        ("ftp", "only http and https"),
    ],
)
async def test_bad_redirects_end_in_a_clear_download_error(
    redirecting: LocalServer, kind: str, detour: str | int, message: str, tmp_path: Path
) -> None:
    server = fresh(redirecting)
    client = Client(kind, server.url)
    generation = await client.create_and_wait(model="sora", prompt=PROMPT)
    server.storage.detour = detour

    with pytest.raises(DownloadError, match=message) as info:
        await client.download(generation, tmp_path / "video.mp4")

    assert info.value.generation_id == generation.id and generation.id in str(info.value)

    assert list(tmp_path.iterdir()) == []  # nothing half-written under any name
    assert len(server.storage_requests) <= MAX_REDIRECTS + 1
    assert_no_credentials_reached_storage(server)


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_the_size_cap_holds_for_chunked_storage_bodies(
    redirecting: LocalServer, kind: str, tmp_path: Path
) -> None:
    server = fresh(redirecting)
    client = Client(kind, server.url, max_download_bytes=50_000)
    generation = await client.create_and_wait(model="sora", prompt=PROMPT)
    with pytest.raises(DownloadTooLargeError):
        await client.download(generation, tmp_path / "video.mp4")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_a_link_that_never_works_gives_up_with_storage_named(
    redirecting: LocalServer, kind: str
) -> None:
    server = fresh(redirecting)
    client = Client(kind, server.url)
    generation = await client.create_and_wait(model="sora", prompt=PROMPT)
    # Every link has expired by the time it is used (as with a skewed clock): stop asking.
    server.storage.ttl = 1e-9

    with pytest.raises(DownloadError, match=r"storage at http://127\.0\.0\.1:\d+/blob/") as info:
        await client.download(generation)

    assert "sig=" not in str(info.value)  # the signature is a credential too
    assert [r.status for r in server.storage_requests] == [403] * 4
    assert "after 3 fresh link(s) from the API" in str(info.value)


def test_signed_urls_expire_by_time_and_by_expire_all() -> None:
    storage = SignedStorage("redirect", ttl=60)
    storage.base_url = "http://127.0.0.1:9"
    url = storage.sign("video_1", now=1000.0)
    query = dict(part.split("=") for part in url.split("?")[1].split("&"))
    assert storage.check("video_1", query["expires"], query["sig"], now=1059.0) is None
    assert storage.check("video_1", query["expires"], query["sig"], now=1060.0) == "expired"
    assert storage.check("video_2", query["expires"], query["sig"], now=1000.0) == "signature"
    assert storage.check("video_1", str(int(query["expires"]) + 60), query["sig"], 1000.0) == (
        "signature"
    )
    assert storage.check("video_1", query["expires"], None, now=1000.0) == "signature"
    storage.expire_all()
    assert storage.check("video_1", query["expires"], query["sig"], now=1000.0) == "expired"
    again = dict(p.split("=") for p in storage.sign("video_1", now=1000.0).split("?")[1].split("&"))
    assert storage.check("video_1", again["expires"], again["sig"], now=1000.0) is None
