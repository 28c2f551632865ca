"""Outages: an endpoint that fails every request for a while, as a deploy or an overload does.

``faults.outage(endpoint="status", seconds=15, kind="503_html")`` makes every status request
of the next 15 s fail, then the endpoint is back (the jobs keep running meanwhile). Kinds:

- ``503_html``, ``502``, ``504``: a proxy's HTML error page, no ``Retry-After``;
- ``529``: the API's JSON ``overloaded`` error;
- ``refused``: the connection is cut at once with no answer (a reset), as when nothing
  listens behind the proxy.

Over HTTP: ``POST /_emulator/faults {"outage": {"endpoint": "status", "seconds": 15,
"kind": "503_html"}}``. The ``storage`` endpoint is the signed-URL origin of
``LocalServer(storage="redirect")``; ``"*"`` takes every endpoint down.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

OUTAGE_KINDS: tuple[str, ...] = ("503_html", "502", "504", "529", "refused")
OUTAGE_ENDPOINTS: tuple[str, ...] = ("create", "status", "content", "storage")


@dataclass(frozen=True)
class Outage:
    kind: str
    until: float  # on the outages' clock


class Outages:
    """The outages under way, per endpoint; thread-safe."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._by_endpoint: dict[str, Outage] = {}

    def start(
        self, endpoint: str = "status", seconds: float = 15.0, kind: str = "503_html"
    ) -> None:
        """Fail every request to ``endpoint`` (``"*"``: all of them) for ``seconds`` from now."""
        if endpoint != "*" and endpoint not in OUTAGE_ENDPOINTS:
            raise ValueError(
                f"outage endpoint {endpoint!r}: use one of {', '.join(OUTAGE_ENDPOINTS)} or '*'"
            )
        if kind not in OUTAGE_KINDS:
            raise ValueError(f"outage kind {kind!r}: use one of {', '.join(OUTAGE_KINDS)}")
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, (int, float))
            or not math.isfinite(seconds)
            or seconds < 0
        ):
            raise ValueError(f"outage seconds must be a number >= 0, not {seconds!r}")
        endpoints = OUTAGE_ENDPOINTS if endpoint == "*" else (endpoint,)
        with self._lock:
            until = self._clock() + seconds
            for name in endpoints:
                self._by_endpoint[name] = Outage(kind, until)

    def start_from(self, config: Any) -> None:
        """The JSON form: ``{"endpoint": "status", "seconds": 15, "kind": "503_html"}``."""
        if not isinstance(config, Mapping):
            raise ValueError("outage must be an object: {endpoint, seconds, kind}")
        unknown = set(config) - {"endpoint", "seconds", "kind"}
        if unknown:
            raise ValueError(
                f"unknown outage settings {sorted(unknown)}; use endpoint, seconds, kind"
            )
        self.start(**config)

    def kind(self, endpoint: str) -> str | None:
        """The kind of the outage ``endpoint`` is in now, or None."""
        with self._lock:
            outage = self._by_endpoint.get(endpoint)
            if outage is None:
                return None
            if self._clock() >= outage.until:
                del self._by_endpoint[endpoint]
                return None
            return outage.kind

    def clear(self) -> None:
        with self._lock:
            self._by_endpoint.clear()

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """``{endpoint: {"kind", "remaining"}}`` for the outages still under way."""
        with self._lock:
            now = self._clock()
            return {
                name: {"kind": o.kind, "remaining": round(o.until - now, 3)}
                for name, o in self._by_endpoint.items()
                if o.until > now
            }
