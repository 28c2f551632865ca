"""The emulator's model catalogue: served models with their own options, unknown and retired
ones answered as gateways do (404 model_not_found, 410 model_retired), over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mql_notebook.local import LocalServer
from mql_notebook.local.models import DEFAULT_CATALOGUE, ModelSpec

AUTH = {"Authorization": "Bearer mql_catalogue"}
PROMPT = "A kite over a beach"


@pytest.fixture
def server(local_server) -> LocalServer:
    return local_server(pace=0.2)


@pytest.fixture
def http(server: LocalServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers=AUTH, timeout=15) as client:
        yield client


def create(http: httpx.Client, **body: Any) -> httpx.Response:
    return http.post("/v1/videos/generations", json={"prompt": PROMPT, **body})


def test_the_default_catalogue_is_the_documented_two_and_present_day_names(
    server: LocalServer, http: httpx.Client
) -> None:
    settings = http.get("/_emulator/settings").json()
    assert settings["models"] == [
        "sora",
        "sora-1.0-turbo",
        "veo-3",
        "kling-2.1",
        "MiniMax-Hailuo-2.3",
    ]
    assert settings["retired_models"] == []


def test_a_model_gets_its_own_defaults(http: httpx.Client) -> None:
    body = create(http, model="kling-2.1").json()
    assert (body["model"], body["seconds"], body["resolution"], body["aspect_ratio"]) == (
        "kling-2.1",
        5,
        "720p",
        "16:9",
    )
    assert body["size"] == "1280x720"


@pytest.mark.parametrize(
    "body,param,allowed",
    [
        ({"model": "veo-3", "duration": 5}, "duration", "one of 8"),
        ({"model": "veo-3", "aspect_ratio": "1:1"}, "aspect_ratio", "'16:9', '9:16'"),
        ({"model": "veo-3", "resolution": "480p"}, "resolution", "'720p', '1080p'"),
        ({"model": "kling-2.1", "n": 2}, "n", "from 1 to 1"),
        ({"model": "sora", "duration": 8}, "duration", "5, 10, 15, 20"),
    ],
)
def test_an_option_the_model_does_not_support_is_a_400_naming_it(
    http: httpx.Client, body: dict[str, Any], param: str, allowed: str
) -> None:
    answer = create(http, **body)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert (error["code"], error["param"]) == (f"invalid_{param}", param)
    assert allowed in error["message"] and body["model"] in error["message"]


def test_an_unknown_model_is_a_404_model_not_found_listing_the_served_ones(
    http: httpx.Client,
) -> None:
    answer = create(http, model="sora-9")
    assert answer.status_code == 404
    error = answer.json()["error"]
    assert (error["code"], error["param"]) == ("model_not_found", "model")
    assert "'sora-9'" in error["message"] and "veo-3" in error["message"]


def test_a_retired_model_is_a_410_until_it_is_served_again(
    server: LocalServer, http: httpx.Client
) -> None:
    jobs = len(server.emulator.jobs)
    retired = http.post("/_emulator/settings", json={"retired_models": ["sora"]})
    assert retired.json()["retired_models"] == ["sora"]
    answer = create(http, model="sora")
    assert answer.status_code == 410
    error = answer.json()["error"]
    assert (error["code"], error["param"]) == ("model_retired", "model")
    assert "'sora' has been retired" in error["message"] and "sora," not in error["message"]
    assert len(server.emulator.jobs) == jobs  # nothing was made (or billed)
    http.post("/_emulator/settings", json={"retired_models": []})
    assert create(http, model="sora").status_code == 200


def test_a_malformed_model_id_is_a_400() -> None:
    with LocalServer(pace=0) as server, httpx.Client(base_url=server.url, headers=AUTH) as http:
        answer = create(http, model="veo 3")
        assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid_model"


def test_a_custom_catalogue_and_retired_list() -> None:
    models = {"hailuo-02": {"durations": [6], "resolutions": ["480p"]}, "sora": None}
    with LocalServer(pace=0, models=models, retired_models=["sora"]) as server:
        with httpx.Client(base_url=server.url, headers=AUTH) as http:
            served = create(http, model="hailuo-02")
            assert served.status_code == 200 and served.json()["seconds"] == 6
            assert create(http, model="veo-3").status_code == 404
            assert create(http, model="sora").status_code == 410


@pytest.mark.parametrize(
    "spec",
    [
        {"resolutions": ["4k"]},
        {"aspect_ratios": ["wide"]},
        {"durations": [0]},
        {"max_variants": 0},
        {"durations": []},
    ],
)
def test_a_model_the_emulator_could_not_render_is_refused_at_start(spec: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        LocalServer(models={"m": spec})


def test_bad_model_lists_are_refused_at_start() -> None:
    with pytest.raises(ValueError):
        LocalServer(models=[])
    with pytest.raises(ValueError, match="model"):
        LocalServer(models=["has space"])
    with pytest.raises(ValueError, match="model"):
        LocalServer(retired_models=["has space"])


def test_the_documented_models_keep_soras_options() -> None:
    assert DEFAULT_CATALOGUE["sora"] == DEFAULT_CATALOGUE["sora-1.0-turbo"] == ModelSpec()
