"""The library's money: its budget and price table, and what was spent (``Library`` has these).

Every method blocks (SQLite): the async client calls them through ``asyncio.to_thread``.
What counts as spent: each create recorded with a charge (its videos, seconds of video and
estimate; the cost the server reported instead of the estimate once it does), not given back
(reservations.py), by the day and month it was requested in local time.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigurationError
from ..money import Budget, Cost, PriceTable, Spent, prices_from
from ..money.budget import Period, left_of, period_start
from .index import IndexedFolder
from .reservations import BUDGET, PRICES, library_budget, set_setting, setting, spent_since


@dataclass(frozen=True)
class SpentRow:
    """One day and model of ``Library.spent``: ``cost`` sums the reported costs, and the
    estimates where none was reported (``estimated`` of them); ``unpriced`` had neither."""

    day: str  # YYYY-MM-DD, local time
    model: str | None
    videos: int
    seconds: float
    cost: float
    currency: str | None
    entries: int
    estimated: int
    unpriced: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "day": self.day,
            "model": self.model,
            "videos": self.videos,
            "seconds": self.seconds,
            "cost": self.cost,
            "currency": self.currency,
            "entries": self.entries,
            "estimated": self.estimated,
            "unpriced": self.unpriced,
        }


@dataclass(frozen=True)
class BudgetStatus:
    """A budget, what its period has spent so far and what is left (``left_of``)."""

    budget: Budget
    spent: Spent
    left: Spent
    since: float  # the period's start (Unix time)


class LibraryMoney(IndexedFolder):
    """The library's budget, price table and spending (see the module's docstring)."""

    # -- the budget ----------------------------------------------------------------

    def set_budget(
        self,
        amount: float | None = None,
        seconds: float | None = None,
        videos: int | None = None,
        per: Period | None = "day",
    ) -> Budget:
        """Every client, widget and batch recording into this library keeps within it: a
        create that would go over is refused before it is sent (BudgetExceededError).
        ``amount`` is in the price table's currency; ``per`` "day", "month" or None (in all)."""
        budget = Budget(amount=amount, seconds=seconds, videos=videos, per=per)
        self._write("setting the budget", lambda c: set_setting(c, BUDGET, budget.to_dict()))
        return budget

    def clear_budget(self) -> None:
        self._write("clearing the budget", lambda c: set_setting(c, BUDGET, None))

    def budget(self) -> Budget | None:
        return self._read("reading the budget", library_budget)

    def budget_status(self, now: float | None = None) -> BudgetStatus | None:
        """The library's budget with what its period (today, this month) spent and has left."""
        at = time.time() if now is None else now

        def read(conn: sqlite3.Connection) -> BudgetStatus | None:
            budget = library_budget(conn)
            if budget is None:
                return None
            since = period_start(budget.per, at)
            spent = spent_since(conn, since)
            return BudgetStatus(budget, spent, left_of(budget, spent), since)

        return self._read("reading the budget", read)

    # -- the price table -------------------------------------------------------------

    def set_prices(self, prices: PriceTable | dict[str, Any]) -> PriceTable:
        """Store a price table here: the estimates of every client recording into this library
        use it, unless the client has its own (``prices=`` or ``MQL_PRICES``)."""
        table = prices_from(prices, source="library.set_prices")
        self._write("setting the prices", lambda c: set_setting(c, PRICES, table.to_dict()))
        return table.with_source(f"the library's {self.path}")

    def clear_prices(self) -> None:
        self._write("clearing the prices", lambda c: set_setting(c, PRICES, None))

    def prices(self) -> PriceTable | None:
        data = self._read("reading the prices", lambda c: setting(c, PRICES))
        return None if data is None else prices_from(data, source=f"the library's {self.path}")

    # -- what was spent --------------------------------------------------------------

    def spent_since(self, since: float = 0.0) -> Spent:
        """Videos, seconds and cost of the creates made since ``since`` (a Unix time)."""
        return self._read("reading what was spent", lambda c: spent_since(c, since))

    def spent_today(self, now: float | None = None) -> Spent:
        """What this library spent today (local time): the widget shows it beside Generate."""
        return self.spent_since(period_start("day", time.time() if now is None else now))

    def spent(self, since: str | dt.date | float | None = None) -> list[SpentRow]:
        """Videos, seconds and cost per day (local time) and model, oldest day first;
        ``since`` a date (``"2026-05-01"``), a ``date`` or a Unix time."""
        start = _start_of(since)
        sql = (
            "SELECT date(created_at, 'unixepoch', 'localtime') AS day, model, "
            "COALESCE(SUM(videos), 0), COALESCE(SUM(seconds), 0), "
            "COALESCE(SUM(COALESCE(cost, estimate, 0)), 0), MAX(currency), COUNT(*), "
            "SUM(cost IS NULL AND estimate IS NOT NULL), SUM(cost IS NULL AND estimate IS NULL) "
            "FROM entries WHERE videos IS NOT NULL AND released_at IS NULL AND created_at >= ? "
            "GROUP BY day, model ORDER BY day, model"
        )
        rows = self._read("reading what was spent", lambda c: c.execute(sql, (start,)).fetchall())
        return [
            SpentRow(r[0], r[1], int(r[2]), float(r[3]), float(r[4]), r[5], r[6], r[7], r[8])
            for r in rows
        ]

    # -- costs (the client's recorder calls these) -------------------------------------

    def record_cost(self, id_or_key: str, cost: Cost) -> None:
        """The server reported what a job cost: it counts instead of the estimate; a cost above
        0 keeps the reservation even if the job failed (the provider billed it)."""
        self._write(
            "recording a cost",
            lambda c: c.execute(
                "UPDATE entries SET cost = ?, currency = COALESCE(?, currency), "
                "released_at = CASE WHEN ? > 0 THEN NULL ELSE released_at END "
                "WHERE id = ? OR key = ?",
                (cost.amount, cost.currency, cost.amount, id_or_key, id_or_key),
            ),
        )

    def release(self, id_or_key: str) -> None:
        """Give an entry's reservation back (a create that made no job)."""
        self._write(
            "giving a reservation back",
            lambda c: c.execute(
                "UPDATE entries SET released_at = COALESCE(released_at, ?) "
                "WHERE (id = ? OR key = ?) AND COALESCE(cost, 0) = 0",
                (time.time(), id_or_key, id_or_key),
            ),
        )


def _start_of(since: str | dt.date | float | None) -> float:
    if since is None:
        return 0.0
    if isinstance(since, (int, float)) and not isinstance(since, bool):
        return float(since)
    if isinstance(since, str):
        try:
            since = dt.date.fromisoformat(since.strip())
        except ValueError:
            raise ConfigurationError(
                f"since={since!r} is not a date: give YYYY-MM-DD, e.g. 2026-05-01"
            ) from None
    if isinstance(since, dt.datetime):
        return since.timestamp()
    if isinstance(since, dt.date):
        return dt.datetime.combine(since, dt.time()).timestamp()
    raise ConfigurationError(f"since must be a date, YYYY-MM-DD or a Unix time, not {since!r}")
