"""What a download decides from an answer, without I/O: what a Content-Range says, whether
an answer is a page rather than a video, which headers resume a download."""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import DownloadError

# A proxy or captive portal may answer 200 with a page: never save that as the video.
NOT_VIDEO_TYPES = (
    "text/html",
    "application/json",
    "text/plain",
    "application/problem+json",
    "application/xml",  # a storage service's error document
    "text/xml",
)


def parse_content_range(value: str) -> tuple[int, int | None]:
    """(first byte, total size or None) from ``bytes 100-199/2000``."""
    try:
        _unit, _, rest = value.partition(" ")
        span, _, total = rest.partition("/")
        start = int(span.split("-")[0])
        return start, (int(total) if total.isdigit() else None)
    except ValueError:
        raise DownloadError(f"the server sent an unreadable Content-Range: {value!r}") from None


def is_not_video(content_type: str) -> bool:
    """Whether a 2xx answer of this Content-Type is a page or an error, not the video."""
    return content_type.split(";")[0].strip().lower() in NOT_VIDEO_TYPES


def resume_headers(written: int, etag: str | None) -> dict[str, str]:
    """Range (and If-Range, so a changed file comes whole) to continue after ``written`` bytes."""
    if not written:
        return {}
    headers = {"Range": f"bytes={written}-"}
    if etag:
        headers["If-Range"] = etag
    return headers


def expected_total(
    status_code: int, headers: Mapping[str, str], written: int, gid: str
) -> tuple[int | None, bool]:
    """(the full size of the video or None, whether the sink must start over) from an answer."""
    if status_code == 206:
        start, total = parse_content_range(headers.get("content-range", ""))
        if start != written:
            raise DownloadError(
                f"the server resumed at byte {start}, not {written}", generation_id=gid
            )
        return total, False
    length = headers.get("content-length")
    # A 200 to a Range request: the whole file again, from the start.
    return (int(length) if length and length.isdigit() else None), bool(written)
