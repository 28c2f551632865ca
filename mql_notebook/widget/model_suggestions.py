"""The models the widget's model box suggests (any other id may still be typed), in order:
the models the local emulator serves (when the client talks to one), the models the library
has used, the client's ``extra_models`` and the known ids (``request.KNOWN_MODELS``).

``read_models`` blocks (the library's index, one small HTTP request to a loopback emulator)
and is meant for a worker thread when the kernel's loop is the caller; ``form_choices`` puts
the list first among the known ids.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import httpx

from .._constants import ENV_BASE_URL

if TYPE_CHECKING:
    from ..library import Library

log = logging.getLogger("mql_notebook")
T = TypeVar("T")

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
# The emulator's own settings route (local/app.py): its catalogue, never recorded as an API
# request and never faulted. Only a loopback server is asked: that is where an emulator runs.
EMULATOR_SETTINGS = "/_emulator/settings"
EMULATOR_TIMEOUT = 1.0  # seconds: a loopback answer is immediate or there is no emulator


def base_url_of(client: Any) -> str:
    """The server a widget's client talks to (or would, built from the environment)."""
    if client is not None:
        settings = getattr(client, "settings", None)
        return str(getattr(settings, "base_url", "") or "")
    return os.environ.get(ENV_BASE_URL, "").strip()


def extra_models(client: Any) -> tuple[str, ...]:
    """The ids a client's ``extra_models`` setting adds to the suggestions."""
    settings = getattr(client, "settings", None)
    return tuple(getattr(settings, "extra_models", ()) or ())


def emulator_models(base_url: str) -> list[str]:
    """The models a local emulator at ``base_url`` serves; [] for any other server."""
    if urlsplit(base_url).hostname not in LOOPBACK_HOSTS:
        return []
    try:
        answer = httpx.get(base_url.rstrip("/") + EMULATOR_SETTINGS, timeout=EMULATOR_TIMEOUT)
        models = answer.json().get("models") if answer.status_code == 200 else None
    except (httpx.HTTPError, ValueError, AttributeError):
        return []  # another loopback server, or none: nothing to add
    return [m for m in models if isinstance(m, str)] if isinstance(models, list) else []


def library_models(library: Library | None) -> list[str]:
    """The models of the library's entries, the latest used first (none before its index)."""
    if library is None or not library.index_path.exists():
        return []
    try:
        return library.models()
    except Exception as exc:  # an index another process broke: no suggestions from it
        log.warning("the widget could not read the models of %s: %s", library.path, exc)
        return []


def read_models(client: Any, library: Library | None) -> list[str]:
    """Blocking: every model to suggest before the known ids, without repeats."""
    found = [*emulator_models(base_url_of(client)), *library_models(library)]
    return list(dict.fromkeys([*found, *extra_models(client)]))


def soon(read: Callable[[], T], then: Callable[[T], object], tasks: set[Any]) -> None:
    """``then(read())``: ``read`` in a worker thread when the kernel's loop runs (the task kept
    in ``tasks`` until done), else both now."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        then(read())
        return

    async def in_thread() -> None:
        then(await asyncio.to_thread(read))

    task = loop.create_task(in_thread())
    tasks.add(task)
    task.add_done_callback(tasks.discard)
