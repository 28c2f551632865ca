"""One generation as the library remembers it, and the plain decisions about entries (no I/O)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._constants import LEARNED_DURATION_SAMPLES
from .._origins import origin_of as origin_of  # widget/history.py reads it here
from ..generation import GENERATIONS_ROUTE
from ..status import COMPLETED, is_terminal

EMULATOR = "emulator"  # origin_kind of a job made by an in-process emulator (base_url="local")


@dataclass(frozen=True)
class Entry:
    """A generation recorded in a library.

    ``id`` is None until the server answered the create; ``key`` is the library's own stable
    name for the entry from before the request left. ``files``, ``sizes``, ``sha256`` and
    ``posters`` are indexed by variant (``files[0]`` is the first video), None where that
    variant has not been downloaded (yet).
    """

    key: str
    id: str | None
    status: str
    prompt: str | None
    model: str | None
    options: dict[str, Any]
    created_at: float
    finished_at: float | None = None
    error: str | None = None
    origin: str | None = None
    idempotency_key: str | None = None
    files: tuple[Path | None, ...] = ()
    sizes: tuple[int | None, ...] = ()
    sha256: tuple[str | None, ...] = ()
    posters: tuple[Path | None, ...] = ()
    origin_kind: str | None = None
    answered_at: float | None = None
    route: str = GENERATIONS_ROUTE  # "minimax": a MiniMax task (its id is the task_id)

    @property
    def answered(self) -> bool:
        """Whether the server answered the create (only then is there an id to resume)."""
        return self.id is not None

    @property
    def video(self) -> Path | None:
        """The first variant's file, once downloaded."""
        return self.files[0] if self.files else None

    @property
    def n(self) -> int:
        value = self.options.get("n")
        return value if isinstance(value, int) and value > 0 else 1

    @property
    def finished(self) -> bool:
        """Nothing left to do: it failed or was cancelled, or it completed and a video is here."""
        if self.status == COMPLETED:
            return any(f is not None for f in self.files)
        return is_terminal(self.status)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (paths as strings), the stable shape of ``library list --json``."""
        return {
            "key": self.key,
            "id": self.id,
            "status": self.status,
            "prompt": self.prompt,
            "model": self.model,
            "options": dict(self.options),
            "created_at": self.created_at,
            "answered_at": self.answered_at,
            "finished_at": self.finished_at,
            "error": self.error,
            "origin": self.origin,
            "origin_kind": self.origin_kind,
            "idempotency_key": self.idempotency_key,
            "route": self.route,
            "files": [None if f is None else str(f) for f in self.files],
            "sizes": list(self.sizes),
            "sha256": list(self.sha256),
            "posters": [None if p is None else str(p) for p in self.posters],
        }


def entry_from_row(folder: Path, row: tuple[Any, ...], file_rows: list[tuple[Any, ...]]) -> Entry:
    """An Entry from a row of ``entries`` and its rows of ``files`` (variant, name, size, sha256, poster)."""
    key, gid, status, prompt, model, options, created, finished, error, origin, idem = row[:11]
    count = max((f[0] for f in file_rows), default=-1) + 1
    paths: list[Path | None] = [None] * count
    sizes: list[int | None] = [None] * count
    sums: list[str | None] = [None] * count
    posters: list[Path | None] = [None] * count
    for variant, name, size, sha, poster in file_rows:
        paths[variant] = folder / name
        sizes[variant], sums[variant] = size, sha
        posters[variant] = folder / poster if poster else None
    return Entry(
        key=key,
        id=gid,
        status=status,
        prompt=prompt,
        model=model,
        options=json.loads(options or "{}"),
        created_at=created,
        finished_at=finished,
        error=error,
        origin=origin,
        idempotency_key=idem,
        files=tuple(paths),
        sizes=tuple(sizes),
        sha256=tuple(sums),
        posters=tuple(posters),
        origin_kind=row[11],
        answered_at=row[12],
        route=row[13] or GENERATIONS_ROUTE,
    )


def options_of(body: dict[str, Any]) -> dict[str, Any]:
    """The options of a create request body, besides its prompt and model."""
    return {k: v for k, v in body.items() if k not in ("prompt", "model")}


def create_was_refused(status_code: int | None) -> bool:
    """Whether an error answer to a create means no job was made (a 4xx, or 503: not processed;
    or an error inside a 2xx, as MiniMax's base_resp codes come: the answer names no job).

    After a 500, 502, 504 or 529 the server may have made the job before failing: the entry
    stays unanswered, to be resumed with its Idempotency-Key, not marked failed.
    """
    return status_code is not None and (
        200 <= status_code < 300 or 400 <= status_code < 500 or status_code == 503
    )


def learned_duration(
    created_at: float, completed_seen_at: float, last_look_before: float | None
) -> float | None:
    """Seconds from create to completed, or None when the completion was not seen promptly.

    A completion noticed long after the previous look (a resume hours later, a get_status
    days later) says nothing about how long jobs take.
    """
    if last_look_before is None:
        return None
    elapsed = completed_seen_at - created_at
    gap = completed_seen_at - last_look_before
    if elapsed <= 0 or gap > max(10.0, 0.2 * elapsed):
        return None
    # It ended somewhere between the last two looks: the middle is the unbiased guess (the
    # completed look alone would add the wait's lateness to every learned duration).
    return elapsed - gap / 2


def expected_from(samples: Sequence[float]) -> float | None:
    """The expected duration from the latest samples (newest first): their median."""
    recent = sorted(s for s in samples[:LEARNED_DURATION_SAMPLES] if s > 0)
    if not recent:
        return None
    # The median, by hand: importing statistics costs more than the rest of the library.
    middle = len(recent) // 2
    return recent[middle] if len(recent) % 2 else (recent[middle - 1] + recent[middle]) / 2
