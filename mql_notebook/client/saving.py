"""One video of a job into the library (with one) and to where the caller asked: the download
of ``AsyncVideo.download`` and of the MiniMax task calls, once the links are known."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .download import Completed, Links
    from .recording import Recorder
    from .settings import Settings
    from .transport import Transport
    from .videos import Destination, ProgressCallback


async def save_video(
    transport: Transport,
    settings: Settings,
    recorder: Recorder | None,
    gid: str,
    links: Links,
    dest: Destination,
    *,
    variant: int = 0,
    video_id: str | None = None,
    on_progress: ProgressCallback | None = None,
    completed: Completed | None = None,
) -> Any:
    """Video ``variant`` of job ``gid`` into the library (with one) and to ``dest``.

    ``video_id`` None: the bytes are only at the link ``links`` names (a MiniMax file's
    download_url), never at the content endpoint. ``completed`` tells a 404 of a completed job
    (storage lagging: asked again for a while) from a missing video."""
    from .download import Download
    from .sinks import make_sink

    target = make_sink(dest, video_id or gid)  # refuses a bad dest before anything is fetched

    def into(sink: Any) -> Any:
        download = Download(
            transport,
            settings,
            sink,
            video_id or gid,
            gid,
            links,
            on_progress,
            completed,
            from_link=video_id is None,
        )
        return download.save()

    if recorder is None:
        return await into(target)
    # Into the library first (its sink, hashed), recorded there, then handed to dest.
    kept = await recorder.library_sink(gid, variant)
    try:
        await into(kept)
    except OSError as error:  # a full disk, an unwritable folder
        raise await recorder.record_failed_download(gid, video_id or gid, error) from error
    return await recorder.keep(gid, variant, kept, dest, target)
