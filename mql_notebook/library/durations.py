"""How long jobs of each kind took (the poller's first guess): the library's ``durations`` table."""

from __future__ import annotations

import time

from .._constants import LEARNED_DURATION_SAMPLES
from .entry import expected_from
from .index import IndexedFolder


class LearnedDurations(IndexedFolder):
    """``record_duration`` after a job completes, ``expected_duration`` before a wait."""

    def record_duration(
        self,
        origin: str,
        model: str,
        duration: int | None,
        resolution: str | None,
        n: int,
        seconds: float,
    ) -> None:
        """How long one job of this kind took from create to completed."""
        self._write(
            "recording a duration",
            lambda c: c.execute(
                "INSERT INTO durations (origin, model, duration, resolution, n, seconds, "
                "recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (origin, model, duration, resolution, n, float(seconds), time.time()),
            ),
        )

    def expected_duration(
        self, origin: str, model: str, duration: int | None, resolution: str | None, n: int = 1
    ) -> float | None:
        """Seconds a job of this kind is expected to take (median of the latest), or None if unknown."""
        rows = self._read(
            "reading durations",
            lambda c: c.execute(
                "SELECT seconds FROM durations WHERE origin = ? AND model = ? AND duration IS ? "
                "AND resolution IS ? AND n = ? ORDER BY recorded_at DESC, rowid DESC LIMIT ?",
                (origin, model, duration, resolution, n, LEARNED_DURATION_SAMPLES),
            ).fetchall(),
        )
        return expected_from([r[0] for r in rows])
