"""The generation object the API returns, readable as a dict (as the seed's snippets do) and by attribute."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import Any

from .money import Cost, cost_from
from .status import CANCELLED, COMPLETED, FAILED, Status, is_terminal, normalize_status

# The official Python SDK falls back to these when a gateway names the id differently.
_ID_KEYS = ("id", "video_id", "task_id")

# The gateway's two video routes: /v1/videos/generations, and MiniMax's task route
# (/v1/videos/minimax/generations, /v1/videos/query/{task_id}, /v1/videos/download/{file_id}).
GENERATIONS_ROUTE = "generations"
MINIMAX_ROUTE = "minimax"
ROUTES: tuple[str, ...] = (GENERATIONS_ROUTE, MINIMAX_ROUTE)


class Generation(Mapping[str, Any]):
    """One answer of the API about a generation job.

    ``gen["id"]`` and ``gen["status"]`` work as in the API page's snippets; ``gen["status"]``
    gives the normalised status (pending, processing, completed, failed, cancelled) whatever
    vocabulary the server speaks, so ``status["status"] == "completed"`` holds for every
    dialect. ``gen.raw`` is the server's JSON untouched and ``gen.raw_status`` its own word.

    ``gen.reconnecting`` is None, except in the updates a wait sends while it rides out an
    outage (the server unreachable, or answering 429/5xx): then it is a short reason such as
    ``"HTTP 503 from the server; trying again"``, and the rest is the last state seen.

    ``gen.waiting_for_slot`` is None, except in the updates a create sends while the gateway is
    full (it answered 429 or 503: nothing was made, the create goes again): then it is the
    server's reason, such as ``"HTTP 429 concurrency_limit_exceeded: ...; trying again in 2 s"``;
    such an update has no job yet (``id`` is ``""``, ``status`` pending).

    ``gen.expected_end`` is None, except in the updates a wait sends when it can tell when the
    job should end (from the progress rate, or how long such jobs took lately in the library):
    then it is that moment as a Unix time (``time.time()``); ``eta_seconds`` counts down to it.
    ``gen.stalled`` is True in such an update when the job takes clearly longer than usual
    (progress stopped moving, or no progress and far past the expected duration).

    ``gen.route`` is the route of the API the job lives on: ``"generations"``, or ``"minimax"``
    for a MiniMax task (its id is the ``task_id``); waits and downloads follow it.
    """

    __slots__ = (
        "expected_end",
        "id",
        "progress_scale",
        "raw",
        "raw_status",
        "reconnecting",
        "route",
        "stalled",
        "status",
        "waiting_for_slot",
    )

    def __init__(self, raw: Mapping[str, Any], *, id: str, route: str = GENERATIONS_ROUTE):
        self.raw: dict[str, Any] = dict(raw)
        self.id = id
        self.route = route
        self.raw_status: str = str(raw.get("status", ""))
        self.status: Status = normalize_status(raw.get("status"))
        self.reconnecting: str | None = None
        self.waiting_for_slot: str | None = None
        self.expected_end: float | None = None
        self.stalled = False
        self.progress_scale = (
            1.0  # 100 when the server sends fractions of one (client/progress_scale.py)
        )

    def with_reconnecting(self, reason: str | None) -> Generation:
        """A copy of this state with ``reconnecting`` set to ``reason`` (None: a normal update)."""
        copy = Generation(self.raw, id=self.id, route=self.route)
        copy.reconnecting = reason
        copy.waiting_for_slot = self.waiting_for_slot
        copy.expected_end = self.expected_end
        copy.stalled, copy.progress_scale = self.stalled, self.progress_scale
        return copy

    def with_waiting_for_slot(self, reason: str | None) -> Generation:
        """A copy of this state with ``waiting_for_slot`` set to ``reason`` (None: not waiting)."""
        copy = self.with_reconnecting(self.reconnecting)
        copy.waiting_for_slot = reason
        return copy

    def with_expected_end(
        self, at: float | None, *, stalled: bool = False, progress_scale: float | None = None
    ) -> Generation:
        """A copy of this state with ``expected_end`` (a Unix time, or None) and ``stalled`` set."""
        copy = self.with_reconnecting(self.reconnecting)
        copy.expected_end, copy.stalled = at, stalled
        if progress_scale is not None:
            copy.progress_scale = progress_scale
        return copy

    @property
    def eta_seconds(self) -> float | None:
        """Seconds until ``expected_end`` (never negative), or None when there is no estimate."""
        if self.expected_end is None:
            return None
        return max(0.0, self.expected_end - time.time())

    # Mapping: the server's fields, with the id and the status normalised.
    def __getitem__(self, key: str) -> Any:
        if key == "id":
            return self.id
        if key == "status":
            return self.status
        return self.raw[key]

    def __iter__(self) -> Iterator[str]:
        keys = dict.fromkeys(("id", "status"))
        keys.update(dict.fromkeys(self.raw))
        return iter(keys)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        progress = "" if self.progress is None else f", progress={self.progress:g}"
        outage = "" if self.reconnecting is None else f", reconnecting={self.reconnecting!r}"
        if self.waiting_for_slot is not None:
            outage += f", waiting_for_slot={self.waiting_for_slot!r}"
        return f"Generation(id={self.id!r}, status={self.status!r}{progress}{outage})"

    @property
    def progress(self) -> float | None:
        """0 to 100 (a server's fractions of one as percent in a wait's updates), or None."""
        value = self.raw.get("progress")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        return float(min(max(value * self.progress_scale, 0), 100))

    @property
    def model(self) -> str | None:
        return _str_or_none(self.raw.get("model"))

    @property
    def prompt(self) -> str | None:
        return _str_or_none(self.raw.get("prompt"))

    @property
    def created_at(self) -> float | None:
        value = self.raw.get("created_at")
        return (
            float(value)
            if isinstance(value, (int, float)) and not isinstance(value, bool)
            else None
        )

    @property
    def download_url(self) -> str | None:
        return _str_or_none(self.raw.get("download_url"))

    @property
    def size(self) -> str | None:
        return _str_or_none(self.raw.get("size"))

    @property
    def seconds(self) -> float | None:
        value = self.raw.get("seconds", self.raw.get("duration"))
        try:
            return float(value) if value is not None and not isinstance(value, bool) else None
        except (TypeError, ValueError):
            return None

    @property
    def cost(self) -> Cost | None:
        """What the server says the job cost (its ``usage`` or ``cost`` object), or None."""
        return cost_from(self.raw)

    @property
    def variant_ids(self) -> list[str]:
        """The id of each video of the job: the ``generations`` list for n > 1, else the job id."""
        variants = self.raw.get("generations")
        if isinstance(variants, list):
            found = [v.get("id") if isinstance(v, Mapping) else v for v in variants]
            ids = [i for i in found if isinstance(i, str) and i]
            if ids:
                return ids
        return [self.id]

    @property
    def error_message(self) -> str | None:
        """The server's reason for a failure, as plain text."""
        error = self.raw.get("error")
        if isinstance(error, Mapping):
            message = error.get("message") or error.get("code")
            return str(message) if message else None
        return str(error) if error else None

    @property
    def error_code(self) -> str | None:
        error = self.raw.get("error")
        return _str_or_none(error.get("code")) if isinstance(error, Mapping) else None

    @property
    def done(self) -> bool:
        return is_terminal(self.status)

    @property
    def completed(self) -> bool:
        return self.status == COMPLETED

    @property
    def failed(self) -> bool:
        return self.status in (FAILED, CANCELLED)


def generation_id_of(raw: Mapping[str, Any]) -> str | None:
    """The job's id under any of the names gateways use, or None."""
    for key in _ID_KEYS:
        value = raw.get(key)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
    return None


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None
