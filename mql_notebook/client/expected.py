"""Looks aimed at a learned completion time, for jobs whose server sends no progress.

The library knows how long jobs of a kind took here lately (``Recorder.expected_duration``).
Without progress to go by, the poller would back off blindly to 5 s between looks; with an
expected end it looks a little before it (the estimate may run long), right after it, then
backs off gently (it may run short). Plain decisions: no I/O, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass

# The looks before the expected end, as fractions of the expected duration: a learned
# duration is the median of recent jobs, which vary by a few percent. One look is the best
# trade in a simulation of the polling bench (bench/polling.py): more looks before the end
# cost a request each and hardly cut the lateness.
BEFORE = (0.9,)
PAST = 0.12  # the look after the expected end comes this long after it (s)
GENTLE_FIRST = 0.25  # once past it, the first interval (s) ...
GENTLE_GROWTH = 1.6  # ... growing by this much per look while the job runs on


@dataclass(frozen=True)
class ExpectedEnd:
    """When a job is expected to complete (``at``, the poller's clock) and how long it takes."""

    at: float
    duration: float

    @classmethod
    def after_create(cls, duration: float, created_ago: float, now: float) -> ExpectedEnd:
        """From a learned ``duration`` and a create ``created_ago`` seconds before ``now``."""
        return cls(at=now - created_ago + duration, duration=duration)

    def marks(self) -> list[float]:
        """The times to look at, in order: a little before the expected end, then just after."""
        start = self.at - self.duration
        return [start + self.duration * f for f in BEFORE] + [self.at + PAST]


def delay_toward(expected: ExpectedEnd, now: float, blind_delay: float) -> float | None:
    """The wait before the next look, or None when the blind back-off (``blind_delay``) is better.

    Before the marks: the blind back-off, never past the next mark. Past the last mark:
    None (the caller backs off gently, see ``gentle_interval``).
    """
    for mark in expected.marks():
        if mark > now + 0.02:
            return min(blind_delay, mark - now)
    return None


def gentle_interval(previous: float) -> float:
    """The interval after ``previous`` once the expected end has passed without completion."""
    return GENTLE_FIRST if previous <= 0 else previous * GENTLE_GROWTH
