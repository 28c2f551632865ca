"""Money over real HTTP against the emulator: the estimate before a create, the real cost after,
budgets kept by the library, the plan's limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from mql_notebook import (
    AsyncMQL,
    Budget,
    BudgetExceededError,
    ConfigurationError,
    GenerationFailedError,
    Library,
)

PRICES = {"currency": "USD", "models": {"sora": {"per_second": 0.10, "per_video": 0.05}}}


@pytest.fixture
def server(local_server):
    return local_server(pace=0.3)


def client(server, api_key, poll_timing, retry_policy, **options) -> AsyncMQL:
    return AsyncMQL(
        api_key=api_key,
        base_url=server.url,
        poll_timing=poll_timing,
        retry_policy=retry_policy,
        **options,
    )


async def test_an_estimate_from_the_price_table_is_recorded_before_the_create(
    server, api_key, poll_timing, retry_policy, tmp_path: Path
) -> None:
    async with client(
        server, api_key, poll_timing, retry_policy, library=tmp_path, prices=PRICES
    ) as mql:
        ahead = await mql.video.estimate(prompt="A fox", duration=10, n=2)
        assert (ahead.amount, ahead.videos, ahead.seconds) == (pytest.approx(2.1), 2, 20.0)
        assert server.count("POST", "/v1/videos/generations") == 0  # an estimate sends nothing
        generation = await mql.video.create_and_wait(prompt="A fox", duration=10, n=2)
    entry = Library(tmp_path).get(generation.id)
    assert entry is not None and entry.estimate == pytest.approx(2.1)
    assert entry.cost is None and entry.currency == "USD" and entry.counted
    assert entry.cost_text() == "~$2.10"  # an estimate: the server reported no cost


@pytest.mark.parametrize("style", ["usage", "cost"])
async def test_a_cost_in_the_servers_answer_is_recorded_as_the_real_cost(
    server, api_key, poll_timing, retry_policy, tmp_path: Path, style: str
) -> None:
    server.billing = {"per_second": 0.2, "style": style, "when": "completed"}
    async with client(
        server, api_key, poll_timing, retry_policy, library=tmp_path, prices=PRICES
    ) as mql:
        generation = await mql.video.create_and_wait(prompt="A heron", duration=5)
        assert generation.cost is not None and generation.cost.amount == pytest.approx(1.0)
        spending = await mql.video.spending()
    entry = Library(tmp_path).get(generation.id)
    assert entry is not None and entry.estimate == pytest.approx(0.55)
    assert entry.cost == pytest.approx(1.0) and entry.cost_text() == "$1.00"
    assert spending.today is not None and spending.today.amount == pytest.approx(1.0)
    assert spending.text().startswith("today: $1.00 (1 video, 5 s)")
    [row] = Library(tmp_path).spent()
    assert (row.videos, row.cost, row.estimated) == (1, pytest.approx(1.0), 0)


async def test_a_job_that_failed_unbilled_gives_its_reservation_back_a_billed_one_keeps_it(
    server, api_key, poll_timing, retry_policy, tmp_path: Path
) -> None:
    library = Library(tmp_path)
    library.set_budget(videos=1, per="day")
    async with client(server, api_key, poll_timing, retry_policy, library=library) as mql:
        with pytest.raises(GenerationFailedError):
            await mql.video.create_and_wait(prompt="A storm [[fail]]")
        # Given back: the budget of one video still has room.
        done = await mql.video.create_and_wait(prompt="A calm sea")
        with pytest.raises(BudgetExceededError):
            await mql.video.create(prompt="One too many")
    assert library.budget_status().spent.videos == 1  # type: ignore[union-attr]

    other = Library(tmp_path / "billed")
    other.set_budget(videos=1, per="day")
    server.billing = {"per_second": 0.1, "bill_failed": True}
    async with client(server, api_key, poll_timing, retry_policy, library=other) as mql:
        with pytest.raises(GenerationFailedError):
            await mql.video.create_and_wait(prompt="A storm [[fail]]")
        with pytest.raises(BudgetExceededError):  # the provider billed it: it still counts
            await mql.video.create(prompt="A calm sea")
    [entry] = other.entries()
    assert entry.status == "failed" and entry.cost == pytest.approx(0.5) and entry.counted
    assert done.completed


async def test_a_create_the_server_refused_gives_its_reservation_back(
    server, api_key, poll_timing, retry_policy, tmp_path: Path
) -> None:
    library = Library(tmp_path)
    library.set_budget(videos=1, per=None)
    async with client(server, api_key, poll_timing, retry_policy, library=library) as mql:
        with pytest.raises(Exception, match="choose another model"):
            await mql.video.create(model="sora-9", prompt="A fox")
        await mql.video.create(prompt="A fox")  # the refused one used nothing
    refused = [e for e in library.entries() if e.status == "failed"]
    assert len(refused) == 1 and not refused[0].counted


async def test_a_clients_own_budget_caps_its_runs_and_needs_a_library(
    server, api_key, poll_timing, retry_policy, tmp_path: Path
) -> None:
    with pytest.raises(ConfigurationError, match="budget= needs a library"):
        client(server, api_key, poll_timing, retry_policy, budget={"videos": 2}, library=False)
    own = Budget(videos=2)
    async with client(
        server, api_key, poll_timing, retry_policy, library=tmp_path, budget=own
    ) as first:
        await first.video.create(prompt="one")
        await first.video.create(prompt="two", n=1)
        with pytest.raises(BudgetExceededError, match="this client's own budget") as caught:
            await first.video.create(prompt="three")
        assert caught.value.scope == "client"
    # Another client of the same library has a budget of its own.
    async with client(
        server, api_key, poll_timing, retry_policy, library=tmp_path, budget=own
    ) as second:
        await second.video.create(prompt="four")
    assert server.count("POST", "/v1/videos/generations") == 3


async def test_a_money_budget_without_a_price_refuses_before_sending(
    server, api_key, poll_timing, retry_policy, tmp_path: Path
) -> None:
    Library(tmp_path).set_budget(amount=5.0)
    async with client(server, api_key, poll_timing, retry_policy, library=tmp_path) as mql:
        with pytest.raises(ConfigurationError, match="costs are unknown: no price table"):
            await mql.video.create(prompt="A fox")
        Library(tmp_path).set_prices(PRICES)  # the library's own table, read at each create
        assert (await mql.video.estimate(prompt="A fox", duration=5)).amount == pytest.approx(0.55)
        await mql.video.create(prompt="A fox", duration=5)
    assert server.count("POST", "/v1/videos/generations") == 1


async def test_prices_come_from_mql_prices_as_json_or_a_file(
    server, api_key, monkeypatch, tmp_path: Path
) -> None:
    import json

    monkeypatch.setenv("MQL_PRICES", json.dumps(PRICES))
    mql = AsyncMQL(api_key=api_key, base_url=server.url)
    assert mql.settings.prices is not None and mql.settings.prices.source == "MQL_PRICES"
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(PRICES))
    monkeypatch.setenv("MQL_PRICES", str(path))
    assert (await AsyncMQL(api_key=api_key, base_url=server.url).video.estimate(prompt="x")).known
    monkeypatch.setenv("MQL_PRICES", str(tmp_path / "nope.json"))
    with pytest.raises(ConfigurationError, match="MQL_PRICES: cannot read the price table"):
        AsyncMQL(api_key=api_key, base_url=server.url)
    monkeypatch.delenv("MQL_PRICES")
    unknown = await AsyncMQL(api_key=api_key, base_url=server.url).video.estimate(prompt="x")
    assert unknown.amount is None and "costs are unknown" in unknown.text()


async def test_the_plans_limits_and_usage_say_what_is_left(
    server, poll_timing, retry_policy
) -> None:
    server.set_plan({"tier": "pro", "limits": {"videos": 10, "video_seconds": "unlimited"}})
    key = "mql_a_key_of_its_own"  # usage is counted per key
    async with client(server, key, poll_timing, retry_policy, library=False) as mql:
        before = await mql.subscription_status()
        await mql.video.create(prompt="A fox", n=2)
        after = await mql.subscription_status()
    assert before is not None and after is not None and after.tier == "pro"
    assert before.remaining("videos") == 10 and after.remaining("videos") == 8
    assert after.remaining("video_seconds") == "unlimited"
    assert "plan pro: videos" in after.text()
