"""The emulator's HTTP routes (Starlette): the three API endpoints and the admin routes.

API (``Authorization: Bearer mql_...`` required):
  POST /v1/videos/generations          create a job, answer its generation object
  GET  /v1/videos/generations/{id}     the job's generation object
  GET  /v1/videos/{id}/content         the MP4 (job id = first variant; variant ids from ``generations``)
  GET  /v1/user/subscription-status    the plan: tier, limits, usage (this key's), features
  and the MiniMax task route (minimax_app.py): POST /v1/videos/minimax/generations,
  GET /v1/videos/query/{task_id}, GET /v1/videos/download/{file_id}

Admin (no key; for a server started in another process, e.g. by ``mql-notebook serve``):
  GET    /_emulator                    settings and counters
  GET    /_emulator/requests           the request log; DELETE clears it
  GET    /_emulator/faults             fault settings; POST applies JSON; DELETE resets
  GET    /_emulator/settings           pace, vocabulary, ttl, max_jobs, billing, plan; POST changes them

Every error is JSON ``{"error": {"message", "code"[, "param"]}}``; bad input never gets a 500.
The served models and their options come from the emulator's catalogue (``local.models``):
an unknown model answers 404 ``model_not_found``, a retired one 410 ``model_retired``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from ..errors import InvalidRequestError
from ..request import IMAGE_NAMES
from ..status import COMPLETED, FAILED
from .api_common import (
    MAX_BODY_BYTES,
    check_key,
    create_job,
    emulator_of,
    error,
    max_create_bytes,
    named_in_path,
    read_json_object,
)
from .emulator import Emulator
from .fault_layer import FaultLayer
from .images import ImageRef
from .jobs import ConcurrencyCapReached, IdempotencyConflict, Job, JobState
from .limits import Refusal
from .minimax_app import minimax_routes
from .models import ModelUnavailable
from .resolution import frame_size
from .video_response import video_response

__all__ = ["MAX_BODY_BYTES", "create_app", "error"]


def create_app(emulator: Emulator) -> ASGIApp:
    """The whole emulator as one ASGI app: the fault layer around the Starlette routes."""
    routes = [
        Route("/v1/videos/generations", _create, methods=["POST"]),
        Route("/v1/videos/generations/{id}", _status, methods=["GET"]),
        Route("/v1/videos/{id}/content", _content, methods=["GET"]),
        Route("/v1/user/subscription-status", _subscription_status, methods=["GET"]),
        *minimax_routes(),  # the MiniMax task route (minimax_app.py)
        Route("/_emulator", _admin_summary, methods=["GET"]),
        Route("/_emulator/requests", _admin_requests, methods=["GET", "DELETE"]),
        Route("/_emulator/faults", _admin_faults, methods=["GET", "POST", "DELETE"]),
        Route("/_emulator/settings", _admin_settings, methods=["GET", "POST"]),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: _http_error, Exception: _unexpected_error},
    )
    app.state.emulator = emulator
    return FaultLayer(app, decide=emulator.faults.decide, record=emulator.log.add)


# -- API ------------------------------------------------------------------------------


async def _create(request: Request) -> Response:
    key = check_key(request)
    if isinstance(key, Response):
        return key
    emulator = emulator_of(request)
    body = await read_json_object(
        request, limit=max_create_bytes(emulator.catalogue.max_image_bytes)
    )
    if isinstance(body, Response):
        return body
    if request.state.body_bytes > MAX_BODY_BYTES and not any(body.get(n) for n in IMAGE_NAMES):
        return error(413, "body_too_large", f"The request body is over {MAX_BODY_BYTES} bytes.")
    try:
        if any(body.get(name) for name in IMAGE_NAMES):  # decoded and sniffed: ms per MB
            options = await asyncio.to_thread(emulator.catalogue.validate, body)
        else:
            options = emulator.catalogue.validate(body)
    except InvalidRequestError as err:
        return error(400, f"invalid_{err.field}", str(err), param=err.field)
    except ModelUnavailable as err:
        return error(err.status, err.code, str(err), param="model")
    limits = emulator.limits
    refusal = limits.refuse_create(options["prompt"])  # money, or the prompt's moderation
    if refusal is not None:
        return _refused(refusal)
    word, stage = limits.moderated(options["prompt"])
    fate: str | None
    if stage == "output":  # rendered in full, then refused
        fate, reason = "refuse_output", word
    else:
        fate, reason = emulator.faults.decide_job(options["prompt"])
    try:
        job, created = create_job(
            request, options, api_key=key, fate=fate, reason=reason, cap=limits.concurrency
        )
    except ConcurrencyCapReached as err:
        return _refused(limits.busy(err.running))
    except IdempotencyConflict as err:
        return error(
            400,
            "idempotency_key_reused",
            f"Idempotency-Key {err} was already used with a different request body.",
            param="Idempotency-Key",
        )
    request.state.generation_id = job.id
    if created:
        emulator.plan.record(key, options)
    headers = {} if created else {"Idempotent-Replayed": "true"}
    return JSONResponse(_generation(request, job), headers=headers)


async def _status(request: Request) -> Response:
    job_id = named_in_path(request, "id")
    if isinstance(job_id, Response):
        return job_id
    job = emulator_of(request).jobs.get(job_id)
    if job is None:
        return _not_found(job_id)
    return JSONResponse(_generation(request, job))


async def _subscription_status(request: Request) -> Response:
    key = check_key(request)
    if isinstance(key, Response):
        return key
    return JSONResponse(emulator_of(request).plan.status(key))


async def _content(request: Request) -> Response:
    video_id = named_in_path(request, "id")
    if isinstance(video_id, Response):
        return video_id
    emulator = emulator_of(request)
    found = emulator.jobs.find_video(video_id)
    if found is None:
        return _not_found(video_id)
    job, index = found
    state = job.state(emulator.jobs.clock())
    if state.status == FAILED:
        return error(
            409, "generation_failed", f"Generation {job.id} failed: there is no video to download."
        )
    if state.status != COMPLETED:
        return error(
            409,
            "not_ready",
            f"Generation {job.id} is {emulator.words[state.status]} ({state.progress}%): "
            "download it once its status is completed.",
        )
    if emulator.limits.lagging(job.completed_for(emulator.jobs.clock())):
        return error(404, "not_found", f"Video {video_id!r} is not in storage yet.")
    if emulator.storage is not None:  # the bytes live on the storage origin
        if emulator.storage.mode == "download_url":
            return _not_found(video_id)  # a gateway with no content route: see download_url
        return RedirectResponse(
            emulator.storage.sign(video_id), status_code=emulator.storage.redirect_status
        )
    # Usually already cached; rendered again (identically) if the cache let it go.
    video = await asyncio.wrap_future(emulator.videos.get(job.specs[index]))
    return video_response(request.headers, video, video_id)


def _refused(refusal: Refusal) -> JSONResponse:
    """A create that makes nothing: busy (429 with Retry-After), money, or input moderation."""
    return JSONResponse(refusal.body(), status_code=refusal.status, headers=refusal.headers())


def _not_found(job_id: str) -> JSONResponse:
    return error(404, "not_found", f"No generation {job_id!r} (unknown, or it expired).")


SHOWN_AS = frozenset({"duration", "n"})  # the generation object's seconds and n_variants


def _generation(request: Request, job: Job) -> dict[str, Any]:
    emulator = emulator_of(request)
    state: JobState = job.state(emulator.jobs.clock())
    options = job.request
    width, height = frame_size(options["aspect_ratio"], options["resolution"])
    body: dict[str, Any] = {
        "id": job.id,
        "object": "video",
        "created_at": int(job.created_at),
        "status": emulator.words[state.status],
        "model": options["model"],
        "prompt": options["prompt"],
        "size": f"{width}x{height}",
        "seconds": options["duration"],
        "resolution": options["resolution"],
        "aspect_ratio": options["aspect_ratio"],
        "n_variants": options["n"],
    }
    # Every other field the request set (seed, a model's own), echoed as the job's own;
    # duration and n are there already, as seconds and n_variants.
    body.update({k: v for k, v in options.items() if k not in body and k not in SHOWN_AS})
    for name, value in body.items():  # an image as what it held, not its bytes again
        if isinstance(value, ImageRef):
            body[name] = value.echo()
    if emulator.progress:
        body["progress"] = state.progress
    if state.status == COMPLETED:
        base = str(request.base_url).rstrip("/")
        storage = emulator.storage

        def url(video_id: str) -> str:  # storage's own signed URL when the API serves no content
            if storage is not None and storage.mode == "download_url":
                return storage.sign(video_id)
            return f"{base}/v1/videos/{video_id}/content"

        body["download_url"] = url(job.id)
        if options["n"] > 1:
            body["generations"] = [
                {"id": variant_id, "download_url": url(variant_id)}
                for variant_id in job.variant_ids
            ]
    if state.error is not None:
        body["error"] = dict(state.error)
    if emulator.billing is not None:
        body.update(emulator.billing.fields(options, state.status))
    return body


# -- admin ----------------------------------------------------------------------------


async def _admin_summary(request: Request) -> Response:
    emulator = emulator_of(request)
    return JSONResponse(
        {
            "emulator": "mql-notebook",
            "settings": emulator.settings(),
            "jobs": len(emulator.jobs),
            "cached_videos": len(emulator.videos),
            "cached_video_bytes": emulator.videos.cached_bytes,
            "requests_logged": len(emulator.log),
            "faults": emulator.faults.to_dict(),
        }
    )


async def _admin_requests(request: Request) -> Response:
    emulator = emulator_of(request)
    if request.method == "DELETE":
        emulator.log.clear()
    return JSONResponse({"requests": [record.to_dict() for record in emulator.log.records()]})


async def _admin_faults(request: Request) -> Response:
    faults = emulator_of(request).faults
    if request.method == "DELETE":
        faults.reset()
    elif request.method == "POST":
        body = await read_json_object(request)
        if isinstance(body, Response):
            return body
        try:
            faults.update(body)
        except (ValueError, TypeError) as err:
            return error(400, "invalid_faults", str(err))
    return JSONResponse(faults.to_dict())


async def _admin_settings(request: Request) -> Response:
    emulator = emulator_of(request)
    if request.method == "POST":
        body = await read_json_object(request)
        if isinstance(body, Response):
            return body
        try:
            emulator.update_settings(body)
        except (ValueError, TypeError) as err:
            return error(400, "invalid_settings", str(err))
    return JSONResponse(emulator.settings())


# -- errors ---------------------------------------------------------------------------


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return error(
            404,
            "not_found",
            f"No route {request.url.path!r}: the API has POST /v1/videos/generations, "
            "GET /v1/videos/generations/{id}, GET /v1/videos/{id}/content and the MiniMax "
            "task route (POST /v1/videos/minimax/generations, GET /v1/videos/query/{task_id}, "
            "GET /v1/videos/download/{file_id}).",
        )
    if exc.status_code == 405:
        return error(
            405,
            "method_not_allowed",
            f"{request.method} is not allowed on {request.url.path}.",
            headers=dict(exc.headers or {}),
        )
    return error(exc.status_code, "http_error", str(exc.detail), headers=dict(exc.headers or {}))


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    return error(500, "emulator_error", f"The emulator hit a bug: {exc!r}")
