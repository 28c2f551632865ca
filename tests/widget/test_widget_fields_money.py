"""More fields and money in the widget, over the emulator with a real library: a model's own
field is sent, kept, shown and restored, a typo of a declared one is refused before anything is
sent; the estimate beside Generate follows the inputs, today's spending follows the runs, a run's
cost reaches its card, and a budget's refusal is said plainly with nothing sent."""

from __future__ import annotations

import asyncio

import pytest

from mql_notebook import AsyncMQL, ConfigurationError, InvalidRequestError, Library
from mql_notebook.local import LocalServer
from mql_notebook.widget import Gallery, VideoWidget
from tests.widget.support import quiet

PROMPT = "A kite over a beach"
PRICES = {"currency": "USD", "models": {"sora": {"per_second": 0.10, "per_video": 0.05}}}


@pytest.fixture
def emulator(local_server) -> LocalServer:
    return local_server(pace=0.3, fault_seed=8)


@pytest.fixture
async def client(emulator, api_key, poll_timing, retry_policy, library_folder) -> AsyncMQL:
    async with AsyncMQL(
        api_key=api_key,
        base_url=emulator.url,
        poll_timing=poll_timing,
        retry_policy=retry_policy,
        library=library_folder,
        prices=PRICES,
    ) as mql:
        yield mql


def creates(emulator: LocalServer) -> int:
    return emulator.count("POST", "/v1/videos/generations")


async def until(check, timeout: float = 5.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("never happened")


async def test_a_models_own_field_is_sent_kept_shown_and_restored(client, emulator) -> None:
    w = quiet(VideoWidget(PROMPT, client=client, fields={"prompt_optimizer": False}))
    run = await w.generate()
    assert run.status == "completed", run.error
    job = emulator.emulator.jobs.get(run.generation_id)
    assert job is not None and job.request["prompt_optimizer"] is False
    entry = client.library.get(run.generation_id)
    assert entry is not None and entry.options["prompt_optimizer"] is False
    assert "prompt_optimizer=false" in w.runs[-1]["summary"]
    w.fields = {}
    w.show(len(w.runs) - 1)
    assert w.fields == {"prompt_optimizer": False}
    # A widget of a later session sees it in its strip; the gallery's "Use this prompt" too.
    later = quiet(VideoWidget(client=client))
    assert later.history[-1].fields == {"prompt_optimizer": False}
    g = Gallery(widget=later)
    await g._use(entry.key)
    assert later.fields == {"prompt_optimizer": False} and later.prompt == PROMPT


async def test_a_typo_of_a_declared_field_is_refused_before_anything_is_sent(
    client, emulator
) -> None:
    w = quiet(VideoWidget(PROMPT, client=client))
    before = creates(emulator)
    w.set_state({"fields": {"sed": 7}})  # as the view's text area writes it
    with pytest.raises(InvalidRequestError, match="did you mean seed"):
        w.generate()
    assert "did you mean seed" in w.error and w.note == "Nothing was sent."
    w.fields = {"duration": 5}
    with pytest.raises(InvalidRequestError, match="control of its own"):
        w.generate()
    assert creates(emulator) == before


async def test_more_fields_follows_the_model_and_refuses_a_typo_of_its_field(
    client, emulator
) -> None:
    w = quiet(VideoWidget(PROMPT, client=client))
    assert w.model_fields == {"family": "", "fields": []}  # sora: nothing known beyond the options
    w.set_state({"model": "kling-2.1"})  # as the view's model box writes it
    assert w.model_fields["family"] == "Kling"
    assert [f["name"] for f in w.model_fields["fields"]] == ["negative_prompt", "cfg_scale"]
    before = creates(emulator)
    w.set_state({"fields": {"cfg_scael": 0.5}})
    with pytest.raises(InvalidRequestError, match="did you mean cfg_scale"):
        w.generate()
    assert "did you mean cfg_scale" in w.error and w.note == "Nothing was sent."
    assert creates(emulator) == before


async def test_the_estimate_follows_the_inputs_and_the_cost_reaches_the_card(
    client, emulator
) -> None:
    w = quiet(VideoWidget(PROMPT, client=client, duration=5))
    await until(lambda: w.estimate.startswith("$0.55"))
    assert w.spending.startswith("today: $0.00")
    w.n = 2
    await until(lambda: w.estimate.startswith("$1.10 (2 videos, 10 s)"))
    w.n = 1
    run = await w.generate()
    assert run.status == "completed", run.error
    await until(lambda: w.spending.startswith("today: $0.55 (1 video, 5 s)"))
    assert w.runs[-1]["cost"] == "~$0.55"  # the estimate: the emulator reports no cost here


async def test_a_budget_refusal_is_said_plainly_and_nothing_is_sent(client, emulator) -> None:
    Library(client.library.path).set_budget(videos=0, per="day")
    w = quiet(VideoWidget(PROMPT, client=client))
    before = creates(emulator)
    run = await w.generate()
    assert run.status == "failed" and "budget" in run.error.lower()
    assert w.error == run.error and w.note == "Nothing was sent."
    assert creates(emulator) == before


async def test_the_widgets_own_prices_and_budget_reach_the_client_it_makes(
    emulator, api_key, library_folder, monkeypatch
) -> None:
    monkeypatch.setenv("MQL_BASE_URL", emulator.url)
    monkeypatch.setenv("MQL_API_KEY", api_key)
    w = quiet(VideoWidget(PROMPT, duration=5, prices=PRICES, budget={"videos": 1}))
    await until(lambda: w.estimate.startswith("$0.55"))  # the widget's price table
    first = await w.generate()
    assert first.status == "completed", first.error
    before = creates(emulator)
    second = await w.generate()  # the widget's own budget: one video
    assert second.status == "failed" and "budget" in second.error.lower()
    assert w.note == "Nothing was sent." and creates(emulator) == before
    w.close()


async def test_a_widget_given_a_client_refuses_its_own_money_settings(client) -> None:
    with pytest.raises(ConfigurationError, match="prices= to MQL"):
        VideoWidget(PROMPT, client=client, prices=PRICES)
    with pytest.raises(ConfigurationError, match="budget"):
        VideoWidget(PROMPT, budget={"videos": "ten"})  # checked now, not at Generate
