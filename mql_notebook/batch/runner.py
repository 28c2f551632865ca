"""A batch's lines carried from their creates to their videos, every change reported.

The decisions are the command line's (cli/batch.py): each line's create carries its stable
Idempotency-Key and the library is asked first (plan.py), so a line already created is never
created again (finished: skipped; running: waited for and downloaded); at most
``concurrency`` jobs are held at once, fewer while the gateway answers busy (429/503 make
nothing: the line goes back in the queue with the same key, never failed;
client/concurrency.py learns the limit); a money answer stops every create not yet sent; a
failed line (moderation included) is not sent again unless ``retry_failed``. SQLite runs in
worker threads. ``on_change(run)`` hears each line's new state (the caller throttles what it
shows). Given a ``batch`` id, each line's entry records it with the line's index and the
batch's size (``Entry.batch``: the gallery's "batch X, 3 of 6" and its filter). This is the one
loop of both batches: the notebook's ``Batch`` and ``mql-notebook batch`` (cli/batch.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ..errors import (
    BillingError,
    BudgetExceededError,
    ContentRefusedError,
    GenerationFailedError,
    MQLError,
)
from ..generation import Generation
from ..library import Entry, Library
from .lines import BatchLine
from .plan import attempt_key, latest_attempt, plan_line

if TYPE_CHECKING:
    from ..client import AsyncMQL
    from ..client.concurrency import AdaptiveSlots

LineStatus = Literal[
    "waiting",  # not started on this run
    "queued",  # the gateway was full: sent again later, with the same key
    "creating",
    "running",
    "downloading",
    "completed",  # completed on this run
    "already",  # completed on an earlier run: nothing sent
    "failed",  # the job failed or moderation refused it
    "unfinished",  # stopped for a reason that is not the request's (money, network, cancel)
]
FINISHED = frozenset({"completed", "already", "failed", "unfinished"})
NOT_SENT = "not sent: "


@dataclass
class LineRun:
    """One line of a batch on this run: what ``await batch.run()`` returns, one per line.

    ``generation``: the completed job (None for a line done on an earlier run: its entry and
    video are in the library); ``video``: its first video's file once downloaded.
    """

    index: int
    line: BatchLine
    status: LineStatus = "waiting"
    generation_id: str | None = None
    message: str = ""
    generation: Generation | None = None
    video: Path | None = None
    created: bool = False  # a create of this run made its job
    sent: bool = False  # a create was sent by this run (answered with a job or an error)
    earlier: bool = False  # ended on an earlier run: nothing was done on this one
    error: MQLError | None = field(default=None, repr=False, compare=False)  # what stopped it
    progress: float | None = None
    expected_end: float | None = None  # Unix seconds the job should end at, once told
    stalled: bool = False  # the job takes clearly longer than usual
    task: asyncio.Task[None] | None = field(default=None, repr=False, compare=False)
    cancelled_alone: bool = field(default=False, repr=False, compare=False)

    @property
    def prompt(self) -> str:
        return self.line.prompt

    @property
    def model(self) -> str:
        return self.line.model

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def ok(self) -> bool:
        return self.status in ("completed", "already")

    def cancel(self) -> bool:
        """Stop this line alone (its job, if created, keeps running on the server: a later run
        picks it up); the others go on. False when it has ended or has not started."""
        if self.task is None or self.task.done():
            return False
        self.cancelled_alone = True
        self.task.cancel()
        return True


Report = Callable[[LineRun], None]


def entries_by_key(library: Library, origin: str) -> dict[str, Entry]:
    """The library's entries made on this server, by Idempotency-Key (the newest wins).
    Blocks (SQLite): a worker thread."""
    found: dict[str, Entry] = {}
    for entry in reversed(library.entries()):  # oldest first, so newer ones overwrite
        if entry.idempotency_key and entry.origin == origin:
            found[entry.idempotency_key] = entry
    return found


async def run_lines(
    client: AsyncMQL,
    runs: list[LineRun],
    *,
    concurrency: int,
    retry_failed: bool = False,
    on_change: Report | None = None,
    known: Mapping[str, Entry] | None = None,
    batch: str | None = None,
    slots: AdaptiveSlots | None = None,
) -> list[LineRun]:
    """Every line of ``runs`` to its end on this run (``client`` records into its library);
    ``known``: the library's entries by key, when the caller has read them already; ``batch``:
    the batch's id, recorded on each line's entry with its index (``Entry.batch``); ``slots``:
    the caller's, to read the learned limit (else made here for ``concurrency``)."""
    from ..client.concurrency import AdaptiveSlots, ConcurrencyController

    library = client.library
    assert library is not None and client.recorder is not None
    report: Report = on_change or (lambda run: None)
    origin = client.recorder.origin
    if known is None:
        known = await asyncio.to_thread(entries_by_key, library, origin)
    await asyncio.to_thread(library.remove_stale_parts)  # half-written by a killed run
    size = len(runs)

    async def mark(pairs: list[tuple[str, int]]) -> None:  # (key, index): one write, in a thread
        if batch and pairs:
            rows = [(key, origin, batch, index, size) for key, index in pairs]
            await asyncio.to_thread(library.mark_batch, rows)

    # Lines the library knows already (an earlier run, maybe of another batch) join this one.
    await mark([(k, r.index) for r in runs for k in _attempt_keys(known, r.line.key)])
    if slots is None:
        slots = AdaptiveSlots(ConcurrencyController(concurrency))
    downloads = asyncio.Semaphore(concurrency)
    stopped: list[str] = []  # a money answer: no more creates (each would get the same)

    async def one(run: LineRun) -> None:
        attempt, entry = latest_attempt(known, run.line.key)
        plan = plan_line(entry, retry_failed=retry_failed)
        if plan in ("already", "failed"):
            assert entry is not None
            run.generation_id = entry.id
            run.earlier = True
            if plan == "already":
                run.status, run.video = "already", entry.video
            else:
                run.status, run.message = "failed", entry.error or entry.status
            report(run)
            return
        if plan == "retry":  # a new job, under the next attempt's key
            attempt, entry = attempt + 1, None
        key = attempt_key(run.line.key, attempt)
        try:
            generation = await _carry(client, slots, run, key, entry, stopped, report)
            if run.sent:  # its entry is in the library now: this batch's member
                await mark([(key, run.index)])
            if generation is not None:
                async with downloads:
                    await _download(client, library, run, generation, report)
        except asyncio.CancelledError:
            if not run.finished:
                run.status, run.message = "unfinished", "cancelled"
                report(run)
            if run.cancelled_alone:  # this line only: the batch goes on
                return
            raise
        report(run)

    for run in runs:
        run.task = asyncio.ensure_future(one(run))
    try:
        await asyncio.gather(*(run.task for run in runs if run.task is not None))
    finally:  # an error in one line (the library's disk, say) leaves no other line running
        for run in runs:
            if run.task is not None and not run.task.done():
                run.task.cancel()
            run.task = None
    return runs


async def _carry(
    client: AsyncMQL,
    slots: AdaptiveSlots,
    run: LineRun,
    key: str,
    entry: Entry | None,
    stopped: list[str],
    report: Report,
) -> Generation | None:
    """One line from a slot to its completed job (its Generation), else None with its state set."""
    from ..client.slots import is_busy, slot_delay

    video, timing, line = client.video, client.settings.slot_timing, run.line
    busy_answers = 0
    while True:
        if stopped and entry is None:
            run.status, run.message = "unfinished", NOT_SENT + stopped[0]
            return None
        round_ = await slots.take()
        if stopped and entry is None:  # stopped while this line waited for its slot
            await slots.give_back(was_running=False)
            run.status, run.message = "unfinished", NOT_SENT + stopped[0]
            return None
        waited: Generation | str
        route = None
        if entry is not None and entry.id is not None:  # running already: wait for it
            run.generation_id, route, waited = entry.id, entry.route, entry.id
        else:
            run.status = "creating"
            report(run)
            try:
                generation = await video.create(
                    line.model, line.prompt, idempotency_key=key, slot_timeout=0, **line.options
                )
            except asyncio.CancelledError:
                await slots.give_back(was_running=False)
                raise
            except BudgetExceededError as error:  # refused before it was sent
                await slots.give_back(was_running=False)
                run.status, run.message, run.error = "unfinished", str(error), error
                return None
            except MQLError as error:
                if is_busy(error):  # nothing was made: back in the queue, later, fewer at once
                    await slots.busy(round_)
                    busy_answers += 1
                    run.status, run.message = "queued", "the gateway is full: sent again soon"
                    report(run)
                    retry_after = getattr(error, "retry_after", None)
                    jitter = client.transport.rng.random()
                    await asyncio.sleep(slot_delay(timing, busy_answers, retry_after, jitter))
                    continue
                await slots.give_back(was_running=False)
                if isinstance(error, BillingError):
                    stopped.append(str(error))
                refused = isinstance(error, ContentRefusedError)
                run.status, run.message = ("failed" if refused else "unfinished"), str(error)
                run.error, run.sent = error, True
                return None
            await slots.accepted()
            run.generation_id, run.created, waited = generation.id, True, generation
            run.sent = True
        run.status, run.message = "running", ""
        report(run)

        def progress(update: Generation) -> None:
            end, known_end = update.expected_end, run.expected_end
            moved = (end is None) != (known_end is None) or (
                end is not None and known_end is not None and abs(end - known_end) >= 1
            )
            if update.progress != run.progress or moved or update.stalled != run.stalled:
                run.progress, run.expected_end = update.progress, end
                run.stalled = update.stalled
                report(run)

        try:
            return await video.wait(waited, route=route, on_update=progress)
        except GenerationFailedError as error:
            run.status, run.message, run.error = "failed", str(error), error
            return None
        except MQLError as error:
            run.status, run.message, run.error = "unfinished", str(error), error
            return None
        finally:
            await slots.give_back(was_running=True)


async def _download(
    client: AsyncMQL, library: Library, run: LineRun, generation: Generation, report: Report
) -> None:
    """Every video of a completed job into the library (its own files: no bytes read back)."""
    run.generation, run.status = generation, "downloading"
    report(run)
    try:
        for variant in range(len(generation.variant_ids)):
            dest = await asyncio.to_thread(library.video_path, generation.id, variant)
            await client.video.download(generation, dest, variant=variant)
            if variant == 0:
                run.video = Path(dest)
    except MQLError as error:
        run.status, run.message, run.error = "unfinished", str(error), error
        return
    run.status, run.message = "completed", ""


def _attempt_keys(known: Mapping[str, Entry], key: str) -> list[str]:
    """The keys of every attempt of a line the library knows (the first, then each retry)."""
    attempt, _entry = latest_attempt(known, key)
    return [k for k in (attempt_key(key, a) for a in range(attempt + 1)) if k in known]
