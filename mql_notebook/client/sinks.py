"""Where a download goes: bytes in memory, a file object, or a path written atomically.

A path is written under a temporary name beside it and renamed only once complete, so a
failed or interrupted download never leaves a half-written file under the chosen name
(the names and the atomic writes are ``mql_notebook/_files.py``'s, shared with the library).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path
from typing import IO, Any, Protocol

from .._files import safe_filename, temporary_path
from .._files import write_atomically as write_atomically  # widget/video_widget.py imports it here
from ..errors import DownloadError
from .buffer import ByteBuffer

FLUSH_BYTES = 1 << 20  # file writes happen off the event loop, in pieces this big


class Sink(Protocol):
    written: int

    def append(self, chunk: bytes) -> bool:
        """Take a chunk without awaiting (the hot path); True when ``drain()`` is due."""
        ...

    async def drain(self) -> None: ...
    async def write(self, chunk: bytes) -> None: ...
    async def restart(self) -> None: ...
    async def commit(self) -> Any: ...
    async def abort(self) -> None: ...


class BytesSink:
    """The video in memory, in one copy: written into the ``bytes`` handed back, sized from
    ``Content-Length`` (buffer.py says how; a body of unknown size grows, then one copy)."""

    def __init__(self) -> None:
        self._buffer = ByteBuffer()
        self.written = 0
        self._in_flight: asyncio.Future[None] | None = None

    def reserve(self, total: int | None) -> None:
        """The video's full size as the answer announced it (None: unknown)."""
        self._buffer.reserve(total)

    def append(self, chunk: bytes) -> bool:
        self._buffer.write(chunk)
        self.written += len(chunk)
        return False

    async def drain(self) -> None:
        pass

    async def write(self, chunk: bytes) -> None:
        self.append(chunk)

    async def restart(self) -> None:
        self._buffer.reset()
        self.written = 0

    def thread_writer(self) -> Callable[[bytes], object]:
        """How a threaded download appends each chunk, in its thread (see PathSink's)."""
        return self._buffer.write

    async def start_writer(
        self, work: Callable[[], None], executor: Executor | None = None
    ) -> asyncio.Future[None]:
        """Run ``work`` (a thread appending the body itself) in ``executor``."""
        self._in_flight = asyncio.get_running_loop().run_in_executor(executor, work)
        return self._in_flight

    async def finish_writer(self) -> None:
        flight, self._in_flight = self._in_flight, None
        if flight is not None:
            await flight

    async def commit(self) -> bytes:
        return self._buffer.take()

    async def abort(self) -> None:
        flight, self._in_flight = self._in_flight, None
        if flight is not None:  # a cancelled download: the thread stops at its next chunk
            with contextlib.suppress(Exception):
                await asyncio.shield(flight)
        self._buffer.clear()


class _BufferedWriter:
    """Collects small network chunks and writes them to a file in a worker thread.

    One write is in flight while the next megabyte arrives, so disk and network overlap;
    waiting for the previous write before starting the next keeps the file's order.
    """

    def __init__(self) -> None:
        self._pending: list[bytes] = []
        self._pending_size = 0
        self._in_flight: asyncio.Future[None] | None = None
        self.written = 0

    def append(self, chunk: bytes) -> bool:
        self._pending.append(chunk)
        self._pending_size += len(chunk)
        self.written += len(chunk)
        return self._pending_size >= FLUSH_BYTES

    async def drain(self) -> None:
        """Hand what was received to the writer thread, once the previous write is done."""
        await self._settle()
        data = b"".join(self._pending)
        self._drop_pending()
        self._in_flight = asyncio.ensure_future(asyncio.to_thread(self._write_now, data))

    async def write(self, chunk: bytes) -> None:
        if self.append(chunk):
            await self.drain()

    async def _flush(self) -> None:
        """Write everything received so far and wait until it is written."""
        await self._settle()
        if self._pending:
            data = b"".join(self._pending)
            self._drop_pending()
            await asyncio.to_thread(self._write_now, data)

    async def _settle(self, *, ignore_errors: bool = False) -> None:
        flight, self._in_flight = self._in_flight, None
        if flight is None:
            return
        try:
            # Shielded: a cancelled download still lets the thread's write finish before the
            # file is truncated, closed or removed.
            await asyncio.shield(flight)
        except Exception:
            if not ignore_errors:
                raise

    async def start_writer(
        self, work: Callable[[], None], executor: Executor | None = None
    ) -> asyncio.Future[None]:
        """Run ``work`` (a thread writing the body itself) in ``executor`` as the write in flight.

        ``restart``, ``commit`` and ``abort`` wait for it as for any write, so a cancelled
        download never removes the file under a thread still writing it.
        """
        await self._settle()
        self._in_flight = asyncio.get_running_loop().run_in_executor(executor, work)
        return self._in_flight

    async def finish_writer(self) -> None:
        """Wait for the write in flight; its error, if any, is raised here."""
        await self._settle()

    def _drop_pending(self) -> None:
        self._pending.clear()
        self._pending_size = 0

    def _write_now(self, data: bytes) -> None:
        raise NotImplementedError


class FileObjectSink(_BufferedWriter):
    """A caller's open binary file; on restart it rewinds to where it started, if it can."""

    def __init__(self, file: IO[bytes]) -> None:
        super().__init__()
        self._file = file
        try:
            self._start: int | None = file.tell() if file.seekable() else None
        except (OSError, ValueError):
            self._start = None

    def _write_now(self, data: bytes) -> None:
        self._file.write(data)

    async def restart(self) -> None:
        await self._settle()
        self._drop_pending()
        if self.written and self._start is None:
            raise DownloadError(
                "the server restarted the download and the file object cannot seek back"
            )
        if self._start is not None:
            await asyncio.to_thread(self._rewind)
        self.written = 0

    def _rewind(self) -> None:
        assert self._start is not None
        self._file.seek(self._start)
        self._file.truncate()

    async def commit(self) -> IO[bytes]:
        await self._flush()
        await asyncio.to_thread(self._file.flush)
        return self._file

    async def abort(self) -> None:
        await self._settle(ignore_errors=True)
        self._drop_pending()
        if self._start is not None:
            await asyncio.to_thread(self._rewind)


class PathSink(_BufferedWriter):
    """A file path, written under a temporary name and renamed into place when complete."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self._temp = temporary_path(path)
        self._file: IO[bytes] | None = None

    def _write_now(self, data: bytes) -> None:
        if self._file is None:
            self._file = open(self._temp, "wb")  # noqa: SIM115 - closed in commit/abort
        self._file.write(data)

    def thread_writer(self) -> Callable[[bytes], object]:
        """How a threaded download writes each chunk, in the writer thread (which keeps
        ``written`` up to date itself): the file's own ``write``, or ``_write_now`` where a
        subclass does more with each write (the library's hashing sink)."""
        if type(self)._write_now is not PathSink._write_now:
            return self._write_now
        if self._file is None:
            self._file = open(self._temp, "wb")  # noqa: SIM115 - closed in commit/abort
        return self._file.write

    async def restart(self) -> None:
        await self._settle()
        self._drop_pending()
        await asyncio.to_thread(self._truncate)
        self.written = 0

    def _truncate(self) -> None:
        if self._file is not None:
            self._file.seek(0)
            self._file.truncate()

    async def commit(self) -> Path:
        await self._flush()
        await asyncio.to_thread(self._finish)
        return self.path

    def _finish(self) -> None:
        if self._file is None:
            self._file = open(self._temp, "wb")  # an empty video is still a file  # noqa: SIM115
        # No fsync: the rename makes the file appear whole or not at all to every program,
        # which is the promise; surviving a power cut as well would cost a quarter of the
        # speed (BENCHMARKS.md, the "+ fsync" row). Call os.fsync on the result if you need it.
        self._file.close()
        os.replace(self._temp, self.path)

    async def abort(self) -> None:
        await self._settle(ignore_errors=True)
        self._drop_pending()
        await asyncio.to_thread(self._discard)

    def _discard(self) -> None:
        if self._file is not None:
            self._file.close()
        self._temp.unlink(missing_ok=True)


def make_sink(dest: str | os.PathLike[str] | IO[bytes] | None, video_id: str) -> Sink:
    """The sink for a destination: None -> bytes; a directory -> '<id>.mp4' inside it."""
    if dest is None:
        return BytesSink()
    if isinstance(dest, (str, os.PathLike)):
        path = Path(dest).expanduser()
        if path.is_dir():
            path = path / safe_filename(video_id)
        if not path.parent.is_dir():
            raise DownloadError(
                f"cannot save to {str(path)!r}: the folder {str(path.parent)!r} does not exist"
            )
        return PathSink(path)
    if hasattr(dest, "write"):
        return FileObjectSink(dest)
    raise TypeError(f"dest must be None, a path or a binary file object, not {type(dest).__name__}")
