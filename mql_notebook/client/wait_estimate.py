"""What a wait's updates say of the job's end: progress in percent, a time left, a stall flag.

The poller (client/poller.py) plans its looks; this wires each look into the time left
(client/timeleft.py): its prior from the library's learned duration, else from the request the
job was made with (request/typical.py, read off the server's answer), then refined by the
planner's estimate from progress. Plain decisions: the clock is passed in.
"""

from __future__ import annotations

import time
from typing import Protocol

from ..generation import Generation
from ..request.typical import typical_duration
from .progress_scale import ProgressScale
from .timeleft import Prior, TimeLeft, measured

MOVED = 1.0  # s: a new end this far from the reported one is worth an update


class ProgressEstimator(Protocol):
    """The planner's estimate of the end from progress (client/poller.py, PollPlanner)."""

    def progress_estimate(self) -> tuple[float, float, bool] | None: ...


class WaitEstimate:
    """One per wait: ``scaled`` before the plan, ``after_look`` for the update it reports."""

    def __init__(self, started: float, learned: tuple[float, float] | None = None) -> None:
        self._started = started
        self._scale = ProgressScale()
        self._left: TimeLeft | None = None
        if learned is not None:  # (learned duration, seconds since the create)
            duration, ago = learned
            self._left = TimeLeft(started - max(0.0, ago), Prior(duration, learned=True))
        self.reported: tuple[float | None, bool] | None = None

    def scaled(self, generation: Generation) -> Generation:
        """The state with its progress in percent (a server's fractions of one times 100)."""
        factor = self._scale.see(generation.raw.get("progress"))
        if factor == generation.progress_scale:
            return generation
        return generation.with_expected_end(
            generation.expected_end, stalled=generation.stalled, progress_scale=factor
        )

    def after_look(
        self, generation: Generation, planner: ProgressEstimator, now: float
    ) -> Generation:
        """The state with the time left as of this look (``now``, the poller's clock)."""
        if self._left is None:
            self._left = TimeLeft(self._created(generation, now), _typical_prior(generation))
        found = planner.progress_estimate()
        estimate = (
            None if found is None else measured(*found[:2], now, found[2], generation.progress)
        )
        end = self._left.look(now, generation.progress, estimate)
        at = None if end is None else time.time() + (end - now)
        return generation.with_expected_end(at, stalled=self._left.stalled)

    def worth_reporting(self, generation: Generation) -> bool:
        """True when the end moved by ``MOVED`` s or more, or the stall flag changed."""
        now = (generation.expected_end, generation.stalled)
        before, self.reported = self.reported, now
        if before is None or before[1] != now[1] or (before[0] is None) != (now[0] is None):
            return True
        return before[0] is not None and now[0] is not None and abs(now[0] - before[0]) >= MOVED

    def _created(self, generation: Generation, now: float) -> float:
        """When the job was made, on the poller's clock: its ``created_at`` if clearly before."""
        created = generation.created_at
        ago = time.time() - created if created is not None else 0.0
        return now - ago if 2.0 < ago < 7 * 86400 else self._started


def _typical_prior(generation: Generation) -> Prior:
    raw = generation.raw
    return Prior(
        typical_duration(
            generation.model,
            raw.get("seconds", raw.get("duration")),
            raw.get("resolution"),
            raw.get("n_variants", raw.get("n", 1)),
        ),
        learned=False,
    )
