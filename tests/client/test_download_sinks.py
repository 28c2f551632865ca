"""The download destinations on their own: order kept with a write in flight, restarts, aborts."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from mql_notebook.client import sinks as download
from mql_notebook.client.sinks import FileObjectSink, PathSink, make_sink, safe_filename


@pytest.fixture(autouse=True)
def small_flushes(monkeypatch):
    # Flush every few kB so that many writes overlap the "network" in these tests.
    monkeypatch.setattr(download, "FLUSH_BYTES", 4096)


def pieces(total: int, size: int = 1000) -> list[bytes]:
    data = os.urandom(total)
    return [data[i : i + size] for i in range(0, total, size)]


async def test_path_sink_keeps_order_and_renames_only_when_complete(tmp_path: Path) -> None:
    chunks = pieces(200_000)
    sink = PathSink(tmp_path / "v.mp4")
    for chunk in chunks:
        await sink.write(chunk)
        assert not (tmp_path / "v.mp4").exists()
    assert await sink.commit() == tmp_path / "v.mp4"
    assert (tmp_path / "v.mp4").read_bytes() == b"".join(chunks)
    assert [p.name for p in tmp_path.iterdir()] == ["v.mp4"]


async def test_path_sink_restart_discards_what_was_written(tmp_path: Path) -> None:
    sink = PathSink(tmp_path / "v.mp4")
    for chunk in pieces(50_000):
        await sink.write(chunk)
    await sink.restart()
    fresh = pieces(30_000)
    for chunk in fresh:
        await sink.write(chunk)
    await sink.commit()
    assert (tmp_path / "v.mp4").read_bytes() == b"".join(fresh)


async def test_path_sink_abort_leaves_nothing(tmp_path: Path) -> None:
    sink = PathSink(tmp_path / "v.mp4")
    for chunk in pieces(50_000):
        await sink.write(chunk)
    await sink.abort()
    assert list(tmp_path.iterdir()) == []


async def test_file_object_sink_rewinds_to_where_it_started() -> None:
    buffer = io.BytesIO(b"header:")
    buffer.seek(0, io.SEEK_END)
    sink = FileObjectSink(buffer)
    for chunk in pieces(20_000):
        await sink.write(chunk)
    await sink.restart()
    await sink.write(b"video")
    await sink.commit()
    assert buffer.getvalue() == b"header:video"
    await sink.abort()
    assert buffer.getvalue() == b"header:"


@pytest.mark.parametrize(
    "hostile", ["../../etc/passwd", "/abs/path", "a/b", "..", "x\x00y", "?#", ""]
)
def test_a_server_id_never_names_a_file_outside_the_folder(tmp_path: Path, hostile: str) -> None:
    name = safe_filename(hostile)
    assert "/" not in name and "\x00" not in name and not name.startswith(".")
    sink = make_sink(tmp_path, hostile)
    assert isinstance(sink, PathSink) and sink.path.parent == tmp_path
