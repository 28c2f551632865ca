"""Every declared field of the request reaches every place a field must reach.

The request is declared once (mql_notebook/request/fields.py). For each field this test walks
where a user meets it: the client's keyword and the body it sends (echoed by the emulator),
the emulator's checks, the library's entry, the CLI's flags on ``generate`` and ``batch``, a
batch file's JSON key, the view's generated types. A new field that one place misses fails
here, naming the place (the widget's places: tests/widget/test_widget_fields.py).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mql_notebook import MQL
from mql_notebook.batch.lines import parse_batch
from mql_notebook.cli.batch import add_batch_parser
from mql_notebook.cli.commands import add_client_parsers
from mql_notebook.cli.local_daemon import state_path, stop_daemon
from mql_notebook.cli.option_args import options_from_args
from mql_notebook.errors import InvalidRequestError
from mql_notebook.local.models import Catalogue
from mql_notebook.request import (
    OPTIONS,
    VALUE_OPTIONS,
    Field,
    typescript,
    validate_generation_request,
)

ROOT = Path(__file__).resolve().parents[1]
PROMPT = "A paper boat drifting across a pond at dawn"


def _png(width: int = 32, height: int = 18) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 90, 30)).save(out, "PNG")
    return out.getvalue()


SAMPLE_PNG = _png()
SAMPLE_SHA = hashlib.sha256(SAMPLE_PNG).hexdigest()


def sample(field: Field) -> Any:
    """A value of the field that Sora accepts and that is not its default (an image field:
    a small 16:9 PNG as a data URL, which works on the command line and in a batch file too)."""
    if field.is_image:
        return "data:image/png;base64," + base64.b64encode(SAMPLE_PNG).decode()
    values = [v for v in field.documented_values() if v != field.default]
    if values:
        return values[-1]
    assert field.bounds, f"{field.name}: declare documented values or bounds"
    return field.bounds[0] + 7


def not_allowed(field: Field) -> Any:
    """A value of the right kind no model may take (or the wrong type)."""
    if field.type is int:
        return (field.bounds[1] + 1) if field.bounds else "seven"
    return "x" * 100


OPTION_IDS = [f.name for f in OPTIONS]
ECHOED_AS = {"duration": "seconds", "n": "n_variants"}  # the generation object's own names


@pytest.fixture(scope="module")
def emulator(local_servers):
    return local_servers.get(pace=0.2)


@pytest.mark.parametrize("field", OPTIONS, ids=OPTION_IDS)
def test_the_client_sends_it_and_the_library_keeps_it(field: Field, emulator, tmp_path) -> None:
    value = sample(field)
    with MQL(base_url=emulator.url, api_key="mql_fields", library=tmp_path / "lib") as client:
        created = client.video.create(model="sora", prompt=PROMPT, **{field.name: value})
        echoed = client.video.get_status(created.id).raw  # the job as the emulator made it
        (entry,) = client.library.entries()
        if field.is_image:  # echoed as what it held; kept in the library's images/, not options
            assert echoed[field.name]["sha256"] == SAMPLE_SHA
            assert entry.images[field.name].sha256 == SAMPLE_SHA
            assert entry.images[field.name].path.read_bytes() == SAMPLE_PNG
            assert field.name not in entry.options
            return
        assert echoed[ECHOED_AS.get(field.name, field.name)] == value
        assert entry.options[field.name] == value


@pytest.mark.parametrize("field", OPTIONS, ids=OPTION_IDS)
def test_the_checks_refuse_a_bad_value_before_sending(field: Field) -> None:
    with pytest.raises(InvalidRequestError) as info:
        validate_generation_request(model="sora", prompt=PROMPT, **{field.name: not_allowed(field)})
    assert info.value.field == field.name
    if len(field.name) >= 3:  # a typo of the name (a letter swapped): refused, with the name
        typo = field.name[1] + field.name[0] + field.name[2:]
        with pytest.raises(InvalidRequestError) as unknown:
            validate_generation_request(model="sora", prompt=PROMPT, **{typo: sample(field)})
        assert f"did you mean {field.name}?" in str(unknown.value)


@pytest.mark.parametrize("field", OPTIONS, ids=OPTION_IDS)
def test_the_emulator_checks_and_keeps_it(field: Field) -> None:
    catalogue = Catalogue()
    checked = catalogue.validate({"model": "sora", "prompt": PROMPT, field.name: sample(field)})
    if field.is_image:  # kept decoded, for the render
        assert checked[field.name].sha256 == SAMPLE_SHA
    else:
        assert checked[field.name] == sample(field)
    with pytest.raises(InvalidRequestError):
        catalogue.validate({"model": "sora", "prompt": PROMPT, field.name: not_allowed(field)})


@pytest.mark.parametrize("command", ["generate", "batch"])
def test_every_field_is_a_flag_of_generate_and_batch(command: str) -> None:
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers()
    add_client_parsers(commands)
    add_batch_parser(commands)
    for field in OPTIONS:
        args = parser.parse_args([command, "a prompt", field.flag, str(sample(field))])
        assert getattr(args, field.name) == sample(field), f"{command} {field.flag}"


def test_every_field_is_a_key_of_a_batch_line() -> None:
    line = json.dumps({"prompt": PROMPT, **{f.name: sample(f) for f in OPTIONS}})
    (parsed,) = parse_batch(line, name="fields", defaults={"model": "sora"})
    assert parsed.options == {f.name: sample(f) for f in OPTIONS}
    with pytest.raises(ValueError, match="did you mean seed"):
        parse_batch('{"prompt": "x", "sed": 1}', name="fields", defaults={"model": "sora"})


def test_the_views_types_are_generated_from_the_declaration() -> None:
    committed = (ROOT / "js" / "request.d.ts").read_text(encoding="utf-8")
    assert committed == typescript.declarations(), (
        "js/request.d.ts is stale: run python -m mql_notebook.request.typescript > js/request.d.ts"
    )
    for field in VALUE_OPTIONS:  # the image fields are the image control's to declare
        assert f"  {field.name}: " in committed


@pytest.mark.slow
def test_generate_seed_from_the_command_line_reaches_the_job_and_the_library(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MQL_")}
    env |= {"MQL_BASE_URL": "local", "MQL_LOCAL_PACE": "0.3", "MQL_LIBRARY": str(tmp_path / "lib")}
    env["XDG_RUNTIME_DIR"] = str(tmp_path / "runtime")
    (tmp_path / "runtime").mkdir()
    command = [sys.executable, "-m", "mql_notebook.cli"]
    try:
        made = subprocess.run(
            [*command, "generate", PROMPT, "--seed", "42", "-o", str(tmp_path / "v.mp4")],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert made.returncode == 0, made.stderr
        listed = subprocess.run(
            [*command, "library", "list", "--json", "--library", str(tmp_path / "lib")],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        (entry,) = [json.loads(line) for line in listed.stdout.splitlines()]
        assert entry["options"]["seed"] == 42 and entry["status"] == "completed"
    finally:
        stop_daemon(state_path(tmp_path / "runtime"))  # the background emulator it started


def test_a_models_own_fields_are_sent_as_given(emulator) -> None:
    with MQL(base_url=emulator.url, api_key="mql_fields", library=False) as client:
        created = client.video.create(
            model="sora", prompt=PROMPT, prompt_optimizer=False, camera={"pan": "left"}
        )
        echoed = client.video.get_status(created.id).raw
    assert echoed["prompt_optimizer"] is False and echoed["camera"] == {"pan": "left"}


def test_a_typo_of_a_declared_field_is_refused_and_nothing_is_sent(emulator) -> None:
    before = len(emulator.requests)
    with MQL(base_url=emulator.url, api_key="mql_fields", library=False) as client:
        with pytest.raises(InvalidRequestError, match="did you mean aspect_ratio"):
            client.video.create(model="sora", prompt=PROMPT, aspect_ration="16:9")
        with pytest.raises(InvalidRequestError, match="JSON value"):
            client.video.create(model="sora", prompt=PROMPT, camera=object())
    assert len(emulator.requests) == before


@pytest.mark.parametrize(
    ("given", "sent"),
    [("prompt_optimizer=false", False), ("camera_move=pan left", "pan left"), ("fps=24", 24)],
)
def test_field_flags_are_read_as_json_else_as_text(given: str, sent: Any) -> None:
    parser = argparse.ArgumentParser()
    add_client_parsers(parser.add_subparsers())
    args = parser.parse_args(["generate", "a prompt", "--field", given])
    name = given.partition("=")[0]
    assert options_from_args(args)[name] == sent
