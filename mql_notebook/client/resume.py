"""``client.video.resume_pending()``: finish what the library says is unfinished, creating nothing new.

Per pending entry:

- it has an id: wait for the job and download every video into the library;
- its create never got an answer: listed with its Idempotency-Key; re-sent with that same key
  only when ``resend_unanswered=True`` (safe only with a server that honours the key);
- it was made by an in-process emulator (``base_url="local"``) of a process that has ended:
  its jobs ended with it, so the entry is marked failed with that reason instead of polling a
  dead port. An emulator still running in another process is asked with the emulator's key;
- it belongs to another server: left alone (this client's key never goes to another origin).

A client of another origin is asked of ``client_of`` (``AsyncMQL`` hands one over): this module
never builds a client itself, so it imports none.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from .._constants import LOCAL_API_KEY, RESUME_CONCURRENCY, RESUME_PROBE_TIMEOUT
from .._origins import is_loopback
from ..errors import ConfigurationError, GenerationFailedError, MQLError
from ..library.entry import EMULATOR
from ..status import FAILED

if TYPE_CHECKING:
    from ..library import Entry, Library
    from .async_client import AsyncMQL
    from .recording import Recorder
    from .videos import AsyncVideo

Outcome = Literal["completed", "failed", "unanswered", "lost", "other_origin", "interrupted"]
# A client of another server (base_url, api_key), recording into the same library.
ClientFactory = Callable[[str, str], "AsyncMQL"]


@dataclass(frozen=True)
class Resumed:
    """What became of one pending entry: ``entry`` as the library now has it, and why."""

    entry: Entry
    outcome: Outcome
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, for ``library resume --json``."""
        return {"outcome": self.outcome, "message": self.message, "entry": self.entry.to_dict()}


async def resume_pending(
    video: AsyncVideo,
    recorder: Recorder | None,
    client_of: ClientFactory | None,
    *,
    resend_unanswered: bool = False,
    timeout: float | None = None,
) -> list[Resumed]:
    if recorder is None:
        raise ConfigurationError(
            "resume_pending needs a library: MQL(library='mql-videos') or set MQL_LIBRARY"
        )
    pending = await asyncio.to_thread(recorder.library.pending)
    await asyncio.to_thread(recorder.library.remove_stale_parts)
    gate = asyncio.Semaphore(RESUME_CONCURRENCY)

    async def one(entry: Entry) -> Resumed:
        async with gate:
            return await resume_entry(
                video, recorder, entry, resend_unanswered, timeout, client_of=client_of
            )

    return list(await asyncio.gather(*(one(e) for e in pending)))


async def resume_entry(
    video: AsyncVideo,
    recorder: Recorder,
    entry: Entry,
    resend_unanswered: bool = False,
    timeout: float | None = None,
    *,
    client_of: ClientFactory | None = None,
) -> Resumed:
    """Finish one entry as ``resume_pending`` would (a batch resumes its own lines with this)."""
    library = recorder.library
    if entry.origin != recorder.origin:
        if entry.origin_kind != EMULATOR and not is_loopback(entry.origin):
            return Resumed(
                entry,
                "other_origin",
                f"made on {entry.origin}; this client talks to {recorder.origin}: resume it "
                "with a client of that server",
            )
        if not await _listening(entry.origin):
            what = "in-process emulator" if entry.origin_kind == EMULATOR else "local server"
            message = (
                f"lost: the {what} at {entry.origin} that ran this job is no longer running, and "
                "its jobs ended with it; nothing to resume"
            )
            await asyncio.to_thread(library.record_status, entry.key, FAILED, error=message)
            return await _now(library, entry, "lost", message)
        if entry.origin_kind != EMULATOR or client_of is None or entry.origin is None:
            return Resumed(
                entry,
                "other_origin",
                f"made on {entry.origin}; this client talks to {recorder.origin}",
            )
        # Another process's emulator still runs: ask it (with the emulator's key, never ours).
        async with client_of(entry.origin, LOCAL_API_KEY) as other:
            assert other.recorder is not None  # it records into this library
            return await resume_entry(
                other.video, other.recorder, entry, resend_unanswered, timeout
            )
    generation_id = entry.id
    try:
        if generation_id is None:
            if not resend_unanswered:
                return Resumed(
                    entry,
                    "unanswered",
                    f"the create was sent with Idempotency-Key {entry.idempotency_key} and never "
                    "answered; resend_unanswered=True sends it again with the same key (no second "
                    "job only if the server honours Idempotency-Key)",
                )
            # The request as recorded: declared options, the model's own fields (a task's first
            # frame too) and the images as the library's copies of what was sent (the same
            # bytes: the same body, which the Idempotency-Key requires).
            options = {k: v for k, v in entry.request.items() if k not in ("model", "prompt")}
            created = await video.create(
                entry.model or "",
                entry.prompt,
                idempotency_key=entry.idempotency_key,
                parent=entry.parent,
                route=entry.route,
                **options,
            )
            generation_id = created.id
        # The route that made it: a MiniMax task is asked by its query route, no second task.
        generation = await video.wait(generation_id, timeout=timeout, route=entry.route)
        for variant in range(len(generation.variant_ids)):
            await video.download(generation, variant=variant)
    except GenerationFailedError as error:
        return await _now(library, entry, "failed", str(error))
    except MQLError as error:  # unreachable, a wait timeout, a full disk: still pending
        return await _now(library, entry, "interrupted", str(error))
    return await _now(library, entry, "completed")


async def _now(library: Library, entry: Entry, outcome: Outcome, message: str = "") -> Resumed:
    current = await asyncio.to_thread(library.get, entry.key)
    return Resumed(current or entry, outcome, message)


async def _listening(origin: str | None) -> bool:
    """Whether anything accepts connections at ``origin`` (a refused connect means nothing does)."""
    parts = urlsplit(origin or "")
    if not parts.hostname or not parts.port:
        return False
    try:
        _reader, writer = await asyncio.wait_for(
            asyncio.open_connection(parts.hostname, parts.port), RESUME_PROBE_TIMEOUT
        )
    except (OSError, asyncio.TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True
