"""Fault injection settings: what goes wrong, where, how often, reproducibly.

Four endpoints can misbehave ("create", "status", "content", and "storage", the signed
URLs of ``LocalServer(storage="redirect")``), each with its own
settings (:class:`EndpointFaults`), and jobs can fail or stall (:class:`JobFaults`).
Probabilities are drawn from one ``random.Random`` per endpoint, seeded from the
``fault_seed``: with the same fault seed and the same requests to an endpoint, the same faults
happen, whatever the interleaving with the other endpoints. (It is not the create request's
``seed``, which picks what a video looks like.)

Besides probabilities, a script queues one-shot faults for the next requests
(``faults.script("create", ["drop", "ok", "rate_limit:3"])``) or the next jobs
(``faults.script("job", ["fail"])``); a script entry wins over the probabilities.

An outage (``faults.outage("status", seconds=15, kind="503_html")``, see :mod:`.outages`)
fails every request of an endpoint for a while, and wins over scripts and probabilities.

A prompt containing ``[[fail]]`` or ``[[stall]]`` makes that job fail or never finish,
so a person in a browser can trigger them without access to the server object.

Settings can be given as objects, as a dict (the JSON of ``POST /_emulator/faults``)
or as ``"endpoint.setting=value"`` strings (the CLI's ``--fault``).
"""

from __future__ import annotations

import random
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from .fault_checks import (
    ENDPOINT_KINDS,
    JOB_KINDS,  # noqa: F401 (re-exported)
    SERVER_ERROR_STATUSES,
    check_script_entry,
    check_setting,
    number,
)
from .outages import Outages

ENDPOINTS: tuple[str, ...] = ("create", "status", "content", "storage")
TARGETS: tuple[str, ...] = (*ENDPOINTS, "job")

FAIL_MARKER = "[[fail]]"
STALL_MARKER = "[[stall]]"


@dataclass
class EndpointFaults:
    """How one endpoint misbehaves. Probabilities are per request, from 0 to 1."""

    latency: float = 0.0
    """Seconds added before every answer (also before a fault)."""
    rate_limit: float = 0.0
    """429 with a ``Retry-After`` header; the request is not processed."""
    retry_after: float = 1.0
    """The ``Retry-After`` value, in seconds."""
    retry_after_format: str = "seconds"
    """``"seconds"`` (``Retry-After: 1``) or ``"date"`` (an HTTP-date that far ahead)."""
    server_error: float = 0.0
    """500 (JSON error), 502 or 503 (an HTML page, as a proxy in front would send)."""
    overloaded: float = 0.0
    """529 with a JSON ``overloaded`` error."""
    drop: float = 0.0
    """The connection closes without an answer. For create the job IS created first: the answer was lost."""
    truncate: float = 0.0
    """Headers with the full ``Content-Length``, then part of the body, then the connection closes."""

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, check_setting(name, value))

    def total(self) -> float:
        return sum(getattr(self, kind) for kind in ENDPOINT_KINDS)


@dataclass
class JobFaults:
    """How created jobs misbehave. Probabilities are per created job."""

    fail: float = 0.0
    """The job ends failed, with an error object, at about half its pace."""
    stall: float = 0.0
    """The job never finishes: it stays processing with its progress frozen."""

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, check_setting(name, value))


@dataclass(frozen=True)
class Fault:
    """One decision for one request: what to do (``kind``) and its details."""

    kind: str  # rate_limit, server_error, overloaded, drop, truncate, refused (outages)
    latency: float = 0.0
    status: int | None = None  # server_error's status
    retry_after: float | None = None
    retry_after_format: str = "seconds"
    fraction: float = 0.5  # truncate: how much of the body is sent
    scripted: bool = False
    outage: bool = False  # part of an outage (see ``outages``)

    @property
    def label(self) -> str:
        label = f"{self.kind}:{self.status}" if self.status else self.kind
        return f"outage:{label}" if self.outage else label


class Faults:
    """The emulator's fault settings; thread-safe, shared by the server and its owner."""

    def __init__(
        self,
        fault_seed: int | str | None = None,
        *,
        create: EndpointFaults | Mapping[str, Any] | None = None,
        status: EndpointFaults | Mapping[str, Any] | None = None,
        content: EndpointFaults | Mapping[str, Any] | None = None,
        storage: EndpointFaults | Mapping[str, Any] | None = None,
        job: JobFaults | Mapping[str, Any] | None = None,
    ):
        self._lock = threading.RLock()
        self.create = _endpoint(create)
        self.status = _endpoint(status)
        self.content = _endpoint(content)
        self.storage = _endpoint(storage)
        self.job = job if isinstance(job, JobFaults) else JobFaults(**dict(job or {}))
        self._scripts: dict[str, deque[str]] = {target: deque() for target in TARGETS}
        self.outages = Outages()
        self.reseed(fault_seed)

    # -- configuration -------------------------------------------------------------

    def reseed(self, fault_seed: int | str | None) -> None:
        """Restart every endpoint's random sequence from ``fault_seed`` (None: unpredictable)."""
        with self._lock:
            self.fault_seed = fault_seed
            self._rngs = {
                target: random.Random(None if fault_seed is None else f"{fault_seed}:{target}")
                for target in TARGETS
            }

    def set(self, target: str, **settings: Any) -> None:
        """``faults.set("create", rate_limit=0.2, latency=0.1)``; target ``"*"`` means every endpoint."""
        with self._lock:
            for name in _targets(target):
                config = getattr(self, name)
                for key, value in settings.items():
                    if key not in _field_names(config):
                        raise ValueError(
                            f"unknown fault setting {name}.{key}; {name} has {', '.join(_field_names(config))}"
                        )
                    setattr(config, key, value)

    def apply(self, *specs: str) -> None:
        """Apply ``"create.rate_limit=0.2"``-style strings (the CLI's ``--fault``)."""
        for spec in specs:
            target, key, value = parse_fault_spec(spec)
            self.set(target, **{key: value})

    def script(self, target: str, entries: Iterable[str]) -> None:
        """Queue one-shot faults for the next requests of ``target`` (or the next jobs for ``"job"``).

        Endpoint entries: ``ok``, ``rate_limit``, ``rate_limit:<seconds>``, ``server_error``,
        ``server_error:<500|502|503>``, ``overloaded``, ``drop``, ``truncate``, ``latency:<seconds>``,
        ``minimax:<code>`` (a 200 whose ``base_resp`` carries that code: minimax_codes.py).
        Job entries: ``ok``, ``fail``, ``stall``.
        """
        entries = list(entries)
        for target_name in _targets(target, allow_job=True):
            for entry in entries:
                check_script_entry(target_name, entry)
        with self._lock:
            for target_name in _targets(target, allow_job=True):
                self._scripts[target_name].extend(entries)

    def minimax_error(self, code: int, endpoint: str = "create", times: int = 1) -> None:
        """The next ``times`` requests of ``endpoint`` (create, status: the task's query,
        content: its file object) answer 200 with ``base_resp.status_code`` = ``code``."""
        self.script(endpoint, [f"minimax:{int(code)}"] * times)

    def outage(
        self, endpoint: str = "status", seconds: float = 15.0, kind: str = "503_html"
    ) -> None:
        """Fail every request to ``endpoint`` (or ``"*"``) for ``seconds``: see :mod:`.outages`."""
        self.outages.start(endpoint, seconds, kind)

    def scripted(self) -> dict[str, list[str]]:
        with self._lock:
            return {target: list(queue) for target, queue in self._scripts.items() if queue}

    def reset(self) -> None:
        """No faults at all (the fault seed is kept, its sequences restarted)."""
        with self._lock:
            for endpoint in ENDPOINTS:
                setattr(self, endpoint, EndpointFaults())
            self.job = JobFaults()
            for queue in self._scripts.values():
                queue.clear()
            self.outages.clear()
            self.reseed(self.fault_seed)

    def update(self, config: Mapping[str, Any]) -> None:
        """Apply the JSON shape of ``to_dict()``; keys left out are left alone.

        ``{"reset": true, "fault_seed": 1, "create": {"rate_limit": 0.2}, "job": {"fail": 0.5},
        "script": {"create": ["drop"]}}`` -- ``reset`` happens first, ``fault_seed`` next.
        """
        if not isinstance(config, Mapping):
            raise ValueError("fault settings must be a JSON object")
        unknown = set(config) - set(TARGETS) - {"*", "fault_seed", "reset", "script", "outage"}
        if unknown:
            renamed = " (the fault injection's seed is fault_seed)" if "seed" in unknown else ""
            raise ValueError(
                f"unknown fault settings {sorted(unknown)}{renamed}; "
                f"use {', '.join(TARGETS)}, '*', fault_seed, reset, script, outage"
            )
        with self._lock:
            if config.get("reset"):
                self.reset()
            if "fault_seed" in config:
                fault_seed = config["fault_seed"]
                if (
                    fault_seed is not None and not isinstance(fault_seed, (int, str))
                ) or isinstance(fault_seed, bool):
                    raise ValueError(
                        f"fault_seed must be an int, a string or null, not {fault_seed!r}"
                    )
                self.reseed(fault_seed)
            for target in ("*", *TARGETS):
                if target in config:
                    settings = config[target]
                    if not isinstance(settings, Mapping):
                        raise ValueError(f"fault settings for {target} must be an object")
                    self.set(target, **settings)
            script = config.get("script") or {}
            if not isinstance(script, Mapping):
                raise ValueError("script must be an object of target -> list of entries")
            for target, entries in script.items():
                if isinstance(entries, str) or not isinstance(entries, list):
                    raise ValueError(f"script for {target} must be a list of strings")
                self.script(target, entries)
            if "outage" in config:
                self.outages.start_from(config["outage"])

    def to_dict(self) -> dict[str, Any]:
        with self._lock:
            out: dict[str, Any] = {"fault_seed": self.fault_seed}
            for target in TARGETS:
                config = getattr(self, target)
                out[target] = {name: getattr(config, name) for name in _field_names(config)}
            out["script"] = self.scripted()
            out["outages"] = self.outages.to_dict()
            return out

    @property
    def active(self) -> bool:
        with self._lock:
            return (
                any(getattr(self, name) != EndpointFaults() for name in ENDPOINTS)
                or self.job != JobFaults()
                or any(self._scripts.values())
                or bool(self.outages.to_dict())
            )

    def __repr__(self) -> str:
        changed = {
            target: {k: v for k, v in values.items() if v != getattr(_DEFAULTS[target], k)}
            for target, values in self.to_dict().items()
            if target in TARGETS
        }
        changed = {k: v for k, v in changed.items() if v}
        return f"Faults(fault_seed={self.fault_seed!r}, {changed}, script={self.scripted()})"

    # -- decisions -----------------------------------------------------------------

    def decide(self, endpoint: str) -> Fault | None:
        """The fault for the next request to ``endpoint``, or None (no fault, no latency)."""
        with self._lock:
            config: EndpointFaults = getattr(self, endpoint)
            rng = self._rngs[endpoint]
            queue = self._scripts[endpoint]
            latency = config.latency
            down = self.outages.kind(endpoint)
            if down is not None:  # an outage beats scripts and probabilities alike
                return outage_fault(down, latency)
            if queue:
                entry = queue.popleft()
                kind, _, arg = entry.partition(":")
                if kind == "ok":
                    return Fault("none", latency=latency, scripted=True) if latency else None
                if kind == "latency":
                    return Fault("none", latency=latency + float(arg), scripted=True)
                return self._fault(kind, config, rng, latency, arg=arg, scripted=True)
            u = rng.random()
            threshold = 0.0
            for kind in ENDPOINT_KINDS:
                threshold += getattr(config, kind)
                if u < threshold:
                    return self._fault(kind, config, rng, latency)
            return Fault("none", latency=latency) if latency else None

    @staticmethod
    def _fault(
        kind: str,
        config: EndpointFaults,
        rng: random.Random,
        latency: float,
        *,
        arg: str = "",
        scripted: bool = False,
    ) -> Fault:
        if kind == "rate_limit":
            return Fault(
                kind,
                latency=latency,
                retry_after=float(arg) if arg else config.retry_after,
                retry_after_format=config.retry_after_format,
                scripted=scripted,
            )
        if kind == "minimax":  # status holds the base_resp code
            return Fault(kind, latency=latency, status=int(arg), scripted=scripted)
        if kind == "server_error":
            status = int(arg) if arg else rng.choice(SERVER_ERROR_STATUSES)
            return Fault(kind, latency=latency, status=status, scripted=scripted)
        if kind == "truncate":
            return Fault(kind, latency=latency, fraction=rng.uniform(0.2, 0.8), scripted=scripted)
        return Fault(kind, latency=latency, scripted=scripted)

    def decide_job(self, prompt: str) -> tuple[str | None, str]:
        """(``"fail"``, ``"stall"`` or None, why) for a job about to be created."""
        lowered = prompt.lower()
        if FAIL_MARKER in lowered:
            return "fail", f"the prompt contains {FAIL_MARKER}"
        if STALL_MARKER in lowered:
            return "stall", f"the prompt contains {STALL_MARKER}"
        with self._lock:
            queue = self._scripts["job"]
            if queue:
                entry = queue.popleft()
                return (None if entry == "ok" else entry), "scripted with faults.script('job', ...)"
            u = self._rngs["job"].random()
            if u < self.job.fail:
                return "fail", f"job.fail={self.job.fail:g}"
            if u < self.job.fail + self.job.stall:
                return "stall", f"job.stall={self.job.stall:g}"
            return None, ""


def outage_fault(kind: str, latency: float) -> Fault:
    """The answer to one request during an outage of ``kind`` (see ``outages.OUTAGE_KINDS``)."""
    if kind == "refused":
        return Fault("refused", latency=latency, outage=True)
    if kind == "529":
        return Fault("overloaded", latency=latency, outage=True)
    status = int(kind.removesuffix("_html"))
    return Fault("server_error", latency=latency, status=status, outage=True)


def parse_fault_spec(spec: str) -> tuple[str, str, Any]:
    """``"create.rate_limit=0.2"`` -> ("create", "rate_limit", 0.2); ``"*.latency=0.1"`` for all endpoints."""
    name, sep, raw = spec.partition("=")
    target, dot, key = name.strip().partition(".")
    if not sep or not dot or not key:
        raise ValueError(
            f"fault {spec!r} is not of the form ENDPOINT.SETTING=VALUE (e.g. create.rate_limit=0.2)"
        )
    _targets(target, allow_job=True)
    raw = raw.strip()
    value: Any = raw if key == "retry_after_format" else number(raw, spec)
    return target, key, value


def _targets(target: str, *, allow_job: bool = True) -> tuple[str, ...]:
    if target == "*":
        return ENDPOINTS
    if target in ENDPOINTS or (allow_job and target == "job"):
        return (target,)
    raise ValueError(f"unknown fault target {target!r}; use one of {', '.join(TARGETS)} or '*'")


def _field_names(config: EndpointFaults | JobFaults) -> list[str]:
    return [f.name for f in fields(config)]


def _endpoint(value: EndpointFaults | Mapping[str, Any] | None) -> EndpointFaults:
    return value if isinstance(value, EndpointFaults) else EndpointFaults(**dict(value or {}))


_DEFAULTS = {**{endpoint: EndpointFaults() for endpoint in ENDPOINTS}, "job": JobFaults()}
