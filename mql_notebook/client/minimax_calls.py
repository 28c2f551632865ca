"""The official SDK's MiniMax task calls, by their names and arguments: ``create_from_image``,
``query_video_status``, ``query_and_wait``, ``query_and_download``, ``download_video``.

``AsyncVideo`` has them (and so the sync client, through ``sync_client``). They answer what the
SDK answers (the server's JSON, as dicts), with these differences, all in the user's favour:

- a non-zero ``base_resp.status_code`` raises its typed error (minimax.base_resp_error); the
  SDK returns such an answer as if it were a task;
- ``query_and_wait`` follows the client's poll plan (``poll_interval`` is the longest gap
  between looks, never a blind sleep), ends on ``Fail`` (GenerationFailedError; the SDK never
  stops on that word) and raises WaitTimeoutError (a TimeoutError) after ``max_wait``;
- ``download_video`` and ``query_and_download`` also fetch the video from the file's
  ``download_url`` (never sending the key to storage; resumed, a fresh link when it expires):
  the answer is a ``VideoFile``, the SDK's file object with ``.video``, its bytes (or the path
  or file object given as ``dest``);
- every task is recorded in the client's library, with its route, so a resume finds it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

from ..generation import MINIMAX_ROUTE
from .minimax import DEFAULT_MINIMAX_MODEL

if TYPE_CHECKING:
    from ..generation import Generation
    from .download import Links
    from .tasks import TaskRoute

Destination = str | os.PathLike[str] | IO[bytes] | None


class _Video(Protocol):
    """What these calls use of ``AsyncVideo`` (the class they are mixed into)."""

    tasks: TaskRoute

    async def create(
        self,
        model: str | None = ...,
        prompt: str | None = ...,
        *positional: Any,
        idempotency_key: str | None = ...,
        route: str | None = ...,
        **options: Any,
    ) -> Generation: ...

    async def wait(
        self,
        generation_id: str | Generation,
        *,
        timeout: float | None = ...,
        on_update: Any = ...,
        route: str | None = ...,
        poll_interval: float | None = ...,
    ) -> Generation: ...

    async def _save(self, gid: str, links: Links, dest: Destination, **how: Any) -> Any: ...


class VideoFile(dict[str, Any]):
    """A MiniMax file object as the server answered it (``{"file": {...}, "base_resp": {...}}``,
    what the official SDK returns), plus ``video``: the bytes, or the path or file object that
    was given as ``dest``."""

    def __init__(self, answer: dict[str, Any], video: bytes | Path | IO[bytes]) -> None:
        super().__init__(answer)
        self.video = video

    @property
    def download_url(self) -> str | None:
        file = self.get("file")
        return file.get("download_url") if isinstance(file, dict) else None


class MiniMaxCalls:
    """The SDK's task calls (see the module); mixed into ``AsyncVideo``."""

    async def create_from_image(
        self: _Video, *, model: str = DEFAULT_MINIMAX_MODEL, **kwargs: Any
    ) -> dict[str, Any]:
        """Start a MiniMax task (billed): ``POST /v1/videos/minimax/generations`` with
        ``{"model", **kwargs}`` (``first_frame_image``, ``prompt``, ``duration``,
        ``resolution``, ...), checked first. Returns ``{"task_id", "base_resp"}``."""
        prompt = kwargs.pop("prompt", None)
        key = kwargs.pop("idempotency_key", None)
        task = await self.create(model, prompt, idempotency_key=key, route=MINIMAX_ROUTE, **kwargs)
        return dict(task.raw)

    async def query_video_status(
        self: _Video, task_id: str, *, include_download_url: bool = False
    ) -> dict[str, Any]:
        """The task as the server answers it: ``status`` (Preparing, Queueing, Processing,
        Success, Fail), ``file_id`` and ``video_width``/``video_height`` when done, and
        ``download_url`` when asked for."""
        task, _ = await self.tasks.look(task_id, include_download_url=include_download_url)
        return dict(task.raw)

    async def query_and_wait(
        self: _Video, task_id: str, *, poll_interval: float = 5.0, max_wait: float = 600.0
    ) -> dict[str, Any]:
        """Wait until the task is Success and return it (with its ``download_url``)."""
        task = await self.wait(
            task_id, timeout=max_wait, route=MINIMAX_ROUTE, poll_interval=poll_interval
        )
        return dict(task.raw)

    async def query_and_download(
        self: _Video,
        task_id: str,
        *,
        poll_interval: float = 5.0,
        max_wait: float = 600.0,
        dest: Destination = None,
        on_progress: Any = None,
    ) -> VideoFile:
        """Wait for the task, then ``download_video`` its file: the file object and the video."""
        task = await self.wait(
            task_id, timeout=max_wait, route=MINIMAX_ROUTE, poll_interval=poll_interval
        )
        source = await self.tasks.source(task)
        video = await self._save(source.task_id, source.links, dest, on_progress=on_progress)
        return VideoFile(source.answer, video)

    async def download_video(
        self: _Video,
        file_id: str,
        dest: Destination = None,
        *,
        on_progress: Any = None,
    ) -> VideoFile:
        """``GET /v1/videos/download/{file_id}`` (the file object), then its video from the
        ``download_url``: the file object with ``.video``."""
        source = await self.tasks.file_source(file_id)
        video = await self._save(source.task_id, source.links, dest, on_progress=on_progress)
        return VideoFile(source.answer, video)
