"""Recording over real HTTP against the emulator: what lands in the library, and when."""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mql_notebook import (
    MQL,
    APIConnectionError,
    AsyncMQL,
    BadRequestError,
    DownloadError,
    GenerationFailedError,
    Library,
    RateLimitError,
    ServerError,
)
from mql_notebook.local import LocalServer
from tests.library.library_support import KEY, last_json, run_python, sha256

CREATE = "/v1/videos/generations"


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with LocalServer(pace=0.3, fault_seed=1) as running:
        yield running


def rendered(server: LocalServer, video_id: str) -> bytes:
    found = server.emulator.jobs.find_video(video_id)
    assert found is not None
    job, index = found
    return server.emulator.videos.get(job.specs[index]).result(timeout=120).data


async def test_the_request_is_recorded_before_the_post_leaves(
    server: LocalServer, tmp_path: Path
) -> None:
    server.faults.script("create", ["drop"])  # the job is made, its answer is lost
    library = Library(tmp_path / "lib")
    async with AsyncMQL(api_key=KEY, base_url=server.url, library=library) as client:
        with pytest.raises(APIConnectionError):
            await client.video.create(prompt="a lighthouse at dusk", duration=5)
        [post] = [r for r in server.requests if r.method == "POST" and r.path == CREATE][-1:]
        [entry] = library.entries()
        assert entry.id is None and entry.status == "pending"
        assert entry.idempotency_key == post.idempotency_key
        assert (entry.prompt, entry.model, entry.options) == (
            "a lighthouse at dusk",
            "sora",
            {"duration": 5},
        )
        assert entry.origin == server.url + "" and KEY not in str(entry.to_dict())
        assert "resend_unanswered=True" in (entry.error or "")
        posts_before = server.count("POST", CREATE)

        [listed] = await client.video.resume_pending()
        assert listed.outcome == "unanswered" and entry.idempotency_key in listed.message
        assert server.count("POST", CREATE) == posts_before  # asked for nothing: nothing sent

        [resent] = await client.video.resume_pending(resend_unanswered=True)
    assert resent.outcome == "completed", resent.message
    done = resent.entry
    assert done.key == entry.key and done.id == post.generation_id  # the same job, not a new one
    assert done.files[0] is not None
    assert sha256(done.files[0].read_bytes()) == done.sha256[0]
    assert done.files[0].read_bytes() == rendered(server, done.id)
    assert library.pending() == []


async def test_status_changes_and_a_failure_are_recorded(
    server: LocalServer, tmp_path: Path
) -> None:
    library = Library(tmp_path / "lib")
    seen: list[str] = []
    async with AsyncMQL(api_key=KEY, base_url=server.url, library=library) as client:
        generation = await client.video.create(prompt="a storm [[fail]]")
        assert library.get(generation.id).status == generation.status  # type: ignore[union-attr]

        def on_update(g: object) -> None:
            entry = library.get(generation.id)
            assert entry is not None
            seen.append(entry.status)

        with pytest.raises(GenerationFailedError):
            await client.video.wait(generation, on_update=on_update)
    entry = library.get(generation.id)
    assert entry is not None and entry.status == "failed" and entry.error
    assert entry.finished_at is not None and entry.finished_at >= entry.created_at
    assert library.pending() == []


async def test_every_download_lands_in_the_library(server: LocalServer, tmp_path: Path) -> None:
    library = Library(tmp_path / "lib")
    async with AsyncMQL(api_key=KEY, base_url=server.url, library=library) as client:
        generation = await client.video.create_and_wait(prompt="two birds", n=2)
        data = await client.video.download(generation)  # bytes, as before
        copy = await client.video.download(generation, tmp_path / "mine.mp4", variant=1)
        buffer = io.BytesIO()
        await client.video.download(generation, buffer)
    entry = library.get(generation.id)
    assert entry is not None and entry.status == "completed"
    first, second = entry.files
    assert first is not None and second is not None
    assert (first.name, second.name) == (f"{generation.id}.mp4", f"{generation.id}-2.mp4")
    assert data == first.read_bytes() == buffer.getvalue() == rendered(server, generation.id)
    assert copy == tmp_path / "mine.mp4"
    assert copy.read_bytes() == second.read_bytes()
    assert os.stat(copy).st_ino == os.stat(second).st_ino  # a hard link, not a second copy
    assert entry.sizes == (len(data), len(second.read_bytes()))
    assert entry.sha256 == (sha256(data), sha256(second.read_bytes()))
    assert entry.posters == (None, None)  # made when first shown, not at each download
    assert not [p for p in library.path.iterdir() if p.name.endswith(".part")]
    made = [library.poster(entry, variant) for variant in (0, 1)]
    assert all(p is not None and p.read_bytes()[:2] == b"\xff\xd8" for p in made)
    assert library.get(generation.id).posters == tuple(made)  # recorded: made once
    assert [library.poster(library.get(generation.id), v) for v in (0, 1)] == made


def test_the_sync_client_records_when_mql_library_is_set(
    server: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MQL_LIBRARY", str(tmp_path / "from-env"))
    with MQL(api_key=KEY, base_url=server.url) as client:
        assert client.library == Library(tmp_path / "from-env")
        video = client.video.create_and_download(prompt="a red kite")
    [entry] = Library(tmp_path / "from-env").entries()
    assert entry.files[0] is not None and entry.files[0].read_bytes() == video
    monkeypatch.setenv("MQL_LIBRARY", "off")
    assert MQL(api_key=KEY, base_url=server.url).library is None
    monkeypatch.delenv("MQL_LIBRARY")
    assert (
        MQL(api_key=KEY, base_url=server.url).library is None
    )  # the seed's snippets write nothing
    assert MQL(api_key=KEY, base_url=server.url, library=False).library is None


FULL_DISK = """
import json, resource, signal, sys
from mql_notebook import MQL, DownloadError
url, folder, key = sys.argv[1:4]
client = MQL(api_key=key, base_url=url, library=folder)
generation = client.video.create_and_wait(prompt="a long pan over a quiet city", duration=10)
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG instead
resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))  # the disk is full from here on
try:
    client.video.download(generation)
except DownloadError as error:
    print(json.dumps({"id": generation.id, "error": str(error), "type": type(error).__name__}))
"""


def test_a_full_disk_fails_the_download_clearly_and_keeps_the_id(
    server: LocalServer, tmp_path: Path
) -> None:
    folder = tmp_path / "lib"
    result = run_python(FULL_DISK, server.url, str(folder), KEY)
    assert result.returncode == 0, result.stderr
    outcome = last_json(result.stdout)
    assert outcome["type"] == "DownloadError" and str(folder) in outcome["error"]
    assert outcome["id"] in outcome["error"]  # says which job to download again
    entry = Library(folder).get(outcome["id"])
    assert entry is not None and entry.status == "completed" and entry.files == ()
    assert [e.id for e in Library(folder).pending()] == [outcome["id"]]
    assert not [p for p in folder.iterdir() if p.suffix in (".part", ".mp4")]
    # Room again: resuming fetches it.
    with MQL(api_key=KEY, base_url=server.url, library=folder) as client:
        [done] = client.video.resume_pending()
    assert done.outcome == "completed"
    assert done.entry.files[0] is not None
    assert done.entry.files[0].read_bytes() == rendered(server, outcome["id"])


def test_a_bad_dest_fails_before_anything_is_fetched(server: LocalServer, tmp_path: Path) -> None:
    with MQL(api_key=KEY, base_url=server.url, library=tmp_path / "lib") as client:
        generation = client.video.create_and_wait(prompt="an owl")
        server.clear_requests()
        with pytest.raises(DownloadError, match="does not exist"):
            client.video.download(generation, tmp_path / "no-such-folder" / "x.mp4")
    assert server.count(endpoint="content") == 0


UNWRITABLE = """
import concurrent.futures.thread, encodings.idna, json, os, sys  # used later, loaded while readable
from mql_notebook import MQL, DownloadError, NotFoundError
url, folder, key = sys.argv[1:4]
client = MQL(api_key=key, base_url=url, library=folder)  # the library opens on first use
try:  # one request first, so that the connection pool and lazy imports are made as root
    client.video.get_status("video_warm_up")
except NotFoundError:
    pass
if os.geteuid() == 0:  # root writes anywhere: act as an ordinary user, as a notebook would
    os.setgid(65534)
    os.setuid(65534)
generation = client.video.create_and_wait(prompt="rain on a tin roof")
os.chmod(folder, 0o555)  # the folder turns read-only (say, a share remounted); the index is open
try:
    client.video.download(generation)
except DownloadError as error:
    print(json.dumps({"id": generation.id, "error": str(error)}))
finally:
    os.chmod(folder, 0o755)
"""


def test_an_unwritable_folder_fails_the_download_clearly_and_keeps_the_id(
    server: LocalServer,
) -> None:
    parent = Path(tempfile.mkdtemp(prefix="mql-unwritable-"))  # under /tmp: any user reaches it
    folder = parent / "lib"
    try:
        parent.chmod(0o755)
        folder.mkdir()
        if os.geteuid() == 0:
            os.chown(folder, 65534, 65534)
        result = run_python(UNWRITABLE, server.url, str(folder), KEY)
        assert result.returncode == 0, result.stderr
        outcome = last_json(result.stdout)
        assert str(folder) in outcome["error"] and "ermission" in outcome["error"]
        entry = Library(folder).get(outcome["id"])
        assert entry is not None and entry.files == () and entry.error == outcome["error"]
        assert [e.id for e in Library(folder).pending()] == [outcome["id"]]
    finally:
        shutil.rmtree(parent, ignore_errors=True)


async def test_how_long_jobs_take_is_learned_per_kind(server: LocalServer, tmp_path: Path) -> None:
    library = Library(tmp_path / "lib")
    async with AsyncMQL(api_key=KEY, base_url=server.url, library=library) as client:
        assert client.recorder is not None
        assert await client.recorder.expected_duration("sora", 5, "480p") is None
        started = time.monotonic()
        for _ in range(2):
            await client.video.create_and_wait(prompt="a paper boat", duration=5, resolution="480p")
        took = (time.monotonic() - started) / 2
        learned = await client.recorder.expected_duration("sora", 5, "480p")
        # From the create to between the last two looks (where it completed), seen here.
        assert learned is not None and 0 < learned < took
        assert await client.recorder.expected_duration("sora", 10, "480p") is None


async def test_a_refused_create_ends_failed_and_an_ambiguous_one_stays_resumable(
    server: LocalServer, tmp_path: Path
) -> None:
    library = Library(tmp_path / "lib")
    async with AsyncMQL(api_key=KEY, base_url=server.url, library=library, max_retries=0) as client:
        server.faults.script("create", ["rate_limit"])  # 429: the server did not process it
        with pytest.raises(RateLimitError):
            await client.video.create(prompt="refused", slot_timeout=0)
        server.faults.script("create", ["server_error:500"])  # it may have made the job
        with pytest.raises(ServerError):
            await client.video.create(prompt="ambiguous")
    ambiguous, refused = library.entries()
    assert (refused.prompt, refused.status, refused.id) == ("refused", "failed", None)
    assert "429" in (refused.error or "")
    assert (ambiguous.prompt, ambiguous.status, ambiguous.id) == ("ambiguous", "pending", None)
    assert "resend_unanswered=True" in (ambiguous.error or "")
    assert [e.prompt for e in library.pending()] == ["ambiguous"]


async def test_a_key_reused_for_another_request_leaves_the_first_entry_alone(
    server: LocalServer, tmp_path: Path
) -> None:
    library = Library(tmp_path / "lib")
    async with AsyncMQL(api_key=KEY, base_url=server.url, library=library) as client:
        first = await client.video.create(prompt="a fox", idempotency_key="my-key-1")
        again = await client.video.create(prompt="a fox", idempotency_key="my-key-1")
        assert again.id == first.id  # the same request again: the same job, the same entry
        with pytest.raises(BadRequestError, match="Idempotency-Key"):
            await client.video.create(prompt="a wolf", idempotency_key="my-key-1")
    [entry] = library.entries()
    assert (entry.id, entry.prompt, entry.error) == (first.id, "a fox", None)
    assert entry.status != "failed"


async def test_a_download_of_a_job_made_elsewhere_gets_an_entry(
    server: LocalServer, tmp_path: Path
) -> None:
    async with AsyncMQL(api_key=KEY, base_url=server.url, library=False) as elsewhere:
        made = await elsewhere.video.create_and_wait(prompt="a tram at night")
    library = Library(tmp_path / "lib")
    async with AsyncMQL(api_key=KEY, base_url=server.url, library=library) as client:
        data = await client.video.download(made.id)
    entry = library.get(made.id)
    assert entry is not None and entry.status == "completed" and entry.prompt is None
    assert entry.origin == server.url and entry.files[0] is not None
    assert entry.files[0].read_bytes() == data == rendered(server, made.id)


@pytest.mark.parametrize("storage", ["redirect", "download_url"])
async def test_a_video_served_from_signed_storage_lands_in_the_library(
    tmp_path: Path, storage: str
) -> None:
    with LocalServer(pace=0, storage=storage, fault_seed=5) as storage_server:
        library = Library(tmp_path / "lib")
        async with AsyncMQL(api_key=KEY, base_url=storage_server.url, library=library) as client:
            generation = await client.video.create_and_wait(prompt="a lantern festival")
            data = await client.video.download(generation)
        entry = library.get(generation.id)
        assert entry is not None and entry.files[0] is not None
        assert entry.files[0].read_bytes() == data == rendered(storage_server, generation.id)
        assert entry.origin == storage_server.url  # the API's origin, not the storage's
