"""Rendered videos: rendered off the event loop, shared between identical requests, bounded in bytes.

Rendering is deterministic, so a video evicted from the cache can always be rendered again
with the same bytes (and ETag): jobs keep only render keys, never the bytes themselves, and
the memory the emulator holds for videos is the cache's byte cap.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from .render import RenderSpec, render_mp4

DEFAULT_MAX_VIDEO_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class Video:
    data: bytes
    etag: str
    """A strong ETag: a hash of the bytes, quoted."""


class VideoStore:
    """An LRU cache of rendered videos by render key, and the thread pool that renders them.

    One render worker by default: x264 already uses both cores of a small machine, and a
    second concurrent render would only make each one slower. Threads, not processes: the
    emulator runs inside Jupyter kernels, where spawning worker processes is fragile, and
    the encoder releases the GIL while it works (see bench/bench_render.py).
    """

    def __init__(self, max_bytes: int = DEFAULT_MAX_VIDEO_BYTES, workers: int = 1):
        self.max_bytes = max_bytes
        self._cache: OrderedDict[str, Video] = OrderedDict()
        self._bytes = 0
        self._inflight: dict[str, Future[Video]] = {}
        self._lock = threading.Lock()
        self._workers = workers
        self._executor: ThreadPoolExecutor | None = (
            None  # started on the first render, again after close()
        )
        self.renders = 0  # how many renders actually ran (the cache's hits are not counted)

    def get(self, spec: RenderSpec) -> Future[Video]:
        """A future of the video for ``spec``: done at once from the cache, else shared with any render in flight."""
        key = spec.key
        with self._lock:
            video = self._cache.get(key)
            if video is not None:
                self._cache.move_to_end(key)
                done: Future[Video] = Future()
                done.set_result(video)
                return done
            future = self._inflight.get(key)
            if future is None:
                if self._executor is None:
                    self._executor = ThreadPoolExecutor(
                        max_workers=self._workers,
                        thread_name_prefix="mql-render",
                        initializer=_lower_priority,
                    )
                future = self._executor.submit(self._render, spec)
                self._inflight[key] = future
            return future

    def _render(self, spec: RenderSpec) -> Video:
        try:
            data = render_mp4(spec)
            video = Video(data, '"' + hashlib.sha256(data).hexdigest()[:40] + '"')
            with self._lock:
                self.renders += 1
                self._put(spec.key, video)
            return video
        finally:
            with self._lock:
                self._inflight.pop(spec.key, None)

    def _put(self, key: str, video: Video) -> None:
        if len(video.data) > self.max_bytes:
            return  # too big to keep: rendered again whenever it is asked for
        self._cache[key] = video
        self._bytes += len(video.data)
        while self._bytes > self.max_bytes:
            _, old = self._cache.popitem(last=False)
            self._bytes -= len(old.data)

    def discard(self, keys: list[str]) -> None:
        """Forget the videos of an expired job (another job with the same key renders them again)."""
        with self._lock:
            for key in keys:
                old = self._cache.pop(key, None)
                if old is not None:
                    self._bytes -= len(old.data)

    @property
    def cached_bytes(self) -> int:
        with self._lock:
            return self._bytes

    def __len__(self) -> int:
        with self._lock:
            return len(self._cache)

    def close(self) -> None:
        """Stop the render threads (a render in progress finishes first); the cache is kept."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)


RENDER_NICENESS = 10


def _lower_priority() -> None:
    """Renders yield the CPU to the server: a status request must not queue behind x264.

    On Linux a thread is a task with its own nice value, and the encoder's own threads,
    started from this one, inherit it. Elsewhere this is a no-op.
    """
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), RENDER_NICENESS)
