"""``client.video.estimate`` and ``client.video.spending``: the cost before a create, and what
the library spent and has left (``AsyncVideo`` has them, and so the sync client)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..money import Estimate
    from .recording import Recorder
    from .settings import Settings
    from .spending import Spending


class MoneyCalls:
    """Mixed into ``AsyncVideo``, whose settings and recorder these read."""

    _settings: Settings
    _recorder: Recorder | None

    async def estimate(
        self,
        model: str | None = None,
        prompt: str | None = None,
        *positional: Any,
        **options: Any,
    ) -> Estimate:
        """What ``create`` with the same arguments is expected to cost, sending nothing: from
        ``prices=`` / ``MQL_PRICES``, else the library's price table; ``amount`` None (and a
        ``note`` saying why) when no table prices it. The request is checked as create checks
        it, images aside (they change no price, and are read only when sent); create's own
        keywords (``idempotency_key``, ``fit``, ``route``, ...) change no price and are passed
        over."""
        from .spending import estimate_create  # loaded on first use: a lighter import

        own = _own_keywords(type(self).create)  # type: ignore[attr-defined]
        request = {name: value for name, value in options.items() if name not in own}
        return await estimate_create(
            self._settings, self._recorder, model, prompt, positional, request
        )

    async def spending(self) -> Spending:
        """What the library spent today, its budget and what is left (``Spending.text()``)."""
        from .spending import spending

        return await spending(self._settings, self._recorder)


@functools.cache
def _own_keywords(create: Callable[..., Any]) -> frozenset[str]:
    """``create``'s keyword-only parameters: its own, not options of the request (its
    signature is their one home)."""
    parameters = inspect.signature(create).parameters.values()
    return frozenset(p.name for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY)
