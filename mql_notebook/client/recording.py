"""What a client tells its library, at four points of ``AsyncVideo``.

1. ``before_create``: the request and its Idempotency-Key, before the POST leaves (a crash
   mid-POST leaves a trace to resume from);
   and its estimate (videos, seconds, cost), reserved against the library's budget and the
   client's own in the same transaction (BudgetExceededError: nothing is sent);
2. ``answered`` / ``create_failed``: the id, or why there is none (a refused create gives its
   reservation back);
3. ``observed``: each status change (and, for jobs created here, how long they took), and the
   cost the server reports (``usage`` / ``cost``), which counts instead of the estimate;
4. ``library_sink`` / ``keep``: every video is downloaded into the library first
   (atomically, with its size and SHA-256; ``AsyncVideo.download`` runs the download into the
   sink given here), then ``handed_over`` gives it to the caller: bytes, a hard link (or copy)
   at ``dest``, or a file object. Its poster is made when first shown (``Library.poster``).

Every library call blocks (SQLite, files) and so runs on the library's own threads (threads.py:
one for the index, one for whole videos), never on the loop.
After the POST has left, a library that cannot record is a warning, never a lost generation.
What one moment of a generation writes and reads goes in one hand-off to a thread: the answer
with the cost, the learned duration for the poller and the video's file name read ahead; a
status with its cost and duration; the file's row with the hand-over to the caller. Answers
and statuses of many jobs at once are written together, in one transaction (threads.py).
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, TypeVar

from .._files import link_or_copy
from .._origins import origin_of
from ..errors import APIError, ContentRefusedError, DownloadError, LibraryError
from ..generation import GENERATIONS_ROUTE, Generation
from ..library import Entry, Library
from ..library.entry import EMULATOR, create_was_refused, learned_duration, options_of
from ..library.files import copy_into, on_video_thread
from ..library.threads import WritesTogether, on_index_thread
from ..money import Cost, estimate
from ..request import IMAGE_NAMES
from ..status import FAILED
from .refusals import refusal_note, refusal_of_failed_job
from .settings import Settings
from .sinks import PathSink, Sink

log = logging.getLogger("mql_notebook")
T = TypeVar("T")


class HashingPathSink(PathSink):
    """A PathSink that also computes the SHA-256 of what it writes, in the writer thread."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._hash = hashlib.sha256()

    def _write_now(self, data: bytes) -> None:
        super()._write_now(data)
        self._hash.update(data)

    async def restart(self) -> None:
        await super().restart()
        self._hash = hashlib.sha256()

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()


class Recorder:
    """Writes one client's generations into a library (see the module's docstring)."""

    def __init__(self, library: Library, settings: Settings) -> None:
        self.library = library
        self.origin = origin_of(settings.base_url)
        # A job of this process's emulator ends with the process: a resume elsewhere must know.
        self.origin_kind = EMULATOR if settings.in_process_emulator else None
        self._last_status: dict[str, str] = {}  # generation id -> the status last written
        # For jobs created by this client: (created_at, last look) and their kind, to learn durations.
        self._looks: dict[str, tuple[float, float]] = {}
        self._kinds: dict[str, tuple[str, int | None, str | None, int]] = {}
        # Money: the client's own price table (else the library's) and budget; the run its
        # entries count under for that budget; the cost last recorded per job.
        self.prices = settings.prices
        self.budget = settings.budget
        self.run = uuid.uuid4().hex
        self._costs: dict[str, Cost] = {}
        # Read ahead in the answer's hand-off, used once: id -> learned duration; (id, 0) -> file.
        self._expected: dict[str, float | None] = {}
        self._paths: dict[tuple[str, int], Path] = {}
        # The answers and status changes of many jobs at once: one transaction per turn.
        self._together = WritesTogether(library)

    async def before_create(
        self,
        body: dict[str, Any],
        idempotency_key: str,
        route: str = GENERATIONS_ROUTE,
        *,
        parent: tuple[str | None, float | None] = (None, None),
    ) -> Entry:
        """Raises if it cannot record: better no video than a paid one nobody can find; raises
        BudgetExceededError if the create's estimate does not fit in the library's budget or
        this client's own (checked and reserved in the transaction that records it).

        The input images go into the library's ``images/`` (one copy per distinct image);
        ``parent`` is the entry (and its frame's time) the run was made from; ``route`` the
        API route the create goes to."""

        def record() -> Entry:
            charge = estimate(body, self.prices or self.library.prices())
            return self.library.record_request(
                prompt=body.get("prompt"),
                model=body.get("model"),
                options=options_of(body),
                origin=self.origin,
                origin_kind=self.origin_kind,
                idempotency_key=idempotency_key,
                images={k: v for k, v in body.items() if k in IMAGE_NAMES},
                parent=parent[0],
                parent_time=parent[1],
                charge=charge,
                budget=self.budget,
                run=self.run,
                route=route,
            )

        return await self._together.run(record)  # with other jobs' writes of this moment

    def _new_cost(self, generation: Generation) -> Cost | None:
        """The cost the server's answer reports, if any and not yet recorded (it counts instead
        of the estimate), marked as recorded."""
        cost = generation.cost
        if cost is None or self._costs.get(generation.id) == cost:
            return None
        self._costs[generation.id] = cost
        return cost

    def _write_cost(self, id_or_key: str, cost: Cost | None) -> None:
        if cost is not None:
            self._blocking_quietly("a cost", self.library.record_cost, id_or_key, cost)

    async def route_of(self, generation_id: str) -> str | None:
        """The route the library recorded for this job, or None when it does not know the job."""
        try:
            entry = await on_index_thread(self.library.get, generation_id)
        except (LibraryError, sqlite3.Error) as error:
            log.warning("the library %s could not be read: %s", self.library.path, error)
            return None
        return entry.route if entry is not None and entry.id == generation_id else None

    async def answered(self, entry: Entry, generation: Generation) -> None:
        gid, status = generation.id, generation.status
        cost = self._new_cost(generation)
        options = entry.options
        kind: tuple[str, int | None, str | None, int] = (
            entry.model or "",
            options.get("duration"),
            options.get("resolution"),
            options.get("n") or 1,
        )

        def record() -> tuple[float | None, Path | None]:
            self._write_cost(entry.key, cost)  # first: a billed failure keeps its charge
            self._blocking_quietly(
                "the create's answer", self.library.record_answer, entry.key, gid, status
            )
            try:  # read ahead: the poller's first guess, the video's file in the library
                return self.library.expected_duration(self.origin, *kind), (
                    self.library.video_path(gid, 0)
                )
            except (LibraryError, sqlite3.Error, OSError) as error:
                log.warning("the library %s could not be read: %s", self.library.path, error)
                return None, None

        self._last_status[gid] = status
        self._looks[gid] = (entry.created_at, time.time())
        self._kinds[gid] = kind
        nothing: tuple[float | None, Path | None] = (None, None)
        expected, path = await self._written_together("the create's answer", record, nothing)
        self._expected[gid] = expected
        if path is not None:
            self._paths[(gid, 0)] = path

    async def create_failed(self, entry: Entry, error: BaseException) -> None:
        if entry.answered:  # the same Idempotency-Key again: its job exists; leave it as it is
            return
        if isinstance(error, APIError) and create_was_refused(error.status_code):
            reason = (
                refusal_note(error.stage, error.message)
                if isinstance(error, ContentRefusedError)
                else str(error)
            )
            await self._quietly(
                "a refused create", self.library.record_status, entry.key, FAILED, error=reason
            )
        elif isinstance(error, Exception):
            note = (
                f"the create got no answer ({error}); the server may have accepted it: "
                f"resume_pending(resend_unanswered=True) sends it again with the same "
                f"Idempotency-Key {entry.idempotency_key}"
            )
            await self._quietly("a lost create", self.library.record_error, entry.key, note)

    async def observed(self, generation: Generation) -> None:
        gid, status, now = generation.id, generation.status, time.time()
        looks = self._looks.get(gid)
        if looks is not None:
            self._looks[gid] = (looks[0], now)
        cost = self._new_cost(generation)  # a cost may come in a later look
        if self._last_status.get(gid) == status:
            if cost is not None:
                await on_index_thread(self._write_cost, gid, cost)
            return
        self._last_status[gid] = status
        error = failure_reason(generation) if generation.failed else None
        seconds = kind = None
        if generation.completed and looks is not None:
            seconds, kind = learned_duration(looks[0], now, looks[1]), self._kinds.get(gid)

        def record() -> None:
            self._write_cost(gid, cost)  # before the status (see answered)
            self._blocking_quietly("a status", self.library.record_status, gid, status, error=error)
            if seconds is not None and kind is not None:
                self._blocking_quietly(
                    "a duration", self.library.record_duration, self.origin, *kind, seconds
                )

        await self._written_together("a status", record, None)

    async def expected_duration(
        self, model: str, duration: int | None, resolution: str | None, n: int = 1
    ) -> float | None:
        """Seconds a job of this kind took here lately (for the poller's first guess), or None."""
        try:
            return await on_index_thread(
                self.library.expected_duration, self.origin, model, duration, resolution, n
            )
        except (LibraryError, sqlite3.Error) as error:
            log.warning("the library %s could not be read: %s", self.library.path, error)
            return None

    async def expected_for(self, generation_id: str) -> tuple[float, float] | None:
        """(learned duration, seconds since the create) for a job this client created, or None."""
        kind, looks = self._kinds.get(generation_id), self._looks.get(generation_id)
        if kind is None or looks is None:
            return None
        if generation_id in self._expected:  # read with the answer
            seconds = self._expected.pop(generation_id)
        else:
            seconds = await self.expected_duration(*kind)
        return None if seconds is None else (seconds, time.time() - looks[0])

    async def library_sink(self, generation_id: str, variant: int) -> HashingPathSink:
        """Where video ``variant`` of a job is downloaded: its file in the library, hashed."""
        path = self._paths.pop((generation_id, variant), None)  # read with the answer
        if path is None:
            path = await on_index_thread(self.library.video_path, generation_id, variant)
        return HashingPathSink(path)

    async def record_failed_download(
        self, generation_id: str, video_id: str, error: OSError
    ) -> DownloadError:
        """A download the library could not write (a full disk, an unwritable folder): noted on
        its entry; the error to raise is returned."""
        gid = generation_id
        message = (
            f"cannot write video {video_id} into the library {self.library.path}: "
            f"{error.strerror or error}; generation {gid} stays in the library's index: "
            f"download({gid!r}) again once the folder is writable"
        )
        await self._quietly("a failed download", self.library.record_error, gid, message)
        return DownloadError(message, generation_id=gid)

    async def keep(
        self,
        generation_id: str,
        variant: int,
        sink: HashingPathSink,
        dest: str | os.PathLike[str] | IO[bytes] | None,
        target: Sink,
    ) -> bytes | Path | IO[bytes]:
        """A video committed into its library sink: its file, size and SHA-256 recorded (its
        poster is made when first shown: ``Library.poster``), then handed to the caller as
        ``dest`` asks (``handed_over``), in one hand-off to the library's video thread."""
        path, size, sha256 = sink.path, sink.written, sink.sha256

        def record_and_hand_over() -> bytes | Path | IO[bytes]:
            self._blocking_quietly(
                "a downloaded file",
                self.library.record_file,
                generation_id,
                variant,
                path,
                size=size,
                sha256=sha256,
                origin=self.origin,
            )
            return handed_over(path, dest, target)

        return await on_video_thread(record_and_hand_over)  # whole videos: see files.py

    async def _quietly(
        self, what: str, action: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> None:
        await on_index_thread(self._blocking_quietly, what, action, *args, **kwargs)

    async def _written_together(self, what: str, action: Callable[[], T], otherwise: T) -> T:
        """``action`` in the next turn of the library's writes together (threads.py); a library
        that cannot be written at all is a warning, and ``otherwise`` is returned."""
        try:
            return await self._together.run(action)
        except (LibraryError, sqlite3.Error, OSError) as error:
            log.warning("the library %s could not record %s: %s", self.library.path, what, error)
            return otherwise

    def _blocking_quietly(
        self, what: str, action: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> None:
        """``action`` in this (worker) thread; a library that cannot record is a warning."""
        try:
            action(*args, **kwargs)
        except (LibraryError, sqlite3.Error, OSError) as error:
            log.warning("the library %s could not record %s: %s", self.library.path, what, error)


def failure_reason(generation: Generation) -> str:
    """What the library records for a job that ended failed: the server's reason, marked when
    moderation refused it (so that a batch re-run does not send it again)."""
    words = generation.error_message or generation.status
    stage = refusal_of_failed_job(generation.raw.get("error"))
    return words if stage is False else refusal_note(stage, words)


def handed_over(
    path: Path, dest: str | os.PathLike[str] | IO[bytes] | None, target: Sink
) -> bytes | Path | IO[bytes]:
    """Blocking: a video in the library given to the caller as ``dest`` asks: its bytes, a hard
    link (or a copy) at the path ``target`` names, or a copy into a file object."""
    if dest is None:
        return path.read_bytes()
    if isinstance(target, PathSink):
        return link_or_copy(path, target.path)
    copy_into(path, dest)  # type: ignore[arg-type]
    return dest  # type: ignore[return-value]
