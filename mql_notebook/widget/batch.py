"""``Batch``: many requests from a notebook cell, recorded in the library, never paid twice.

>>> b = Batch(["A red fox in snow", "A paper boat"], model="sora", duration=5)
>>> b = Batch.from_file("prompts.txt")            # the command line's format (parse_batch)
>>> b = Batch([{"prompt": "A fox", "seed": 1}, {"prompt": "A fox", "seed": 2}])
>>> b = Batch.sweep(prompt="A fox", model=["sora", "veo-3"], seed=range(4))  # 8 requests
>>> b                                              # the grid (widget/batch_grid.py)
>>> b.start()                                      # runs in the background; or:
>>> runs = await b.run()                           # one LineRun per request, in order
>>> b.compare()                                    # a Gallery: a sweep as a grid (model x seed)

Every request is checked before anything is sent. Each carries the same stable key as a line of
``mql-notebook batch`` (batch/lines.py: the batch's ``name``, the request, how many identical
requests came before it), kept in the library: running the cell again, in this kernel or a
fresh one, creates nothing already created (finished lines are skipped, running ones waited
for) and sends only the rest. The default name is ``"notebook"`` for a list or a sweep (so a
list that grows, or a request met again in another batch, is not paid again; give ``name=``
for a fresh set of jobs), and the file's absolute path for a file, as the command line does (a
file run there resumes here). The adaptive concurrency and money answers are the command
line's (batch/runner.py).
"""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..batch.lines import BatchFileError, BatchLine, batch_id, checked_lines, parse_batch
from ..batch.money import estimate_lines, to_create
from ..batch.runner import LineRun, entries_by_key, run_lines
from ..errors import ConfigurationError, InvalidRequestError

if TYPE_CHECKING:
    from ..client import MQL, AsyncMQL
    from ..money import Budget, Estimate
    from .batch_grid import BatchGrid
    from .gallery import Gallery

DEFAULT_NAME = "notebook"
DEFAULT_CONCURRENCY = 8
MAX_CONCURRENCY = 1000
NEEDS_LIBRARY = (
    "a Batch needs the library: it is how running the cell again knows which requests it "
    "already created, so that none is ever paid twice; give the client a library "
    "(AsyncMQL(library=...)) or unset MQL_LIBRARY=off"
)
NO_LOOP = (
    "a Batch runs on a running event loop: use it in a notebook cell (b.start() or "
    "`await b.run()`), or inside async code"
)


class Batch:
    """Requests to run together: ``await b.run()``; displayed, a grid of live cells."""

    def __init__(
        self,
        requests: Iterable[str | Mapping[str, Any]] | os.PathLike[str],
        *,
        name: str = DEFAULT_NAME,
        concurrency: int = DEFAULT_CONCURRENCY,
        retry_failed: bool = False,
        client: AsyncMQL | MQL | None = None,
        budget: Budget | Mapping[str, Any] | None = None,
        **defaults: Any,
    ) -> None:
        if isinstance(requests, os.PathLike):  # Batch(Path("prompts.txt")): from_file's reading
            lines, name = _file_lines(requests, None if name == DEFAULT_NAME else name, defaults)
            self._init(lines, name, concurrency, retry_failed, (client, budget))
            return
        if isinstance(requests, (str, bytes, Mapping)):
            raise _refused(
                "requests",
                requests,
                "a list of prompts or of request dicts",
                "Batch takes a list of prompts or of request dicts (or Batch.from_file(path), "
                f"Batch.sweep(...)), not a single {type(requests).__name__}",
            )
        numbered = [(i, _fields(i, r)) for i, r in enumerate(requests, start=1)]
        lines = _checked(numbered, name, defaults)
        self._init(lines, name, concurrency, retry_failed, (client, budget))

    def _init(
        self,
        lines: list[BatchLine],
        name: str,
        concurrency: int,
        retry_failed: bool,
        client_and_budget: tuple[Any, Any],
        labels: list[str] | None = None,
    ) -> None:
        client, budget = client_and_budget
        if client is not None and budget is not None:
            raise ConfigurationError(
                "a Batch given a client keeps the client's budget: pass budget= to "
                "AsyncMQL(...) / MQL(...) instead"
            )
        if not isinstance(concurrency, int) or not 1 <= concurrency <= MAX_CONCURRENCY:
            raise _refused(
                "concurrency",
                concurrency,
                f"an int from 1 to {MAX_CONCURRENCY}",
                f"concurrency must be an int from 1 to {MAX_CONCURRENCY}, not {concurrency!r}",
            )
        if not lines:
            raise _refused("requests", [], "at least one", "a Batch needs at least one request")
        self.name = name
        self.concurrency = concurrency
        self.retry_failed = retry_failed
        self.lines = lines
        self.labels = labels or [line.prompt for line in lines]
        self.varied: list[str] = []  # a sweep's varied fields, in its order (Batch.sweep)
        self.id = batch_id(name, lines)  # what its entries record (Entry.batch)
        self.runs = [LineRun(i, line) for i, line in enumerate(lines)]
        self._client = client
        self._budget = budget
        self.estimated: Estimate | None = None  # what the last run expected its creates to cost
        self._task: asyncio.Task[list[LineRun]] | None = None
        self._grid: BatchGrid | None = None

    @classmethod
    def from_file(
        cls,
        path: str | os.PathLike[str],
        *,
        name: str | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        retry_failed: bool = False,
        client: AsyncMQL | MQL | None = None,
        budget: Budget | Mapping[str, Any] | None = None,
        **defaults: Any,
    ) -> Batch:
        """A prompts file in the command line's format: a prompt, or a JSON object, per line;
        blank lines and ``#`` comments skipped. Its name defaults to the file's absolute path,
        as ``mql-notebook batch FILE`` names it: either resumes what the other started."""
        lines, name = _file_lines(path, name, defaults)
        batch = cls.__new__(cls)
        batch._init(lines, name, concurrency, retry_failed, (client, budget))
        return batch

    @classmethod
    def sweep(
        cls,
        *,
        name: str = DEFAULT_NAME,
        concurrency: int = DEFAULT_CONCURRENCY,
        retry_failed: bool = False,
        client: AsyncMQL | MQL | None = None,
        budget: Budget | Mapping[str, Any] | None = None,
        **values: Any,
    ) -> Batch:
        """Every combination of the values: a list, tuple or range is varied, anything else
        (a string, a number) is the same in every request. ``Batch.sweep(prompt="A fox",
        model=["sora", "veo-3"], seed=range(3))`` is 6 requests, the last field varying fastest."""
        varied = {k: list(v) for k, v in values.items() if _is_axis(v)}
        fixed = {k: v for k, v in values.items() if not _is_axis(v)}
        for key, axis in varied.items():
            if not axis:
                raise _refused(key, axis, "at least one value", f"sweep: {key} has no values")
        combos = [
            dict(zip(varied, combo, strict=True)) for combo in itertools.product(*varied.values())
        ]
        numbered = [(i, {**fixed, **combo}) for i, combo in enumerate(combos, start=1)]
        for number, fields in numbered:
            _fields(number, fields)
        labels = [" · ".join(f"{k}={v}" for k, v in combo.items()) for combo in combos]
        batch = cls.__new__(cls)
        lines = _checked(numbered, name, {})
        labelled = labels if varied else None
        batch._init(lines, name, concurrency, retry_failed, (client, budget), labelled)
        batch.varied = list(varied)
        return batch

    # ---- running ----

    def start(self) -> asyncio.Task[list[LineRun]]:
        """Run in the background (the cell ends at once; the grid keeps answering clicks).
        Started already: the same task. Await it, or ``await b.run()``, for the runs."""
        if self._task is not None and not _ended_early(self._task):
            return self._task  # running, or done: the same runs
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError(NO_LOOP) from None
        if self._task is not None:  # cancelled or failed: again (nothing created is sent again)
            self.runs = [LineRun(i, line) for i, line in enumerate(self.lines)]
            if self._grid is not None:
                self._grid.reset(self.runs)
        self._task = loop.create_task(self._go(), name=f"mql-batch-{self.name}")
        return self._task

    async def run(self) -> list[LineRun]:
        """Every request to its end (a ``LineRun`` each, in order: ``status``, ``generation``,
        ``video``, ``message``). Done already: the same runs; cancelled: it runs again (nothing
        already created is sent again). While the grid is shown, prefer ``b.start()``: a cell that awaits holds the kernel, so
        the grid's clicks wait for it to end."""
        return await self.start()

    def cancel(self, index: int | None = None) -> bool:
        """Stop waiting for every line, or for line ``index`` alone (jobs already created keep
        running on the server: run again to pick them up); False when nothing runs."""
        if self._task is None or self._task.done():
            return False
        if index is not None:
            return 0 <= index < len(self.runs) and self.runs[index].cancel()
        self._task.cancel()
        return True

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def estimate(self) -> Estimate:
        """What this run's creates are expected to cost, sending nothing: the requests the
        library does not show created already (``Estimate.text()``: "$3.00 (6 videos, 30 s)")."""
        client, owned = _client_of(self._client, self._budget)
        try:
            known = await asyncio.to_thread(_known, client)
            return await estimate_lines(client, to_create(self.lines, known))
        finally:
            if owned:
                await client.aclose()

    async def _go(self) -> list[LineRun]:
        reason = ""
        try:
            client, owned = _client_of(self._client, self._budget)
            try:
                known = await asyncio.to_thread(_known, client)
                sent = to_create(self.lines, known, retry_failed=self.retry_failed)
                self.estimated = await estimate_lines(client, sent)
                if self._grid is not None:
                    self._grid.estimated(len(sent), self.estimated.text())
                return await run_lines(
                    client,
                    self.runs,
                    concurrency=self.concurrency,
                    retry_failed=self.retry_failed,
                    on_change=self._changed,
                    known=known,
                    batch=self.id,
                )
            finally:
                if owned:
                    await client.aclose()
        except asyncio.CancelledError:
            reason = "cancelled"
            raise
        except Exception as error:
            reason = str(error)
            raise
        finally:
            if self._grid is not None:
                self._grid.ended(reason)

    def _changed(self, run: LineRun) -> None:
        if self._grid is not None:
            self._grid.changed(run)

    # ---- display ----

    def compare(
        self, rows: str | Sequence[str] | None = None, cols: str | Sequence[str] | None = None
    ) -> Gallery:
        """The done requests compared in sync, in the gallery: a sweep as a grid, rows and
        columns by its varied fields (the last one across, the others down, unless ``rows``
        and ``cols`` are given), their values as the headings. Blocks (the index) briefly."""
        from .gallery import Gallery

        keys = [r.generation_id for r in self.runs if r.ok and r.generation_id]
        if len(keys) < 2:
            raise RuntimeError(f"{len(keys)} request(s) done: compare needs two; run it first")
        if rows is None and cols is None and self.varied:
            rows, cols = self.varied[:-1], self.varied[-1:]
        gallery = Gallery(_library_of(self._client))
        gallery.compare(keys, rows=rows, cols=cols)
        return gallery

    @property
    def grid(self) -> BatchGrid:
        """The grid widget showing this batch (made on first use)."""
        if self._grid is None:
            from .batch_grid import BatchGrid

            self._grid = BatchGrid(self)
        return self._grid

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.grid._repr_mimebundle_(**kwargs)

    def __len__(self) -> int:
        return len(self.lines)

    def __repr__(self) -> str:
        done = sum(1 for r in self.runs if r.ok)
        return f"Batch(name={self.name!r}, {len(self.lines)} requests, {done} done)"


def _file_lines(
    path: str | os.PathLike[str], name: str | None, defaults: Mapping[str, Any]
) -> tuple[list[BatchLine], str]:
    file = Path(path).expanduser()
    text = file.read_text(encoding="utf-8")
    name = name or str(file.resolve())
    try:
        return parse_batch(text, name=name, defaults=_defaults(defaults)), name
    except BatchFileError as error:
        raise _refused(
            "line", error.line, "a prompt or a JSON object", f"{file}: {error}"
        ) from None


def _is_axis(value: Any) -> bool:
    return isinstance(value, (list, tuple, range))


def _fields(number: int, request: Any) -> dict[str, Any]:
    if isinstance(request, str):
        return {"prompt": request}
    if isinstance(request, Mapping):
        if "prompt" not in request:
            raise _refused("prompt", None, "a prompt", f"request {number}: needs a 'prompt'")
        return {str(k): v for k, v in request.items() if v is not None}
    raise _refused(
        "request",
        request,
        "a prompt (str) or a request (dict)",
        f"request {number}: a prompt (str) or a request (dict), not {type(request).__name__}",
    )


def _defaults(defaults: Mapping[str, Any]) -> dict[str, Any]:
    from .client_lifecycle import default_model

    return {"model": default_model(None), **defaults}


def _checked(
    numbered: Sequence[tuple[int, dict[str, Any]]], name: str, defaults: Mapping[str, Any]
) -> list[BatchLine]:
    try:
        return checked_lines(numbered, name=name, defaults=_defaults(defaults))
    except BatchFileError as error:
        cause = error.__cause__
        if isinstance(cause, InvalidRequestError):
            message = f"request {error.line}: {cause}"
            raise _refused(cause.field, cause.value, cause.allowed, message) from None
        raise _refused("request", None, "a request", f"request {error}") from None


def _refused(field: str, value: Any, allowed: Any, message: str) -> InvalidRequestError:
    """An InvalidRequestError (its field, value and what is allowed) with the batch's message."""
    error = InvalidRequestError(field, value, allowed)
    error.args = (f"{message}; nothing was sent",)
    return error


def _ended_early(task: asyncio.Task[Any]) -> bool:
    return task.done() and (task.cancelled() or task.exception() is not None)


def _known(client: AsyncMQL) -> dict[str, Any]:
    assert client.library is not None and client.recorder is not None
    return entries_by_key(client.library, client.recorder.origin)


def _client_of(given: Any, budget: Any = None) -> tuple[AsyncMQL, bool]:
    """The client to run with, and whether it is this batch's own (closed at the end): the
    one given (its library), else one from the environment recording into ``Library()``."""
    from ..client import AsyncMQL, as_async_client
    from ..library import FROM_ENVIRONMENT, resolve_library

    if given is not None:
        client = as_async_client(given)
        if client.library is None:
            raise ConfigurationError(NEEDS_LIBRARY)
        return client, False
    library = resolve_library(FROM_ENVIRONMENT, on_by_default=True)
    if library is None:
        raise ConfigurationError(NEEDS_LIBRARY)
    return AsyncMQL(library=library, budget=budget), True


def _library_of(given: Any) -> Any:
    """The library this batch records into: its client's, else the environment's."""
    from ..client import as_async_client
    from ..library import FROM_ENVIRONMENT, resolve_library

    library = as_async_client(given).library if given is not None else None
    library = library or resolve_library(FROM_ENVIRONMENT, on_by_default=True)
    if library is None:
        raise ConfigurationError(NEEDS_LIBRARY)
    return library
