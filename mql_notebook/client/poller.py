"""The poller: it looks at a job until it ends, and decides when to look again.

The official SDK sleeps a blind 5 s between looks. ``PollPlanner`` (plain decisions, no I/O,
no clock) looks soon after the create, estimates the completion time from the progress rate
and looks right then, backs off while nothing changes, and never looks sooner than the
server asked. ``poll_until_done`` only sleeps and asks, following the plan.

A failed look that is an outage (``retry.is_transient``) does not end the wait: the next
look comes after ``retry.outage_delay`` (a few seconds at most), and ``on_update`` hears
the last state seen with ``reconnecting`` set, once per cause, then the fresh state.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from .._constants import (
    DEFAULT_POLL_AIM_PAST_ESTIMATE,
    DEFAULT_POLL_BACKOFF,
    DEFAULT_POLL_ELAPSED_FRACTION,
    DEFAULT_POLL_FIRST_DELAY,
    DEFAULT_POLL_FIRST_PROGRESS_SPAN,
    DEFAULT_POLL_MAX_INTERVAL,
    DEFAULT_POLL_MIN_INTERVAL,
    DEFAULT_POLL_NEAR,
    DEFAULT_POLL_TRUSTED_ERROR,
)
from ..errors import MQLError, WaitTimeoutError
from ..generation import Generation
from .callbacks import call
from .expected import ExpectedEnd, delay_toward, gentle_interval
from .refusals import failed_job_error
from .retry import OutageTiming, is_transient, outage_cause, outage_delay, reconnecting_reason
from .wait_estimate import WaitEstimate


@dataclass(frozen=True)
class PollTiming:
    """When a wait looks at a job (every default, and what it means, in ``_constants.py``)."""

    first_delay: float = DEFAULT_POLL_FIRST_DELAY
    min_interval: float = DEFAULT_POLL_MIN_INTERVAL
    max_interval: float = DEFAULT_POLL_MAX_INTERVAL
    backoff: float = DEFAULT_POLL_BACKOFF
    elapsed_fraction: float = DEFAULT_POLL_ELAPSED_FRACTION
    aim_past_estimate: float = DEFAULT_POLL_AIM_PAST_ESTIMATE
    near: float = DEFAULT_POLL_NEAR
    first_progress_span: float = DEFAULT_POLL_FIRST_PROGRESS_SPAN
    trusted_error: float = DEFAULT_POLL_TRUSTED_ERROR
    outage: OutageTiming = field(default_factory=OutageTiming)  # looks while the server is down


@dataclass
class PollPlanner:
    """Feed it each observation; it answers how long to wait before the next look.

    The plan for a job with steady progress, in four or five looks: one soon after the
    create (instant failures, short jobs); looks further apart while it is pending; at the
    first progress, one look a few elapsed times later (never past the latest the job can
    end, from the slowest rate progress can have had); from those two readings, far apart,
    the completion time, and one look just after it.
    """

    timing: PollTiming = field(default_factory=PollTiming)
    started: float = 0.0
    # When the library expects the job to end (client/expected.py): aimed at without progress.
    expected: ExpectedEnd | None = None
    _gentle: float = 0.0  # the interval once past the expected end
    _interval: float = 0.0
    # (time, progress) of each look that saw progress move, after the last look before the first move.
    _moves_seen: list[tuple[float, float]] = field(default_factory=list)
    _last_progress_look: tuple[float, float] | None = None
    _last_zero_look: float | None = None  # the last look that saw no progress at all
    _RATE_WINDOW = 5
    _FIRST_GUESS_FROM = 10.0  # percent: the least progress a one-reading estimate is made from
    _last_seen: tuple[str, float | None] | None = None

    def first_delay(self) -> float:
        self._interval = self.timing.first_delay
        return self.timing.first_delay

    def next_delay(
        self, now: float, status: str, progress: float | None, server_hint: float | None = None
    ) -> float:
        t = self.timing
        changed = self._last_seen != (status, progress)
        self._observe(now, progress)
        self._last_seen = (status, progress)

        estimate = self.predicted_completion()
        if estimate is not None and now > estimate + t.near:
            # Progress fell well behind its own prediction: a stall. Forget the old rate so
            # that, once progress moves again, the new rate is measured afresh.
            del self._moves_seen[:]
            estimate = None
        if estimate is not None:
            remaining = estimate - now
            if remaining <= t.near or self.estimate_error() <= t.trusted_error:
                delay = max(remaining + t.aim_past_estimate, t.min_interval)
            elif self._rate_is_steady():
                delay = min(remaining * 0.7, t.max_interval * 2)
            else:
                # One step of progress, or a rate that just changed (a stall ended, a job
                # sped up): measure again over a short span before trusting a long wait.
                (ta, _), (tb, _) = self._moves_seen[-2], self._moves_seen[-1]
                span = max(tb - ta, t.min_interval)
                delay = max(t.min_interval, min(remaining * 0.7, span, self._elapsed_ceiling(now)))
            self._interval = t.min_interval
        elif len(self._moves_seen) == 1 and self._last_zero_look is not None:
            # The first progress: one reading gives no rate, but a span of a few elapsed
            # times gives a precise one. Never past the latest the job can end: progress
            # has risen at least this fast since the last look that saw none.
            (tp, p) = self._moves_seen[0]
            slowest = p / (tp - self._last_zero_look) if tp > self._last_zero_look else 0.0
            latest = (100.0 - p) / slowest if slowest > 0 else float("inf")
            span = min((now - self.started) * t.first_progress_span, t.max_interval * 2)
            delay = max(t.min_interval, min(span, latest * 0.6))
            if self.expected is not None:  # the first guess until progress gives a rate
                delay = min(delay, self._toward_expected(now, delay))
            self._interval = t.min_interval
        else:
            # Nothing to predict from (or the prediction has passed): back off while nothing
            # changes, but keep the expected lateness a small share of the time already spent.
            grown = (
                t.min_interval if changed and self._interval == 0 else self._interval * t.backoff
            )
            delay = min(max(grown, t.min_interval), self._elapsed_ceiling(now))
            if self.expected is not None and not self._moves_seen:
                delay = self._toward_expected(now, grown)
            elif progress is None and self._last_progress_look is None:
                delay = self._on_the_grid(now)
            self._interval = delay
        if server_hint is not None:
            delay = max(delay, min(server_hint, 120.0))
        return delay

    def _on_the_grid(self, now: float) -> float:
        """No progress and nothing learned: look every ``max_interval`` from the create.

        Nothing tells when such a job ends, and looks evenly apart are then the least late for
        their number: the official SDK's plan (every 5 s), with the first look soon after the
        create kept for instant failures. Looks before the grid would cost a request each.
        """
        step = self.timing.max_interval
        elapsed = now - self.started
        return max(self.timing.min_interval, (int(elapsed / step) + 1) * step - elapsed)

    def _toward_expected(self, now: float, grown: float) -> float:
        """Blind back-off up to each look around the expected end, then a gentle one."""
        t = self.timing
        assert self.expected is not None
        # Far from the expected end, looks may be further apart than max_interval.
        blind = min(max(grown, t.min_interval), max(t.min_interval, (now - self.started) * 2.5))
        aimed = delay_toward(self.expected, now, blind)
        if aimed is not None:
            return max(aimed, 0.05)
        self._gentle = gentle_interval(self._gentle)
        return min(max(self._gentle, t.min_interval), self._elapsed_ceiling(now))

    def expected_completion(self) -> float | None:
        """When the job should end, for people (the badge's time left), not for the plan.

        From the progress rate; else the learned duration; else from a single reading of at
        least ``_FIRST_GUESS_FROM`` percent, as if progress had begun halfway between the last
        look that saw none and that reading (below it, when it began weighs too much).
        """
        predicted = self.predicted_completion()
        if predicted is not None:
            return predicted
        if self.expected is not None:
            return self.expected.at
        return self._one_reading_end()

    def progress_estimate(self) -> tuple[float, float, bool] | None:
        """The end from progress alone: (when, its rounding error, from a rate rather than one reading)."""
        predicted = self.predicted_completion()
        if predicted is not None:
            return predicted, self.estimate_error(), True
        one = self._one_reading_end(least=1.0)  # a low reading, weighed as loose (timeleft.py)
        return None if one is None else (one, 0.0, False)

    def _one_reading_end(self, least: float = _FIRST_GUESS_FROM) -> float | None:
        if not self._moves_seen or self._moves_seen[-1][1] < least:
            return None
        at, progress = self._moves_seen[-1]
        zero = self._last_zero_look
        began = ((zero if zero is not None and zero < at else self.started) + at) / 2
        return at + (100.0 - progress - 0.5) * (at - began) / (progress + 0.5)

    def _observe(self, now: float, progress: float | None) -> None:
        if progress is None:
            return
        previous = self._last_progress_look
        if progress <= 0:
            self._last_zero_look = now
        elif previous is not None and progress == previous[1]:
            rate = self._rate()
            if rate and (now - self._moves_seen[-1][0]) * rate >= 2:
                # It should have moved two points by now and has not: a stall. The rate from
                # before it would mislead; measure afresh from this look once it moves again.
                del self._moves_seen[:]
        elif previous is None or progress != previous[1]:
            # The move happened after the last look that still saw the old value: rate from
            # there; but a look that saw none (pending) says nothing of when progress began.
            if not self._moves_seen and previous is not None and previous[1] > 0:
                self._moves_seen.append(previous)
            self._moves_seen.append((now, progress))
            del self._moves_seen[: -self._RATE_WINDOW]
        self._last_progress_look = (now, progress)

    def _elapsed_ceiling(self, now: float) -> float:
        t = self.timing
        return max(t.min_interval, min(t.max_interval, (now - self.started) * t.elapsed_fraction))

    def _rate_is_steady(self) -> bool:
        """Two moves or more, and the latest one agrees with the window's rate within 1.5x."""
        if len(self._moves_seen) < 3:
            return False
        (t0, p0), (ta, pa), (tb, pb) = (
            self._moves_seen[0],
            self._moves_seen[-2],
            self._moves_seen[-1],
        )
        window, latest = (pb - p0) / (tb - t0), (pb - pa) / (tb - ta)
        return window > 0 and latest > 0 and 1 / 1.5 <= latest / window <= 1.5

    def predicted_completion(self) -> float | None:
        """When progress will reach 100 at the rate seen over its last few moves.

        A window of several moves, not the last two: progress comes in whole percent, and a
        rate from one small step is off by the rounding. A reading of p means somewhere in
        [p, p + 1) (servers round down): the last one counts as p + 0.5.
        """
        if len(self._moves_seen) < 2:
            return None
        (t0, p0), (t1, p1) = self._moves_seen[0], self._moves_seen[-1]
        if p1 <= p0 or t1 <= t0:
            return None
        rate = (p1 - p0) / (t1 - t0)
        return t1 + max(0.0, 100.0 - p1 - 0.5) / rate

    def _rate(self) -> float | None:
        """Percent per second over the window of moves, if there are two of them."""
        if len(self._moves_seen) < 2:
            return None
        (t0, p0), (t1, p1) = self._moves_seen[0], self._moves_seen[-1]
        if p1 <= p0 or t1 <= t0:
            return None
        return (p1 - p0) / (t1 - t0)

    def estimate_error(self) -> float:
        """How far off (s) the predicted completion may typically be, from whole-percent rounding."""
        if len(self._moves_seen) < 2:
            return float("inf")
        (t0, p0), (t1, p1) = self._moves_seen[0], self._moves_seen[-1]
        if p1 <= p0 or t1 <= t0:
            return float("inf")
        rate = (p1 - p0) / (t1 - t0)
        remaining = (100.0 - p1) / rate
        # The rate is off by up to one percent over the window; the last reading by half of one.
        return remaining / (p1 - p0) * 0.5 + 0.25 / rate


async def poll_until_done(
    look: Callable[[], Awaitable[tuple[Generation, float | None]]],
    *,
    timing: PollTiming,
    timeout: float,
    on_update: Callable[[Generation], Any] | None = None,
    already_seen: Generation | None = None,
    generation_id: str | None = None,
    rng: random.Random | None = None,
    expected: tuple[float, float] | None = None,
) -> Generation:
    """Call ``look()`` (the job's state and the server's poll hint) until the job ends.

    ``on_update`` hears every change of status or progress (from ``already_seen``, the state
    the caller has already reported, if any), the first estimate of the end (``expected_end``),
    and each outage ridden out (see the module).
    Returns the completed generation; raises GenerationFailedError if it fails or is
    cancelled, the look's own error if it is not transient (401, 404, ...), and
    WaitTimeoutError (carrying the id) when ``timeout`` seconds pass first.
    ``expected``: (learned duration, seconds since the create) from the library, if known.
    Every update carries ``expected_end`` from the first look on (client/wait_estimate.py: a
    prior from the library or the request, refined by progress), ``stalled`` once progress
    stops for clearly longer than usual, and progress in percent (fractions of one too); an
    end that moved by a second or more is reported too.
    """
    loop = asyncio.get_running_loop()
    rng = rng or random.Random()
    started = loop.time()
    deadline = started + timeout
    planner = PollPlanner(timing, started=started)
    estimate = WaitEstimate(started, expected)
    if expected is not None:
        planner.expected = ExpectedEnd.after_create(expected[0], expected[1], started)
    delay = planner.first_delay()
    seen = _state(already_seen) if already_seen is not None else None
    last = already_seen
    failures = 0  # failed looks in a row
    reported: str | None = None  # the outage cause on_update last heard of
    while True:
        await asyncio.sleep(max(0.0, min(delay, deadline - loop.time())))
        try:
            generation, hint = await look()
        except MQLError as error:
            if not is_transient(error):
                raise
            failures += 1
            cause = outage_cause(error)
            if last is None:
                last = _unseen(generation_id)
            if loop.time() >= deadline:
                raise WaitTimeoutError(last, timeout, last_error=cause) from error
            retry_after = getattr(error, "retry_after", None)
            delay = outage_delay(timing.outage, failures, retry_after, rng.random())
            if cause != reported:
                reported = cause
                await call(
                    on_update,
                    last.with_reconnecting(reconnecting_reason(cause, delay, retry_after)),
                )
            continue
        failures = 0
        now = loop.time()
        generation = estimate.scaled(generation)  # progress in percent, fractions or not
        ending = generation.completed or generation.failed
        moved = False
        if not ending:  # planned before the report, so that it carries the fresh estimate
            delay = planner.next_delay(now, generation.status, generation.progress, hint)
            generation = estimate.after_look(generation, planner, now)
            moved = estimate.worth_reporting(generation)
        last = generation
        if _state(generation) != seen or reported is not None or moved:
            seen, reported = _state(generation), None
            await call(on_update, generation)
        if generation.completed:
            return generation
        if generation.failed:
            raise failed_job_error(generation)
        if loop.time() >= deadline:
            raise WaitTimeoutError(generation, timeout)


def _unseen(generation_id: str | None) -> Generation:
    """The state to report before any look succeeded: the id alone."""
    return Generation({"id": generation_id or ""}, id=generation_id or "")


def _state(generation: Generation) -> tuple[str, str, float | None, bool]:
    """What a change is reported for: the status, the progress, and a first estimate of the end."""
    has_estimate = generation.expected_end is not None
    return (generation.status, generation.raw_status, generation.progress, has_estimate)
