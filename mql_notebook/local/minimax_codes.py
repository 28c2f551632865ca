"""MiniMax's ``base_resp`` codes, as its API puts them inside an HTTP 200, for the emulator.

``faults.script("create", ["minimax:1008"])`` (or ``faults.minimax_error(1008)``; over HTTP
``{"script": {"create": ["minimax:1008"]}}``; ``mql-notebook serve --script create=minimax:1008``)
makes the next request of that endpoint answer ``200 {"base_resp": {"status_code": 1008, ...}}``
without doing anything, on either route. Any positive code works; these are MiniMax's own.
"""

from __future__ import annotations

import json
from typing import Any

OK: dict[str, Any] = {"status_code": 0, "status_msg": "success"}

MINIMAX_CODES: dict[int, str] = {
    1000: "unknown error",
    1001: "request timeout",
    1002: "rate limit exceeded, please try again later",
    1004: "authentication failed, please check your API key",
    1008: "insufficient balance",
    1013: "internal service error",
    1026: "input new_sensitive: the prompt or an image was refused",
    1027: "output new_sensitive: the rendered video was refused",
    1039: "token limit exceeded",
    2013: "invalid params",
}


def base_resp(code: int, message: str | None = None) -> dict[str, Any]:
    """``{"status_code": code, "status_msg": ...}`` (MiniMax's own words unless ``message``)."""
    if code == 0:
        return dict(OK)
    return {"status_code": code, "status_msg": message or MINIMAX_CODES.get(code, "error")}


def check_code(entry: str, arg: str) -> None:
    """A ``minimax:<code>`` script entry's code: a positive int."""
    if not arg.isdigit() or int(arg) < 1:
        raise ValueError(
            f"script entry {entry!r}: minimax takes a base_resp code, e.g. minimax:1008 "
            f"(MiniMax's: {', '.join(str(c) for c in MINIMAX_CODES)})"
        )


def fault_body(code: int, endpoint: str | None, generation_id: str | None) -> bytes:
    """The JSON of an injected base_resp error, shaped as the endpoint's answer would be."""
    body: dict[str, Any] = (
        {"file": None} if endpoint == "content" else {"task_id": generation_id or ""}
    )
    body["base_resp"] = base_resp(code, f"{MINIMAX_CODES.get(code, 'error')} (injected)")
    return json.dumps(body).encode()
