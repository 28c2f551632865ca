"""Image to video, as a user gives images: over real HTTP against the emulator, which renders the
video from the first frame (frame 0 is the image), so the test sees the image arrived."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import http.server
import threading
from pathlib import Path

import httpx
import pytest
from PIL import Image

from mql_notebook import (
    MQL,
    APIConnectionError,
    AsyncMQL,
    BadRequestError,
    InvalidRequestError,
    frame_of,
)
from tests.images import jpeg, mean_difference, picture, png

PROMPT = "A paper boat drifting across a pond at dawn"
SIZE = (854, 480)  # Sora's 16:9 at 480p, the emulator's default


@pytest.fixture
def emulator(local_server):
    return local_server(pace=0.2)


def client(emulator, tmp_path: Path, **options) -> MQL:
    return MQL(base_url=emulator.url, api_key="mql_images", library=tmp_path / "lib", **options)


@pytest.mark.parametrize("given_as", ["path", "bytes", "pil", "numpy"])
def test_a_video_starts_from_the_image_given(given_as: str, emulator, tmp_path: Path) -> None:
    array = picture(*SIZE, hue=len(given_as))
    path = tmp_path / "first.png"
    path.write_bytes(png(array))
    given = {
        "path": str(path),
        "bytes": path.read_bytes(),
        "pil": Image.fromarray(array),
        "numpy": array,
    }[given_as]
    with client(emulator, tmp_path) as mql:
        video = mql.video.create_and_download(
            model="sora", prompt=PROMPT, first_frame_image=given, dest=tmp_path / "v.mp4"
        )
        (entry,) = mql.library.entries()
    first = frame_of(video, 0)
    assert first.size == SIZE
    assert mean_difference(first, array) < 4  # H.264 at CRF 26 on a smooth picture
    assert mean_difference(frame_of(video), array) > 4  # then it moves: a slow zoom
    kept = entry.images["first_frame_image"]
    assert (kept.mime, kept.width, kept.height) == ("image/png", *SIZE)
    assert mean_difference(Image.open(kept.path).convert("RGB"), array) == 0  # lossless copy


def test_a_png_named_jpg_is_sent_as_a_png(emulator, tmp_path: Path) -> None:
    wrong = tmp_path / "photo.jpg"
    wrong.write_bytes(png(picture(*SIZE)))
    with client(emulator, tmp_path) as mql:
        created = mql.video.create(model="sora", prompt=PROMPT, first_frame_image=wrong)
        echoed = mql.video.get_status(created.id).raw["first_frame_image"]
        (entry,) = mql.library.entries()
    assert echoed["type"] == "image/png"
    assert echoed["sha256"] == hashlib.sha256(wrong.read_bytes()).hexdigest()
    assert entry.images["first_frame_image"].path.suffix == ".png"


def test_a_jpeg_is_sent_unchanged(emulator, tmp_path: Path) -> None:
    data = jpeg(picture(*SIZE))
    with client(emulator, tmp_path) as mql:
        created = mql.video.create(model="sora", prompt=PROMPT, first_frame_image=data)
        echoed = mql.video.get_status(created.id).raw["first_frame_image"]
    assert echoed == {
        "type": "image/jpeg",
        "width": SIZE[0],
        "height": SIZE[1],
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


def test_a_too_large_image_is_refused_before_sending(emulator, tmp_path: Path) -> None:
    big = tmp_path / "big.png"
    with open(big, "wb") as file:  # 21 MB (sparse): refused from its size, never read
        file.write(png(picture(64, 36)))
        file.truncate(21_000_000)
    before = len(emulator.requests)
    with client(emulator, tmp_path) as mql:
        with pytest.raises(InvalidRequestError) as error:
            mql.video.create(model="sora", prompt=PROMPT, first_frame_image=big)
        assert error.value.field == "first_frame_image"
        assert "21.0 MB, over the limit of 20.0 MB" in str(error.value)
        assert "max_image_bytes" in str(error.value)
        # A gateway with a lower limit: the client's max_image_bytes says so.
    with client(emulator, tmp_path, max_image_bytes=10_000) as small:
        with pytest.raises(InvalidRequestError, match="over the limit of 10 kB"):
            small.video.create(model="sora", prompt=PROMPT, first_frame_image=picture(*SIZE))
        assert small.library.entries() == []  # nothing recorded: nothing was sent
    assert len(emulator.requests) == before


def test_what_is_not_an_image_is_refused_with_what_is_allowed(emulator, tmp_path: Path) -> None:
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    cases = [
        (str(tmp_path / "missing.png"), "no such file"),
        (text, "not an image Pillow can read"),
        (picture(4, 4)[..., 0], r"shape \(4, 4\)"),
        (3.5, "cannot be a float"),
        ("data:image/png;base64,%%%", "does not decode"),
    ]
    with client(emulator, tmp_path) as mql:
        for value, says in cases:
            with pytest.raises(InvalidRequestError, match=says) as error:
                mql.video.create(model="sora", prompt=PROMPT, first_frame_image=value)
            assert error.value.field == "first_frame_image"
            assert "first_frame_image must be" in str(error.value)  # what is allowed


def test_fit_crops_or_pads_to_the_videos_aspect(emulator, tmp_path: Path) -> None:
    square = png(picture(600, 600))
    with client(emulator, tmp_path) as mql:
        # As it is, the emulator refuses it as models do: its shape is not the video's.
        with pytest.raises(BadRequestError) as refused:
            mql.video.create(model="sora", prompt=PROMPT, first_frame_image=square)
        assert refused.value.param == "first_frame_image" and "fit='crop'" in str(refused.value)
        shapes = {}
        for fit, aspect in [("crop", "16:9"), ("pad", "16:9"), ("crop", "9:16")]:
            created = mql.video.create(
                model="sora", prompt=PROMPT, aspect_ratio=aspect, first_frame_image=square, fit=fit
            )
            echoed = mql.video.get_status(created.id).raw["first_frame_image"]
            shapes[fit, aspect] = (echoed["width"], echoed["height"])
    assert shapes == {
        ("crop", "16:9"): (600, 338),
        ("pad", "16:9"): (1067, 600),
        ("crop", "9:16"): (338, 600),
    }


def test_padding_keeps_the_whole_picture_between_black_bars(emulator, tmp_path: Path) -> None:
    square = picture(480, 480)
    with client(emulator, tmp_path) as mql:
        video = mql.video.create_and_download(
            model="sora",
            prompt=PROMPT,
            first_frame_image=square,
            fit="pad",
            dest=tmp_path / "v.mp4",
        )
    first = frame_of(video, 0).to_numpy()
    left = (SIZE[0] - 480) // 2
    assert first[:, : left - 4].mean() < 20  # black bars
    assert mean_difference(first[:, left + 4 : left + 476], square[:, 4:476]) < 5


def test_the_library_keeps_one_copy_per_distinct_image(emulator, tmp_path: Path) -> None:
    one, other = png(picture(*SIZE, hue=1)), png(picture(*SIZE, hue=2))
    path = tmp_path / "one.png"
    path.write_bytes(one)
    with client(emulator, tmp_path) as mql:
        for image in (path, one, other, "data:image/png;base64," + base64.b64encode(one).decode()):
            mql.video.create(model="sora", prompt=PROMPT, first_frame_image=image)
        entries = mql.library.entries()
        copies = sorted(p.name for p in (tmp_path / "lib" / "images").glob("*.png"))
        assert copies == sorted(f"{hashlib.sha256(d).hexdigest()}.png" for d in (one, other))
        assert len({e.images["first_frame_image"].path for e in entries}) == 2
        # Deleting a run keeps a copy another run still uses; the last user takes it along.
        sha = hashlib.sha256(other).hexdigest()
        (uses_other,) = [e for e in entries if e.images["first_frame_image"].sha256 == sha]
        mql.library.delete(uses_other.key)
        assert sorted(p.name for p in (tmp_path / "lib" / "images").glob("*.png")) == [
            f"{hashlib.sha256(one).hexdigest()}.png"
        ]
        thumb = entries[0].images["first_frame_image"].thumbnail()
        assert thumb is not None and Image.open(thumb).width == 256


def test_a_first_and_a_last_frame(emulator, tmp_path: Path) -> None:
    first, last = picture(*SIZE, hue=3), picture(*SIZE, hue=40)[::-1].copy()
    with client(emulator, tmp_path) as mql:
        video = mql.video.create_and_download(
            model="sora",
            prompt=PROMPT,
            first_frame_image=first,
            last_frame_image=last,
            dest=tmp_path / "v.mp4",
        )
        (entry,) = mql.library.entries()
    assert mean_difference(frame_of(video, 0), first) < 4
    assert mean_difference(frame_of(video), last) < 4  # it ends on the last frame
    assert set(entry.images) == {"first_frame_image", "last_frame_image"}


def test_an_http_url_is_sent_as_given(emulator, tmp_path: Path) -> None:
    array = picture(*SIZE, hue=9)
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "frame.png").write_bytes(png(array))
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(tmp_path / "site"))  # noqa: E731
    site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{site.server_address[1]}/frame.png"
    try:
        with client(emulator, tmp_path) as mql:
            with pytest.raises(InvalidRequestError, match="cannot reshape an image at a URL"):
                mql.video.create(model="sora", prompt=PROMPT, first_frame_image=url, fit="crop")
            video = mql.video.create_and_download(
                model="sora", prompt=PROMPT, first_frame_image=url, dest=tmp_path / "v.mp4"
            )
            (entry,) = mql.library.entries()
    finally:
        site.shutdown()
    assert entry.images["first_frame_image"].url == url  # recorded as the URL, not fetched
    assert entry.images["first_frame_image"].path is None
    assert mean_difference(frame_of(video, 0), array) < 4  # the emulator fetched it


def test_the_emulator_refuses_a_local_path_as_the_real_api_does(emulator) -> None:
    answer = httpx.post(
        f"{emulator.url}/v1/videos/generations",
        json={"model": "sora", "prompt": PROMPT, "first_frame_image": "/home/me/frame.png"},
        headers={"Authorization": "Bearer mql_images"},
    )
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["param"] == "first_frame_image"
    assert "local path cannot be sent" in error["message"]


async def test_encoding_runs_off_the_event_loop(emulator, tmp_path: Path) -> None:
    """A large image is read, sniffed and base64-encoded in a thread: the loop keeps ticking."""
    import numpy as np

    noise = np.random.default_rng(1).integers(0, 255, (1080, 1920, 3), dtype=np.uint8)
    gaps: list[float] = []

    async def ticker() -> None:
        loop = asyncio.get_running_loop()
        last = loop.time()
        while True:
            await asyncio.sleep(0.005)
            now = loop.time()
            gaps.append(now - last)
            last = now

    async with AsyncMQL(base_url=emulator.url, api_key="mql_images", library=False) as mql:
        ticks = asyncio.create_task(ticker())
        await mql.video.create(
            model="sora", prompt=PROMPT, resolution="1080p", first_frame_image=noise
        )
        ticks.cancel()
    assert gaps and max(gaps) < 0.25, f"the loop stalled {max(gaps):.3f} s"


def test_a_lost_create_with_an_image_is_sent_again_as_the_same_job(
    emulator, tmp_path: Path
) -> None:
    """The library's copy is what was sent: resent with the same key, it is the same body."""
    emulator.faults.script("create", ["drop"])  # the job is made, its answer lost
    prompt = "A lost answer, then a resume"
    with client(emulator, tmp_path) as mql:
        with pytest.raises(APIConnectionError):
            mql.video.create(model="sora", prompt=prompt, first_frame_image=picture(*SIZE, hue=5))
        (lost,) = mql.library.entries()
        assert lost.id is None and "first_frame_image" in lost.request
        (resumed,) = mql.video.resume_pending(resend_unanswered=True)
    assert resumed.outcome == "completed", resumed.message
    assert emulator.count("POST", "/v1/videos/generations") == 2
    made = [job for job in emulator.emulator.jobs.jobs() if job.request["prompt"] == prompt]
    assert [job.id for job in made] == [resumed.entry.id]  # one job: the key was honoured
    assert (
        resumed.entry.images["first_frame_image"].sha256 == lost.images["first_frame_image"].sha256
    )
