"""What a download asks about its job, through ``AsyncVideo.get_status``: which video id a
variant has, where else the video lies (``download_url``), and whether the job is known
completed (a 404 on content is then storage lag, not a missing job)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from ..errors import InvalidRequestError, MQLError
from ..generation import Generation
from . import protocol

StatusLook = Callable[[str], Awaitable[Generation]]  # AsyncVideo.get_status
Links = Callable[[bool], Awaitable[object]]  # a download_url, asked anew when fresh=True
Completed = Callable[[], Awaitable[bool]]  # whether the job is known completed (storage lag)


def fresh_links(generation: str | Generation, video_id: str, get_status: StatusLook) -> Links:
    """Where a download asks for a link once the one it followed is gone: the ``download_url``
    of ``generation`` (if it is a Generation that has one), else, or when ``fresh``, the one
    ``get_status`` answers now; None when there is none (or the API cannot be asked)."""

    async def link(fresh: bool) -> object:
        known = generation
        if fresh or not isinstance(known, Generation) or known.download_url is None:
            try:
                known = await get_status(protocol.id_of(generation))
            except MQLError:
                return None
        return download_url_of(known, video_id)

    return link


def known_completed(generation: str | Generation, get_status: StatusLook) -> Completed:
    """Whether the job has completed: a completed Generation says so, else the API is asked
    (once: the answer is kept). A 404 on content is storage lag only for a completed job."""
    answer: list[bool] = []

    async def completed() -> bool:
        if not answer:
            if isinstance(generation, Generation) and generation.completed:
                answer.append(True)
            else:
                try:
                    answer.append((await get_status(protocol.id_of(generation))).completed)
                except MQLError:
                    answer.append(False)
        return answer[0]

    return completed


async def variant_id(generation_id: str | Generation, variant: int, get_status: StatusLook) -> str:
    """The id of video ``variant`` of the job (``get_status`` is asked only for variant > 0 of
    a bare id)."""
    if not isinstance(variant, int) or isinstance(variant, bool) or variant < 0:
        raise InvalidRequestError(
            "variant", variant, "an int >= 0 (the index of a video of an n > 1 job)"
        )
    if variant == 0:  # the job id downloads the first video
        return protocol.id_of(generation_id)
    generation = (
        generation_id if isinstance(generation_id, Generation) else await get_status(generation_id)
    )
    ids = generation.variant_ids
    if variant >= len(ids):
        raise InvalidRequestError(
            "variant",
            variant,
            f"an index below {len(ids)} (generation {generation.id} has {len(ids)} video(s))",
        )
    return ids[variant]


def download_url_of(generation: Generation, video_id: str) -> object:
    """The ``download_url`` the generation gives for ``video_id`` (a variant's own, for n > 1)."""
    if video_id == generation.id:
        return generation.download_url
    for entry in generation.raw.get("generations") or ():
        if isinstance(entry, Mapping) and entry.get("id") == video_id:
            return entry.get("download_url")
    return None
