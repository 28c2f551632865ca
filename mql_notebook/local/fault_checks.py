"""Checks of fault settings and script entries (the values ``Faults`` accepts)."""

from __future__ import annotations

import math
from typing import Any

from .minimax_codes import check_code

# Endpoint faults in the order a single uniform draw is checked against them.
ENDPOINT_KINDS: tuple[str, ...] = ("rate_limit", "server_error", "overloaded", "drop", "truncate")
JOB_KINDS: tuple[str, ...] = ("fail", "stall")
SERVER_ERROR_STATUSES: tuple[int, ...] = (500, 502, 503)


def number(raw: str, spec: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"fault {spec!r}: {raw!r} is not a number") from None


def check_setting(name: str, value: Any) -> Any:
    if name == "retry_after_format":
        if value not in ("seconds", "date"):
            raise ValueError(f"retry_after_format must be 'seconds' or 'date', not {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"fault setting {name} must be a number, not {value!r}")
    if name in ("latency", "retry_after"):
        if value < 0:
            raise ValueError(f"fault setting {name} must be >= 0 seconds, not {value!r}")
        return float(value)
    if not 0 <= value <= 1:
        raise ValueError(f"fault setting {name} is a probability: from 0 to 1, not {value!r}")
    return float(value)


def check_script_entry(target: str, entry: Any) -> None:
    if not isinstance(entry, str):
        raise ValueError(f"script entries are strings, not {entry!r}")
    kind, _, arg = entry.partition(":")
    if target == "job":
        if entry not in ("ok", *JOB_KINDS):
            raise ValueError(f"job script entry {entry!r}: use ok, fail or stall")
        return
    if kind not in ("ok", "latency", "minimax", *ENDPOINT_KINDS):
        raise ValueError(
            f"script entry {entry!r} for {target}: use ok, latency:<s>, minimax:<code>, "
            f"{', '.join(ENDPOINT_KINDS)}"
        )
    if kind == "minimax":
        check_code(entry, arg)
    elif kind in ("latency", "rate_limit") and arg:
        check_setting(kind if kind == "latency" else "retry_after", number(arg, entry))
    elif kind == "latency":
        raise ValueError(f"script entry {entry!r}: latency needs seconds, e.g. latency:1.5")
    elif kind == "server_error" and arg and arg not in {str(s) for s in SERVER_ERROR_STATUSES}:
        raise ValueError(
            f"script entry {entry!r}: server_error takes one of {SERVER_ERROR_STATUSES}"
        )
    elif arg and kind not in ("server_error", "rate_limit"):
        raise ValueError(f"script entry {entry!r}: {kind} takes no argument")
