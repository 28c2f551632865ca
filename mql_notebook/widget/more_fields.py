"""The widget's "More fields": a model's own fields, sent to create as given (JSON values).

``w.fields = {"prompt_optimizer": False}`` (the view's text area, one ``name = value`` a line,
each value read as JSON, else as text) adds fields the request's declaration does not know to
the next runs. A name one or two letters from a declared option is refused before anything is
sent (request/checks.py: "did you mean seed?"), as is a declared option's own name (it has a
control of its own) and a value that is not JSON. The library keeps them with the other options
(``Entry.options``), so a run of the strip or a gallery card shows and restores them. No I/O.

``model_fields`` says what the chosen model is known to take (request/model_fields.py: Kling's
negative_prompt and cfg_scale, ...): the box's placeholder and hint follow the model box.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import traitlets as t

from ..errors import InvalidRequestError
from ..request import BY_NAME
from ..request.checks import check_field_name, check_json_value
from ..request.model_fields import model_fields_form

# create()'s own keywords and the image fields: never a model's field.
RESERVED = ("prompt", "model", "fit", "idempotency_key", "parent")
OWN_FIELD = "a model's own field (letters, digits and _), with a JSON value"


def check_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """``fields`` as create sends them, or InvalidRequestError naming the first bad one."""
    checked: dict[str, Any] = {}
    for name, value in fields.items():
        if name in BY_NAME or name in RESERVED:
            raise InvalidRequestError(
                str(name),
                value,
                OWN_FIELD,
                reason=f"{name} has a control of its own: set it there, not in More fields",
            )
        checked[check_field_name(name)] = check_json_value(name, value)
    return checked


class OwnFields(t.HasTraits):
    """The ``fields`` input trait (JSON values; the names are checked when a run starts)."""

    fields = t.Dict(
        help="A model's own fields, sent to create as given (More fields: name = JSON value)."
    ).tag(sync=True, input=True)

    model_fields = t.Dict(
        help="The fields the model is known to take: {family, fields: [{name, example, what}]}."
    ).tag(sync=True, output=True)

    @t.default("model_fields")
    def _model_fields_of_the_first_model(self) -> dict[str, Any]:
        return model_fields_form(getattr(self, "model", ""))

    @t.observe("model")  # the widget's RequestTraits declare it
    def _model_fields_follow_the_model(self, change: Any) -> None:
        self.model_fields = model_fields_form(change["new"] or "")

    @t.validate("fields")
    def _valid_fields(self, proposal: Any) -> dict[str, Any]:
        """Any names, JSON values: a name the request refuses (a typo of a declared option) is
        refused by ``generate()``, which shows why; the view's update is never lost."""
        fields = dict(proposal["value"] or {})
        for name, value in fields.items():
            check_json_value(str(name), value)
        return {str(name): value for name, value in fields.items()}


def own_fields(options: Mapping[str, Any]) -> dict[str, Any]:
    """The model's own fields among a stored request's options (the undeclared ones)."""
    return {k: v for k, v in options.items() if k not in BY_NAME and k not in RESERVED}


def describe_fields(fields: Mapping[str, Any]) -> list[str]:
    """A card's words for them: ``prompt_optimizer=false``."""
    return [f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in fields.items()]
