"""The widget's request follows its declaration (request/fields.py): a seed typed as a keyword
reaches the server, comes back with the run and the gallery's card, and the model box offers the
models this setup really has; over the local emulator, as a user would use it."""

from __future__ import annotations

import asyncio

import pytest

from mql_notebook import AsyncMQL
from mql_notebook.library import Library
from mql_notebook.local import LocalServer
from mql_notebook.request import KNOWN_MODELS, VALUE_NAMES
from mql_notebook.widget import Gallery, VideoWidget
from mql_notebook.widget.model_suggestions import emulator_models
from tests.widget.support import quiet

PROMPT = "A paper lantern drifting over a dark lake"


@pytest.fixture
def emulator(local_server) -> LocalServer:
    return local_server(pace=0.3, fault_seed=21)


def sent_request(emulator: LocalServer, generation_id: str) -> dict:
    """What the emulator received for the job: its checked request."""
    (create,) = [
        r for r in emulator.requests if r.endpoint == "create" and r.generation_id == generation_id
    ]
    assert create.status == 200
    job = emulator.emulator.jobs.get(generation_id)
    assert job is not None
    return dict(job.request)


async def test_a_seed_given_to_the_widget_is_sent_and_restored_by_show(client, emulator) -> None:
    w = quiet(VideoWidget(PROMPT, seed=7, client=client))
    assert w.seed == 7
    first = await w.generate()
    assert first.status == "completed" and first.options["seed"] == 7
    assert sent_request(emulator, first.generation_id)["seed"] == 7
    assert w.runs[0]["options"]["seed"] == 7 and "seed 7" in w.runs[0]["summary"]
    w.seed = None  # an empty seed box: not sent
    second = await w.generate()
    assert "seed" not in second.options
    assert sent_request(emulator, second.generation_id).get("seed") is None
    w.show(0)
    assert w.seed == 7
    w.show(1)
    assert w.seed is None


async def test_a_gallery_card_shows_the_seed_and_use_this_prompt_restores_it(
    client, emulator
) -> None:
    w = quiet(VideoWidget(PROMPT, seed=7, aspect_ratio="9:16", client=client))
    await w.generate()
    g = Gallery(widget=w)
    (card,) = g.entries
    assert card["summary"] == "sora · 9:16 · 5 s · seed 7"
    w.prompt, w.seed, w.aspect_ratio = "something else", 99, "1:1"
    g._on_view_message(g, {"kind": "use", "key": card["key"]}, [])
    await asyncio.sleep(0.3)  # the entry is read in a worker thread
    assert (w.prompt, w.seed, w.aspect_ratio, w.duration) == (PROMPT, 7, "9:16", 5)


async def test_generate_from_the_view_uses_the_inputs_it_carries(client, emulator) -> None:
    """marimo posts each update and each message as its own request, so Generate's message can
    reach the kernel before the prompt typed just before it: the message carries the inputs."""
    w = quiet(VideoWidget("the prompt the kernel last heard", client=client))
    shown = {"prompt": PROMPT, "model": "sora", "seed": 3, "aspect_ratio": "9:16", "fields": {}}
    forged = {"status": "completed", "generation_id": "forged"}  # outputs: never the view's
    w._on_view_message(w, {"kind": "generate", "inputs": {**shown, **forged}}, [])
    run = await w.task
    assert run.status == "completed" and run.prompt == PROMPT
    sent = sent_request(emulator, run.generation_id)
    assert (sent["prompt"], sent["seed"], sent["aspect_ratio"]) == (PROMPT, 3, "9:16")
    assert (w.prompt, w.seed, w.aspect_ratio) == (PROMPT, 3, "9:16")
    assert run.generation_id != "forged"


def test_every_declared_option_is_a_keyword_and_a_tagged_trait() -> None:
    w = VideoWidget("x", seed=12, resolution="720p", n=2)
    for name in VALUE_NAMES:
        assert w.trait_metadata(name, "input") is True, name
    assert (w.seed, w.resolution, w.n) == (12, "720p", 2)
    w.set_state({"seed": 5, "status": "completed"})  # the view may write inputs, not outputs
    assert (w.seed, w.status) == (5, "idle")


def test_the_default_model_is_the_clients(monkeypatch, api_key: str) -> None:
    monkeypatch.setenv("MQL_MODEL", "kling-2.1")
    assert VideoWidget("x").model == "kling-2.1"  # built from the environment
    client = AsyncMQL(api_key=api_key, base_url="http://127.0.0.1:9", model="veo-3")
    assert VideoWidget("x", client=client).model == "veo-3"
    assert VideoWidget("x", client=client, model="sora").model == "sora"


def test_a_documented_model_gets_a_length_it_accepts() -> None:
    w = VideoWidget("x", model="veo-3", duration=8)  # another model's length: typed, kept
    assert w.duration == 8
    w.model = "sora"  # 8 s is no Sora length: its first
    assert w.duration == 5
    w.duration = 15
    w.model = "sora-1.0-turbo"  # 15 s is one of its lengths: kept
    assert w.duration == 15


async def test_the_model_box_suggests_the_emulators_the_librarys_and_the_known_models(
    emulator, api_key, tmp_path
) -> None:
    library = Library(tmp_path / "lib")
    async with AsyncMQL(
        api_key=api_key,
        base_url=emulator.url,
        library=library,
        extra_models=("acme-video",),
    ) as client:
        await client.video.create(model="veo-3", prompt=PROMPT, duration=8)
        assert library.models() == ["veo-3"]
        served = emulator_models(emulator.url)
        assert "kling-2.1" in served and "sora" in served
        w = VideoWidget("x", client=client)
        await asyncio.sleep(0.5)  # read in a worker thread
        models = w.choices["models"]
    assert models[: len(served)] == served
    assert "veo-3" in models and "acme-video" in models and set(KNOWN_MODELS) <= set(models)
    assert len(models) == len(set(models))
    assert emulator_models("https://api.example.invalid") == []  # only a local server is asked
