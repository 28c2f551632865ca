"""The MiniMax task route's I/O: a look at a task, its file object, and where its video lies.

``AsyncVideo`` creates tasks (with its recording, as on the generations route) and asks this
for the rest; the decisions (paths, answers, the base_resp map) are ``minimax``'s. Each request
goes through the client's ``Transport`` with ``minimax.base_resp_error`` as its check, so an
error inside an HTTP 200 is retried or raised as its HTTP twin would be.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import (
    APIError,
    ContentRefusedError,
    DownloadError,
    GenerationRefusedError,
    InvalidResponseError,
    MQLError,
)
from ..generation import Generation
from . import minimax, protocol
from .retry import RetryPolicy

if TYPE_CHECKING:
    from .download import Links
    from .operation import Operation
    from .recording import Recorder
    from .transport import AnswerCheck, Transport


@dataclass(frozen=True)
class TaskFile:
    """Where a task's video lies: its file object (the server's JSON) and how to ask it anew."""

    task_id: str
    file_id: str
    answer: dict[str, Any]
    links: Links  # the file object's download_url; fresh=True asks the API for a new one


class TaskRoute:
    """The task route's calls for one client: handed its transport and its library's recorder."""

    def __init__(self, transport: Transport, recorder: Recorder | None) -> None:
        self._transport = transport
        self._recorder = recorder
        self._task_of_file: dict[str, str] = {}  # file_id -> task_id, as the looks saw them

    async def look(
        self,
        task_id: str,
        *,
        policy: RetryPolicy | None = None,
        include_download_url: bool = True,
    ) -> tuple[Generation, float | None]:
        """The task now (and the server's poll hint). A final error inside the answer (balance,
        moderation) ends the task: the library records it failed with the server's words."""
        op = minimax.query_operation(task_id, include_download_url=include_download_url)
        try:
            response = await self._transport.send(op, policy=policy, check=self._check(op))
        except APIError as error:
            if not error.final:
                raise
            failed = minimax.refused_task(task_id, error)
            if self._recorder:
                await self._recorder.observed(failed)
            if isinstance(error, ContentRefusedError):
                raise GenerationRefusedError(failed, stage=error.stage) from error
            raise
        task = minimax.parse_task(
            response.status_code, response.content, operation=op.description, known_id=task_id
        )
        file_id = minimax.file_id_of(task)
        if file_id is not None:
            self._task_of_file[file_id] = task.id
        if self._recorder:
            await self._recorder.observed(task)
        return task, protocol.poll_hint(response.headers, time.time())

    async def file_object(self, file_id: str, task_id: str | None = None) -> dict[str, Any]:
        """``GET /v1/videos/download/{file_id}``: the file object, naming its download_url."""
        op = minimax.file_operation(file_id, task_id or self._task_of_file.get(file_id))
        response = await self._transport.send(op, check=self._check(op))
        return minimax.parse_file(response.status_code, response.content, operation=op.description)

    def task_of_file(self, file_id: str) -> str | None:
        """The task a file belongs to, when a look of this client saw it."""
        return self._task_of_file.get(file_id)

    async def source(self, task: str | Generation) -> TaskFile:
        """Where the video of a finished task lies (the task is looked at unless ``task`` is a
        Generation that names its file already)."""
        task_id = protocol.id_of(task)
        seen = task if isinstance(task, Generation) else None
        if seen is None or minimax.file_id_of(seen) is None:
            seen, _ = await self.look(task_id)
        file_id = minimax.file_id_of(seen)
        if file_id is None:
            if seen.completed:
                raise InvalidResponseError(
                    f"MiniMax task {task_id} is {seen.raw_status!r} but names no file_id"
                )
            raise DownloadError(
                f"MiniMax task {task_id} is {seen.raw_status or 'not done'!r}: download it once it "
                f"is Success (wait({task_id!r}, route='minimax') waits for it)",
                generation_id=task_id,
            )
        return await self.file_source(file_id, task_id)

    async def file_source(self, file_id: str, task_id: str | None = None) -> TaskFile:
        """The file object of ``file_id`` and its links (asked again once a link expires)."""
        answer = await self.file_object(file_id, task_id)

        async def links(fresh: bool) -> object:
            if not fresh:
                return minimax.download_url_of_file(answer)
            try:
                return minimax.download_url_of_file(await self.file_object(file_id, task_id))
            except MQLError:
                return None

        owner = task_id or self._task_of_file.get(file_id) or file_id
        return TaskFile(owner, file_id, answer, links)

    @staticmethod
    def _check(op: Operation) -> AnswerCheck:
        return functools.partial(
            minimax.base_resp_error, operation=op.description, generation_id=op.generation_id
        )
