"""The client a widget uses: what it admits, which library it records into, and closing one
the widget built itself.

A widget given a client leaves it open (it belongs to the caller); one it built from the
environment is closed with the widget, once the cancelled poller has unwound.
"""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING, Any

from ..errors import ConfigurationError
from ..library import FROM_ENVIRONMENT, LibraryChoice, resolve_library

if TYPE_CHECKING:
    from ..client import AsyncMQL
    from ..library import Library

_closing: set[asyncio.Task[None]] = set()  # strong references until the closes finish


def close_when_done(client: AsyncMQL, task: asyncio.Future[Any] | None) -> None:
    """Close ``client``'s connections once ``task`` (just cancelled) has unwound."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return  # no loop to close on: the pool goes with the garbage collector

    async def close() -> None:
        if task is not None and not task.done():
            await asyncio.wait([task])
        await client.aclose()

    closing = loop.create_task(close())
    _closing.add(closing)
    closing.add_done_callback(_closing.discard)


def default_model(client: Any) -> str:
    """The model a widget starts with: the client's default (``MQL_MODEL``, else "sora"), or,
    without a client, the one a client built from the environment would have."""
    settings = getattr(client, "settings", None)
    if settings is not None:
        return str(settings.model)
    from ..client.settings import resolve_model  # here: the client imports the widget lazily

    return resolve_model(None, os.environ)[0]


def widget_library(client: Any, library: LibraryChoice) -> Library | None:
    """The widget's library: a client's own, else the choice, on by default (``Library()``)."""
    if client is None:
        return resolve_library(library, on_by_default=True)
    if library is not FROM_ENVIRONMENT:
        raise ConfigurationError(
            "a widget given a client records into the client's library: pass library= to "
            "MQL(...) / AsyncMQL(...) instead of VideoWidget(...)"
        )
    return getattr(client, "library", None)


def client_money(client: Any, *, prices: Any, budget: Any) -> dict[str, Any]:
    """``prices=`` and ``budget=`` of a widget, checked now (a bad table or budget is refused
    before any Generate), for the client it makes; a widget given a client uses the client's."""
    given = {k: v for k, v in {"prices": prices, "budget": budget}.items() if v is not None}
    if given and client is not None:
        raise ConfigurationError(
            f"a widget given a client uses the client's money settings: pass "
            f"{', '.join(f'{k}=' for k in given)} to MQL(...) / AsyncMQL(...) instead"
        )
    from ..client.settings import resolve_prices
    from ..money import budget_from

    if "prices" in given:
        resolve_prices(prices, os.environ)
    budget_from(budget)
    return given


def widget_client(given: Any, library: Library | None, **money: Any) -> AsyncMQL:
    """The async client the widget polls with: the one given, else one of its own that records
    into the widget's library (``False``: none, whatever ``MQL_LIBRARY`` says), with the
    widget's ``prices=`` and ``budget=`` (``money``)."""
    from ..client import AsyncMQL, as_async_client

    if given is not None:
        return as_async_client(given)
    return AsyncMQL(library=library or False, **money)
