"""``ID[:DURATIONS[:RESOLUTIONS]]``: the models ``serve --model`` and ``MQL_LOCAL_MODELS`` add."""

from __future__ import annotations

import re

import httpx
import pytest

from mql_notebook.local import LocalServer
from mql_notebook.local.model_args import (
    models_from_environ,
    parse_model_spec,
    parse_model_specs,
)
from mql_notebook.local.models import DEFAULT_CATALOGUE, SORA
from mql_notebook.local.resolution import frame_size


def test_the_issue_example_parses_into_its_durations_and_resolutions() -> None:
    model, spec = parse_model_spec("MiniMax-Hailuo-02:6,10:768P,1080P")
    assert model == "MiniMax-Hailuo-02"
    assert (spec.durations, spec.resolutions) == ((6, 10), ("768P", "1080P"))
    assert spec.aspect_ratios == SORA.aspect_ratios and spec.default_resolution == "768P"


@pytest.mark.parametrize(
    "text,model,durations,resolutions",
    [
        ("hailuo-02", "hailuo-02", SORA.durations, SORA.resolutions),
        ("hailuo-02:6", "hailuo-02", (6,), SORA.resolutions),
        ("hailuo-02::768P", "hailuo-02", SORA.durations, ("768P",)),
        ("hailuo-02:1080P", "hailuo-02", SORA.durations, ("1080P",)),
        ("org/model@v2:3:5,8", "org/model@v2:3", (5, 8), SORA.resolutions),  # ids may hold ':'
    ],
)
def test_what_a_spec_leaves_out_is_soras(text, model, durations, resolutions) -> None:
    name, spec = parse_model_spec(text)
    assert (name, spec.durations, spec.resolutions) == (model, durations, resolutions)


@pytest.mark.parametrize("text", ["", ":6", "a b:6", "x:6,10:4k", "x:6,10:768"])
def test_a_malformed_spec_says_the_syntax(text: str) -> None:
    with pytest.raises(ValueError, match=r"ID\[:DURATIONS\[:RESOLUTIONS\]\]"):
        parse_model_spec(text)


def test_the_environment_form_takes_spaces_and_semicolons_and_keeps_the_defaults() -> None:
    assert list(parse_model_specs(" a:6; b  c:5:1080P;")) == ["a", "b", "c"]
    assert models_from_environ({}) is None
    models = models_from_environ({"MQL_LOCAL_MODELS": "MiniMax-Hailuo-02:6,10:768P,1080P"})
    assert models is not None and list(models) == [*DEFAULT_CATALOGUE, "MiniMax-Hailuo-02"]
    with pytest.raises(ValueError, match="MQL_LOCAL_MODELS"):
        models_from_environ({"MQL_LOCAL_MODELS": "x:6:4k"})


def test_any_short_side_renders_at_its_size() -> None:
    assert frame_size("16:9", "768P") == (1366, 768)
    assert frame_size("9:16", "1080P") == (1080, 1920)
    assert frame_size("16:9", "720p") == (1280, 720)


def test_models_added_while_serving_answer_from_then_on() -> None:
    with LocalServer(pace=0) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        body = {"model": "MiniMax-Hailuo-02", "prompt": "a kite", "resolution": "768P"}
        auth = {"Authorization": "Bearer mql_models"}
        missing = http.post("/v1/videos/generations", json=body, headers=auth)
        assert missing.status_code == 404
        message = missing.json()["error"]["message"]
        assert "MQL_LOCAL_MODELS=MiniMax-Hailuo-02" in message and not re.search(
            r"\.\s+[A-Z]", message
        )
        added = http.post(
            "/_emulator/settings", json={"add_models": "MiniMax-Hailuo-02:6,10:768P,1080P"}
        )
        assert added.status_code == 200 and "MiniMax-Hailuo-02" in added.json()["models"]
        created = http.post("/v1/videos/generations", json=body, headers=auth).json()
        assert (created["size"], created["seconds"]) == ("1366x768", 6)
        refused = http.post("/_emulator/settings", json={"add_models": "x:6:4k"})
        assert refused.status_code == 400 and "RESOLUTIONS" in refused.json()["error"]["message"]
