"""Money: the cost before a create (a price table and an estimate), the cost after (what the
server's answer reports), budgets, and the gateway's plan limits. Plain data and decisions, no
I/O (but reading a price table's file); the library keeps what was spent and holds the budget,
the client estimates and records.

- ``prices``: ``PriceTable`` (per model, per second and per video, by resolution), read from a
  dict, JSON or a file; ``format_amount``;
- ``estimate``: ``Estimate`` of a create's body (``estimate``) or of many (``total``);
- ``costs``: ``Cost``, read from a generation object's ``usage`` / ``cost`` (``cost_from``);
- ``budget``: ``Budget``, ``Spent``, the period a budget counts and whether a create fits;
- ``plan``: ``PlanStatus``, the gateway's ``subscription-status`` (tier, limits, usage).
"""

from .budget import Budget, Spent, budget_from
from .costs import Cost, cost_from
from .estimate import NO_PRICES, Estimate, estimate
from .plan import PlanStatus, plan_from
from .prices import ModelPrice, PriceTable, format_amount, prices_from, read_prices

__all__ = [
    "NO_PRICES",
    "Budget",
    "Cost",
    "Estimate",
    "ModelPrice",
    "PlanStatus",
    "PriceTable",
    "Spent",
    "budget_from",
    "cost_from",
    "estimate",
    "format_amount",
    "plan_from",
    "prices_from",
    "read_prices",
]
