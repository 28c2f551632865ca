"""The client over real HTTP against the emulator: the sync and the async client run the same cases."""

from __future__ import annotations

import asyncio
import io
import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mql_notebook import (
    MQL,
    APIConnectionError,
    AsyncMQL,
    AuthenticationError,
    ConfigurationError,
    DownloadError,
    DownloadTooLargeError,
    GenerationFailedError,
    InvalidRequestError,
    NotFoundError,
    NotReadyError,
    ServerError,
    WaitTimeoutError,
)
from mql_notebook.client.poller import PollTiming
from mql_notebook.client.retry import RetryPolicy
from mql_notebook.local import LocalServer

PROMPT = "A timelapse of a flower blooming in a garden"
# Four retries, not the shared fixture's two: a test below scripts four status faults in a row.
FOUR_RETRIES = RetryPolicy(max_retries=4, base_delay=0.02, max_delay=0.1)


class Video:
    """One face for both clients: each call awaits the async client, or runs the sync one in a thread."""

    def __init__(self, client: MQL | AsyncMQL):
        self.client = client

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self.client.video, name)
        if isinstance(self.client, AsyncMQL):
            return method
        return lambda *args, **kwargs: asyncio.to_thread(method, *args, **kwargs)


@pytest.fixture
def emulator(local_server) -> LocalServer:
    return local_server(pace=0.4, fault_seed=7)


@pytest.fixture
def make_client(api_key: str, poll_timing: PollTiming) -> Callable[..., MQL | AsyncMQL]:
    def make(kind: str, url: str, **options: Any) -> MQL | AsyncMQL:
        options.setdefault("retry_policy", FOUR_RETRIES)
        options.setdefault("poll_timing", poll_timing)
        options.setdefault("api_key", api_key)
        return (MQL if kind == "sync" else AsyncMQL)(base_url=url, **options)

    return make


@pytest.fixture(params=["sync", "async"])
def video(request, emulator, make_client) -> Video:
    return Video(make_client(request.param, emulator.url))


def posts(server) -> int:
    return server.count("POST", "/v1/videos/generations")


async def test_create_wait_download_round_trip(video: Video, emulator) -> None:
    gen = await video.create(model="sora", prompt=PROMPT, aspect_ratio="16:9", duration=5)
    assert gen["id"] == gen.id and gen.status in ("pending", "processing")
    updates: list[str] = []
    done = await video.wait(gen.id, on_update=lambda g: updates.append(g.status))
    assert done["status"] == "completed" and updates[-1] == "completed"
    content = await video.download(gen["id"])
    assert content[4:8] == b"ftyp" and len(content) > 10_000
    assert posts(emulator) == 1


async def test_create_and_download_to_a_path_is_atomic(
    video: Video, emulator, tmp_path: Path
) -> None:
    seen: list[tuple[int, int | None]] = []
    path = await video.create_and_download(
        model="sora",
        prompt=PROMPT,
        dest=tmp_path / "flower.mp4",
        on_progress=lambda done, total: seen.append((done, total)),
    )
    assert path == tmp_path / "flower.mp4" and path.read_bytes()[4:8] == b"ftyp"
    assert seen[-1][0] == seen[-1][1] == path.stat().st_size
    assert [p.name for p in tmp_path.iterdir()] == ["flower.mp4"]


@pytest.mark.parametrize(
    "options",
    [
        {"model": "sora 2"},  # malformed; a well-formed unknown id is sent (test_open_models)
        {"model": ""},
        {"prompt": None},
        {"prompt": ""},
        {"prompt": "   \n"},
        {"prompt": "x" * 4001},
        {"aspect_ratio": "4:3"},
        {"duration": "10s"},
        {"duration": 7},
        {"duration": 5.0},
        {"n": 0},
        {"n": 99},
        {"n": True},
        {"resolution": "4k"},
    ],
)
async def test_invalid_input_is_refused_before_any_request(
    video: Video, emulator, options: dict[str, Any]
) -> None:
    request = {"model": "sora", "prompt": PROMPT, **options}
    with pytest.raises(InvalidRequestError) as info:
        await video.create(**request)
    field = next(iter(options))
    assert info.value.field == field and field in str(info.value)
    assert isinstance(info.value, ValueError)
    assert emulator.requests == []


async def test_lost_create_answer_is_not_resent(video: Video, emulator) -> None:
    emulator.faults.script("create", ["drop"])
    with pytest.raises(APIConnectionError) as info:
        await video.create(model="sora", prompt=PROMPT)
    assert "not sent again" in str(info.value)
    assert posts(emulator) == 1


@pytest.mark.parametrize("fault", ["rate_limit", "server_error_503"])
async def test_create_is_resent_after_a_not_processed_answer(
    video: Video, emulator, fault: str
) -> None:
    kind = "rate_limit:0.05" if fault == "rate_limit" else "server_error:503"
    jobs_before = len(emulator.emulator.jobs)
    emulator.faults.script("create", [kind])
    gen = await video.create(model="sora", prompt=PROMPT)
    assert gen.id
    assert posts(emulator) == 2, emulator.requests
    assert len(emulator.emulator.jobs) == jobs_before + 1


async def test_create_is_not_resent_after_a_500(video: Video, emulator) -> None:
    emulator.faults.script("create", ["server_error:500"])
    with pytest.raises(ServerError):
        await video.create(model="sora", prompt=PROMPT)
    assert posts(emulator) == 1


async def test_status_and_content_survive_faults(video: Video, emulator) -> None:
    gen = await video.create(model="sora", prompt=PROMPT)
    emulator.faults.script("status", ["rate_limit:0.05", "overloaded", "drop", "server_error"])
    done = await video.wait(gen.id)
    assert done.completed
    clean = await video.download(gen.id)
    emulator.faults.script("content", ["truncate", "drop"])
    resumed = await video.download(gen.id)
    assert resumed == clean
    assert any(r.status == 206 for r in emulator.requests if r.path.endswith("/content"))


async def test_interrupted_download_to_a_path_resumes_byte_identical(
    video: Video, emulator, tmp_path: Path
) -> None:
    gen = await video.create_and_wait(model="sora", prompt=PROMPT)
    clean = await video.download(gen.id)
    emulator.faults.script("content", ["truncate"])
    path = await video.download(gen.id, tmp_path / "v.mp4")
    assert path.read_bytes() == clean


async def test_failed_download_leaves_nothing_behind(emulator, make_client, tmp_path: Path) -> None:
    client = make_client("async", emulator.url, retry_policy=RetryPolicy(max_retries=0))
    gen = await client.video.create_and_wait(model="sora", prompt=PROMPT)
    emulator.faults.script("content", ["truncate"])
    with pytest.raises(DownloadError) as info:
        await client.video.download(gen.id, tmp_path / "v.mp4")
    assert gen.id in str(info.value)
    assert list(tmp_path.iterdir()) == []


async def test_download_above_the_size_limit_is_refused(
    emulator, make_client, tmp_path: Path
) -> None:
    client = make_client("async", emulator.url, max_download_bytes=1000)
    gen = await client.video.create_and_wait(model="sora", prompt=PROMPT)
    with pytest.raises(DownloadTooLargeError):
        await client.video.download(gen.id, tmp_path / "v.mp4")
    assert list(tmp_path.iterdir()) == []


async def test_download_to_a_file_object(video: Video, emulator) -> None:
    gen = await video.create_and_wait(model="sora", prompt=PROMPT)
    buffer = io.BytesIO()
    assert await video.download(gen.id, buffer) is buffer
    assert buffer.getvalue() == await video.download(gen.id)


async def test_variants_of_n_greater_than_one(video: Video, emulator, tmp_path: Path) -> None:
    gen = await video.create_and_wait(model="sora", prompt=PROMPT, n=2)
    assert len(gen.variant_ids) == 2
    first, second = await video.download(gen.id, variant=0), await video.download(gen.id, variant=1)
    assert first != second and second[4:8] == b"ftyp"
    with pytest.raises(InvalidRequestError):
        await video.download(gen.id, variant=2)


async def test_download_before_completion_says_not_ready(emulator, make_client) -> None:
    client = make_client("async", emulator.url)
    gen = await client.video.create(model="sora", prompt=PROMPT + " [[stall]]")
    with pytest.raises(NotReadyError):
        await client.video.download(gen.id)


async def test_failed_job_raises_with_the_generation(video: Video, emulator) -> None:
    with pytest.raises(GenerationFailedError) as info:
        await video.create_and_wait(model="sora", prompt="a storm [[fail]]")
    assert info.value.generation.status == "failed"
    assert info.value.generation.error_message and info.value.generation_id


async def test_wait_timeout_keeps_the_job_and_wait_resumes_it(video: Video, emulator) -> None:
    emulator.pace = 1.5
    try:
        gen = await video.create(model="sora", prompt=PROMPT)
        with pytest.raises(WaitTimeoutError) as info:
            await video.wait(gen.id, timeout=0.3)
        assert info.value.generation_id == gen.id and gen.id in str(info.value)
        done = await video.wait(info.value.generation_id)
        assert done.completed and posts(emulator) == 1
    finally:
        emulator.pace = 0.4


@pytest.mark.parametrize("vocabulary", ["api", "typescript", "python", "openai"])
async def test_every_status_vocabulary(video: Video, emulator, vocabulary: str) -> None:
    emulator.vocabulary = vocabulary
    try:
        updates: list[str] = []
        gen = await video.create_and_wait(
            model="sora", prompt=PROMPT, on_update=lambda g: updates.append(g.status)
        )
        assert gen["status"] == "completed"
        assert set(updates) <= {"pending", "processing", "completed"}
    finally:
        emulator.vocabulary = "api"


@pytest.mark.parametrize("hostile", ["../generations", "a/b", "x?y=1", "..", "a#b", "a\x00b"])
async def test_hostile_ids_reach_no_other_endpoint(video: Video, emulator, hostile: str) -> None:
    with pytest.raises(NotFoundError):
        await video.get_status(hostile)
    (record,) = emulator.requests
    assert record.path.startswith("/v1/videos/generations/") and record.status == 404


async def test_wrong_key_is_an_authentication_error_without_retries(emulator, make_client) -> None:
    with LocalServer(pace=0, api_key="mql_the_right_one") as strict:
        client = make_client("async", strict.url, api_key="mql_a_wrong_one")
        with pytest.raises(AuthenticationError) as info:
            await client.video.create(model="sora", prompt=PROMPT)
        assert info.value.status_code == 401 and "mql_a_wrong_one" not in str(info.value)
        assert len(strict.requests) == 1


def test_no_key_and_no_local_says_how_to_fix_it(monkeypatch) -> None:
    monkeypatch.delenv("MQL_API_KEY", raising=False)
    monkeypatch.delenv("MQL_BASE_URL", raising=False)
    with pytest.raises(ConfigurationError) as info:
        MQL()
    assert "MQL_API_KEY" in str(info.value) and "local" in str(info.value)


@pytest.mark.parametrize("key", ["", "sk-123", "mql_", "mql_with space", 42])
def test_malformed_keys_are_refused_before_any_request(key: Any) -> None:
    with pytest.raises(ConfigurationError):
        MQL(api_key=key, base_url="http://127.0.0.1:9")


@pytest.mark.parametrize("url", ["not a url", "ftp://x", "http://", "localhost:8000"])
def test_garbage_base_urls_are_refused(url: str, api_key: str) -> None:
    with pytest.raises(ConfigurationError):
        MQL(api_key=api_key, base_url=url)


async def test_unreachable_server_is_a_connection_error(video: Video, make_client) -> None:
    client = make_client(
        "async", "http://127.0.0.1:9", retry_policy=RetryPolicy(max_retries=1, base_delay=0.01)
    )
    with pytest.raises(APIConnectionError) as info:
        await client.video.get_status("video_123")
    assert "video_123" in str(info.value)


async def test_html_error_page_is_summarised(video: Video, emulator, make_client) -> None:
    client = make_client("async", emulator.url, retry_policy=RetryPolicy(max_retries=0))
    emulator.faults.script("status", ["server_error:502"])
    with pytest.raises(ServerError) as info:
        await client.video.get_status("video_abc")
    assert "<" not in str(info.value) and "HTML page" in str(info.value)


def test_key_never_shows_in_reprs() -> None:
    client = MQL(api_key="mql_canary_0123456789", base_url="http://127.0.0.1:9")
    assert "canary" not in repr(client) and "canary" not in repr(client.settings)


async def test_create_and_wait_reports_each_state_once(video: Video, emulator) -> None:
    # A state is the status, the progress and whether a time left is known: the update after
    # the create's carries the first time left (issue 21), progress or not.
    seen: list[tuple[str, float | None, bool]] = []
    await video.create_and_wait(
        model="sora",
        prompt=PROMPT,
        on_update=lambda g: seen.append((g.status, g.progress, g.expected_end is not None)),
    )
    assert seen[-1][0] == "completed"
    assert all(a != b for a, b in itertools.pairwise(seen)), seen
