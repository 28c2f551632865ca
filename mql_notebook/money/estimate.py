"""The cost of a create before it is sent, from a price table (no I/O).

``estimate(body, prices)`` reads the request body a create sends (model, n, duration,
resolution): ``videos`` is n, ``seconds`` n x duration, ``amount`` what the table says they
cost, or None with a ``note`` saying why it is unknown (no table, a model the table does not
price, a resolution it does not list). A duration left out is the table's
``default_duration`` for the model, else the documented default for the documented models.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..request import DEFAULT_DURATION, MODELS
from .prices import PriceTable, format_amount

NO_PRICES = (
    "costs are unknown: no price table (give prices=..., set MQL_PRICES to JSON or a file, or "
    "store one in the library: mql-notebook library prices FILE)"
)


@dataclass(frozen=True)
class Estimate:
    """What a create (or a batch of them) is expected to cost."""

    model: str | None
    videos: int
    seconds: float | None  # of video, all variants together; None when the duration is unknown
    amount: float | None  # in ``currency``; None when the cost is unknown
    currency: str | None = None
    note: str = ""  # why ``amount`` (or ``seconds``) is unknown

    @property
    def known(self) -> bool:
        return self.amount is not None

    def text(self) -> str:
        """``$0.50 (1 video, 5 s)`` or ``1 video, 5 s; cost unknown: ...``."""
        size = describe_size(self.videos, self.seconds)
        if self.amount is None:
            return f"{size}; {self.note or 'cost unknown'}"
        return f"{format_amount(self.amount, self.currency)} ({size})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "videos": self.videos,
            "seconds": self.seconds,
            "amount": self.amount,
            "currency": self.currency,
            "note": self.note,
        }


def describe_size(videos: int, seconds: float | None) -> str:
    plural = "video" if videos == 1 else "videos"
    length = "length unknown" if seconds is None else f"{seconds:g} s"
    return f"{videos} {plural}, {length}"


def estimate(body: Mapping[str, Any], prices: PriceTable | None) -> Estimate:
    """The estimate of one create's request body (see the module's docstring)."""
    model = body.get("model")
    model = model if isinstance(model, str) else None
    n = body.get("n")
    videos = n if isinstance(n, int) and not isinstance(n, bool) and n > 0 else 1
    price = prices.price_of(model) if prices is not None and model is not None else None
    duration = body.get("duration")
    if not isinstance(duration, (int, float)) or isinstance(duration, bool):
        duration = price.default_duration if price is not None else None
        if duration is None and model in MODELS:
            duration = DEFAULT_DURATION
    seconds = None if duration is None else float(duration) * videos
    currency = prices.currency if prices is not None else None
    if prices is None:
        return Estimate(model, videos, seconds, None, None, NO_PRICES)
    if price is None:
        note = f"cost unknown: the price table ({prices.source or 'given'}) has no price for model {model!r}"
        return Estimate(model, videos, seconds, None, currency, note)
    if duration is None and price.per_second:
        note = f"cost unknown: no duration given, and the price table has no default_duration for {model!r}"
        return Estimate(model, videos, None, None, currency, note)
    resolution = body.get("resolution")
    one = price.video_price(
        float(duration or 0), resolution if isinstance(resolution, str) else None
    )
    if one is None:
        shown = resolution or "the server's default resolution"
        note = f"cost unknown: the price table has no price for {model!r} at {shown}"
        return Estimate(model, videos, seconds, None, currency, note)
    return Estimate(model, videos, seconds, round(one * videos, 10), currency)


def total(estimates: list[Estimate]) -> Estimate:
    """Many estimates as one (a batch): unknown when any part is."""
    videos = sum(e.videos for e in estimates)
    seconds = (
        None
        if any(e.seconds is None for e in estimates)
        else sum(e.seconds or 0.0 for e in estimates)
    )
    unknown = [e for e in estimates if e.amount is None]
    currency = next((e.currency for e in estimates if e.currency), None)
    models = {e.model for e in estimates}
    model = next(iter(models)) if len(models) == 1 else None
    if unknown:
        note = unknown[0].note
        if len(unknown) < len(estimates):
            note = f"{len(unknown)} of {len(estimates)} unpriced; {note}"
        return Estimate(model, videos, seconds, None, currency, note)
    return Estimate(
        model, videos, seconds, round(sum(e.amount or 0.0 for e in estimates), 10), currency
    )
