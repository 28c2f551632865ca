"""What a create counts against budgets, taken in the transaction that records it (SQL).

A create's entry is its reservation: ``videos``, ``seconds`` and ``estimate`` are written with
the request, so the check of what is left and the row that uses it up are one ``BEGIN
IMMEDIATE`` transaction: two processes sharing one budget take turns, and neither can see
room the other has just used. An entry counts while ``released_at`` is NULL; a create the
server refused, or a job that failed without a reported cost, is given back (``RELEASE_SQL``),
and a reported cost counts instead of the estimate.
"""

from __future__ import annotations

import json
import sqlite3
import time
from typing import Any

from ..money import Budget, Estimate, Spent, budget_from
from ..money.budget import CLIENT, LIBRARY, check, period_start
from ..status import CANCELLED, FAILED

BUDGET = "budget"
PRICES = "prices"

# For a status update: ? = the new status, ? = now. A failed or cancelled job the server
# reported no cost for gives its reservation back.
RELEASE_SQL = (
    f"released_at = CASE WHEN ? IN ('{FAILED}', '{CANCELLED}') AND COALESCE(cost, 0) = 0 "
    "THEN COALESCE(released_at, ?) ELSE released_at END"
)
_COUNTED = "videos IS NOT NULL AND released_at IS NULL"


def setting(conn: sqlite3.Connection, name: str) -> Any:
    row = conn.execute("SELECT value FROM library_settings WHERE name = ?", (name,)).fetchone()
    return None if row is None else json.loads(row[0])


def set_setting(conn: sqlite3.Connection, name: str, value: Any) -> None:
    if value is None:
        conn.execute("DELETE FROM library_settings WHERE name = ?", (name,))
        return
    conn.execute(
        "INSERT OR REPLACE INTO library_settings (name, value, set_at) VALUES (?, ?, ?)",
        (name, json.dumps(value, sort_keys=True), time.time()),
    )


def library_budget(conn: sqlite3.Connection) -> Budget | None:
    return budget_from(setting(conn, BUDGET), what="the library's budget")


def spent_since(conn: sqlite3.Connection, since: float, run: str | None = None) -> Spent:
    """What the entries made since ``since`` (of one client's ``run``, if given) count for."""
    sql = (
        "SELECT COALESCE(SUM(videos), 0), COALESCE(SUM(seconds), 0), "
        f"COALESCE(SUM(COALESCE(cost, estimate, 0)), 0) FROM entries WHERE {_COUNTED} "
        "AND created_at >= ?"
    )
    params: list[Any] = [since]
    if run is not None:
        sql += " AND run = ?"
        params.append(run)
    videos, seconds, amount = conn.execute(sql, params).fetchone()
    return Spent(int(videos), float(seconds), float(amount))


def check_budgets(
    conn: sqlite3.Connection,
    charge: Estimate,
    *,
    own: Budget | None,
    run: str | None,
    now: float,
) -> None:
    """Raise BudgetExceededError (or ConfigurationError) unless ``charge`` fits in the library's
    budget and in the client's own; run inside the transaction that then records it."""
    stored = library_budget(conn)
    if stored is not None:
        spent = spent_since(conn, period_start(stored.per, now))
        check(stored, spent, charge, scope=LIBRARY, currency=charge.currency)
    if own is not None:
        spent = spent_since(conn, period_start(own.per, now), run)
        check(own, spent, charge, scope=CLIENT, currency=charge.currency)


def charge_values(charge: Estimate | None) -> tuple[Any, ...]:
    """(videos, seconds, estimate, currency) for the entry's columns."""
    if charge is None:
        return (None, None, None, None)
    return (charge.videos, charge.seconds, charge.amount, charge.currency)
