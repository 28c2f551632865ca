"""Money beside Generate: what the current request would cost, and today's spending and budget.

A mixin of ``VideoWidget``. When an input changes (the prompt, the model, an option, a model's
own field) the estimate is asked again ``ESTIMATE_DELAY`` seconds after the last change (a
typed prompt asks once): ``client.video.estimate(...)`` (the price table, read in a worker
thread) and ``client.video.spending()`` (the library's day, in a worker thread), on the
kernel's loop, never blocking it. Both are plain text in output traits; a request the checks
refuse has no estimate (Generate says why). A run that ends asks again at once: it spent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

import traitlets as t

from ..errors import MQLError
from .request_traits import INPUT_NAMES
from .run import Run

if TYPE_CHECKING:
    from ..client import AsyncMQL

ESTIMATE_DELAY = 0.4  # seconds after the last change


class MoneyView(t.HasTraits):
    """The ``estimate`` and ``spending`` traits and their debounced refresh."""

    estimate = t.Unicode(
        "", help="What Generate would cost now (client.video.estimate(...).text()); '' unknown."
    ).tag(sync=True, output=True)
    spending = t.Unicode(
        "", help="Today's spending of the library and its budget (client.video.spending().text())."
    ).tag(sync=True, output=True)

    # Class defaults: an input set while the widget is made asks before _init_money ran.
    _money_timer: asyncio.TimerHandle | None = None
    _money_tasks: set[asyncio.Task[None]] = frozenset()  # type: ignore[assignment]

    # ---- what the widget provides ----
    hold_sync: Callable[[], AbstractContextManager[object]]

    def _async_client(self) -> AsyncMQL:
        """The widget's client (built from the environment on first use)."""
        raise NotImplementedError

    def _money_client(self) -> AsyncMQL | None:
        """The client to ask, or None (none can be built: no key yet; Generate says so)."""
        try:
            return self._async_client()
        except Exception:
            return None

    def _money_request(self) -> dict[str, Any]:
        """The request as create would get it, images aside (they change no price)."""
        return Run.from_inputs(self).checked_request

    def _init_money(self) -> None:
        self._money_tasks = set()
        self.refresh_money()

    @t.observe(*INPUT_NAMES, "fields")
    def _money_inputs_changed(self, _change: Any) -> None:
        self.refresh_money()

    def refresh_money(self, delay: float = ESTIMATE_DELAY) -> None:
        """Ask for the estimate and the spending again, ``delay`` s after the last ask (on the
        kernel's loop; without one, nothing is asked)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if self._money_timer is not None:
            self._money_timer.cancel()
        self._money_timer = loop.call_later(delay, self._money_start)

    def _stop_money(self) -> None:
        if self._money_timer is not None:
            self._money_timer.cancel()
            self._money_timer = None
        for task in list(self._money_tasks):
            task.cancel()

    def _money_start(self) -> None:
        self._money_timer = None
        if not isinstance(self._money_tasks, set):  # the widget was never made (it refused)
            return
        task = asyncio.get_running_loop().create_task(self._money_now())
        self._money_tasks.add(task)
        task.add_done_callback(self._money_tasks.discard)

    async def _money_now(self) -> None:
        client = self._money_client()
        if client is None:
            return
        try:
            estimate = (await client.video.estimate(**self._money_request())).text()
        except (MQLError, TypeError, ValueError):  # refused: Generate will say why
            estimate = ""
        try:
            spending = (await client.video.spending()).text()
        except Exception:  # an index another process broke: nothing to say
            spending = ""
        with self.hold_sync():
            self.estimate, self.spending = estimate, spending
