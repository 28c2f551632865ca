"""The sync client: ``MQL`` runs ``AsyncMQL``'s code to completion (one body for both).

In a notebook cell it runs on the kernel's already running loop (see ``loops``), so the
widgets' pollers keep running while a sync call waits.

Importing this module loads nothing of the async core (asyncio, httpx, the poller...): the
first ``MQL()`` does, and makes ``Video``'s methods from ``AsyncVideo``'s then. So
``from mql_notebook import MQL`` is as light as ``import mql_notebook``; ``MQL()`` itself
builds no connection pool (made on the first request), unlike the official SDK's.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

if TYPE_CHECKING:
    from ..library import Library
    from ..money import PlanStatus
    from .async_client import AsyncMQL
    from .loops import SyncRunner
    from .settings import Settings
    from .videos import AsyncVideo

P = ParamSpec("P")
T = TypeVar("T")

# Each of AsyncVideo's methods the sync client runs to completion (add a new async method here).
BLOCKING = (
    "create",
    "get_status",
    "wait",
    "download",
    "create_and_wait",
    "create_and_download",
    "resume_pending",
    "estimate",
    "spending",
    # The official SDK's MiniMax task calls (minimax_calls.py).
    "create_from_image",
    "query_video_status",
    "query_and_wait",
    "query_and_download",
    "download_video",
)


def _blocking(
    method: Callable[Concatenate[AsyncVideo, P], Coroutine[Any, Any, T]],
) -> Callable[Concatenate[Video, P], T]:
    @functools.wraps(method)
    def call(self: Video, *args: P.args, **kwargs: P.kwargs) -> T:
        return self._runner.run(method(self._async, *args, **kwargs))

    return call


@functools.cache
def _made_blocking() -> None:
    """Video's methods, made from AsyncVideo's when the first client is made: importing ``MQL``
    loads neither asyncio nor the async core (``from mql_notebook import MQL`` stays light)."""
    from .videos import AsyncVideo

    for name in BLOCKING:
        setattr(Video, name, _blocking(getattr(AsyncVideo, name)))


class Video:
    """``client.video`` of the sync client; each call runs its async twin to completion."""

    if TYPE_CHECKING:  # what type checkers and editors see; made at run time by _made_blocking
        create = _blocking(AsyncVideo.create)
        get_status = _blocking(AsyncVideo.get_status)
        wait = _blocking(AsyncVideo.wait)
        download = _blocking(AsyncVideo.download)
        create_and_wait = _blocking(AsyncVideo.create_and_wait)
        create_and_download = _blocking(AsyncVideo.create_and_download)
        resume_pending = _blocking(AsyncVideo.resume_pending)
        estimate = _blocking(AsyncVideo.estimate)
        spending = _blocking(AsyncVideo.spending)
        create_from_image = _blocking(AsyncVideo.create_from_image)
        query_video_status = _blocking(AsyncVideo.query_video_status)
        query_and_wait = _blocking(AsyncVideo.query_and_wait)
        query_and_download = _blocking(AsyncVideo.query_and_download)
        download_video = _blocking(AsyncVideo.download_video)

    def __init__(self, async_video: AsyncVideo, runner: SyncRunner) -> None:
        _made_blocking()
        self._async = async_video
        self._runner = runner


class MQL:
    """Sync client for the Metriqual video API; takes the same arguments as ``AsyncMQL``.

    Works in a notebook cell too: there it runs on the kernel's loop, so widgets keep polling.
    ``client.aio`` is the async client sharing its settings.
    """

    def __init__(
        self, api_key: str | None = None, base_url: str | None = None, **options: Any
    ) -> None:
        from .async_client import AsyncMQL  # the async core, loaded with the first client
        from .loops import SyncRunner

        self.aio = AsyncMQL(api_key, base_url, **options)
        self._runner = SyncRunner()
        self.video = Video(self.aio.video, self._runner)

    @classmethod
    def local(cls, **options: Any) -> MQL:
        """A client of the in-process emulator (started on first use, shared by the process)."""
        from .settings import LOCAL_BASE_URL

        return cls(base_url=LOCAL_BASE_URL, **options)

    @property
    def settings(self) -> Settings:
        return self.aio.settings

    @property
    def library(self) -> Library | None:
        return self.aio.library

    def subscription_status(self) -> PlanStatus | None:
        """The gateway's plan (``AsyncMQL.subscription_status``), run to completion."""
        return self._runner.run(self.aio.subscription_status())

    def __repr__(self) -> str:
        return f"MQL(base_url={self.settings.base_url!r})"

    def __enter__(self) -> MQL:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self.aio.transport.close(self._runner)
        self._runner.close()


def as_async_client(client: MQL | AsyncMQL | None) -> AsyncMQL:
    """The async client behind any client argument; None builds one from the environment as MQL() would."""
    from .async_client import AsyncMQL

    if client is None:
        return AsyncMQL()
    if isinstance(client, MQL):
        return client.aio
    if isinstance(client, AsyncMQL):
        return client
    raise TypeError(f"client must be an MQL or AsyncMQL, not {type(client).__name__}")
