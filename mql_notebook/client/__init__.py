"""The HTTP client of the video API: ``AsyncMQL`` does the work, ``MQL`` runs it to completion.

Each file has one job:

- ``settings``: arguments, then environment variables, then the defaults, checked;
- ``protocol``: the wire format (paths, headers, answers into Generations and errors), no I/O;
- ``retry``: whether and when to retry a request, and how a wait rides out an outage, no I/O;
- ``poller``: when to look at a job again (``PollPlanner``, no I/O) and the loop that follows it;
- ``sinks``: where a download goes (bytes, a file object, a path written atomically);
- ``recording`` / ``resume``: what the client writes into its library, and resuming from it;
- ``async_client`` / ``sync_client``: the clients, which put the parts together;
- ``transport``: the connection pools, sending with retries, how a download travels: every
  request goes through the one ``Transport`` a client owns;
- ``videos``: ``client.video`` (create, get_status, wait, download, ...), built on ``Operation``s;
- ``download`` / ``fetch`` / ``redirects``: content, behind redirects, resumed; the threaded stream;
- ``loops``: running the async core from sync code and one connection pool per event loop.

``from mql_notebook import MQL`` loads ``sync_client`` alone: the async core (asyncio, httpx's
pools, the poller, ...) loads when the first ``MQL()`` is made (sync_client.py says why).
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # what type checkers see; at run time each loads on first use (below)
    from .async_client import AsyncMQL
    from .poller import PollTiming
    from .resume import Resumed
    from .retry import OutageTiming, RetryPolicy
    from .settings import Settings
    from .sync_client import MQL, Video, as_async_client
    from .videos import AsyncVideo

__all__ = [
    "MQL",
    "AsyncMQL",
    "AsyncVideo",
    "OutageTiming",
    "PollTiming",
    "Resumed",
    "RetryPolicy",
    "Settings",
    "Video",
    "as_async_client",
]

# The module of each name, imported on first use of the name.
_LAZY = {
    "AsyncMQL": ".async_client",
    "AsyncVideo": ".videos",
    "MQL": ".sync_client",
    "OutageTiming": ".retry",
    "PollTiming": ".poller",
    "Resumed": ".resume",
    "RetryPolicy": ".retry",
    "Settings": ".settings",
    "Video": ".sync_client",
    "as_async_client": ".sync_client",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mql_notebook.client' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module, __name__), name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
