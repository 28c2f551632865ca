"""The gateway's plan limits and usage (``GET /v1/user/subscription-status``), read as the
official SDK's ``subscription.py`` reads them: ``tier`` (or ``plan_tier``, else "free"),
``limits`` and ``usage`` (resource -> number, a limit may be "unlimited"), ``features``. No I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

UNLIMITED = "unlimited"
SUBSCRIPTION_PATH = "/v1/user/subscription-status"


@dataclass(frozen=True)
class PlanStatus:
    tier: str
    limits: Mapping[str, Any] = field(default_factory=dict)
    usage: Mapping[str, Any] = field(default_factory=dict)
    features: Mapping[str, Any] = field(default_factory=dict)
    raw: Mapping[str, Any] = field(default_factory=dict)

    def remaining(self, resource: str) -> float | str:
        """What is left of ``resource`` ("unlimited" when the plan sets no number), as the SDK's
        ``get_remaining_quota``."""
        limit = self.limits.get(resource)
        if not isinstance(limit, (int, float)) or isinstance(limit, bool):
            return UNLIMITED
        used = self.usage.get(resource, 0)
        return max(0, limit - (used if _is_number(used) else 0))

    @property
    def left(self) -> dict[str, float | str]:
        """Every limited resource and what is left of it."""
        return {name: self.remaining(name) for name in self.limits}

    def at_limit(self, resource: str) -> bool:
        left = self.remaining(resource)
        return not isinstance(left, str) and left <= 0

    def text(self) -> str:
        """``plan pro: videos 7 of 10 left, video_seconds unlimited``."""
        parts = []
        for name, limit in self.limits.items():
            left = self.remaining(name)
            parts.append(
                f"{name} {UNLIMITED}" if left == UNLIMITED else f"{name} {left:g} of {limit:g} left"
            )
        return f"plan {self.tier}" + (": " + ", ".join(parts) if parts else "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "tier": self.tier,
            "limits": dict(self.limits),
            "usage": dict(self.usage),
            "left": self.left,
            "features": dict(self.features),
        }


def plan_from(raw: Mapping[str, Any]) -> PlanStatus:
    def mapping(name: str) -> dict[str, Any]:
        value = raw.get(name)
        return dict(value) if isinstance(value, Mapping) else {}

    tier = raw.get("tier", raw.get("plan_tier", "free"))
    return PlanStatus(
        tier=str(tier),
        limits=mapping("limits"),
        usage=mapping("usage"),
        features=mapping("features"),
        raw=dict(raw),
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
