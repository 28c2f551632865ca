"""The frontend's types: tsc checks js/*.js against js/protocol.d.ts (whose input traits are
js/request.d.ts, generated from the request's declaration), and those declare what the Python
side really has (its traits, who writes them, its message kinds, the form of each option).

The tsc run needs ``npm ci --prefix js`` (``.ci/run`` does it); without js/node_modules it is
skipped with the reason, and under ``CI=true`` it fails instead, so CI cannot pass by skipping.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import anywidget
import pytest
import traitlets as t

from mql_notebook.request import OPTIONS, VALUE_OPTIONS, form_field
from mql_notebook.request.typescript import declarations
from mql_notebook.widget import VideoWidget, transfer
from mql_notebook.widget.uploads import upload_over
from mql_notebook.widget.video_widget import VIEW_MESSAGES

ROOT = Path(__file__).resolve().parents[2]
JS = ROOT / "js"
TSC = JS / "node_modules" / ".bin" / "tsc"
PROTOCOL = (JS / "protocol.d.ts").read_text()
REQUEST = (JS / "request.d.ts").read_text()


def _interface(name: str, text: str = PROTOCOL) -> dict[str, str]:
    """The fields of ``export interface name`` in a .d.ts: name -> declared type."""
    match = re.search(rf"^export interface {name}\b[^{{]*\{{(.*?)^\}}", text, re.M | re.S)
    assert match, f"no interface {name} declared"
    return {m[1]: m[3] for m in re.finditer(r"^  (\w+)(\??): ([^;]+);", match[1], re.M)}


def test_the_committed_request_types_are_generated_from_the_declaration() -> None:
    """js/request.d.ts is `python -m mql_notebook.request.typescript`'s output: a new Field is a
    new input trait that tsc checks the view against."""
    assert declarations() == REQUEST, (
        "js/request.d.ts is stale: python -m mql_notebook.request.typescript > js/request.d.ts"
    )
    assert "extends InputTraits" in PROTOCOL and 'from "./request"' in PROTOCOL
    assert set(_interface("InputTraits", REQUEST)) == {
        "prompt",
        "model",
        *(f.name for f in VALUE_OPTIONS),
    }


def test_the_form_of_each_option_is_declared_for_the_view() -> None:
    assert set(_interface("FormField")) == set(form_field(OPTIONS[0]))
    assert set(_interface("Choices")) == set(VideoWidget("x").choices)


def _union(name: str) -> list[str]:
    match = re.search(rf"^export type {name} =(.*?);", PROTOCOL, re.M | re.S)
    assert match, f"protocol.d.ts declares no type {name}"
    return re.findall(r"\w+", re.sub(r"/\*\*.*?\*/", "", match[1], flags=re.S))


def test_tsc_finds_no_type_errors_in_the_frontend() -> None:
    if not TSC.exists():
        reason = "js/node_modules is missing (npm ci --prefix js); the JS type check needs it"
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail(f"{reason} (CI=true: the check must run, not skip)", pytrace=False)
        pytest.skip(reason)
    result = subprocess.run(
        [str(TSC), "-p", str(JS)], cwd=JS, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def _protocol_traits() -> dict[str, t.TraitType[Any, Any]]:
    """The synced traits VideoWidget adds to anywidget's own (_esm, _css, layout, ...)."""
    own = set(anywidget.AnyWidget.class_traits(sync=True))
    return {k: v for k, v in VideoWidget.class_traits(sync=True).items() if k not in own}


# The dict traits, each with the type that describes its JSON.
DICT_TYPES = {
    "choices": "Choices",
    "images": "Record<string, ImageCard>",
    "fields": "Record<string, unknown>",
    "model_fields": "ModelFields",
}


def _ts_types(trait: t.TraitType[Any, Any], name: str = "") -> tuple[str, ...]:
    """The TypeScript types that may declare ``trait`` (the JSON it syncs as)."""
    if isinstance(trait, t.Bool):
        types: tuple[str, ...] = ("boolean",)
    elif isinstance(trait, t.Int | t.Float):
        types = ("number",)
    elif isinstance(trait, t.Unicode):
        types = ("string", "WidgetStatus")
    elif isinstance(trait, t.List):
        types = ("RunEntry[]",)
    else:
        types = (DICT_TYPES[name],)
    return tuple(f"{ts} | null" for ts in types) if trait.allow_none else types


def test_the_protocol_declares_every_trait_with_its_json_type() -> None:
    inputs = _interface("InputTraits", REQUEST) | _interface("ExtraInputs")
    declared = inputs | _interface("OutputTraits")
    traits = _protocol_traits()
    assert sorted(declared) == sorted(traits)
    for name, trait in traits.items():
        assert declared[name] in _ts_types(trait, name), (name, declared[name])
    assert sorted(inputs) == sorted(VideoWidget.class_trait_names(input=True))


# A value from the view for each declared type: different from every trait's default.
FROM_VIEW = {
    "string": "typed in the view",
    "number": 3,
    "number | null": 42,
    "boolean": True,
    "WidgetStatus": "completed",
    "RunEntry[]": [{"prompt": "forged"}],
    "Choices": {"models": ["forged"]},
    "Record<string, ImageCard>": {"first_frame_image": {"name": "forged"}},
    "Record<string, unknown>": {"prompt_optimizer": False},
    "ModelFields": {"family": "Forged", "fields": [{"name": "forged"}]},
}
FROM_VIEW_BY_NAME = {"fit": "crop"}  # an input whose string is one of a few


def test_the_view_can_write_the_input_traits_and_only_those() -> None:
    """OutputTraits are Python's: a view's update of one is dropped (VideoWidget.set_state)."""
    widget = VideoWidget("x")
    try:
        inputs = _interface("InputTraits", REQUEST) | _interface("ExtraInputs")
        for name, ts in inputs.items():
            value = FROM_VIEW_BY_NAME.get(name, FROM_VIEW[ts])
            widget.set_state({name: value})
            assert getattr(widget, name) == value, name
        for name, ts in _interface("OutputTraits").items():
            before = getattr(widget, name)
            assert before != FROM_VIEW[ts], name  # else the check below could not fail
            widget.set_state({name: FROM_VIEW[ts]})
            assert getattr(widget, name) == before, f"the view could write {name}"
    finally:
        widget.close()


def test_the_kernel_messages_are_those_transfer_and_uploads_send() -> None:
    sent = {
        content["kind"]: set(content)
        for content, _ in transfer.video_messages(
            1, [b"abc", b"de"], generation_id="g", aspect_ratio="1:1", chunk_bytes=2
        )
    }
    over = upload_over("first_frame_image", "u1")
    sent[over["kind"]] = set(over)
    declared = {}
    for name in _union("KernelMessage"):
        fields = _interface(name)
        kind = re.fullmatch(r'"([\w-]+)"', fields["kind"])
        assert kind, (name, fields["kind"])
        declared[kind[1]] = set(fields)
    assert declared == sent


def test_every_view_message_kind_is_handled_by_the_widget() -> None:
    kinds = re.findall(r'\{ kind: "([\w-]+)"', PROTOCOL.split("export type ViewMessage")[1])
    assert sorted(kinds) == [
        "cancel",
        "generate",
        "image-chunk",
        "image-clear",
        "more-history",
        "rate",
        "request-videos",
        "resume",
        "show",
        "use-frame",
    ]
    assert sorted(VIEW_MESSAGES) == sorted(kinds)  # the widget's table of handlers
