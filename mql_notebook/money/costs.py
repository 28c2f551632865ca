"""The real cost of a job, when the server's answer says it (no I/O).

Gateways put it in different places; every one of these is read::

    {"usage": {"cost": 0.5, "currency": "USD", "seconds": 5}}
    {"usage": {"total_cost": 0.5}}                       (also cost_usd, amount, total)
    {"cost": 0.5, "currency": "USD"}
    {"cost": {"amount": 0.5, "currency": "USD"}}         (also value, total)

An answer without any of them has no cost (None): the estimate stands.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_AMOUNT_KEYS = ("cost", "total_cost", "cost_usd", "amount", "total", "value", "price")
_SECONDS_KEYS = ("seconds", "video_seconds", "duration_seconds", "duration")


@dataclass(frozen=True)
class Cost:
    """What the server says a job cost."""

    amount: float
    currency: str | None = None
    seconds: float | None = None  # of video billed, when the server says

    def to_dict(self) -> dict[str, Any]:
        return {"amount": self.amount, "currency": self.currency, "seconds": self.seconds}


def cost_from(answer: Mapping[str, Any]) -> Cost | None:
    """The cost a generation object reports (see the module's docstring), or None."""
    usage = answer.get("usage")
    if isinstance(usage, Mapping):
        found = _from_object(usage, answer.get("currency"))
        if found is not None:
            return found
    cost = answer.get("cost")
    if isinstance(cost, Mapping):
        return _from_object(cost, answer.get("currency"))
    amount = _number(cost)
    if amount is None:
        return None
    return Cost(amount, _currency(answer.get("currency")), _seconds(answer.get("usage")))


def _from_object(data: Mapping[str, Any], outer_currency: Any) -> Cost | None:
    for key in _AMOUNT_KEYS:
        value = data.get(key)
        if isinstance(value, Mapping):
            inner = _from_object(value, data.get("currency", outer_currency))
            if inner is not None:
                return inner
            continue
        amount = _number(value)
        if amount is not None:
            currency = _currency(data.get("currency", outer_currency))
            if currency is None and key == "cost_usd":
                currency = "USD"
            return Cost(amount, currency, _seconds(data))
    return None


def _seconds(data: Any) -> float | None:
    if not isinstance(data, Mapping):
        return None
    for key in _SECONDS_KEYS:
        value = _number(data.get(key))
        if value is not None:
            return value
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    if isinstance(value, (int, float)) and math.isfinite(value) and value >= 0:
        return float(value)
    return None


def _currency(value: Any) -> str | None:
    return value.strip().upper() if isinstance(value, str) and value.strip() else None
