"""The default model: the argument, then ``MQL_MODEL``, then "sora"; a default nobody chose that
the gateway no longer serves says how to choose another, over real HTTP."""

from __future__ import annotations

import pytest

from mql_notebook import MQL, ConfigurationError, ModelUnavailableError
from mql_notebook.local import LocalServer

KEY = "mql_default_model_test"
PROMPT = "A lighthouse in a storm, waves breaking over the rocks"


@pytest.fixture
def sora_retired():
    with LocalServer(pace=0.1, models=["sora", "veo-3"]) as server:
        server.retire_models(["sora"])
        yield server


def test_a_retired_default_says_how_to_set_mql_model(sora_retired, monkeypatch) -> None:
    monkeypatch.delenv("MQL_MODEL", raising=False)
    with MQL(api_key=KEY, base_url=sora_retired.url, library=False) as client:
        with pytest.raises(ModelUnavailableError) as info:
            client.video.create(prompt=PROMPT)
    assert "MQL_MODEL" in str(info.value) and info.value.status_code == 410


def test_a_model_the_user_chose_gets_no_hint(sora_retired) -> None:
    with MQL(api_key=KEY, base_url=sora_retired.url, library=False) as client:
        with pytest.raises(ModelUnavailableError) as info:
            client.video.create(model="sora", prompt=PROMPT)
    assert "MQL_MODEL" not in str(info.value)


def test_mql_model_is_the_default_of_every_create(sora_retired, monkeypatch) -> None:
    monkeypatch.setenv("MQL_MODEL", "veo-3")
    with MQL(api_key=KEY, base_url=sora_retired.url, library=False) as client:
        assert client.settings.model == "veo-3" and client.settings.model_source == "environment"
        done = client.video.create_and_wait(prompt=PROMPT)
    assert done.model == "veo-3" and done.completed


def test_the_argument_wins_over_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("MQL_MODEL", "veo-3")
    client = MQL(api_key=KEY, base_url="http://127.0.0.1:9", model="kling-2.1", library=False)
    assert client.settings.model == "kling-2.1"
    monkeypatch.setenv("MQL_MODEL", "not a model id")
    with pytest.raises(ConfigurationError, match="MQL_MODEL"):
        MQL(api_key=KEY, base_url="http://127.0.0.1:9", library=False)
