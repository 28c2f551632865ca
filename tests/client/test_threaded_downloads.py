"""A download to a path runs on a sync stream in a worker thread: the event loop stays free, and
cancelling stops the thread and leaves no file. Over real HTTP from a server that sends part of
a body and then holds it back until the test lets it go on."""

from __future__ import annotations

import asyncio
import hashlib
import socketserver
import threading
from pathlib import Path

import pytest

from mql_notebook import AsyncMQL
from mql_notebook.client.download import Download, fresh_links
from mql_notebook.client.recording import HashingPathSink

KEY = "mql_threaded_download_key"
TOTAL = 64 * 2**20  # far more than socket buffers hold: the server notices a closed connection
FIRST = 2**20


class HeldBackVideo(socketserver.ThreadingTCPServer):
    """Answers any GET with a 64 MiB video: the first MiB at once, the rest once released."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.release = threading.Event()
        self.finished = threading.Event()
        self.sent = 0
        self.broken = False
        self.paths: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> HeldBackVideo:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.shutdown()
        self.server_close()


class _Handler(socketserver.StreamRequestHandler):
    server: HeldBackVideo

    def handle(self) -> None:
        server = self.server
        request_line = self.rfile.readline().decode()
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass
        server.paths.append(request_line.split()[1])
        head = f"HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nContent-Length: {TOTAL}\r\n\r\n"
        piece = bytes(64 * 1024)
        try:
            self.wfile.write(head.encode() + bytes(FIRST))
            server.sent = FIRST
            server.release.wait()
            while server.sent < TOTAL:
                self.wfile.write(piece)
                server.sent += len(piece)
        except (TimeoutError, BrokenPipeError, ConnectionResetError):
            server.broken = True
        finally:
            server.finished.set()


@pytest.mark.parametrize("to_path", [True, False], ids=["path", "bytes"])
async def test_a_cancelled_download_stops_reading_and_leaves_no_file(
    tmp_path: Path, to_path: bool
) -> None:
    with HeldBackVideo() as server:
        client = AsyncMQL(KEY, server.url)
        first_bytes = asyncio.Event()

        def on_progress(written: int, total: int | None) -> None:
            assert total == TOTAL
            first_bytes.set()

        task = asyncio.create_task(
            client.video.download(
                "video_held", tmp_path / "v.mp4" if to_path else None, on_progress=on_progress
            )
        )
        # The loop runs on while the worker thread waits for the held-back body.
        await first_bytes.wait()
        assert not task.done()
        task.cancel()
        server.release.set()  # more bytes arrive: the thread sees the cancel at its next chunk
        with pytest.raises(asyncio.CancelledError):
            await task
        assert list(tmp_path.iterdir()) == []  # not the video, not its temporary file
        await asyncio.to_thread(server.finished.wait, 30)
        assert server.broken and server.sent < TOTAL  # the client stopped reading and hung up
        assert server.paths == ["/v1/videos/video_held/content"]
        await client.aclose()


async def test_a_download_to_a_path_ends_in_the_whole_file(tmp_path: Path) -> None:
    with HeldBackVideo() as server:
        server.release.set()
        async with AsyncMQL(KEY, server.url) as client:
            seen: list[int] = []
            path = await client.video.download(
                "video_whole", tmp_path / "v.mp4", on_progress=lambda w, t: seen.append(w)
            )
        assert path == tmp_path / "v.mp4"
        assert path.stat().st_size == TOTAL
        assert [p.name for p in tmp_path.iterdir()] == ["v.mp4"]
        assert seen and seen[-1] == TOTAL and seen == sorted(seen)


async def test_the_library_sink_hashes_what_the_writer_thread_wrote(tmp_path: Path) -> None:
    with HeldBackVideo() as server:
        server.release.set()
        async with AsyncMQL(KEY, server.url) as client:
            sink = HashingPathSink(tmp_path / "v.mp4")
            links = fresh_links("video_lib", "video_lib", client.video.get_status)
            download = Download(
                client.transport, client.settings, sink, "video_lib", "video_lib", links, None
            )
            await download.save()
        assert (tmp_path / "v.mp4").stat().st_size == TOTAL
        assert sink.sha256 == hashlib.sha256(bytes(TOTAL)).hexdigest()
