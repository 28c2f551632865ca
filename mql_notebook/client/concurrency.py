"""How many jobs to run at once against a gateway whose limit is unknown: AIMD.

``ConcurrencyController`` is the plain decision (no I/O, no clock): it starts at the ceiling
the user asked for; a busy answer to a create (429 or 503: the gateway is full) lowers the limit
multiplicatively, but never below the jobs the gateway has just shown it runs for us (it
accepted them), and only once per round (the busy answers of creates sent before the last
decrease are the same news); each accepted create while every slot is taken raises it
additively, by ``increase / limit`` (one more slot after about ``limit / increase`` accepted
creates), so a gateway that allows more again is found again. ``AdaptiveSlots`` is the asyncio
gate around it that batches take slots from.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

DEFAULT_INCREASE = 0.5  # slots gained per `limit` accepted creates while full
DEFAULT_DECREASE = 0.5  # the factor of a decrease


@dataclass
class ConcurrencyController:
    """AIMD over the number of jobs held at once (a create in flight or a job running).

    ``held``: slots taken now; ``running``: of those, jobs the gateway accepted.
    """

    ceiling: int
    floor: int = 1
    increase: float = DEFAULT_INCREASE
    decrease: float = DEFAULT_DECREASE

    def __post_init__(self) -> None:
        if self.ceiling < 1 or self.floor < 1 or self.floor > self.ceiling:
            raise ValueError(f"need 1 <= floor <= ceiling, not {self.floor}, {self.ceiling}")
        self.limit = float(self.ceiling)
        self.held = 0
        self.running = 0
        self.round = 0  # bumped by each decrease
        self.decreases = 0

    @property
    def allowed(self) -> int:
        """Slots that may be held at once now."""
        return max(self.floor, min(self.ceiling, int(self.limit)))

    def may_start(self) -> bool:
        return self.held < self.allowed

    def start(self) -> int:
        """A slot is taken (a create is about to go); returns its round, for ``busy``."""
        self.held += 1
        return self.round

    def accepted(self) -> None:
        """The create was answered with a job: it runs; a full window grows the limit."""
        self.running += 1
        if self.held >= self.allowed and self.limit < self.ceiling:
            self.limit = min(float(self.ceiling), self.limit + self.increase / self.limit)

    def busy(self, round_: int) -> None:
        """The create was answered busy (nothing made): its slot is given back, and the limit
        shrinks, unless a decrease already answered the news of that round."""
        self.held -= 1
        if round_ != self.round:
            return
        self.limit = max(float(self.floor), float(self.running), self.limit * self.decrease)
        self.limit = min(self.limit, float(self.ceiling))
        self.round += 1
        self.decreases += 1

    def finished(self, *, was_running: bool) -> None:
        """A slot is given back: its job ended (``was_running``), or its create failed otherwise."""
        self.held -= 1
        if was_running:
            self.running -= 1


class AdaptiveSlots:
    """The asyncio gate of a ``ConcurrencyController``: ``await take()`` waits for a slot."""

    def __init__(self, controller: ConcurrencyController) -> None:
        self.controller = controller
        self._changed = asyncio.Condition()

    async def take(self) -> int:
        async with self._changed:
            await self._changed.wait_for(self.controller.may_start)
            return self.controller.start()

    async def accepted(self) -> None:
        async with self._changed:
            self.controller.accepted()
            self._changed.notify_all()

    async def busy(self, round_: int) -> None:
        async with self._changed:
            self.controller.busy(round_)
            self._changed.notify_all()

    async def give_back(self, *, was_running: bool) -> None:
        async with self._changed:
            self.controller.finished(was_running=was_running)
            self._changed.notify_all()
