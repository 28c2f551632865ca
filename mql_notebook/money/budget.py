"""Budgets: how much may be spent, in videos, seconds of video or money, per day, per month or
in all; and the plain decision whether one more create fits (no I/O).

The library keeps one budget for every client that records into it; a client, widget or batch
may have its own (``budget=``) for what it makes itself. Both are checked by the library in
the transaction that records the request (library/spending.py), so several processes sharing
one budget never make one video too many.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ..errors import BudgetExceededError, ConfigurationError
from .estimate import Estimate, describe_size
from .prices import format_amount

Period = Literal["day", "month"]
PERIODS: tuple[Period | None, ...] = ("day", "month", None)
LIBRARY, CLIENT = "library", "client"

RAISE_LIBRARY = (
    "raise it with `mql-notebook library budget --{what} N` (or "
    "Library(...).set_budget({what}=N)){wait}"
)


@dataclass(frozen=True)
class Budget:
    """At most ``amount`` (money, in the price table's currency), ``seconds`` of video and
    ``videos`` per ``per`` ("day", "month", or None: in all); None leaves that one open."""

    amount: float | None = None
    seconds: float | None = None
    videos: int | None = None
    per: Period | None = None

    def __post_init__(self) -> None:
        for name in ("amount", "seconds"):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
                or value < 0
            ):
                raise ConfigurationError(
                    f"budget {name} must be a number >= 0 or None, not {value!r}"
                )
        if self.videos is not None and (
            isinstance(self.videos, bool) or not isinstance(self.videos, int) or self.videos < 0
        ):
            raise ConfigurationError(
                f"budget videos must be an int >= 0 or None, not {self.videos!r}"
            )
        if self.per not in PERIODS:
            raise ConfigurationError(f"budget per must be 'day', 'month' or None, not {self.per!r}")
        if self.amount is None and self.seconds is None and self.videos is None:
            raise ConfigurationError("a budget needs amount=, seconds= or videos= (or all three)")

    def to_dict(self) -> dict[str, Any]:
        return {
            "amount": self.amount,
            "seconds": self.seconds,
            "videos": self.videos,
            "per": self.per,
        }

    def text(self, currency: str | None = None) -> str:
        """``10 videos a day``, ``$5.00 and 60 s a month``, ``3 videos in all``."""
        parts = limited_parts(self, self, currency)
        period = {"day": " a day", "month": " a month", None: " in all"}[self.per]
        return " and ".join(parts) + period


def limited_parts(budget: Budget, counts: Any, currency: str | None) -> list[str]:
    """``counts``' amount, videos and seconds in words, those ``budget`` limits only."""
    parts = []
    if budget.amount is not None:
        parts.append(format_amount(counts.amount, currency))
    if budget.videos is not None:
        parts.append(f"{counts.videos} video{'' if counts.videos == 1 else 's'}")
    if budget.seconds is not None:
        parts.append(f"{counts.seconds:g} s")
    return parts


def budget_from(value: Any, *, what: str = "budget=") -> Budget | None:
    """``budget=`` as given: a Budget, a mapping of its fields, or None."""
    if value is None or isinstance(value, Budget):
        return value
    if isinstance(value, Mapping):
        unknown = set(value) - {"amount", "seconds", "videos", "per"}
        if unknown:
            raise ConfigurationError(
                f"{what}: unknown key(s) {', '.join(sorted(unknown))}; a budget has amount, "
                "seconds, videos and per"
            )
        return Budget(**dict(value))
    raise ConfigurationError(
        f"{what} must be a Budget(videos=..., seconds=..., amount=..., per=...) or a dict, "
        f"not {type(value).__name__}"
    )


@dataclass(frozen=True)
class Spent:
    """What a budget's period has used (or has left): videos, seconds of video, money."""

    videos: int = 0
    seconds: float = 0.0
    amount: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"videos": self.videos, "seconds": self.seconds, "amount": self.amount}


def period_start(per: Period | None, now: float) -> float:
    """The Unix time a period began, in local time: today's midnight, the 1st of this month,
    or 0 (in all)."""
    if per is None:
        return 0.0
    today = dt.datetime.fromtimestamp(now).date()
    first = today if per == "day" else today.replace(day=1)
    return dt.datetime.combine(first, dt.time()).timestamp()


def left_of(budget: Budget, spent: Spent) -> Spent:
    """What is left (never below 0); an open limit leaves infinity."""
    return Spent(
        videos=max(0, budget.videos - spent.videos) if budget.videos is not None else 10**12,
        seconds=max(0.0, budget.seconds - spent.seconds)
        if budget.seconds is not None
        else math.inf,
        amount=max(0.0, budget.amount - spent.amount) if budget.amount is not None else math.inf,
    )


def check(
    budget: Budget, spent: Spent, asked: Estimate, *, scope: str, currency: str | None = None
) -> None:
    """Raise BudgetExceededError if ``asked`` does not fit in what ``budget`` has left, or
    ConfigurationError if it cannot be told (a money budget and an unpriced create)."""
    whose = "the library's" if scope == LIBRARY else "this client's own budget="
    if budget.amount is not None and asked.amount is None:
        raise ConfigurationError(
            f"{whose} budget is {budget.text(currency)}, but {asked.note or 'the cost is unknown'}; "
            "nothing was sent: price the model, or budget in videos or seconds"
        )
    if budget.seconds is not None and asked.seconds is None:
        raise ConfigurationError(
            f"{whose} budget is {budget.text(currency)}, but this create's length is unknown "
            "(no duration given, none known for the model); nothing was sent: give duration="
        )
    left = left_of(budget, spent)
    over = []
    if budget.videos is not None and asked.videos > left.videos:
        over.append("videos")
    if budget.seconds is not None and (asked.seconds or 0.0) > left.seconds + 1e-9:
        over.append("seconds")
    if budget.amount is not None and (asked.amount or 0.0) > left.amount + 1e-9:
        over.append("amount")
    if not over:
        return
    raise BudgetExceededError(
        refusal_text(budget, spent, left, asked, over, scope=scope, currency=currency),
        budget=budget,
        spent=spent,
        left=left,
        asked=asked,
        scope=scope,
    )


def refusal_text(
    budget: Budget,
    spent: Spent,
    left: Spent,
    asked: Estimate,
    over: list[str],
    *,
    scope: str,
    currency: str | None,
) -> str:
    when = {"day": " today", "month": " this month", None: ""}[budget.per]
    asking = describe_size(asked.videos, asked.seconds)
    if asked.amount is not None:
        asking += f", {format_amount(asked.amount, currency)}"
    plural = "" if spent.videos == 1 else "s"
    shown = {
        "videos": (f"{spent.videos} video{plural}", f"{left.videos}"),
        "seconds": (f"{spent.seconds:g} s", f"{left.seconds:g} s"),
        "amount": (format_amount(spent.amount, currency), format_amount(left.amount, currency)),
    }
    if scope == LIBRARY:
        wait = {"day": ", or wait until tomorrow", "month": ", or wait until next month", None: ""}
        how = RAISE_LIBRARY.format(what=over[0], wait=wait[budget.per])
        whose = "the library's budget"
        by = "spent"
    else:
        how = "give it a larger budget= (or --budget-* on the command line)"
        whose = "this client's own budget="
        by = "used by its runs"
    counts = "; ".join(f"{shown[n][0]} {by}{when}, {shown[n][1]} left" for n in over)
    return (
        f"refused before sending: this create ({asking}) would go over {whose} of "
        f"{budget.text(currency)}: {counts}; {how}"
    )
