"""The MiniMax task route's decisions, without I/O: which route a request takes, the paths, the
task's body, its answers as Generations, and the errors MiniMax puts inside an HTTP 200.

The gateway has a second video route for MiniMax's Hailuo models (shared/API.md, "MiniMax
tasks"): ``POST /v1/videos/minimax/generations`` answers ``{"task_id", "base_resp"}``,
``GET /v1/videos/query/{task_id}`` the task (Preparing, Queueing, Processing, Success, Fail;
``file_id`` when done), ``GET /v1/videos/download/{file_id}`` the file object whose
``download_url`` names the video on storage. Errors come inside an HTTP 200: a non-zero
``base_resp.status_code`` is an error, never a created task (``base_resp_error``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..errors import APIError, InvalidRequestError, InvalidResponseError
from ..generation import GENERATIONS_ROUTE, MINIMAX_ROUTE, ROUTES, Generation
from ..request import validate_model_id, validate_options, validate_prompt
from ..status import COMPLETED, FAILED, PENDING, PROCESSING, Status
from .operation import Operation
from .protocol import escape_id, summarize_body, typed_error

TASK_CREATE_PATH = "/v1/videos/minimax/generations"
DEFAULT_MINIMAX_MODEL = "MiniMax-Hailuo-2.3"  # the official SDK's create_from_image default
IMAGE_FIELD = "first_frame_image"
# MiniMax's model ids: "MiniMax-Hailuo-2.3", "MiniMax-Hailuo-02", "I2V-01-Director", ...
_MODEL_PREFIXES = ("minimax-", "minimax/", "hailuo", "i2v-01", "t2v-01", "s2v-01")
_IMAGE_SCHEMES = ("https://", "http://", "data:image/")

# The task's words and the product's (status.py normalises them; tests check both agree).
TASK_STATUSES: dict[str, Status] = {
    "Preparing": PENDING,
    "Queueing": PENDING,
    "Processing": PROCESSING,
    "Success": COMPLETED,
    "Fail": FAILED,
}

# base_resp.status_code -> (the HTTP status it stands for, what it means). The status chooses
# the error class (protocol.typed_error, with refusals.py: 1008 is money, 1026 and 1027
# moderation, both final) and drives the retry policy and the wait as that status would:
# 1002 and 1039 are retried like a 429.
_BASE_RESP: dict[int, tuple[int, str]] = {
    1001: (504, "timeout"),
    1002: (429, "rate limit"),
    1004: (401, "authentication failed"),
    1008: (402, "insufficient balance"),
    1013: (500, "internal error"),
    1026: (400, "sensitive input"),
    1027: (400, "sensitive output"),
    1039: (429, "token limit"),
    2013: (400, "invalid parameters"),
}


# -- the route -------------------------------------------------------------------------------


def is_minimax_model(model: str) -> bool:
    """Whether ``model`` is one of MiniMax's (Hailuo, I2V-01, ...), by its id."""
    return model.strip().lower().startswith(_MODEL_PREFIXES)


def choose_route(model: str, options: Mapping[str, Any], route: str | None = None) -> str:
    """The route a create takes: ``route`` when given; else the task route for a MiniMax model
    with an image (``first_frame_image``), which only that route takes; else the generations
    route (text to video, Hailuo included: the gateway lists it there)."""
    if route is not None:
        if route not in ROUTES:
            raise InvalidRequestError("route", route, ROUTES)
        return route
    if is_minimax_model(model) and options.get(IMAGE_FIELD) is not None:
        return MINIMAX_ROUTE
    return GENERATIONS_ROUTE


def query_path(task_id: str, *, include_download_url: bool = False) -> str:
    path = f"/v1/videos/query/{escape_id(task_id)}"
    return path + "?include_download_url=true" if include_download_url else path


def download_path(file_id: str) -> str:
    return f"/v1/videos/download/{escape_id(file_id)}"


def task_body(
    model: Any, prompt: Any, options: Mapping[str, Any], *, images: Mapping[str, Any] = {}
) -> dict[str, Any]:
    """The task route's JSON body, checked before anything is sent; the images given apart
    (``images``: checked and encoded by client/images.py, then added to the body).

    The prompt may be left out when a first frame is given; one task makes one video (``n``
    other than 1 is refused); an image in ``options`` is a public URL or a ``data:image/...``
    URL, as MiniMax takes it (it refuses a local path).
    """
    model = validate_model_id(model)
    image = images.get(IMAGE_FIELD, options.get(IMAGE_FIELD))
    body: dict[str, Any] = {"model": model}
    if prompt is not None or image is None:
        if prompt is None:
            raise InvalidRequestError(
                "prompt", None, "a prompt, or a first_frame_image", reason="prompt is required"
            )
        body["prompt"] = validate_prompt(prompt)
    n = options.get("n")
    if n is not None and n != 1:
        raise InvalidRequestError("n", n, "1 (a MiniMax task makes one video)")
    rest = {k: v for k, v in options.items() if k != "n"}
    body.update(validate_options(model, rest))
    for name in (IMAGE_FIELD, "last_frame_image"):
        value = body.get(name)
        if value is not None and not (
            isinstance(value, str) and value.strip().lower().startswith(_IMAGE_SCHEMES)
        ):
            raise InvalidRequestError(
                name,
                value,
                "a public http(s) URL or a data:image/...;base64 URL (MiniMax refuses a local path)",
            )
    return body


def create_operation(body: dict[str, Any], idempotency_key: str, content: Any = None) -> Operation:
    """The task's create; ``content`` the body with its images spliced in (client/images.py)."""
    headers = {"Idempotency-Key": idempotency_key, **(content.headers if content else {})}
    return Operation(
        "POST",
        TASK_CREATE_PATH,
        "creating a MiniMax task",
        idempotent=False,
        json=body if content is None else None,
        content=content,
        headers=headers,
        model=body["model"],
    )


def query_operation(task_id: str, *, include_download_url: bool = True) -> Operation:
    """A look at a task, asking for its download_url (the official SDK's wait does the same)."""
    return Operation(
        "GET",
        query_path(task_id, include_download_url=include_download_url),
        f"checking MiniMax task {task_id}",
        generation_id=task_id,
    )


def file_operation(file_id: str, task_id: str | None) -> Operation:
    return Operation(
        "GET",
        download_path(file_id),
        f"asking for MiniMax file {file_id}",
        generation_id=task_id,
    )


# -- answers ---------------------------------------------------------------------------------


def base_resp_error(
    content: bytes, *, operation: str, generation_id: str | None = None
) -> APIError | None:
    """The typed error a 2xx answer carries in ``base_resp`` (a non-zero status_code), or None.

    ``status_code`` of the error is the HTTP status the code stands for (429 for 1002, 401 for
    1004, ...; 200 for a code not known here), ``code`` the MiniMax code as a string, and the
    message the server's ``status_msg``, saying it came inside an HTTP 200.
    """
    try:
        body = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return None  # not JSON: the answer's parser says so
    resp = body.get("base_resp") if isinstance(body, Mapping) else None
    if not isinstance(resp, Mapping):
        return None
    code = resp.get("status_code", 0)
    if isinstance(code, str) and code.strip().lstrip("-").isdigit():
        code = int(code)
    if code == 0 or not isinstance(code, int) or isinstance(code, bool):
        return None
    status, meaning = _BASE_RESP.get(code, (200, "unknown code"))
    server = str(resp.get("status_msg") or meaning)[:300]
    message = f"{server} (MiniMax base_resp.status_code {code}, {meaning}, inside an HTTP 200)"
    return typed_error(
        message,
        status_code=status,
        code=str(code),
        operation=operation,
        generation_id=generation_id,
    )


def parse_created(status_code: int, content: bytes, *, operation: str) -> Generation:
    """The create's answer ``{"task_id", "base_resp"}`` as a pending Generation of the task route."""
    body = _json_object(status_code, content, operation)
    task_id = body.get("task_id")
    if isinstance(task_id, int) and not isinstance(task_id, bool):
        task_id = str(task_id)
    if not isinstance(task_id, str) or not task_id:
        raise InvalidResponseError(
            f"the server's answer while {operation} has no task_id; if a task was created, it "
            f"cannot be tracked from this answer: {summarize_body(content)}"
        )
    created = Generation(body, id=task_id, route=MINIMAX_ROUTE)
    if "status" not in body:
        created.status = PENDING  # a task just made: Preparing (the answer has no status word)
    return created


def parse_task(
    status_code: int, content: bytes, *, operation: str, known_id: str | None = None
) -> Generation:
    """A task object as a Generation of the task route (``status`` normalised, the word kept)."""
    body = _json_object(status_code, content, operation)
    task_id = body.get("task_id")
    task_id = str(task_id) if isinstance(task_id, (str, int)) and str(task_id) else known_id
    if task_id is None:
        raise InvalidResponseError(
            f"the server's answer while {operation} has no task_id: {summarize_body(content)}"
        )
    return Generation(body, id=task_id, route=MINIMAX_ROUTE)


def refused_task(task_id: str, error: APIError) -> Generation:
    """The task as failed for a final error its look carried (balance, moderation): what the
    library records and a GenerationFailedError carries."""
    raw = {
        "task_id": task_id,
        "status": "Fail",
        "error": {"code": error.code, "message": error.message},
    }
    return Generation(raw, id=task_id, route=MINIMAX_ROUTE)


def file_id_of(task: Generation) -> str | None:
    value = task.raw.get("file_id")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value if isinstance(value, str) and value else None


def parse_file(status_code: int, content: bytes, *, operation: str) -> dict[str, Any]:
    """The file object's answer ``{"file": {...}, "base_resp": {...}}``, checked to name a link."""
    body = _json_object(status_code, content, operation)
    file = body.get("file")
    if not isinstance(file, Mapping) or not download_url_of_file(body):
        raise InvalidResponseError(
            f"the server's answer while {operation} names no file download_url: "
            f"{summarize_body(content)}"
        )
    return body


def download_url_of_file(answer: Mapping[str, Any]) -> str | None:
    file = answer.get("file")
    url = file.get("download_url") if isinstance(file, Mapping) else None
    return url if isinstance(url, str) and url.strip() else None


def _json_object(status_code: int, content: bytes, operation: str) -> dict[str, Any]:
    try:
        body = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        raise InvalidResponseError(
            f"the server answered {status_code} while {operation} with something that is not "
            f"JSON: {summarize_body(content)}"
        ) from None
    if not isinstance(body, dict):
        raise InvalidResponseError(
            f"the server answered {status_code} while {operation} with JSON that is not an object"
        )
    return body
