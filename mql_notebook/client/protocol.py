"""The API's wire format: request paths and headers, answers into Generations and errors. No I/O."""

from __future__ import annotations

import html
import json
import re
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from .._version import __version__
from ..errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    BillingError,
    ContentRefusedError,
    InvalidRequestError,
    InvalidResponseError,
    ModelUnavailableError,
    NotFoundError,
    NotReadyError,
    RateLimitError,
    ServerError,
)
from ..generation import Generation, generation_id_of
from ..request import MODELS
from .refusals import billing_refusal, content_refusal, error_stage
from .retry import parse_retry_after

CREATE_PATH = "/v1/videos/generations"
USER_AGENT = f"mql-notebook/{__version__}"
MAX_ID_LENGTH = 512
_MESSAGE_LIMIT = 300

# Headers a server may use to say when to look again (OpenAI's, and generic ones).
POLL_HINT_MS_HEADERS = ("openai-poll-after-ms", "poll-after-ms", "x-poll-after-ms")


def status_path(generation_id: str) -> str:
    return f"/v1/videos/generations/{escape_id(generation_id)}"


def content_path(video_id: str) -> str:
    return f"/v1/videos/{escape_id(video_id)}/content"


def id_of(generation_id: str | Generation) -> str:
    """The id of a Generation, or a string id checked as ``escape_id`` checks it."""
    if isinstance(generation_id, Generation):
        return generation_id.id
    escape_id(generation_id)  # refuses empty, non-string or absurd ids before any request
    return generation_id


def escape_id(generation_id: object) -> str:
    """One path segment for an id, whatever it contains: it can never reach another endpoint."""
    if not isinstance(generation_id, str) or not generation_id:
        raise InvalidRequestError(
            "generation_id", generation_id, "a non-empty string id returned by create()"
        )
    if len(generation_id) > MAX_ID_LENGTH:
        raise InvalidRequestError(
            "generation_id", generation_id, f"at most {MAX_ID_LENGTH} characters"
        )
    segment = quote(generation_id, safe="")
    # "." and ".." are dot-segments that URL normalisation would resolve: escape the dots.
    if set(segment) == {"."}:
        segment = segment.replace(".", "%2E")
    return segment


def auth_headers(api_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}", "User-Agent": USER_AGENT}


def new_idempotency_key() -> str:
    return f"mqlnb-{uuid.uuid4().hex}"


def parse_generation(
    status_code: int, content: bytes, *, operation: str, known_id: str | None = None
) -> Generation:
    """A 2xx answer as a Generation; InvalidResponseError when it is not one."""
    try:
        body = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        raise InvalidResponseError(
            f"the server answered {status_code} while {operation} with something that is not JSON: "
            f"{summarize_body(content)}"
            + (f"; the generation id is {known_id}" if known_id else "")
        ) from None
    if not isinstance(body, Mapping):
        raise InvalidResponseError(
            f"the server answered {status_code} while {operation} with JSON that is not an object"
        )
    # Some gateways wrap the object: {"data": {...}}.
    if generation_id_of(body) is None and isinstance(body.get("data"), Mapping):
        body = body["data"]
    gen_id = generation_id_of(body) or known_id
    if gen_id is None:
        raise InvalidResponseError(
            f"the server's answer while {operation} has no generation id (looked for id, video_id, task_id); "
            f"if a job was created, it cannot be tracked from this answer: {summarize_body(content)}"
        )
    return Generation(body, id=gen_id)


def error_from_response(
    status_code: int,
    headers: Mapping[str, str],
    content: bytes,
    *,
    operation: str,
    generation_id: str | None = None,
    now: float = 0.0,
    model: str | None = None,
) -> APIError:
    """The typed error for a non-2xx answer, with the server's message as plain text.

    ``model`` is given for a create: a 404/410 about the model becomes ModelUnavailableError.
    Money (arrears, a depleted pack, a spend cap, a balance, 402) is a BillingError and a
    moderation refusal a ContentRefusedError, whatever the status (see ``refusals``): both final.
    """
    message, code, param = _error_message(content, headers.get("content-type", ""))
    return typed_error(
        message,
        model=model,
        stage=error_stage(content),
        status_code=status_code,
        code=code,
        operation=operation,
        generation_id=generation_id,
        param=param,
        retry_after=parse_retry_after(headers.get("retry-after"), now),
    )


def typed_error(
    message: str, *, model: str | None = None, stage: object = None, **keywords: Any
) -> APIError:
    """The error an answer stands for, of every route (a MiniMax ``base_resp`` too): the one
    choice of its class. ``keywords`` are ``APIError``'s (``status_code``, ``code``, ...);
    ``model`` (a create's) makes a 404/410 about it a ModelUnavailableError; ``stage`` is the
    moderation stage the server named, if any."""
    status_code, code = keywords["status_code"], keywords.get("code")
    if model is not None and is_model_unavailable(status_code, code, keywords.get("param")):
        return ModelUnavailableError(
            model_unavailable_message(model, message, code), model=model, **keywords
        )
    if billing_refusal(status_code, code, message):
        return BillingError(message, **keywords)
    refused = content_refusal(code, message, status_code=status_code, stage=stage)
    if refused is not False:
        return ContentRefusedError(message, stage=refused, **keywords)
    if status_code == 429:
        return RateLimitError(message, **keywords)
    cls = _ERROR_BY_STATUS.get(status_code)
    if cls is None:
        cls = ServerError if status_code >= 500 else APIError
    return cls(message, **keywords)


MODEL_UNAVAILABLE_CODES = frozenset({"model_not_found", "model_retired", "model_deprecated"})


def is_model_unavailable(status_code: int, code: str | None, param: str | None) -> bool:
    """Whether an error answer to a create says the model itself cannot be used."""
    if code in MODEL_UNAVAILABLE_CODES and 400 <= status_code < 500:
        return True
    # 410 Gone on create: the model was retired (Azure's answer); a 404 blaming the model.
    return status_code == 410 or (status_code == 404 and param == "model")


def model_unavailable_message(model: str, server_message: str, code: str | None) -> str:
    what = "has been retired" if code == "model_retired" else "is not available at this gateway"
    documented = ", ".join(MODELS)
    return (
        f"model {model!r} {what} ({server_message}); choose another model: the gateway decides "
        f"which it serves (documented here: {documented}; e.g. model='veo-3' where it is routed)"
    )


_ERROR_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequestError,
    422: BadRequestError,
    401: AuthenticationError,
    403: AuthenticationError,
    404: NotFoundError,
    409: NotReadyError,
    425: NotReadyError,
}


def poll_hint(headers: Mapping[str, str], now: float) -> float | None:
    """The server's own 'look again in N seconds', if it sent one with a status answer."""
    for name in POLL_HINT_MS_HEADERS:
        value = headers.get(name)
        if value:
            try:
                return max(0.0, float(value) / 1000.0)
            except ValueError:
                continue
    return parse_retry_after(headers.get("retry-after"), now)


def summarize_body(content: bytes, limit: int = _MESSAGE_LIMIT) -> str:
    """A short, plain-text description of a body: an HTML page by its title, text cut to length."""
    text = content[: 64 * 1024].decode("utf-8", errors="replace")
    if _looks_like_html(text):
        title = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
        heading = re.search(r"<h1[^>]*>(.*?)</h1>", text, re.IGNORECASE | re.DOTALL)
        found = title or heading
        label = _strip_tags(found.group(1)) if found else ""
        return f"an HTML page ({_clip(label, 120)})" if label else "an HTML page"
    text = " ".join(text.split())
    return repr(_clip(text, limit)) if text else "an empty body"


def _error_message(content: bytes, content_type: str) -> tuple[str, str | None, str | None]:
    """(message, code, param) of an error body, whatever its shape."""
    try:
        body = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return summarize_body(content), None, None
    if isinstance(body, Mapping):
        error = body.get("error", body)
        if isinstance(error, Mapping):
            message = error.get("message") or error.get("detail") or error.get("error")
            code = error.get("code") or error.get("type")
            param = error.get("param") or error.get("field")
            text = _clip(str(message), _MESSAGE_LIMIT) if message else summarize_body(content)
            return (
                text,
                str(code) if code is not None else None,
                _clip(str(param), 64) if isinstance(param, (str, int)) and param != "" else None,
            )
        if isinstance(error, str):
            return _clip(error, _MESSAGE_LIMIT), None, None
    return summarize_body(content), None, None


def _looks_like_html(text: str) -> bool:
    head = text.lstrip()[:200].lower()
    return (
        head.startswith("<!doctype html")
        or head.startswith("<html")
        or "<body" in head
        or "<head" in head
    )


def _strip_tags(text: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
