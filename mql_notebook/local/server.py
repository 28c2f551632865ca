"""Serving the emulator over real HTTP: in a background thread (LocalServer) or in the foreground (serve)."""

from __future__ import annotations

import asyncio
import atexit
import inspect
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar

import uvicorn

from .._constants import DEFAULT_MAX_IMAGE_BYTES
from .billing import Billing
from .emulator import Emulator
from .faults import Faults
from .jobs import DEFAULT_MAX_JOBS, DEFAULT_PACE, DEFAULT_TTL
from .limits import Limits
from .model_args import models_from_environ
from .models import ModelsLike
from .requestlog import RequestLog, RequestRecord
from .serving import bind_socket, make_server, quiet_uvicorn_loggers, serve_both, url_for
from .storage import DEFAULT_SIGNED_URL_TTL, SignedStorage, make_storage
from .videos import DEFAULT_MAX_VIDEO_BYTES
from .vocabulary import VocabularyLike

PACE_ENV = "MQL_LOCAL_PACE"
START_TIMEOUT = 10.0


T = TypeVar("T")
R = TypeVar("R")
P = ParamSpec("P")


class _OfEmulator(Generic[T]):
    """A setting the emulator holds, read and set through the server (``server.pace = 0.5``)."""

    def __init__(self, doc: str, convert: Callable[[Any], T] | None = None) -> None:
        self.__doc__ = doc
        self._convert = convert

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    def __get__(self, server: LocalServer | None, owner: type | None = None) -> T:
        if server is None:
            return self  # type: ignore[return-value]  # the class's attribute: this descriptor
        return getattr(server.emulator, self._name)

    def __set__(self, server: LocalServer, value: T) -> None:
        setattr(
            server.emulator, self._name, value if self._convert is None else self._convert(value)
        )


class _OfLog(Generic[P, R]):
    """A call of the emulator's request log made through the server (``server.count(...)``):
    the log's own method, with its signature and docs."""

    def __init__(self, method: Callable[Concatenate[RequestLog, P], R]) -> None:
        self.__doc__ = method.__doc__
        self._name = method.__name__

    def __get__(self, server: LocalServer | None, owner: type | None = None) -> Callable[P, R]:
        if server is None:
            return self  # type: ignore[return-value]  # the class's attribute: this descriptor
        return getattr(server.emulator.log, self._name)


class LocalServer:
    """The emulator on a free loopback port, served by uvicorn from a background thread.

    ``with LocalServer(pace=1) as server: ... server.url ...``. The server has its own
    event loop in its own thread, so it works the same from a script, from inside a
    running asyncio loop and from a Jupyter kernel. ``start()`` returns once connections
    are accepted; ``stop()`` waits for the thread to end and releases the port.

    ``pace``: seconds from create to completed (0: as soon as the video is rendered).
    ``vocabulary``: the status dialect (see ``VOCABULARIES``), settable at runtime.
    ``progress``: False for status objects without a ``progress`` field; settable at runtime.
    ``fault_seed``: seeds the fault injection (``faults``), for reproducible faults (a create
    request's own ``seed`` is another thing: it picks what the video looks like).
    ``api_key``: accept only this key (by default any key starting ``mql_``).
    ``ttl``, ``max_jobs``, ``max_video_bytes``: the memory bounds.
    ``storage``: where the video bytes live. ``"api"`` (default): the content endpoint serves
    them. ``"redirect"``: it answers ``redirect_status`` (302) to a signed URL on a second
    loopback origin (``storage_url``) that expires after ``signed_url_ttl`` seconds (403 with
    an XML body). ``"download_url"``: the content endpoint answers 404 and the completed
    object's ``download_url`` is the signed URL. ``storage_chunked``: storage sends no
    Content-Length. ``storage_requests`` logs what storage received, headers included.
    ``concurrency_cap``, ``content_lag``, ``final_answer``, ``moderation``: limits, lags and
    refusals of real gateways (``local.limits``; ``server.limits`` changes them while serving).
    ``models``, ``retired_models``: the served models (names or ``{name: ModelSpec | dict}``;
    default ``local.models.DEFAULT_CATALOGUE``) and those that answer ``410 model_retired``.
    ``billing``: a cost in each answer (``{"per_second": 0.1, "style": "usage"|"cost", "when":
    "completed"|"always", "currency", "per_video", "bill_failed"}``; default none), settable.
    ``plan``: what ``GET /v1/user/subscription-status`` says (``{"tier", "limits", "features"}``;
    usage counts what each key created; default unlimited).
    """

    def __init__(
        self,
        pace: float = DEFAULT_PACE,
        *,
        vocabulary: VocabularyLike = "api",
        fault_seed: int | str | None = None,
        api_key: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: Faults | Mapping[str, Any] | None = None,
        ttl: float = DEFAULT_TTL,
        max_jobs: int = DEFAULT_MAX_JOBS,
        max_video_bytes: int = DEFAULT_MAX_VIDEO_BYTES,
        storage: str = "api",
        signed_url_ttl: float = DEFAULT_SIGNED_URL_TTL,
        storage_chunked: bool = False,
        redirect_status: int = 302,
        models: ModelsLike | None = None,
        retired_models: Iterable[str] = (),
        progress: bool = True,
        max_image_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
        billing: Billing | Mapping[str, Any] | None = None,
        plan: Mapping[str, Any] | None = None,
        concurrency_cap: int | None = None,
        content_lag: float = 0.0,
        final_answer: str | None = None,
        moderation: Mapping[str, str] | None = None,
    ):
        # The emulator's own settings go straight on: its signature and this one name them.
        passed_on = {k: v for k, v in locals().items() if k in _PASSED_ON}
        self.emulator = Emulator(
            **passed_on,
            storage=make_storage(
                storage,
                signed_url_ttl=signed_url_ttl,
                storage_chunked=storage_chunked,
                redirect_status=redirect_status,
            ),
            limits=Limits(
                concurrency=concurrency_cap,
                content_lag=content_lag,
                final=final_answer,
                moderation=moderation,
            ),
        )
        if fault_seed is not None:
            self.emulator.faults.reseed(fault_seed)
        self.host = host
        self.port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._url: str | None = None
        self._lock = threading.Lock()

    # -- lifecycle -----------------------------------------------------------------

    def start(self) -> LocalServer:
        with self._lock:
            if self._thread is not None:
                return self
            quiet_uvicorn_loggers()
            sock = bind_socket(self.host, self.port)
            store = self.emulator.storage
            store_sock = bind_socket(self.host, 0) if store is not None else None
            if store is not None and store_sock is not None:
                store.base_url = url_for(store_sock)
            started = threading.Event()
            waiting = [2 if store_sock else 1]  # both origins must accept before start() returns

            def one_started() -> None:
                waiting[0] -= 1
                if not waiting[0]:
                    started.set()

            failure: list[BaseException] = []
            server = make_server(self.emulator, quiet=True, on_started=one_started)
            store_server = (
                make_server(self.emulator, quiet=True, on_started=one_started, storage=True)
                if store_sock
                else None
            )

            def run() -> None:
                loop = asyncio.new_event_loop()
                try:
                    loop.run_until_complete(serve_both(server, sock, store_server, store_sock))
                except BaseException as err:  # SystemExit from a failed startup included
                    failure.append(err)
                finally:
                    started.set()
                    loop.close()
                    sock.close()
                    if store_sock is not None:
                        store_sock.close()

            thread = threading.Thread(
                target=run, name=f"mql-local-server-{url_for(sock)}", daemon=True
            )
            thread.start()
            if not started.wait(START_TIMEOUT) or failure or waiting[0]:
                server.should_exit = True
                thread.join(START_TIMEOUT)
                raise RuntimeError(
                    f"the local emulator did not start: {failure[0] if failure else 'timeout'}"
                )
            self._url = url_for(sock)
            self.port = sock.getsockname()[1]
            self._server, self._thread = server, thread
            return self

    def stop(self) -> None:
        """Stop serving (in-flight requests get up to 2 s), end the thread, release the port; idempotent."""
        with self._lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
            if server is None or thread is None:
                return
            server.should_exit = True
            thread.join(10)
            if thread.is_alive():  # a request that would not end: cut everything
                server.force_exit = True
                thread.join(5)
            self.emulator.close()

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``, the base URL to give a client (no trailing slash)."""
        if self._url is None:
            raise RuntimeError(
                "the local emulator is not started: use `with LocalServer() as server:` or start()"
            )
        return self._url

    def __repr__(self) -> str:
        where = self._url if self.running else "stopped"
        return f"LocalServer({where}, pace={self.pace:g}, vocabulary={self.vocabulary!r})"

    # -- settings ------------------------------------------------------------------

    @property
    def limits(self) -> Limits:
        """Concurrency cap, content lag, final answers, moderation (``local.limits``)."""
        return self.emulator.limits

    @property
    def faults(self) -> Faults:
        """The fault injection settings, changeable while serving (see :class:`Faults`)."""
        return self.emulator.faults

    pace: _OfEmulator[float] = _OfEmulator("The pace given as ``LocalServer(pace=...)``; settable.")
    progress: _OfEmulator[bool] = _OfEmulator(
        "False: status objects carry no ``progress`` field, as some gateways send; settable.", bool
    )
    vocabulary: _OfEmulator[VocabularyLike] = _OfEmulator("The status words sent; settable.")

    def retire_models(self, models: Iterable[str]) -> None:
        """From now on these answer ``410 model_retired`` (replaces the earlier list)."""
        self.emulator.retire_models(models)

    @property
    def billing(self) -> Billing | None:
        """The cost each answer reports (None: no cost in answers); settable with a dict."""
        return self.emulator.billing

    @billing.setter
    def billing(self, value: Billing | Mapping[str, Any] | None) -> None:
        self.emulator.update_settings({"billing": value})

    def set_plan(self, plan: Mapping[str, Any] | None) -> None:
        """What subscription-status answers from now on (None: unlimited); usage is kept."""
        self.emulator.plan.set(plan)

    # -- the request log -----------------------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        """Every API request received so far (oldest first; admin requests are not included)."""
        return self.emulator.log.records()

    def clear_requests(self) -> None:
        self.emulator.log.clear()
        self.emulator.storage_log.clear()

    @property
    def storage_requests(self) -> list[RequestRecord]:
        """Every request the storage origin received, with its headers (``storage="redirect"``)."""
        return self.emulator.storage_log.records()

    @property
    def storage(self) -> SignedStorage | None:
        """The storage origin's settings (None for ``storage="api"``): ``base_url``, ``ttl``,
        ``chunked``, ``detour``, and ``expire_all()`` to expire every URL handed out so far."""
        return self.emulator.storage

    count = _OfLog(RequestLog.count)  # server.count("POST", ...), server.count(endpoint="create")

    def wait_for_requests(
        self, n: int, *, timeout: float = 5.0, **criteria: Any
    ) -> list[RequestRecord]:
        """Wait until ``n`` requests matching ``criteria`` (as for ``count``) are logged; returns the log."""
        if not self.emulator.log.wait_for(n, timeout, **criteria):
            raise TimeoutError(
                f"{self.count(**criteria)} of {n} requests matching {criteria} after {timeout} s"
            )
        return self.requests


# -- the process-wide server -------------------------------------------------------------

_shared: LocalServer | None = None
_shared_lock = threading.Lock()


def shared_server(**options: Any) -> LocalServer:
    """One started emulator for the whole process (``MQL_BASE_URL=local`` uses it).

    Started on the first call with ``options`` (as for :class:`LocalServer`; the pace comes
    from the ``pace`` option, else the ``MQL_LOCAL_PACE`` environment variable, else 6 s),
    reused by later calls (their options are ignored), stopped when the interpreter exits.
    """
    global _shared
    with _shared_lock:
        if _shared is not None and _shared.running:
            return _shared
        if "pace" not in options and os.environ.get(PACE_ENV):
            try:
                options["pace"] = float(os.environ[PACE_ENV])
            except ValueError:
                raise ValueError(
                    f"{PACE_ENV}={os.environ[PACE_ENV]!r} is not a number of seconds"
                ) from None
        if "models" not in options:  # MQL_LOCAL_MODELS adds models (see local.model_args)
            options["models"] = models_from_environ(os.environ)
        server = LocalServer(**options).start()
        if _shared is None:
            atexit.register(_stop_shared)
        _shared = server
        return server


def _stop_shared() -> None:
    with _shared_lock:
        if _shared is not None:
            _shared.stop()


# LocalServer's settings that are the emulator's too, passed on as given (``storage`` is a
# kind there and an object here; the limits are flat here).
_PASSED_ON = (
    frozenset(inspect.signature(LocalServer).parameters)
    & frozenset(inspect.signature(Emulator).parameters)
) - {"storage", "limits"}
