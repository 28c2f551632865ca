"""One request the client makes: what it is, for error messages, and whether it may be repeated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    description: str  # what was being done, for error messages
    idempotent: bool = True
    json: dict[str, Any] | None = None
    content: Any = None  # a body sent as it is instead of json (client/images.py: ImageBody)
    headers: dict[str, str] | None = None
    generation_id: str | None = None
    model: str | None = None  # on create: a 404/410 about it is a ModelUnavailableError
