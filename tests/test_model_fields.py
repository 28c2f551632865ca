"""The fields some models take besides the declared options (request/model_fields.py): known
by family from any spelling of a model id, a typo of one refused before anything is sent (for
that model only: any other model's field goes as given), their examples typed as a user would
(``--field``, More fields) sent as JSON, and the CLI's help naming them."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from mql_notebook import MQL, InvalidRequestError
from mql_notebook.cli.commands import add_client_parsers
from mql_notebook.cli.option_args import field_arg
from mql_notebook.request.checks import check_json_value
from mql_notebook.request.model_fields import FAMILIES, family_of, own_fields_of

PROMPT = "A lantern on a quiet pier"


@pytest.fixture(scope="module")
def emulator(local_servers):
    return local_servers.get(pace=0.2)


@pytest.mark.parametrize(
    ("model", "family"),
    [
        ("kling-2.1", "Kling"),
        ("fal-ai/kling-video/v2.1", "Kling"),
        ("models/veo-3.0-generate", "Veo"),
        ("veo-3", "Veo"),
        ("MiniMax-Hailuo-2.3", "MiniMax Hailuo"),
        ("gen4_turbo", "Runway"),
        ("ray-2", "Luma"),
        ("sora", None),
        ("acme-video-2", None),
    ],
)
def test_a_models_family_is_known_from_any_spelling_of_its_id(model: str, family: str) -> None:
    found = family_of(model)
    assert (found.name if found else None) == family


def test_a_typo_of_the_models_own_field_is_refused_and_nothing_is_sent(emulator) -> None:
    before = len(emulator.requests)
    with MQL(base_url=emulator.url, api_key="mql_own_fields", library=False) as client:
        with pytest.raises(InvalidRequestError, match="did you mean negative_prompt") as info:
            client.video.create(model="kling-2.1", prompt=PROMPT, negative_promt="blur")
        assert "Kling's: negative_prompt, cfg_scale" in str(info.value)
        assert len(emulator.requests) == before
        # Not a typo for a model of no known family: sent as given, the gateway decides.
        created = client.video.create(model="sora", prompt=PROMPT, negative_promt="blur")
        assert client.video.get_status(created.id).raw["negative_promt"] == "blur"
        # The real names go as they are.
        created = client.video.create(
            model="kling-2.1", prompt=PROMPT, negative_prompt="blur", cfg_scale=0.5
        )
        echoed = client.video.get_status(created.id).raw
    assert echoed["negative_prompt"] == "blur" and echoed["cfg_scale"] == 0.5


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_each_example_typed_as_a_flag_is_a_json_value_of_that_field(family) -> None:
    for field in family.fields:
        name, value = field_arg(f"{field.name}={field.example}")
        assert name == field.name and check_json_value(name, value) == value
        assert own_fields_of(family.words[0]) == family.fields


def test_the_field_flags_help_names_every_familys_fields(capsys) -> None:
    parser = argparse.ArgumentParser()
    add_client_parsers(parser.add_subparsers())
    with pytest.raises(SystemExit):
        parser.parse_args(["generate", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    for family in FAMILIES:
        assert all(field.name in shown for field in family.fields), family.name
    assert "Kling: negative_prompt, cfg_scale" in shown


def test_the_readme_table_is_the_declaration() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    for family in FAMILIES:
        words = ", ".join(f"`{w}`" for w in family.words)
        fields = ", ".join(f"`{f.name}`" for f in family.fields)
        assert f"| {family.name} ({words}) | {fields} |" in readme, family.name
