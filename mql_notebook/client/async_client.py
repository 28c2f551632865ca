"""The async client: ``AsyncMQL`` does the work; ``MQL`` (sync_client) runs the same code to completion.

All decisions (validation, request shapes, parsing, retry and poll timing) are plain
functions in options, protocol, retry and poller. ``AsyncMQL`` only puts the parts together:
its settings, its ``Transport`` (the connections; transport.py), its library's ``Recorder``,
and ``client.video``, which is handed each of them.
"""

from __future__ import annotations

import copy
import inspect
import os
from typing import TYPE_CHECKING, Any

import httpx

from ..errors import ConfigurationError
from ..library import FROM_ENVIRONMENT, LibraryChoice, resolve_library
from ..money import Budget, PlanStatus, PriceTable
from .poller import PollTiming
from .retry import RetryPolicy
from .settings import (
    DEFAULT_MAX_DOWNLOAD_BYTES,
    DEFAULT_MAX_IMAGE_BYTES,
    DEFAULT_TIMEOUT,
    DEFAULT_WAIT_TIMEOUT,
    LOCAL_BASE_URL,
    Settings,
    resolve_settings,
)
from .slots import SlotTiming
from .transport import Transport
from .videos import AsyncVideo

if TYPE_CHECKING:
    from .recording import Recorder

NEEDS_LIBRARY = (
    "budget= needs a library: the library reserves each create against the budget before it "
    "is sent, so that no process goes over it; give library=True (./mql-videos), a folder or a "
    "Library, or set MQL_LIBRARY"
)


class AsyncMQL:
    """Async client for the Metriqual video API.

    ``api_key`` and ``base_url`` default to ``MQL_API_KEY`` and ``MQL_BASE_URL``, then to
    https://api.metriqual.com; ``base_url="local"`` starts (or reuses) the in-process emulator.
    ``max_retries`` (default 4) is the retries of one request; ``retry_policy`` and
    ``poll_timing`` tune the delays. ``slot_timeout`` is how long a create waits for a free
    slot while the gateway answers 429/503 (None: ``wait_timeout``; 0: not at all), spaced by
    ``slot_timing``. Every default is in ``mql_notebook/_constants.py``.
    ``model`` is the model a create uses when it names none (``MQL_MODEL``, else "sora").
    ``library`` (a ``Library``, a folder, True or False) records every generation there.
    ``max_image_bytes`` (default 20 MB) is the largest first or last frame a create sends.
    ``prices`` (a ``PriceTable``, a dict, JSON or a file; default ``MQL_PRICES``, else the
    library's) estimates each create's cost before it is sent (``video.estimate``).
    ``budget`` (a ``Budget`` or a dict: videos, seconds, amount, per) caps what this client
    makes; it needs a library, which reserves each create against it (and against the
    library's own budget) before sending: ``BudgetExceededError`` when it would go over.
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        model: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int | None = None,
        wait_timeout: float = DEFAULT_WAIT_TIMEOUT,
        max_download_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES,
        max_image_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
        extra_models: tuple[str, ...] | list[str] = (),
        poll_timing: PollTiming | None = None,
        retry_policy: RetryPolicy | None = None,
        slot_timeout: float | None = None,
        slot_timing: SlotTiming | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        library: LibraryChoice = FROM_ENVIRONMENT,
        prices: PriceTable | dict[str, Any] | str | os.PathLike[str] | bool | None = None,
        budget: Budget | dict[str, Any] | None = None,
    ) -> None:
        # Every argument, as passed or defaulted: this signature is their one home.
        given = {name: value for name, value in locals().items() if name in _SETTINGS_ARGUMENTS}
        self.settings: Settings = resolve_settings(given)
        self.transport = Transport(self.settings, transport)  # every request goes through it
        # The library records every generation (client/recording.py): a Library, a folder, True
        # for the default one; unset, only when MQL_LIBRARY is set.
        self.library = resolve_library(library)
        if self.settings.budget is not None and self.library is None:
            raise ConfigurationError(NEEDS_LIBRARY)
        self.recorder: Recorder | None = None
        if self.library:
            from .recording import Recorder  # with the download machinery: loaded when used

            self.recorder = Recorder(self.library, self.settings)
        self.video = AsyncVideo(
            self.transport, self.settings, self.recorder, client_of=self._client_of
        )

    def without_library(self) -> AsyncMQL:
        """This client (its settings, its connections) recording nothing: how the widget still
        makes a run whose library refused the request before anything was sent. A client with
        its own budget= cannot: the library is what keeps it."""
        if self.settings.budget is not None:
            raise ConfigurationError(NEEDS_LIBRARY + " (its library could not be used)")
        other = copy.copy(self)
        other.library, other.recorder = None, None
        other.video = AsyncVideo(other.transport, other.settings, None, client_of=other._client_of)
        return other

    async def subscription_status(self) -> PlanStatus | None:
        """The gateway's plan limits and usage (``GET /v1/user/subscription-status``, read as
        its SDK's subscription.py reads it): ``tier``, ``limits``, ``usage`` and ``left`` (what
        remains of each limit, or "unlimited"); None when the server has no such route."""
        from .spending import subscription_status

        return await subscription_status(self.transport)

    @property
    def retry_policy(self) -> RetryPolicy:
        """How requests are retried (``settings.retry_policy``; ``max_retries=`` sets its count)."""
        return self.settings.retry_policy

    @property
    def poll_timing(self) -> PollTiming:
        """When a wait looks again (``settings.poll_timing``)."""
        return self.settings.poll_timing

    @classmethod
    def local(cls, **options: Any) -> AsyncMQL:
        """A client of the in-process emulator (started on first use, shared by the process)."""
        return cls(base_url=LOCAL_BASE_URL, **options)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.settings.base_url!r})"

    async def __aenter__(self) -> AsyncMQL:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.transport.aclose()

    def _client_of(self, base_url: str, api_key: str) -> AsyncMQL:
        """A client of another server that records into this client's library (``resume_pending``
        asks for one to finish a job another process's emulator still runs)."""
        return AsyncMQL(api_key=api_key, base_url=base_url, library=self.library)


# What resolve_settings reads: AsyncMQL's keywords but the connections' and the library's.
_SETTINGS_ARGUMENTS = frozenset(inspect.signature(AsyncMQL.__init__).parameters) - {
    "self",
    "transport",
    "library",
}
