"""What the emulator says about money: a cost in its answers, and a plan with limits and usage.

``Billing`` (off by default: the API page shows no cost) puts what a job cost into each
generation object, as gateways do in one of two shapes: ``style="usage"`` gives
``"usage": {"cost", "currency", "seconds", "videos"}``, ``style="cost"`` a top-level
``"cost": {"amount", "currency"}``. ``when="completed"`` reports it once the job completed
(``"always"``: from the create's answer on); a failed job costs 0 unless ``bill_failed``.

``Plan`` answers ``GET /v1/user/subscription-status`` as the gateway's SDK reads it
(``tier``, ``limits``, ``usage``, ``features``): usage counts the videos and seconds of video
each key created here; limits are the plan's (``"unlimited"`` by default).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..status import COMPLETED, FAILED

STYLES = ("usage", "cost")
WHEN = ("completed", "always")
RESOURCES = ("videos", "video_seconds", "generations")


@dataclass(frozen=True)
class Billing:
    per_second: float = 0.0
    per_video: float = 0.0
    currency: str = "USD"
    style: str = "usage"
    when: str = "completed"
    bill_failed: bool = False

    def __post_init__(self) -> None:
        for name in ("per_second", "per_video"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
                or value < 0
            ):
                raise ValueError(f"billing {name} must be a number >= 0, not {value!r}")
        if self.style not in STYLES:
            raise ValueError(
                f"billing style must be one of {', '.join(STYLES)}, not {self.style!r}"
            )
        if self.when not in WHEN:
            raise ValueError(f"billing when must be one of {', '.join(WHEN)}, not {self.when!r}")

    def fields(self, request: Mapping[str, Any], status: str) -> dict[str, Any]:
        """The cost fields for a generation object in ``status`` (the emulator's own word)."""
        if self.when == "completed" and status not in (COMPLETED, FAILED):
            return {}
        n, duration = int(request.get("n", 1)), float(request.get("duration", 0))
        amount = round(n * (self.per_second * duration + self.per_video), 6)
        if status == FAILED and not self.bill_failed:
            amount = 0.0
        if self.style == "cost":
            return {"cost": {"amount": amount, "currency": self.currency}}
        return {
            "usage": {
                "cost": amount,
                "currency": self.currency,
                "seconds": n * duration,
                "videos": n,
            }
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "per_second": self.per_second,
            "per_video": self.per_video,
            "currency": self.currency,
            "style": self.style,
            "when": self.when,
            "bill_failed": self.bill_failed,
        }


def billing_from(value: Any) -> Billing | None:
    if value is None or value is False or isinstance(value, Billing):
        return value or None
    if not isinstance(value, Mapping):
        raise ValueError('billing must be an object such as {"per_second": 0.1} or null')
    unknown = set(value) - set(Billing.__dataclass_fields__)
    if unknown:
        raise ValueError(
            f"unknown billing setting(s) {sorted(unknown)}; use {', '.join(Billing.__dataclass_fields__)}"
        )
    return Billing(**dict(value))


@dataclass
class Plan:
    tier: str = "local"
    limits: dict[str, Any] = field(default_factory=lambda: dict.fromkeys(RESOURCES, "unlimited"))
    features: dict[str, Any] = field(default_factory=lambda: {"video_generation": True})
    _usage: dict[str, dict[str, float]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def set(self, value: Mapping[str, Any] | None) -> None:
        """The plan's tier, limits (resource -> number or "unlimited") and features; None resets."""
        value = dict(value or {})
        unknown = set(value) - {"tier", "limits", "features"}
        if unknown:
            raise ValueError(
                f"unknown plan setting(s) {sorted(unknown)}; use tier, limits, features"
            )
        limits = value.get("limits", dict.fromkeys(RESOURCES, "unlimited"))
        if not isinstance(limits, Mapping) or any(
            not (
                v == "unlimited"
                or (isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0)
            )
            for v in limits.values()
        ):
            raise ValueError('plan limits must map a resource to a number >= 0 or "unlimited"')
        self.tier = str(value.get("tier", "local"))
        self.limits = dict(limits)
        self.features = dict(value.get("features", {"video_generation": True}))

    def record(self, api_key: str, request: Mapping[str, Any]) -> None:
        """A job created with this key: its videos and seconds of video count as used."""
        n = int(request.get("n", 1))
        with self._lock:
            used = self._usage.setdefault(api_key, dict.fromkeys(RESOURCES, 0))
            used["videos"] += n
            used["video_seconds"] += n * int(request.get("duration", 0))
            used["generations"] += 1

    def status(self, api_key: str) -> dict[str, Any]:
        with self._lock:
            usage = dict(self._usage.get(api_key, dict.fromkeys(RESOURCES, 0)))
        return {
            "tier": self.tier,
            "limits": dict(self.limits),
            "usage": usage,
            "features": dict(self.features),
        }

    def settings(self) -> dict[str, Any]:
        return {"tier": self.tier, "limits": dict(self.limits), "features": dict(self.features)}

    def reset_usage(self) -> None:
        with self._lock:
            self._usage.clear()
