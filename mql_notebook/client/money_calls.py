"""``client.video.estimate`` and ``client.video.spending``: the cost before a create, and what
the library spent and has left (``AsyncVideo`` has them, and so the sync client)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..generation import Generation
    from ..money import Estimate
    from .recording import Recorder
    from .settings import Settings
    from .spending import Spending

UpdateCallback = Callable[["Generation"], Any]


class MoneyCalls:
    """Mixed into ``AsyncVideo``, whose settings and recorder these read."""

    _settings: Settings
    _recorder: Recorder | None

    async def estimate(
        self,
        model: str | None = None,
        prompt: str | None = None,
        *positional: Any,
        idempotency_key: str | None = None,
        fit: str | None = None,
        parent: Any = None,
        slot_timeout: float | None = None,
        on_update: UpdateCallback | None = None,
        route: str | None = None,
        **options: Any,
    ) -> Estimate:
        """What ``create`` with the same arguments is expected to cost, sending nothing: from
        ``prices=`` / ``MQL_PRICES``, else the library's price table; ``amount`` None (and a
        ``note`` saying why) when no table prices it. The request is checked as create checks
        it, images aside (they change no price, and are read only when sent)."""
        from .spending import estimate_create  # loaded on first use: a lighter import

        del idempotency_key, fit, parent, slot_timeout, on_update, route  # create's own
        return await estimate_create(
            self._settings, self._recorder, model, prompt, positional, options
        )

    async def spending(self) -> Spending:
        """What the library spent today, its budget and what is left (``Spending.text()``)."""
        from .spending import spending

        return await spending(self._settings, self._recorder)
