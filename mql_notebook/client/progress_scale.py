"""Progress as percent, whatever the server sends: whole percents, 12.5, or fractions of one.

A server that reports 0.0 to 1.0 would otherwise look stuck below 1 % and every estimate from
it would be off a hundredfold. One wait decides from what it sees: a reading above 1 means
percent for the rest of the wait; a reading strictly between 0 and 1 before that means
fractions. Readings of exactly 0 or 1 decide nothing. Plain decisions, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ProgressScale:
    """``factor`` turns the server's number into percent (1 or 100) once decided."""

    factor: float = 1.0
    decided: bool = False

    def see(self, raw: object) -> float:
        """Note one raw ``progress`` value; the factor to apply to it (and to later ones)."""
        if self.decided or isinstance(raw, bool) or not isinstance(raw, (int, float)):
            return self.factor
        if raw > 1:
            self.factor, self.decided = 1.0, True
        elif 0 < raw < 1:
            self.factor, self.decided = 100.0, True
        return self.factor
