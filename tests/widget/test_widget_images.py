"""The widget's image fields over the emulator, as a user uses them: an image set from code or
uploaded by the view in chunks reaches the server as first_frame_image; the view is told its
name, size and thumbnail; a file over the limit or not an image is refused on the card; "Use
this frame" takes the shown video's frame, and the next run records its parent."""

from __future__ import annotations

import asyncio
import base64
import io
from pathlib import Path

import pytest
from PIL import Image

from mql_notebook import AsyncMQL, InvalidRequestError
from mql_notebook.local import LocalServer
from mql_notebook.media.images import EncodedImage
from mql_notebook.widget import VideoWidget
from mql_notebook.widget.gallery import card_of
from mql_notebook.widget.uploads import UPLOAD_CHUNK_BYTES
from tests.widget.support import quiet

PROMPT = "A paper boat on a puddle"


@pytest.fixture
def emulator(local_server) -> LocalServer:
    return local_server(pace=0.3, fault_seed=5)


@pytest.fixture
async def client(emulator, api_key, poll_timing, retry_policy, library_folder) -> AsyncMQL:
    async with AsyncMQL(
        api_key=api_key,
        base_url=emulator.url,
        poll_timing=poll_timing,
        retry_policy=retry_policy,
        library=library_folder,
    ) as mql:
        yield mql


def png(width: int = 320, height: int = 180, color: str = "orange") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()


def sent_image(emulator: LocalServer, generation_id: str, field: str = "first_frame_image"):
    job = emulator.emulator.jobs.get(generation_id)
    assert job is not None
    return job.request.get(field)


def upload(
    w: VideoWidget, data: bytes, *, name: str = "boat.png", chunk: int, upload_id: str = "u1"
) -> None:
    """What js/images.js sends: the file in numbered chunks, one buffer each."""
    total = max(1, -(-len(data) // chunk))
    for index in range(total):
        content = {
            "kind": "image-chunk",
            "field": "first_frame_image",
            "upload": upload_id,
            "index": index,
            "total": total,
            "size": len(data),
            "name": name,
        }
        w._on_view_message(w, content, [memoryview(data[index * chunk : (index + 1) * chunk])])


async def settled(w: VideoWidget, field: str = "first_frame_image") -> dict:
    for _ in range(200):
        card = w.images.get(field)
        if card and (card["thumbnail"] or card["error"]):
            return card
        await asyncio.sleep(0.02)
    raise AssertionError(f"no card for {field}: {w.images}")


async def test_an_image_set_from_code_is_shown_sent_recorded_and_restored(
    client, emulator, tmp_path: Path
) -> None:
    path = tmp_path / "boat.png"
    path.write_bytes(png())
    w = quiet(VideoWidget(PROMPT, client=client, first_frame_image=path))
    card = await settled(w)
    assert (card["name"], card["width"], card["height"]) == ("boat.png", 320, 180)
    assert card["thumbnail"].startswith("data:image/jpeg;base64,") and not card["error"]
    run = await w.generate()
    assert run.status == "completed"
    sent = sent_image(emulator, run.generation_id)
    assert sent is not None  # the emulator decoded and checked it
    entry = client.library.get(run.generation_id)
    assert entry is not None and entry.images["first_frame_image"].width == 320
    assert w.runs[-1]["images"]["first_frame_image"]["thumbnail"].startswith("data:image/")
    shown = await asyncio.to_thread(card_of, entry)  # the gallery's card of the run
    assert shown["images"]["first_frame_image"]["thumbnail"].startswith("data:image/jpeg")
    w.first_frame_image = None
    assert w.images == {} and w.first_frame_image is None
    w.show(len(w.runs) - 1)  # showing the run restores its image
    assert isinstance(w.first_frame_image, EncodedImage) and "first_frame_image" in w.images


async def test_a_bad_image_from_code_raises_at_once(client, tmp_path: Path) -> None:
    w = quiet(VideoWidget(PROMPT, client=client))
    (tmp_path / "notes.png").write_text("not an image")
    with pytest.raises(InvalidRequestError, match="not an image"):
        w.first_frame_image = tmp_path / "notes.png"
    with pytest.raises(InvalidRequestError, match="no such file"):
        w.last_frame_image = tmp_path / "missing.png"
    assert w.images == {}


async def test_an_upload_in_chunks_is_joined_sniffed_and_sent(client, emulator) -> None:
    w = quiet(VideoWidget(PROMPT, client=client))
    data = png(640, 360)
    upload(w, data, name="photo.jpg", chunk=max(1, len(data) // 3))  # a PNG named .jpg
    card = await settled(w)
    assert (card["name"], card["size"], card["width"]) == ("photo.jpg", len(data), 640)
    assert card["upload"] == "u1"  # the view waits for the card of its own upload
    assert w.first_frame_image.mime == "image/png"  # from the bytes, not the name
    run = await w.generate()
    assert run.status == "completed", run.error
    assert sent_image(emulator, run.generation_id) is not None


async def test_an_upload_over_the_limit_or_not_an_image_is_refused_on_its_card(
    emulator, api_key, poll_timing, library_folder
) -> None:
    async with AsyncMQL(
        api_key=api_key, base_url=emulator.url, poll_timing=poll_timing, max_image_bytes=50_000
    ) as small:
        w = quiet(VideoWidget(PROMPT, client=small))
        upload(w, b"\0" * 120_000, name="huge.png", chunk=UPLOAD_CHUNK_BYTES)
        card = await settled(w)
        assert "huge.png is 120 kB, over the limit of 50 kB" in card["error"]
        assert card["upload"] == "u1"  # refused: the view stops waiting too
        assert w.first_frame_image is None
        w.first_frame_image = None
        upload(w, b"GIF87a? not really", name="fake.png", chunk=UPLOAD_CHUNK_BYTES, upload_id="u2")
        card = await settled(w)
        assert "not an image" in card["error"] and w.first_frame_image is None
        assert card["upload"] == "u2"


def chunk_of(data: bytes, index: int, *, name: str, upload_id: str) -> tuple[dict, list]:
    """One of the two chunks js/images.js sends for ``data``."""
    half = -(-len(data) // 2)
    content = {
        "kind": "image-chunk",
        "field": "first_frame_image",
        "upload": upload_id,
        "index": index,
        "total": 2,
        "size": len(data),
        "name": name,
    }
    return content, [memoryview(data[index * half : (index + 1) * half])]


async def test_a_newer_upload_overtakes_an_older_one_without_an_error(client) -> None:
    """A second file chosen while the first is on its way: the second wins, and the first's
    late chunks are dropped rather than refused as a broken upload."""
    w = quiet(VideoWidget(PROMPT, client=client))
    older, newer = png(320, 180, "red"), png(640, 360, "blue")
    for data, index, name, upload_id in [
        (older, 0, "older.png", "u1"),
        (newer, 0, "newer.png", "u2"),
        (older, 1, "older.png", "u1"),
        (newer, 1, "newer.png", "u2"),
    ]:
        w._on_view_message(w, *chunk_of(data, index, name=name, upload_id=upload_id))
    card = await settled(w)
    assert (card["name"], card["upload"], card["error"]) == ("newer.png", "u2", "")
    assert w.first_frame_image.width == 640


async def test_an_image_set_from_python_during_an_upload_is_kept(client, tmp_path: Path) -> None:
    """Python's image wins over the view's upload on its way, and the view, which waits for
    its upload's card, is told the upload is over (else Generate would stay off)."""
    w = VideoWidget(PROMPT, client=client)
    sent: list[dict] = []
    w.send = lambda content, buffers=None: sent.append(content)  # type: ignore[method-assign]
    w._on_view_message(w, *chunk_of(png(), 0, name="late.png", upload_id="u1"))
    path = tmp_path / "chosen.png"
    path.write_bytes(png(480, 270))
    w.first_frame_image = path  # cancels the upload on its way
    w._on_view_message(w, *chunk_of(png(), 1, name="late.png", upload_id="u1"))
    card = await settled(w)
    assert (card["name"], card["error"]) == ("chosen.png", "")
    assert w.first_frame_image.width == 480
    over = {"kind": "upload-over", "field": "first_frame_image", "upload": "u1"}
    assert sent == [over]
    upload(w, png(), name="next.png", chunk=UPLOAD_CHUNK_BYTES, upload_id="u2")
    assert (await settled_as(w, "next.png"))["upload"] == "u2"
    w.first_frame_image = None  # its card answered u2 already: nothing waits to be told
    assert sent == [over]


async def settled_as(w: VideoWidget, name: str) -> dict:
    for _ in range(200):
        card = w.images.get("first_frame_image")
        if card and card["name"] == name and (card["thumbnail"] or card["error"]):
            return card
        await asyncio.sleep(0.02)
    raise AssertionError(f"no card named {name}: {w.images}")


async def test_use_this_frame_chains_the_next_run_to_the_shown_one(client, emulator) -> None:
    w = quiet(VideoWidget(PROMPT, client=client, duration=5))
    first = await w.generate()
    assert first.status == "completed" and first.library_key
    w._on_view_message(w, {"kind": "use-frame", "time": 1.5, "variant": 0}, [])
    card = await settled(w)
    assert card["name"].startswith("frame at 1.") and card["thumbnail"]
    assert w.first_frame_image.source_entry == first.library_key
    w.prompt = "The boat sails on"
    second = await w.generate()
    assert second.status == "completed", second.error
    entry = client.library.get(second.generation_id)
    assert entry is not None and entry.parent == first.library_key
    assert entry.parent_time == pytest.approx(1.5, abs=0.1)
    assert sent_image(emulator, second.generation_id) is not None


def test_the_view_is_told_cards_never_bytes(tmp_path: Path) -> None:
    path = tmp_path / "boat.png"
    path.write_bytes(png())
    w = VideoWidget(PROMPT, first_frame_image=path, library=False)
    state = w.get_state()
    assert set(state["images"]["first_frame_image"]) == {
        "name",
        "size",
        "width",
        "height",
        "thumbnail",
        "error",
    }
    assert base64.b64encode(path.read_bytes()[:64]).decode()[:40] not in str(state)
    w.close()
