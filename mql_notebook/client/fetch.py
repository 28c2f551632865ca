"""How a download's requests travel: on the event loop, or in a worker thread for a file.

``Download`` (download.py) makes every decision (redirects, resume, fresh links) and asks one
of these two for the I/O alone, so both ways follow the same rules:

- ``LoopFetch``: the client's ``httpx.AsyncClient``; the body arrives chunk by chunk on the
  event loop (a caller's file object, a custom ``transport=``).
- ``ThreadFetch``: a sync ``httpx.Client`` driven from a worker thread, for a path or bytes.
  The body goes from the socket to the file (or buffer) inside that thread, with no trip
  through the event loop per 64 KiB chunk: an async stream runs at about 0.6-0.75x a sync
  one (BENCHMARKS.md, section 2), and the loop stays free, since it only awaits the thread.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple, TypeVar

import httpx

from ..errors import DownloadTooLargeError
from .callbacks import call
from .redirects import CREDENTIAL_HEADERS
from .sinks import BytesSink, PathSink, Sink

T = TypeVar("T")
ProgressCallback = Callable[[int, int | None], Any]
PROGRESS_SECONDS = 0.1  # a threaded download reports its progress this often
HEAD_LIMIT = 64 * 1024


def check_size(written: int, ceiling: int, video_id: str, gid: str) -> None:
    """Stop a body that has sent more than it announced or the client allows."""
    if written > ceiling:
        raise DownloadTooLargeError(
            f"video {video_id} sent more bytes than announced or allowed ({written})",
            generation_id=gid,
        )


def _request(
    pool: httpx.Client | httpx.AsyncClient,
    url: httpx.URL,
    headers: dict[str, str],
    *,
    credentials: bool,
) -> httpx.Request:
    request = pool.build_request("GET", url, headers=headers)
    if not credentials:
        for name in CREDENTIAL_HEADERS:  # the key never leaves for another origin
            request.headers.pop(name, None)
    return request


class Body(NamedTuple):
    """One response's body on its way: into ``sink``, ``total`` bytes announced (None: not
    said), stopped past ``ceiling``; ``ids`` (video, job) name it in errors."""

    response: httpx.Response
    sink: Sink
    total: int | None
    ceiling: int
    ids: tuple[str, str]
    on_progress: ProgressCallback | None


class _Fetch:
    """What both ways of fetching share: the client's pool and its base URL, and a body's
    start (memory reserved for it), then each way's own pump."""

    def __init__(self, pool: Any) -> None:
        self._pool = pool

    def url_of(self, path: str) -> httpx.URL:
        """The absolute URL of an API path (the client's base_url joined)."""
        return self._pool.build_request("GET", path).url

    async def body(
        self,
        response: httpx.Response,
        sink: Sink,
        total: int | None,
        ceiling: int,
        ids: tuple[str, str],
        on_progress: ProgressCallback | None,
    ) -> None:
        if isinstance(sink, BytesSink):
            sink.reserve(total)  # the body goes into the bytes handed back (buffer.py)
        await self._pump(Body(response, sink, total, ceiling, ids, on_progress))

    async def _pump(self, body: Body) -> None:
        raise NotImplementedError


class LoopFetch(_Fetch):
    """Requests and body on the event loop, through the client's ``httpx.AsyncClient``."""

    _pool: httpx.AsyncClient

    async def get(self, url: httpx.URL, headers: dict[str, str], *, credentials: bool) -> Any:
        request = _request(self._pool, url, headers, credentials=credentials)
        return await self._pool.send(request, stream=True, follow_redirects=False)

    async def read_head(self, response: httpx.Response, limit: int = HEAD_LIMIT) -> bytes:
        try:
            return response.content[:limit]  # already read (e.g. by a test transport)
        except httpx.ResponseNotRead:
            pass
        head = b""
        async for chunk in response.aiter_raw():
            head += chunk
            if len(head) >= limit:
                break
        return head

    async def close(self, response: httpx.Response) -> None:
        await response.aclose()

    async def _pump(self, body: Body) -> None:
        response, sink, total, ceiling, ids, on_progress = body
        # The hot loop (thousands of chunks): no await unless there is work for it.
        async for chunk in response.aiter_raw():
            if sink.append(chunk):
                await sink.drain()
            check_size(sink.written, ceiling, *ids)
            if on_progress is not None:
                await call(on_progress, sink.written, total)


class _Stopped(Exception):
    """The download was cancelled: the writer thread leaves at its next chunk."""


class ThreadFetch(_Fetch):
    """Requests and body in worker threads, through a sync ``httpx.Client``: for a path or
    bytes in memory (a caller's file object may not be thread-safe, so it stays on the loop)."""

    _pool: httpx.Client

    async def get(self, url: httpx.URL, headers: dict[str, str], *, credentials: bool) -> Any:
        request = _request(self._pool, url, headers, credentials=credentials)
        sending = _in_thread(
            functools.partial(self._pool.send, request, stream=True, follow_redirects=False)
        )
        try:
            return await asyncio.shield(sending)
        except asyncio.CancelledError:
            # The thread still gets its answer: close it then, so the connection is not leaked.
            sending.add_done_callback(_close_quietly)
            raise

    async def read_head(self, response: httpx.Response, limit: int = HEAD_LIMIT) -> bytes:
        return await _in_thread(functools.partial(_read_head, response, limit))

    async def close(self, response: httpx.Response) -> None:
        await _in_thread(response.close)

    async def _pump(self, body: Body) -> None:
        response, sink, total, ceiling, ids, on_progress = body
        assert isinstance(sink, (PathSink, BytesSink))
        stop = threading.Event()

        def pump() -> None:  # in the worker thread: socket -> file, nothing else per chunk
            write, stopped = sink.thread_writer(), stop.is_set
            written = sink.written
            for chunk in response.iter_raw():
                if stopped():
                    raise _Stopped
                if written + len(chunk) > ceiling:  # before writing: never past the room made
                    check_size(written + len(chunk), ceiling, *ids)
                write(chunk)
                written += len(chunk)
                sink.written = written  # read by the loop for on_progress

        writer = await sink.start_writer(pump, _threads())
        reported = sink.written
        try:
            while not writer.done():
                await asyncio.wait({writer}, timeout=PROGRESS_SECONDS if on_progress else None)
                if on_progress is not None and sink.written != reported:
                    reported = sink.written
                    await call(on_progress, reported, total)
        finally:
            if not writer.done():
                # Cancelled, or a callback raised: stop the thread and let it finish its
                # chunk before the response is closed and the file removed (the sink's
                # abort also waits for it, should a second cancel arrive here).
                stop.set()
                await asyncio.wait({writer})
        await sink.finish_writer()  # the thread's error, if any: a broken body resumes
        if on_progress is not None and sink.written != reported:  # a body faster than one look
            await call(on_progress, sink.written, total)


_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _threads() -> ThreadPoolExecutor:
    """The download threads: their own pool, so that long downloads never hold up the loop's
    default executor (the sinks' writes, the user's own ``asyncio.to_thread`` calls)."""
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=32, thread_name_prefix="mql-download")
        return _executor


def _in_thread(work: Callable[[], T]) -> asyncio.Future[T]:
    return asyncio.get_running_loop().run_in_executor(_threads(), work)


def _read_head(response: httpx.Response, limit: int) -> bytes:
    head = b""
    for chunk in response.iter_raw():
        head += chunk
        if len(head) >= limit:
            break
    return head


def _close_quietly(sending: asyncio.Future[httpx.Response]) -> None:
    if not sending.cancelled() and sending.exception() is None:
        sending.result().close()
