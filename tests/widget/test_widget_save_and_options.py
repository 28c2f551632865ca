"""VideoWidget.save() (atomic, the usual file mode) and the resolution and reconnecting traits,
over the local emulator."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

import pytest

from mql_notebook import InvalidRequestError
from mql_notebook.generation import Generation
from mql_notebook.local import LocalServer
from mql_notebook.request import RESOLUTIONS
from mql_notebook.widget.video_widget import VideoWidget
from tests.widget.support import quiet

PROMPT = "A hot air balloon rising over a misty valley"


@pytest.fixture
def emulator(local_server) -> LocalServer:
    return local_server(pace=0.4, fault_seed=13)


async def test_save_writes_0644_under_a_022_umask_and_leaves_no_temporary_on_failure(
    client, tmp_path: Path
) -> None:
    w = quiet(VideoWidget(PROMPT, n=2, client=client))
    await w.generate()
    old = os.umask(0o022)
    try:
        first = w.save(tmp_path / "balloon.mp4")
        second = w.save(str(tmp_path / "balloon-2.mp4"), variant=1)
    finally:
        os.umask(old)
    assert first.read_bytes() == w.videos[0] and second.read_bytes() == w.videos[1]
    assert stat.S_IMODE(first.stat().st_mode) == 0o644 == stat.S_IMODE(second.stat().st_mode)
    taken = tmp_path / "taken"
    taken.mkdir()  # a folder under the name: the rename into place fails
    with pytest.raises(OSError):
        w.save(taken)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["balloon-2.mp4", "balloon.mp4", "taken"]
    assert list(taken.iterdir()) == []


def test_resolution_is_an_option_checked_like_the_others() -> None:
    w = VideoWidget("x", resolution="720p")
    resolution = next(f for f in w.choices["fields"] if f["name"] == "resolution")
    assert w.resolution == "720p" and resolution["suggested"] == list(RESOLUTIONS)
    assert VideoWidget("x").resolution == ""  # the server's default: not sent
    with pytest.raises(InvalidRequestError, match="resolution"):
        VideoWidget("x", resolution="4k")


async def test_a_refused_resolution_sends_nothing(client, emulator) -> None:
    w = quiet(VideoWidget(PROMPT, client=client))
    w.resolution = "999p"  # the view could type anything; generate() checks it
    with pytest.raises(InvalidRequestError, match="resolution"):
        w.generate()
    assert w.status == "failed" and "resolution" in w.error and emulator.requests == []


async def test_the_resolution_is_sent_stored_and_restored_by_show(client, emulator) -> None:
    w = quiet(VideoWidget(f"{PROMPT} [[stall]]", resolution="1080p", client=client))
    task = w.generate()
    while not w.generation_id:
        await asyncio.sleep(0.02)
    w.cancel()
    await task
    answer = await client.video.get_status(w.generation_id)
    assert answer["resolution"] == "1080p"
    assert w.history[0].options["resolution"] == w.runs[0]["options"]["resolution"] == "1080p"
    assert "resolution" not in w.runs[-1]["options"] or len(w.runs) == 1
    w.resolution = ""
    w.generate()
    while not w.generation_id or w.generation_id == answer.id:
        await asyncio.sleep(0.02)
    w.cancel()
    await w.task
    assert (await client.video.get_status(w.generation_id))["resolution"] == "480p"
    w.show(0)
    assert w.resolution == "1080p"
    w.show(1)
    assert w.resolution == ""


@pytest.mark.skipif(
    "reconnecting" not in getattr(Generation, "__slots__", ()),
    reason="the poller does not report outages yet (Generation.reconnecting)",
)
async def test_reconnecting_shows_an_outage_and_clears_after_it(client, emulator) -> None:
    w = quiet(VideoWidget(PROMPT, client=client))
    seen: list[str] = []

    def changed(change) -> None:
        seen.append(change.new)
        if change.new:
            emulator.faults.reset()  # the outage ends once the widget has shown it

    w.observe(changed, "reconnecting")
    emulator.faults.set("status", server_error=1.0)
    await w.generate()
    assert seen and seen[0] and seen[-1] == "" and w.reconnecting == ""
    assert w.status == "completed"
