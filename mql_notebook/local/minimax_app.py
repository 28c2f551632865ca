"""The emulator's MiniMax task route, the gateway's second video route (shared/API.md):

  POST /v1/videos/minimax/generations   {"model", "prompt"?, "first_frame_image"?,
                                         "last_frame_image"?, "duration"?, "resolution"?, ...}
                                        -> {"task_id", "base_resp"}
  GET  /v1/videos/query/{task_id}       -> the task: status Preparing, Queueing, Processing,
                                        Success or Fail; file_id, video_width, video_height
                                        when done; download_url with ?include_download_url=true
  GET  /v1/videos/download/{file_id}    -> {"file": {file_id, bytes, created_at, filename,
                                        purpose, download_url}, "base_resp"}

Errors come as MiniMax sends them, inside an HTTP 200: ``base_resp.status_code`` 2013 with the
reason for bad input (an unknown model, a duration the model does not take, an image that is
neither a URL nor a data URL: a local path is refused, as the real one refuses it). The jobs are
the generations route's (one job store, the same renders); a task's request keeps
``first_frame_image`` and ``last_frame_image`` for the renderer. ``download_url`` names the
storage origin when the emulator has one (``storage="redirect"`` or ``"download_url"``), else
the API's own content route. Faults: the create, query and file object count as the
``create``, ``status`` and ``content`` endpoints; ``minimax:<code>`` script entries inject any
base_resp error (minimax_codes.py).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..errors import InvalidRequestError
from ..request import frame_size, validate_model_id, validate_prompt
from ..status import COMPLETED, FAILED, PENDING, PROCESSING
from .api_common import check_key, create_job, emulator_of, named_in_path, read_json_object
from .emulator import Emulator
from .images import read_image
from .jobs import PENDING_SHARE, IdempotencyConflict, Job
from .minimax_codes import OK, base_resp

IMAGE_FIELDS = ("first_frame_image", "last_frame_image")
MAX_TASK_BODY_BYTES = 30 * 1024 * 1024  # MiniMax takes images up to 20 MB (as base64: more)
FILE_PREFIX = "file_"
TASK_ROUTE = "minimax"
_WORDS: dict[str, str] = {PROCESSING: "Processing", COMPLETED: "Success", FAILED: "Fail"}


def minimax_routes() -> list[Route]:
    return [
        Route("/v1/videos/minimax/generations", _create, methods=["POST"]),
        Route("/v1/videos/query/{task_id}", _query, methods=["GET"]),
        Route("/v1/videos/download/{file_id}", _file, methods=["GET"]),
    ]


class TaskRefused(Exception):
    """Bad input: answered as base_resp 2013 with this message."""


def task_request(emulator: Emulator, body: dict[str, Any]) -> dict[str, Any]:
    """The job's request from a task's body, the model's defaults filled in (TaskRefused if bad)."""
    try:
        model = validate_model_id(body.get("model"))
    except InvalidRequestError as err:
        raise TaskRefused(str(err)) from None
    spec = emulator.catalogue.models.get(model)
    if spec is None or model in emulator.catalogue.retired or not spec.task_route:
        served = [m for m in emulator.catalogue.served() if emulator.catalogue.models[m].task_route]
        raise TaskRefused(
            f"model {model!r} is not served on the MiniMax task route; served: {', '.join(served)}"
        )
    images = {name: body[name] for name in IMAGE_FIELDS if body.get(name) is not None}
    for name, value in images.items():
        _check_image(name, value)
        if value.strip()[:5].lower() != "data:":
            continue  # a public URL, kept as sent: the emulator fetches nothing for this route
        try:  # held by the job (the renderer starts from it), checked as the main route does
            images[name] = read_image(name, value.strip(), emulator.catalogue.max_image_bytes)
        except InvalidRequestError as err:
            raise TaskRefused(str(err)) from None
    prompt = body.get("prompt")
    if prompt is None and "first_frame_image" not in images:
        raise TaskRefused("prompt is required when no first_frame_image is given")
    try:
        prompt = "" if prompt is None else validate_prompt(prompt)
    except InvalidRequestError as err:
        raise TaskRefused(str(err)) from None
    duration = body.get("duration", spec.durations[0])
    if type(duration) is not int or duration not in spec.durations:
        raise TaskRefused(f"duration={duration!r}: {model} takes {list(spec.durations)} seconds")
    resolution = body.get("resolution", spec.default_resolution)
    if resolution not in spec.resolutions:
        raise TaskRefused(f"resolution={resolution!r}: {model} takes {list(spec.resolutions)}")
    request = {k: v for k, v in body.items() if k not in ("model", "prompt")}
    request.update(images)
    request.update(
        model=model,
        prompt=prompt,
        duration=duration,
        resolution=resolution,
        aspect_ratio=spec.aspect_ratios[0],
        n=1,
        route=TASK_ROUTE,
    )
    return request


def _check_image(name: str, value: Any) -> None:
    """A public http(s) URL or a ``data:image/...;base64,`` URL; never a path on the caller's disk."""
    if not isinstance(value, str) or not value.strip():
        raise TaskRefused(f"{name} must be a URL or a data URL string")
    text = value.strip()
    lowered = text[:16].lower()
    if lowered.startswith(("http://", "https://")):
        return
    if lowered.startswith("data:image/"):
        head, sep, data = text.partition(",")
        if not sep or not head.lower().endswith(";base64"):
            raise TaskRefused(f"{name}: a data URL must be data:image/<type>;base64,<data>")
        try:
            base64.b64decode(data[:4096] + "=" * (-len(data[:4096]) % 4), validate=True)
        except (binascii.Error, ValueError):
            raise TaskRefused(f"{name}: the data URL's base64 is not valid") from None
        return
    raise TaskRefused(
        f"{name} is neither a public URL nor a data URL ({text[:40]!r}): the server cannot read "
        "a path on your disk; send https://... or data:image/...;base64,..."
    )


def _refused(message: str, task_id: str = "") -> JSONResponse:
    return JSONResponse({"task_id": task_id, "base_resp": base_resp(2013, message)})


async def _create(request: Request) -> Response:
    key = check_key(request)
    if isinstance(key, Response):
        return key
    emulator = emulator_of(request)
    body = await read_json_object(request, limit=MAX_TASK_BODY_BYTES)
    if isinstance(body, Response):
        return body
    try:
        options = task_request(emulator, body)
    except TaskRefused as err:
        return _refused(str(err))
    fate, reason = emulator.faults.decide_job(options["prompt"])
    try:
        job, created = create_job(request, options, api_key=key, fate=fate, reason=reason)
    except IdempotencyConflict as err:
        return _refused(f"Idempotency-Key {err} was already used with a different request body")
    request.state.generation_id = job.id
    headers = {} if created else {"Idempotent-Replayed": "true"}
    return JSONResponse({"task_id": job.id, "base_resp": dict(OK)}, headers=headers)


def _task_job(emulator: Emulator, task_id: str) -> Job | None:
    job = emulator.jobs.get(task_id)
    return job if job is not None and job.request.get("route") == TASK_ROUTE else None


async def _query(request: Request) -> Response:
    task_id = named_in_path(request, "task_id")
    if isinstance(task_id, Response):
        return task_id
    emulator = emulator_of(request)
    job = _task_job(emulator, task_id)
    if job is None:
        return _refused(f"no task {task_id!r} (unknown, or it expired)", task_id)
    now = emulator.jobs.clock()
    state = job.state(now)
    word = _WORDS.get(state.status, "Queueing")
    if state.status == PENDING and now - job.started < job.pace * PENDING_SHARE / 2:
        word = "Preparing"
    task: dict[str, Any] = {"task_id": job.id, "status": word}
    if state.status == COMPLETED:
        width, height = frame_size(job.request["aspect_ratio"], job.request["resolution"])
        task.update(file_id=FILE_PREFIX + job.id, video_width=width, video_height=height)
        if request.query_params.get("include_download_url", "").lower() == "true":
            task["download_url"] = _link(request, emulator, job.id)
    task["base_resp"] = dict(OK)
    return JSONResponse(task)


async def _file(request: Request) -> Response:
    file_id = named_in_path(request, "file_id")
    if isinstance(file_id, Response):
        return file_id
    emulator = emulator_of(request)
    task_id = file_id.removeprefix(FILE_PREFIX)
    request.state.generation_id = task_id
    job = _task_job(emulator, task_id) if file_id.startswith(FILE_PREFIX) else None
    if job is None or job.state(emulator.jobs.clock()).status != COMPLETED:
        return JSONResponse(
            {
                "file": None,
                "base_resp": base_resp(2013, f"no file {file_id!r} (unknown, or not ready)"),
            }
        )
    video = await asyncio.wrap_future(emulator.videos.get(job.specs[0]))
    file = {
        "file_id": file_id,
        "bytes": len(video.data),
        "created_at": int(job.created_at),
        "filename": f"{job.id}.mp4",
        "purpose": "video_generation",
        "download_url": _link(request, emulator, job.id),
    }
    return JSONResponse({"file": file, "base_resp": dict(OK)})


def _link(request: Request, emulator: Emulator, video_id: str) -> str:
    """Where the video lies: a signed URL on the storage origin, else the API's content route."""
    if emulator.storage is not None:
        return emulator.storage.sign(video_id)
    return f"{str(request.base_url).rstrip('/')}/v1/videos/{video_id}/content"
