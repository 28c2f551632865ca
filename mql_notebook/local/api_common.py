"""What the emulator's API routes share: the key check, JSON bodies, the error shape."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .._constants import KEY_PREFIX
from .emulator import Emulator
from .jobs import Job

MAX_BODY_BYTES = 256 * 1024  # a 4,000-character prompt fits many times over


def max_create_bytes(max_image_bytes: int) -> int:
    """A create's body may also carry a first and a last frame, each base64 (4/3 its size)."""
    return MAX_BODY_BYTES + 2 * (max_image_bytes * 4 // 3 + 64)


def error(
    status: int,
    code: str,
    message: str,
    *,
    param: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"message": message, "code": code}
    if param is not None:
        body["param"] = param
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def emulator_of(request: Request) -> Emulator:
    return request.app.state.emulator


def check_key(request: Request) -> str | JSONResponse:
    """The caller's API key, or the 401 to answer."""
    header = request.headers.get("authorization")
    challenge = {"WWW-Authenticate": 'Bearer realm="mql-notebook local emulator"'}
    if not header:
        return error(
            401,
            "invalid_api_key",
            "No API key: send the header 'Authorization: Bearer mql_...'.",
            headers=challenge,
        )
    scheme, _, key = header.strip().partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        return error(
            401,
            "invalid_api_key",
            "Malformed Authorization header: expected 'Bearer mql_...'.",
            headers=challenge,
        )
    if not emulator_of(request).key_allowed(key):
        hint = (
            "this emulator was started with one fixed key"
            if emulator_of(request).api_key
            else f"keys start with {KEY_PREFIX!r}"
        )
        return error(401, "invalid_api_key", f"Invalid API key ({hint}).", headers=challenge)
    return key


async def read_json_object(
    request: Request, *, limit: int = MAX_BODY_BYTES
) -> dict[str, Any] | Response:
    """The request's JSON object body, or the 400/413 to answer."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return error(413, "body_too_large", f"The request body is over {limit} bytes.")
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > limit:
            return error(413, "body_too_large", f"The request body is over {limit} bytes.")
    request.state.body_bytes = len(raw)
    try:
        body = json.loads(bytes(raw))
    except (ValueError, RecursionError) as err:
        detail = (
            "it is empty"
            if not raw.strip()
            else str(err)
            if not isinstance(err, RecursionError)
            else "too deeply nested"
        )
        return error(
            400,
            "invalid_json",
            f"The request body is not valid JSON ({detail}); send a JSON object "
            "with model and prompt.",
        )
    if not isinstance(body, dict):
        return error(
            400,
            "invalid_body",
            f"The request body must be a JSON object, not {type(body).__name__}.",
        )
    return body


def named_in_path(request: Request, param: str) -> str | Response:
    """The id the path names (noted for the request log), or the 401 to answer."""
    key = check_key(request)
    if isinstance(key, Response):
        return key
    named = request.path_params[param]
    request.state.generation_id = named
    return named


def create_job(
    request: Request,
    options: dict[str, Any],
    *,
    api_key: str,
    fate: str | None,
    reason: str = "",
    cap: int | None = None,
) -> tuple[Job, bool]:
    """A create of either route: the job (and whether it is new), its fate noted for the log."""
    emulator = emulator_of(request)
    if fate is not None:
        request.state.job_fault = fate
    return emulator.jobs.create(
        options,
        pace=emulator.pace,
        fate=fate,
        fate_reason=reason,
        api_key=api_key,
        idempotency_key=request.headers.get("idempotency-key"),
        cap=cap,
    )
