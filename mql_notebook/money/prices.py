"""Price tables: what a video costs, per model, per second and per video, by resolution.

A table is plain data (JSON), for example::

    {"currency": "USD",
     "models": {"sora": {"per_second": 0.10},
                "veo-3": {"per_second": {"720p": 0.40, "1080p": 0.75}, "default_duration": 8},
                "*": {"per_video": 0.50}}}

Each model gives ``per_second`` and/or ``per_video``: a number, or a number per resolution
(``"*"``: any other resolution). ``default_duration`` and ``default_resolution`` say what the
server uses when a request leaves them out; ``"*"`` prices every model not listed. There is no
table by default: an estimate without one is "unknown", never a guess. No I/O here but reading
the file a table is named by (``read_prices``).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError

ANY = "*"  # any other model, or any other resolution
DEFAULT_CURRENCY = "USD"
_MODEL_KEYS = frozenset({"per_second", "per_video", "default_duration", "default_resolution"})
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}


@dataclass(frozen=True)
class ModelPrice:
    """One model's prices; each mapping is resolution (or ``"*"``) -> price."""

    per_second: Mapping[str, float] = field(default_factory=dict)
    per_video: Mapping[str, float] = field(default_factory=dict)
    default_duration: int | None = None
    default_resolution: str | None = None

    def video_price(self, seconds: float, resolution: str | None) -> float | None:
        """The price of one video of ``seconds`` at ``resolution``; None if a part is unpriced."""
        resolution = resolution or self.default_resolution
        total = 0.0
        for prices, times in ((self.per_second, seconds), (self.per_video, 1.0)):
            if not prices:
                continue
            price = _by_resolution(prices, resolution)
            if price is None:
                return None
            total += price * times
        return total

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, prices in (("per_second", self.per_second), ("per_video", self.per_video)):
            if prices:
                out[name] = prices[ANY] if set(prices) == {ANY} else dict(prices)
        if self.default_duration is not None:
            out["default_duration"] = self.default_duration
        if self.default_resolution is not None:
            out["default_resolution"] = self.default_resolution
        return out


@dataclass(frozen=True)
class PriceTable:
    """Prices per model (``"*"``: every other model), in one ``currency``; ``source`` says where
    the table came from (an argument, ``MQL_PRICES``, a file, the library), for messages."""

    models: Mapping[str, ModelPrice]
    currency: str = DEFAULT_CURRENCY
    source: str = ""

    def price_of(self, model: str) -> ModelPrice | None:
        return self.models.get(model) or self.models.get(ANY)

    def to_dict(self) -> dict[str, Any]:
        """The table as JSON-ready data, the shape ``prices_from`` reads back."""
        return {
            "currency": self.currency,
            "models": {name: price.to_dict() for name, price in self.models.items()},
        }

    def with_source(self, source: str) -> PriceTable:
        return PriceTable(self.models, self.currency, source)


def prices_from(data: Any, *, source: str = "prices=") -> PriceTable:
    """A PriceTable from its JSON shape (see the module's docstring); ConfigurationError names
    the part that is wrong and what is allowed."""
    if isinstance(data, PriceTable):
        return data
    if not isinstance(data, Mapping):
        raise ConfigurationError(
            f"{source}: a price table is a JSON object "
            '{"currency": "USD", "models": {"sora": {"per_second": 0.1}}}, '
            f"not {type(data).__name__}"
        )
    unknown = set(data) - {"currency", "models"}
    if unknown:
        raise ConfigurationError(
            f"{source}: unknown key(s) {', '.join(sorted(unknown))}; a price table has "
            '"currency" and "models" (model id -> prices)'
        )
    currency = data.get("currency", DEFAULT_CURRENCY)
    if not isinstance(currency, str) or not currency.strip():
        raise ConfigurationError(
            f"{source}: currency must be a name such as 'USD', not {currency!r}"
        )
    models = data.get("models")
    if not isinstance(models, Mapping) or not models:
        raise ConfigurationError(
            f"{source}: models must be an object of model id -> prices, e.g. "
            '{"sora": {"per_second": 0.1}}'
        )
    return PriceTable(
        {
            str(name): _model_price(f"{source}: models.{name}", value)
            for name, value in models.items()
        },
        currency.strip(),
        source,
    )


def read_prices(value: Any, *, source: str) -> PriceTable:
    """A table given as a PriceTable, a mapping, JSON text or the path of a JSON file."""
    if isinstance(value, (PriceTable, Mapping)):
        return prices_from(value, source=source)
    if isinstance(value, os.PathLike) or (
        isinstance(value, str) and not value.lstrip().startswith("{")
    ):
        path = Path(os.fspath(value)).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigurationError(
                f"{source}: cannot read the price table {path}: {getattr(error, 'strerror', None) or error} "
                "(give a JSON file, or the JSON itself)"
            ) from error
        source = f"{source} ({path})"
    elif isinstance(value, str):
        text = value
    else:
        raise ConfigurationError(
            f"{source}: give a price table as a dict, JSON text or a JSON file's path, "
            f"not {type(value).__name__}"
        )
    try:
        data = json.loads(text)
    except ValueError as error:
        raise ConfigurationError(f"{source}: the price table is not valid JSON ({error})") from None
    return prices_from(data, source=source)


def format_amount(amount: float | None, currency: str | None) -> str:
    """``$1.25``, ``€0.40``, ``12.5 credits``; ``unknown`` for None."""
    if amount is None:
        return "unknown"
    if not math.isfinite(amount):
        return "unlimited"
    code = (currency or "").strip()
    symbol = _SYMBOLS.get(code.upper())
    if symbol:
        return f"-{symbol}{-amount:,.2f}" if amount < 0 else f"{symbol}{amount:,.2f}"
    shown = f"{amount:,.2f}" if abs(amount) < 1000 or amount != int(amount) else f"{amount:,.0f}"
    return f"{shown} {code}".strip()


def _model_price(where: str, value: Any) -> ModelPrice:
    if not isinstance(value, Mapping):
        raise ConfigurationError(
            f'{where} must be an object such as {{"per_second": 0.1}}, not {value!r}'
        )
    unknown = set(value) - _MODEL_KEYS
    if unknown:
        raise ConfigurationError(
            f"{where}: unknown key(s) {', '.join(sorted(unknown))}; allowed: "
            f"{', '.join(sorted(_MODEL_KEYS))}"
        )
    if "per_second" not in value and "per_video" not in value:
        raise ConfigurationError(f"{where}: give per_second, per_video or both")
    duration = value.get("default_duration")
    if duration is not None and (
        isinstance(duration, bool) or not isinstance(duration, int) or duration < 1
    ):
        raise ConfigurationError(
            f"{where}.default_duration must be whole seconds > 0, not {duration!r}"
        )
    resolution = value.get("default_resolution")
    if resolution is not None and not isinstance(resolution, str):
        raise ConfigurationError(f"{where}.default_resolution must be a name such as '720p'")
    return ModelPrice(
        per_second=_prices(f"{where}.per_second", value.get("per_second")),
        per_video=_prices(f"{where}.per_video", value.get("per_video")),
        default_duration=duration,
        default_resolution=resolution,
    )


def _prices(where: str, value: Any) -> dict[str, float]:
    if value is None:
        return {}
    if isinstance(value, Mapping):
        if not value:
            raise ConfigurationError(f"{where}: give at least one resolution's price")
        return {str(k): _price(f"{where}.{k}", v) for k, v in value.items()}
    return {ANY: _price(where, value)}


def _price(where: str, value: Any) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value < 0
    ):
        raise ConfigurationError(f"{where} must be a number >= 0, not {value!r}")
    return float(value)


def _by_resolution(prices: Mapping[str, float], resolution: str | None) -> float | None:
    if resolution is not None:
        for name, price in prices.items():
            if name.lower() == resolution.lower():
                return price
    return prices.get(ANY)
