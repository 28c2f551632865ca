"""Finding entries by their model, any field and their batch: the SQL of ``Library.page``'s
``model=``, ``where=`` and ``batch=`` (plain, no I/O), and ``parse_fields`` for the gallery's
``field=value`` box. A field is a declared option (``seed``, ``duration``) or a model's own
field, compared as its JSON value: ``where={"seed": 3}`` finds ``seed 3``, not ``"3"``."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from ..errors import InvalidRequestError

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PARTS = re.compile(r",(?=\s*[A-Za-z_][A-Za-z0-9_]*\s*=)")  # a comma before the next name=
_COLUMNS = {"model": "model", "prompt": "prompt", "status": "status", "batch": "batch"}
FIELD_NAME = "a field name (letters, digits and _), as create() takes it"


def check_where(where: Any) -> dict[str, Any]:
    """``where`` as a dict of field name -> value; else InvalidRequestError."""
    if where is None:
        return {}
    if not isinstance(where, Mapping):
        raise InvalidRequestError("where", where, "a dict of field name -> value")
    for name in where:
        if not isinstance(name, str) or not _NAME.match(name):
            raise InvalidRequestError("where", name, FIELD_NAME)
    return dict(where)


def filter_clauses(
    model: str | None, where: Mapping[str, Any] | None, batch: str | None
) -> tuple[list[str], list[Any]]:
    """The WHERE clauses (joined with AND by the caller) and their parameters."""
    clauses: list[str] = []
    params: list[Any] = []
    fields = check_where(where)
    if model:
        fields = {"model": model, **fields}
    if batch:
        fields = {"batch": batch, **fields}
    for name, value in fields.items():
        column = _COLUMNS.get(name)
        if column is not None:
            clauses.append(f"{column} IS ?")
            params.append(value)
        elif value is None:  # not set
            clauses.append(f"json_extract(options, '$.{name}') IS NULL")
        else:  # its JSON value: 3 is a number, "3" a text
            clauses.append(f"json_extract(options, '$.{name}') IS json_extract(?, '$')")
            params.append(json.dumps(value))
    return clauses, params


def parse_fields(text: str) -> dict[str, Any]:
    """``"seed=3, style=noir"`` as ``{"seed": 3, "style": "noir"}``: each value read as JSON
    when it is JSON (3, true, [1, 2]), else as text; InvalidRequestError for a part that is not
    ``name=value``."""
    found: dict[str, Any] = {}
    for part in (p.strip() for p in _PARTS.split(text or "")):
        if not part:
            continue
        name, equals, raw = part.partition("=")
        name, raw = name.strip(), raw.strip()
        if not equals or not _NAME.match(name):
            raise InvalidRequestError("where", part, f"name=value, with {FIELD_NAME}")
        try:
            found[name] = json.loads(raw)
        except ValueError:
            found[name] = raw
    return found


def fields_text(where: Mapping[str, Any]) -> str:
    """The other way: ``{"seed": 3}`` as ``"seed=3"``."""
    return ", ".join(f"{k}={v if isinstance(v, str) else json.dumps(v)}" for k, v in where.items())
