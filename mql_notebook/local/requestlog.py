"""The record of every API request the emulator received, so a test can prove what was sent."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

DEFAULT_MAX_RECORDS = 10_000


@dataclass(frozen=True)
class RequestRecord:
    """One API request as the emulator saw it (admin requests under ``/_emulator/`` are not recorded)."""

    method: str
    path: str
    status: int | None
    """The HTTP status sent, or None when the connection was dropped before any answer."""
    time: float
    """``time.monotonic()`` when the request arrived (comparable with the test's own clock)."""
    wall_time: float
    """``time.time()`` when the request arrived."""
    duration: float
    """Seconds from arrival to the end of the answer (or the drop)."""
    endpoint: str | None = None
    """``create``, ``status``, ``content``, or None for any other path."""
    generation_id: str | None = None
    idempotency_key: str | None = None
    fault: str | None = None
    """What was injected, e.g. ``rate_limit``, ``server_error:502``, ``drop``, ``latency:0.5+truncate``, ``job:fail``."""
    headers: dict[str, str] | None = None
    """The request's headers (names lower-case), kept for the storage origin's requests only."""
    query: str | None = None
    """The query string, kept for the storage origin's requests only (it holds the signature)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class RequestLog:
    """A bounded, thread-safe list of :class:`RequestRecord` (the oldest are forgotten first)."""

    def __init__(self, max_records: int = DEFAULT_MAX_RECORDS):
        self._records: deque[RequestRecord] = deque(maxlen=max_records)
        self._lock = threading.Lock()
        self._added = threading.Condition(self._lock)

    def add(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)
            self._added.notify_all()

    def wait_for(self, n: int, timeout: float, **criteria: Any) -> bool:
        """Block this thread until ``n`` records match ``criteria``; False on timeout. Not for an event loop."""
        with self._added:
            return self._added.wait_for(lambda: self._count_locked(**criteria) >= n, timeout)

    def records(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()

    def count(
        self,
        method: str | None = None,
        path: str | None = None,
        *,
        endpoint: str | None = None,
        status: int | None = None,
    ) -> int:
        """How many recorded requests match every criterion given (``count("POST", "/v1/videos/generations")``)."""
        with self._lock:
            return self._count_locked(method, path, endpoint=endpoint, status=status)

    def _count_locked(self, method: str | None = None, path: str | None = None, **more: Any) -> int:
        """``count`` for a caller that holds the lock (``endpoint=``, ``status=`` in ``more``)."""
        endpoint, status = more.get("endpoint"), more.get("status")
        return sum(
            1
            for r in self._records
            if (method is None or r.method == method.upper())
            and (path is None or r.path == path)
            and (endpoint is None or r.endpoint == endpoint)
            and (status is None or r.status == status)
        )

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)
