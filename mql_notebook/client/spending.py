"""The client's money calls: an estimate before a create, what its library spent and has left,
and the gateway's plan (``GET /v1/user/subscription-status``). ``AsyncVideo`` and ``AsyncMQL``
hand these what they use; the decisions are the plain functions of ``mql_notebook.money``.
Library reads run in worker threads, never on the loop.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import InvalidResponseError, NotFoundError
from ..money import Estimate, PlanStatus, PriceTable, Spent, estimate, format_amount, plan_from
from ..money.budget import limited_parts
from ..money.estimate import NO_PRICES, describe_size
from ..money.plan import SUBSCRIPTION_PATH
from ..request import IMAGE_NAMES, gather_options, validate_generation_request
from .operation import Operation

if TYPE_CHECKING:
    from ..library import BudgetStatus
    from .recording import Recorder
    from .settings import Settings
    from .transport import Transport

ESTIMATE_PROMPT = "(an estimate)"  # estimate() without a prompt: the prompt costs nothing


@dataclass(frozen=True)
class Spending:
    """What the widget shows beside Generate: today's spending of the client's library (None
    without a library), its currency, the library's budget with what is left (None without
    one), and whether costs are known at all (a price table, or costs reported)."""

    today: Spent | None
    currency: str | None
    budget: BudgetStatus | None
    prices: PriceTable | None

    def text(self) -> str:
        """``today: $1.50 (3 videos, 15 s); budget 10 videos a day: 7 left``."""
        if self.today is None:
            return "no library: nothing is counted"
        cost = (
            format_amount(self.today.amount, self.currency)
            if self.prices is not None or self.today.amount
            else "cost unknown"
        )
        text = f"today: {cost} ({describe_size(self.today.videos, self.today.seconds)})"
        if self.budget is not None:
            text += f"; budget {self.budget.budget.text(self.currency)}: {left_text(self.budget, self.currency)}"
        if self.prices is None and not self.today.amount:
            text += f"; {NO_PRICES}"
        return text


def left_text(status: BudgetStatus, currency: str | None) -> str:
    return " and ".join(limited_parts(status.budget, status.left, currency)) + " left"


async def prices_of(settings: Settings, recorder: Recorder | None) -> PriceTable | None:
    """The client's own table, else its library's (read in a thread), else None."""
    if settings.prices is not None:
        return settings.prices
    if recorder is None:
        return None
    return await asyncio.to_thread(recorder.library.prices)


async def estimate_create(
    settings: Settings,
    recorder: Recorder | None,
    model: str | None,
    prompt: str | None,
    positional: tuple[Any, ...],
    options: Mapping[str, Any],
) -> Estimate:
    """What ``create`` with these arguments would cost; the request is checked as create checks it."""
    gathered = gather_options(positional, dict(options))
    for name in IMAGE_NAMES:  # an image changes no price: checked and read only when sent
        gathered.pop(name, None)
    body = validate_generation_request(
        model=model if model is not None else settings.model,
        prompt=prompt if prompt else ESTIMATE_PROMPT,
        **gathered,
    )
    return estimate(body, await prices_of(settings, recorder))


async def spending(settings: Settings, recorder: Recorder | None) -> Spending:
    prices = await prices_of(settings, recorder)
    currency = prices.currency if prices is not None else None
    if recorder is None:
        return Spending(None, currency, None, prices)
    library = recorder.library
    today, budget = await asyncio.to_thread(
        lambda: (library.spent_today(), library.budget_status())
    )
    return Spending(today, currency, budget, prices)


async def subscription_status(transport: Transport) -> PlanStatus | None:
    """The gateway's plan: tier, limits, usage and what is left; None where it has no such route."""
    op = Operation("GET", SUBSCRIPTION_PATH, "reading the plan's limits and usage")
    try:
        response = await transport.send(op)
    except NotFoundError:
        return None
    try:
        raw = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        raw = None
    if not isinstance(raw, Mapping):
        raise InvalidResponseError(
            f"the server's answer to GET {SUBSCRIPTION_PATH} is not a JSON object"
        )
    return plan_from(raw)
