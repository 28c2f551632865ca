"""The badge's time left: there from the create on, better at every look, a stall seen as one.

Before any progress the end comes from a prior: the library's learned duration of like jobs
(firm), else the request's typical duration (``request/typical.py``, loose). Each look that
gives an estimate from progress (its rate, or one reading) refines it by weight, as a Kalman
filter does: the new end moves the shown one by how sure each is, instead of replacing it, so
the countdown does not jump; between looks the shown end loses weight as time passes (the rate
may change). Past its estimate with the job still running, the end moves ahead with the clock.
A stall (progress stopped for clearly longer than its rate allows; without progress, far past
the prior) sets ``stalled``: the badge then says "taking longer than usual", until a new rate
is measured (the second look that sees progress move again).

Plain decisions, no I/O: the clock is passed in (the poller's), shared by the sync and async
clients.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

LEARNED_SPREAD = 0.15  # a learned duration: its typical error, as a share of it
PRIOR_SPREAD = 0.6  # a typical duration from the request: a loose guess
SHAPE_SPREAD = (
    0.12  # an estimate from the progress rate: the curve may bend, share of the time left
)
ONE_READING_SPREAD = 0.5  # from one progress reading: when progress began is unknown ...
LOW_READING = 3.0  # ... plus this many percent over the reading's (3 % of progress: +1.0)
DRIFT = 0.1  # s of spread the shown end gains per second between looks
STALL_POINTS = 15.0  # progress should have moved this many points by now ...
STALL_SECONDS = 4.0  # ... and has not for this long: a stall
OVERDUE_LEARNED = 1.5  # without progress: a stall past this many times the learned duration ...
OVERDUE_TYPICAL = 3.0  # ... or the typical one ...
OVERDUE_SLACK = 5.0  # ... plus this many seconds
PAST_END_SHARE = (
    0.1  # past the estimate and still running: the end is this share of the elapsed time ahead
)
PAST_END_LEAST = 1.0  # ... and at least this many seconds


@dataclass(frozen=True)
class Prior:
    """How long the job should take from its create, before any progress: learned or typical."""

    duration: float
    learned: bool

    @property
    def spread(self) -> float:
        return self.duration * (LEARNED_SPREAD if self.learned else PRIOR_SPREAD)

    @property
    def overdue(self) -> float:
        """Seconds after the create past which a job without progress is taken as stalled."""
        return (
            self.duration * (OVERDUE_LEARNED if self.learned else OVERDUE_TYPICAL) + OVERDUE_SLACK
        )


def measured(
    end: float, rounding: float, now: float, from_rate: bool, progress: float | None = None
) -> tuple[float, float]:
    """An end estimated from progress and its spread (s): ``rounding`` from whole percents,
    plus a share of the time left for the curve's shape (from one low reading, a large one:
    when progress began weighs more the less of it there is)."""
    share = SHAPE_SPREAD
    if not from_rate:
        share = ONE_READING_SPREAD + LOW_READING / max(progress or 0.0, 1.0)
    return end, max(rounding if math.isfinite(rounding) else 0.0, 0.0) + share * max(end - now, 0.0)


@dataclass
class TimeLeft:
    """Feed it every look (``look``); ``end`` is the moment to count down to, ``stalled`` the flag."""

    created: float  # when the job was created, on the clock passed to ``look``
    prior: Prior | None = None
    end: float | None = None
    variance: float = math.inf
    stalled: bool = False
    _at: float | None = None  # the last look
    _base: float | None = None  # the last look that saw no progress (or the create)
    _moved: tuple[float, float] | None = None  # the first look that saw the latest progress value
    _last: tuple[float, float] | None = None  # (time, progress) of the look before this one
    _recovering: bool = False  # the first look that saw progress move after a stall
    _progress_seen: bool = field(default=False)

    def __post_init__(self) -> None:
        self._base = self.created
        if self.prior is not None and self.end is None:
            self.end = self.created + self.prior.duration
            self.variance = self.prior.spread**2
            self._at = self.created

    def look(
        self, now: float, progress: float | None, estimate: tuple[float, float] | None
    ) -> float | None:
        """One look: ``progress`` (percent) and the end estimated from progress with its spread."""
        if estimate is not None:
            estimate = (min(estimate[0], self._latest_end(now, progress)), estimate[1])
        self._track(now, progress)
        was, self.stalled = self.stalled, self._is_stalled(now, progress)
        if was and not self.stalled and not self._recovering:
            # Progress moves again, but no rate is known yet: one look more says "stalled"
            # rather than count down to an end from a rate that spans the stall.
            self.stalled = self._recovering = True
        else:
            self._recovering = False
        if self.end is not None and self._at is not None:
            self.variance += (DRIFT * max(0.0, now - self._at)) ** 2
        if self.stalled:
            self.variance = math.inf  # what was expected no longer holds; a new rate takes over
        elif estimate is not None:
            self.end, self.variance = blend(self.end, self.variance, *estimate)
        if self.end is not None and self.end <= now:
            ahead = max(PAST_END_LEAST, PAST_END_SHARE * (now - self.created))
            self.end = now + ahead
            self.variance = max(self.variance, ahead**2)
        self._at = now
        return self.end

    def _latest_end(self, now: float, progress: float | None) -> float:
        """The latest the job can end if progress keeps the pace of its latest move.

        Progress moved from the last look's value to this one's since then, so at least that
        fast: a window of readings spanning a stall would say far slower (and a far later end).
        """
        last = self._last
        if last is None or progress is None or progress <= last[1] or now <= last[0]:
            return math.inf
        return now + (100.0 - progress) * (now - last[0]) / (progress - last[1])

    def _track(self, now: float, progress: float | None) -> None:
        if progress is None:
            return
        self._last = (now, progress)
        self._progress_seen = True
        if progress <= 0:
            self._base, self._moved = now, None
        elif self._moved is None or progress != self._moved[1]:
            self._moved = (now, progress)

    def _is_stalled(self, now: float, progress: float | None) -> bool:
        if self._moved is not None and progress is not None and 0 < progress < 100:
            since, value = self._moved
            began = self._base if self._base is not None else self.created
            rate = value / (since - began) if since > began else 0.0
            still = now - since
            return still >= STALL_SECONDS and still * rate >= STALL_POINTS
        if not self._progress_seen and self.prior is not None:
            return now - self.created > self.prior.overdue
        return False


def blend(end: float | None, variance: float, new: float, spread: float) -> tuple[float, float]:
    """The shown end moved toward ``new`` by their weights (inverse variances)."""
    new_variance = max(spread, 0.01) ** 2
    if end is None or not math.isfinite(variance):
        return new, new_variance
    gain = variance / (variance + new_variance)
    return end + gain * (new - end), variance * (1.0 - gain)
