"""The plain money decisions: price tables, estimates, reported costs, budgets, plan status."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from mql_notebook import Budget, BudgetExceededError, ConfigurationError, Generation
from mql_notebook.money import (
    NO_PRICES,
    Cost,
    Spent,
    cost_from,
    estimate,
    format_amount,
    plan_from,
    prices_from,
    read_prices,
)
from mql_notebook.money.budget import CLIENT, LIBRARY, check, period_start
from mql_notebook.money.estimate import total

TABLE = {
    "currency": "USD",
    "models": {
        "sora": {"per_second": 0.10},
        "veo-3": {"per_second": {"720p": 0.40, "1080p": 0.75}, "default_duration": 8},
        "kling": {"per_video": {"*": 0.30}, "per_second": 0.02},
    },
}


def test_an_estimate_is_per_second_and_per_video_by_resolution_times_n() -> None:
    prices = prices_from(TABLE)
    one = estimate({"model": "sora", "prompt": "x", "duration": 10, "n": 2}, prices)
    assert (one.videos, one.seconds, one.amount, one.currency) == (2, 20.0, 2.0, "USD")
    assert one.text() == "$2.00 (2 videos, 20 s)"
    veo = estimate({"model": "veo-3", "prompt": "x", "resolution": "1080p"}, prices)
    assert veo.seconds == 8.0 and veo.amount == pytest.approx(6.0)  # the table's default duration
    kling = estimate({"model": "kling", "prompt": "x", "duration": 5}, prices)
    assert kling.amount == pytest.approx(0.40)
    # The documented models' default duration when none is sent.
    assert estimate({"model": "sora", "prompt": "x"}, prices).amount == pytest.approx(0.5)


def test_an_estimate_says_why_it_is_unknown_and_never_guesses() -> None:
    prices = prices_from(TABLE)
    none = estimate({"model": "sora", "prompt": "x", "duration": 5}, None)
    assert none.amount is None and none.note == NO_PRICES and "unknown" in none.text()
    other = estimate({"model": "luma", "prompt": "x", "duration": 5}, prices)
    assert other.amount is None and "no price for model 'luma'" in other.note
    res = estimate({"model": "veo-3", "prompt": "x", "resolution": "480p"}, prices)
    assert res.amount is None and "480p" in res.note
    star = prices_from({"models": {"*": {"per_video": 1}}})
    assert estimate({"model": "luma", "prompt": "x"}, star).amount == 1.0
    batch = total([estimate({"model": "sora", "duration": 5}, prices), other])
    assert batch.amount is None and batch.videos == 2 and "1 of 2 unpriced" in batch.note


@pytest.mark.parametrize(
    "table,needle",
    [
        ([1], "JSON object"),
        ({"models": {}}, "models must be"),
        ({"models": {"sora": {"per_secnd": 1}}}, "unknown key(s) per_secnd"),
        ({"models": {"sora": {"per_second": -1}}}, "must be a number >= 0"),
        ({"models": {"sora": {}}}, "give per_second, per_video or both"),
        ({"prices": {}}, "unknown key(s) prices"),
    ],
)
def test_a_bad_price_table_is_refused_naming_the_part(table: object, needle: str) -> None:
    with pytest.raises(ConfigurationError, match=None) as caught:
        prices_from(table)
    assert needle in str(caught.value)


def test_a_table_reads_from_json_text_or_a_file(tmp_path) -> None:
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(TABLE))
    assert read_prices(str(path), source="MQL_PRICES").models.keys() == TABLE["models"].keys()
    assert read_prices(json.dumps(TABLE), source="MQL_PRICES").currency == "USD"
    with pytest.raises(ConfigurationError, match="cannot read the price table"):
        read_prices(str(tmp_path / "missing.json"), source="MQL_PRICES")
    assert prices_from(prices_from(TABLE).to_dict()).to_dict() == prices_from(TABLE).to_dict()


@pytest.mark.parametrize(
    "answer,cost",
    [
        ({"usage": {"cost": 0.5, "currency": "usd", "seconds": 5}}, Cost(0.5, "USD", 5.0)),
        ({"usage": {"total_cost": "1.25"}}, Cost(1.25, None, None)),
        ({"usage": {"cost_usd": 2}}, Cost(2.0, "USD", None)),
        ({"cost": 0.75, "currency": "EUR"}, Cost(0.75, "EUR", None)),
        ({"cost": {"amount": 0.3, "currency": "USD"}}, Cost(0.3, "USD", None)),
        ({"usage": {"tokens": 10}}, None),
        ({"cost": True}, None),
        ({}, None),
    ],
)
def test_the_real_cost_is_read_from_any_of_the_shapes_gateways_send(answer, cost) -> None:
    assert cost_from(answer) == cost
    assert Generation({"id": "v", **answer}, id="v").cost == cost


def test_a_budget_refuses_what_does_not_fit_saying_spent_left_and_how_to_raise() -> None:
    ask = estimate({"model": "sora", "duration": 5, "n": 2}, prices_from(TABLE))
    budget = Budget(videos=10, amount=5.0, per="day")
    check(budget, Spent(8, 40, 4.0), ask, scope=LIBRARY, currency="USD")  # 8 + 2 fits
    with pytest.raises(BudgetExceededError) as caught:
        check(budget, Spent(9, 45, 4.0), ask, scope=LIBRARY, currency="USD")
    error = caught.value
    assert error.left.videos == 1 and error.spent.videos == 9 and error.scope == LIBRARY
    text = str(error)
    assert "refused before sending" in text and "9 videos spent today, 1 left" in text
    assert "mql-notebook library budget --videos N" in text and "tomorrow" in text
    with pytest.raises(BudgetExceededError, match=r"\$4\.80 spent today, \$0\.20 left"):
        check(budget, Spent(0, 0, 4.8), ask, scope=LIBRARY, currency="USD")
    with pytest.raises(BudgetExceededError, match="this client's own budget="):
        check(Budget(videos=1), Spent(0), ask, scope=CLIENT)


def test_a_budget_that_cannot_be_told_refuses_with_what_to_do() -> None:
    unpriced = estimate({"model": "sora", "duration": 5}, None)
    with pytest.raises(ConfigurationError, match="price the model, or budget in videos"):
        check(Budget(amount=5), Spent(), unpriced, scope=LIBRARY)
    check(Budget(videos=5), Spent(), unpriced, scope=LIBRARY)  # videos need no prices
    with pytest.raises(ConfigurationError, match="a budget needs"):
        Budget()
    with pytest.raises(ConfigurationError, match="per must be"):
        Budget(videos=1, per="week")  # type: ignore[arg-type]


def test_periods_begin_at_local_midnight_and_the_first_of_the_month() -> None:
    now = dt.datetime(2026, 5, 17, 15, 30).timestamp()
    assert period_start("day", now) == dt.datetime(2026, 5, 17).timestamp()
    assert period_start("month", now) == dt.datetime(2026, 5, 1).timestamp()
    assert period_start(None, now) == 0.0


def test_the_plan_is_read_as_the_sdk_reads_it() -> None:
    plan = plan_from(
        {
            "plan_tier": "pro",
            "limits": {"videos": 10, "seconds": "unlimited"},
            "usage": {"videos": 7},
        }
    )
    assert plan.tier == "pro" and plan.remaining("videos") == 3
    assert plan.remaining("seconds") == "unlimited" and plan.remaining("other") == "unlimited"
    assert plan.left == {"videos": 3, "seconds": "unlimited"}
    assert plan.text() == "plan pro: videos 3 of 10 left, seconds unlimited"
    assert plan_from({}).tier == "free"


def test_amounts_are_shown_with_their_currency() -> None:
    assert format_amount(1.5, "USD") == "$1.50"
    assert format_amount(0.4, "EUR") == "€0.40"
    assert format_amount(12.5, "credits") == "12.50 credits"
    assert format_amount(None, "USD") == "unknown"
