"""The storage origin's routes: ``GET /blob/<id>?expires=...&sig=...``, as S3 or a CDN answers it.

A good link gets the video (Range and ETag as from the API); an expired one 403 "Request has
expired", a forged one 403 "SignatureDoesNotMatch", an unknown video 404 "NoSuchKey", all with
S3's XML bodies. The signing and the settings are :class:`~.storage.SignedStorage`'s.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import Future
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from .fault_layer import DecideFault, FaultLayer, Record
from .storage import SignedStorage
from .video_response import video_response
from .videos import Video

FindVideo = Callable[[str], Future[Video] | None]
"""The video of a job id or variant id, None when no live job has it (``Emulator.video``)."""

_XML_ERROR = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
    "<Message>{message}</Message><Resource>/blob/{resource}</Resource></Error>\n"
)


def create_storage_app(
    storage: SignedStorage, find_video: FindVideo, *, decide: DecideFault, record: Record
) -> ASGIApp:
    """The storage origin as an ASGI app, behind a fault layer that keeps request headers."""
    app = Starlette(routes=[Route("/blob/{id}", _blob, methods=["GET"])])
    app.state.storage = storage
    app.state.find_video = find_video
    return FaultLayer(app, decide=decide, record=record, keep_headers=True)


async def _blob(request: Request) -> Response:
    storage: SignedStorage = request.app.state.storage
    find_video: FindVideo = request.app.state.find_video
    video_id = request.path_params["id"]
    request.state.generation_id = video_id
    params = request.query_params
    problem = storage.check(video_id, params.get("expires"), params.get("sig"), time.time())
    if problem == "expired":
        return _xml_error(403, "AccessDenied", "Request has expired", video_id)
    if problem is not None:
        return _xml_error(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
            video_id,
        )
    detour = _detour(request, storage.detour)
    if detour is not None:
        return RedirectResponse(detour, status_code=storage.redirect_status)
    future = find_video(video_id)
    if future is None:
        return _xml_error(404, "NoSuchKey", "The specified key does not exist.", video_id)
    video = await asyncio.wrap_future(future)
    return video_response(request.headers, video, video_id, chunked=storage.chunked)


def _detour(request: Request, detour: str | int | None) -> str | None:
    """Where a misbehaving storage sends this request instead of answering it, if anywhere."""
    if detour == "loop":
        return str(request.url)
    if detour == "ftp":
        return f"ftp://{request.url.hostname}/blob/{request.path_params['id']}"
    hop = request.query_params.get("hop", "0")
    if isinstance(detour, int) and hop.isdigit() and int(hop) < detour:
        return str(request.url.include_query_params(hop=int(hop) + 1))
    return None


def _xml_error(status: int, code: str, message: str, video_id: str) -> Response:
    body = _XML_ERROR.format(code=code, message=message, resource=quote(video_id, safe=""))
    return Response(body, status_code=status, media_type="application/xml")
