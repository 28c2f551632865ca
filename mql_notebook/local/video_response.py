"""The answer that carries a video's bytes (ETag, If-None-Match, Range, If-Range), from the API
or from the storage origin alike."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

from starlette.responses import JSONResponse, Response, StreamingResponse

from .ranges import parse_range
from .videos import Video

CHUNK_BYTES = 256 * 1024


def video_response(
    request_headers: Mapping[str, str], video: Video, video_id: str, *, chunked: bool = False
) -> Response:
    """200, 206, 304 or 416 for ``video``; ``chunked``: no Content-Length (chunked encoding)."""
    size = len(video.data)
    headers = {
        "Content-Type": "video/mp4",
        "Accept-Ranges": "bytes",
        "ETag": video.etag,
        "Content-Disposition": f'inline; filename="{video_id}.mp4"',
        "Cache-Control": "private, max-age=3600",
    }
    if video.etag in _etags(request_headers.get("if-none-match")):
        return Response(status_code=304, headers=headers)
    if_range = request_headers.get("if-range")
    wanted = (
        parse_range(request_headers.get("range"), size) if if_range in (None, video.etag) else None
    )
    if isinstance(wanted, str):  # parse_range answered UNSATISFIABLE
        headers["Content-Range"] = f"bytes */{size}"
        body = {"message": f"The video is {size} bytes long.", "code": "range_not_satisfiable"}
        return JSONResponse({"error": body}, status_code=416, headers=headers)
    if wanted is None:
        first, last, status = 0, size - 1, 200
    else:
        first, last = wanted
        status = 206
        headers["Content-Range"] = f"bytes {first}-{last}/{size}"
    if not chunked:
        headers["Content-Length"] = str(last - first + 1)
    return StreamingResponse(
        _chunks(video.data, first, last + 1), status_code=status, headers=headers
    )


async def _chunks(data: bytes, start: int, stop: int) -> AsyncIterator[bytes]:
    view = memoryview(data)
    for offset in range(start, stop, CHUNK_BYTES):
        yield bytes(view[offset : min(offset + CHUNK_BYTES, stop)])


def _etags(header: str | None) -> set[str]:
    if not header:
        return set()
    return {tag.strip().removeprefix("W/") for tag in header.split(",")}
