"""A batch FILE read into checked requests, each with the stable key that makes a re-run free.

No I/O here: ``parse_batch`` takes the file's text. A line is a prompt, or a JSON object
(``{"prompt": ..., "model": ..., "duration": ...}``, any model's own field kept as given) when
it starts with ``{``; blank lines and
lines starting with ``#`` are skipped. Every line is checked (the same checks as a create)
before the batch sends anything: the first bad line stops it, named by its number.

A line's key (sent as the create's Idempotency-Key and kept in the library) is a hash of the
batch's name (the file's absolute path unless ``--name`` is given), the request (prompt,
model, options) and how many identical requests came before it in the file. Not the line
number: inserting a comment or a new prompt above must not make every later line a new,
paid job. Editing a line's prompt or options makes it a new request, so a new job.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidRequestError
from ..request import validate_generation_request

KEY_PREFIX = "mqlnb-batch-"


class BatchFileError(ValueError):
    """A line of the batch file that cannot be sent; ``line`` is its 1-based number."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


@dataclass(frozen=True)
class BatchLine:
    """One checked request of the batch: ``body`` is exactly what the create will send."""

    number: int  # 1-based line number in the file, for messages
    body: dict[str, Any]
    key: str  # the Idempotency-Key, stable across runs of the same file
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def prompt(self) -> str:
        return str(self.body["prompt"])

    @property
    def model(self) -> str:
        return str(self.body["model"])


def parse_batch(
    text: str,
    *,
    name: str,
    defaults: dict[str, Any],
) -> list[BatchLine]:
    """Every request of the file, checked; raises BatchFileError naming the first bad line.

    ``defaults`` (model and options from the command line) apply where a line says nothing.
    """
    numbered = (
        (number, _fields_of(number, raw.strip()))
        for number, raw in enumerate(text.splitlines(), start=1)
        if raw.strip() and not raw.strip().startswith("#")
    )
    return checked_lines(numbered, name=name, defaults=defaults)


def checked_lines(
    requests: Iterable[tuple[int, dict[str, Any]]], *, name: str, defaults: dict[str, Any]
) -> list[BatchLine]:
    """``(number, fields)`` pairs as checked lines with their keys (``parse_batch`` and the
    notebook's ``Batch`` both end here); raises BatchFileError naming the first bad one."""
    lines: list[BatchLine] = []
    seen: dict[str, int] = {}  # canonical request -> how many times so far
    for number, fields in requests:
        request = {**{k: v for k, v in defaults.items() if v is not None}, **fields}
        try:
            body = validate_generation_request(**request)
        except InvalidRequestError as error:
            raise BatchFileError(number, str(error)) from error
        canonical = json.dumps(body, sort_keys=True, ensure_ascii=False)
        occurrence = seen.get(canonical, 0)
        seen[canonical] = occurrence + 1
        options = {k: v for k, v in body.items() if k not in ("model", "prompt")}
        lines.append(BatchLine(number, body, line_key(name, canonical, occurrence), options))
    return lines


def line_key(name: str, canonical_request: str, occurrence: int) -> str:
    """The Idempotency-Key of a request of a batch: the same on every run of the same file."""
    material = json.dumps([name, canonical_request, occurrence], ensure_ascii=False)
    digest = hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()
    return KEY_PREFIX + digest[:40]


def _fields_of(number: int, line: str) -> dict[str, Any]:
    if not line.startswith("{"):
        return {"prompt": line}
    try:
        value = json.loads(line)
    except json.JSONDecodeError as error:
        raise BatchFileError(
            number, f"not valid JSON ({error.msg} at column {error.colno})"
        ) from None
    if not isinstance(value, dict):
        raise BatchFileError(number, "a JSON line must be an object")
    if "prompt" not in value:
        raise BatchFileError(number, 'a JSON line needs a "prompt"')
    return {k: v for k, v in value.items() if v is not None}


def batch_id(name: str, lines: Iterable[BatchLine]) -> str:
    """The id a batch's entries record (``Entry.batch``): its name (a file's name, not its
    folders) and a digest of its requests, so two batches of one name stay apart:
    ``"prompts.txt-3fa2c1"``, ``"notebook-9b0e44"``."""
    digest = hashlib.sha256("\n".join(line.key for line in lines).encode()).hexdigest()
    base = name.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1] or "batch"
    return f"{base}-{digest[:6]}"
