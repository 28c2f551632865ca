"""Client settings: explicit argument, then environment variable, then a named default.

Every default is a constant in ``mql_notebook/_constants.py``; ``Settings`` holds the resolved
values, the poll timing and the retry policy included, so each has one home.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Literal
from urllib.parse import urlsplit

from .._constants import (
    DEFAULT_BASE_URL,
    DEFAULT_MAX_DOWNLOAD_BYTES,
    DEFAULT_MAX_IMAGE_BYTES,
    DEFAULT_TIMEOUT,
    DEFAULT_WAIT_TIMEOUT,
    ENV_API_KEY,
    ENV_BASE_URL,
    ENV_MODEL,
    ENV_PRICES,
    KEY_PREFIX,
    LOCAL_API_KEY,
    LOCAL_BASE_URL,
    LOOPBACK_PLACEHOLDER_KEY,
)
from .._origins import is_loopback
from ..errors import APIError, ConfigurationError, InvalidRequestError, ModelUnavailableError
from ..money import Budget, PriceTable, budget_from, read_prices
from ..request import DEFAULT_MODEL, validate_model_id
from .poller import PollTiming
from .retry import RetryPolicy
from .slots import SlotTiming

ModelSource = Literal["argument", "environment", "default"]

__all__ = [
    "DEFAULT_BASE_URL",
    "ENV_API_KEY",
    "ENV_BASE_URL",
    "KEY_PREFIX",
    "LOCAL_BASE_URL",
    "LOOPBACK_PLACEHOLDER_KEY",
    "Settings",
    "mask_key",
    "resolve_settings",
    "scrub_key",
]


@dataclass(frozen=True)
class Settings:
    """Everything a client needs besides its connections; immutable and free of I/O."""

    api_key: str = field(repr=False)
    base_url: str
    timeout: float = DEFAULT_TIMEOUT
    wait_timeout: float = DEFAULT_WAIT_TIMEOUT
    max_download_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES
    # The largest image a create sends as a first or last frame (the gateway's limit).
    max_image_bytes: int = DEFAULT_MAX_IMAGE_BYTES
    extra_models: tuple[str, ...] = ()  # more models for the widget's model box to suggest
    # The model of a create that names none, and where it came from (argument, environment
    # or default): a default nobody chose that the gateway no longer serves says how to set it.
    model: str = DEFAULT_MODEL
    model_source: ModelSource = "default"
    poll_timing: PollTiming = field(default_factory=PollTiming)
    retry_policy: RetryPolicy = field(default_factory=RetryPolicy)
    # A create answered 429/503 (nothing made) goes again for this long (None: wait_timeout),
    # spaced by the slot timing (client/slots.py).
    slot_timeout: float | None = None
    slot_timing: SlotTiming = field(default_factory=SlotTiming)
    # base_url="local": base_url is this process's in-process emulator, whose jobs end with the
    # process (the library marks them, so that a resume elsewhere knows).
    in_process_emulator: bool = False
    # Money: the price table estimates come from (prices=, else MQL_PRICES; None: the library's,
    # if it stores one, else costs are unknown), and this client's own budget= (its runs only).
    prices: PriceTable | None = None
    budget: Budget | None = None

    @property
    def slot_deadline(self) -> float:
        """Seconds a create waits for a free slot: ``slot_timeout``, else the wait's deadline."""
        return self.wait_timeout if self.slot_timeout is None else self.slot_timeout

    @property
    def max_retries(self) -> int:
        """Retries of one request: the retry policy's, its only home."""
        return self.retry_policy.max_retries

    def __repr__(self) -> str:  # never show the key, not even in a traceback's locals
        return f"Settings(base_url={self.base_url!r}, api_key='{mask_key(self.api_key)}')"


def resolve_settings(
    given: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> Settings:
    """``AsyncMQL``'s arguments as settings. ``given`` holds every keyword of its signature
    (api_key, base_url, model, timeout, ..., slot_timing) as passed or defaulted: that
    signature is their one home, with their types, defaults and docs.
    Base URL ``"local"`` starts or reuses the in-process emulator.

    ``poll_timing`` and ``retry_policy`` given as objects win over the defaults; ``max_retries``
    sets the policy's retries (a policy passed with a different count is refused: which one
    was meant cannot be guessed).
    """
    a = SimpleNamespace(**given)
    env = os.environ if environ is None else environ
    if a.base_url is not None and not isinstance(a.base_url, str):
        raise ConfigurationError(
            f"base URL must be a string such as {DEFAULT_BASE_URL!r}, not {type(a.base_url).__name__}"
        )
    url = (a.base_url or env.get(ENV_BASE_URL) or DEFAULT_BASE_URL).strip()
    key = a.api_key if a.api_key is not None else env.get(ENV_API_KEY) or None
    in_process_emulator = url.lower() == LOCAL_BASE_URL
    if in_process_emulator:
        from ..local import shared_server  # only now: the emulator's packages are an extra

        url = shared_server().url
        key = key or LOCAL_API_KEY
    url = _check_base_url(url)
    if key is None:
        key = _loopback_placeholder_key(url)
    if key is None:
        raise ConfigurationError(
            f"no API key: pass api_key='mql_...', or set the {ENV_API_KEY} environment variable; "
            f"to try it without a key, use base_url='local' (or {ENV_BASE_URL}=local) for the local emulator"
        )
    _check_key(key)
    policy = _retry_policy(a.max_retries, a.retry_policy)
    if a.poll_timing is not None and not isinstance(a.poll_timing, PollTiming):
        raise ConfigurationError(
            f"poll_timing must be a PollTiming, not {type(a.poll_timing).__name__}"
        )
    for name, value in (("timeout", a.timeout), ("wait_timeout", a.wait_timeout)):
        if not isinstance(value, (int, float)) or value <= 0:
            raise ConfigurationError(f"{name} must be a number of seconds > 0, not {value!r}")
    if a.slot_timeout is not None and (
        isinstance(a.slot_timeout, bool)
        or not isinstance(a.slot_timeout, (int, float))
        or a.slot_timeout < 0
    ):
        raise ConfigurationError(
            f"slot_timeout must be a number of seconds >= 0 (0: no waiting for a slot), or None "
            f"for the wait_timeout; not {a.slot_timeout!r}"
        )
    if a.slot_timing is not None and not isinstance(a.slot_timing, SlotTiming):
        raise ConfigurationError(
            f"slot_timing must be a SlotTiming, not {type(a.slot_timing).__name__}"
        )
    for name, size in (
        ("max_download_bytes", a.max_download_bytes),
        ("max_image_bytes", a.max_image_bytes),
    ):
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise ConfigurationError(f"{name} must be an int >= 0 (bytes), not {size!r}")
    default_model, model_source = resolve_model(a.model, env)
    return Settings(
        api_key=key,
        model=default_model,
        model_source=model_source,
        base_url=url,
        timeout=float(a.timeout),
        wait_timeout=float(a.wait_timeout),
        max_download_bytes=int(a.max_download_bytes),
        max_image_bytes=int(a.max_image_bytes),
        extra_models=tuple(a.extra_models),
        poll_timing=a.poll_timing or PollTiming(),
        retry_policy=policy,
        slot_timeout=None if a.slot_timeout is None else float(a.slot_timeout),
        slot_timing=a.slot_timing or SlotTiming(),
        in_process_emulator=in_process_emulator,
        prices=resolve_prices(a.prices, env),
        budget=budget_from(a.budget),
    )


def resolve_prices(prices: object, env: Mapping[str, str]) -> PriceTable | None:
    """``prices=`` (a PriceTable, a dict, JSON text or a file; False: none), else ``MQL_PRICES``
    (JSON or a file), else None: the library's table if it keeps one, else costs are unknown."""
    if prices is False:
        return None
    if prices is not None:
        return read_prices(prices, source="prices=")
    value = env.get(ENV_PRICES, "").strip()
    return read_prices(value, source=ENV_PRICES) if value else None


def resolve_model(model: str | None, env: Mapping[str, str]) -> tuple[str, ModelSource]:
    """The default model of creates: the argument, then ``MQL_MODEL``, then ``DEFAULT_MODEL``."""
    if model is not None:
        return validate_model_id(model), "argument"
    if env.get(ENV_MODEL, "").strip():
        try:
            return validate_model_id(env[ENV_MODEL].strip()), "environment"
        except InvalidRequestError as error:
            raise ConfigurationError(f"{ENV_MODEL}: {error}") from None
    return DEFAULT_MODEL, "default"


def with_default_model_hint(error: ModelUnavailableError, settings: Settings) -> APIError:
    """``error`` about a default model the user never chose, saying how to choose another."""
    if settings.model_source != "default":
        return error
    hint = (
        f"{error.message}; {settings.model!r} is this package's default model: set "
        f"{ENV_MODEL}=<model id> (or pass model=... to the client, the call or the widget)"
    )
    return ModelUnavailableError(hint, model=error.model, **error.keywords())


def _loopback_placeholder_key(url: str) -> str | None:
    """A placeholder key for a server on this machine (``mql-notebook serve`` takes any mql_ key).

    Loopback only: a remote server without a key is still an error that says how to set one.
    """
    return LOOPBACK_PLACEHOLDER_KEY if is_loopback(url) else None


def _retry_policy(max_retries: object, policy: RetryPolicy | None) -> RetryPolicy:
    if policy is not None and not isinstance(policy, RetryPolicy):
        raise ConfigurationError(f"retry_policy must be a RetryPolicy, not {type(policy).__name__}")
    if max_retries is None:
        return policy or RetryPolicy()
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise ConfigurationError(f"max_retries must be an int >= 0, not {max_retries!r}")
    if policy is None:
        return RetryPolicy(max_retries=max_retries)
    if policy.max_retries != max_retries:
        raise ConfigurationError(
            f"max_retries={max_retries} and retry_policy.max_retries={policy.max_retries} disagree: "
            "give the count in one place"
        )
    return policy


def mask_key(key: str) -> str:
    """What is shown in place of an API key: its public prefix and stars, nothing secret."""
    return KEY_PREFIX + "***" if key.startswith(KEY_PREFIX) else "***"


def scrub_key(text: str, key: object) -> str:
    """``text`` with every occurrence of the API key masked (for messages shown to people)."""
    if isinstance(key, str) and len(key) > len(KEY_PREFIX) and key in text:
        return text.replace(key, mask_key(key))
    return text


def _check_key(key: object) -> None:
    if not isinstance(key, str) or not key.startswith(KEY_PREFIX) or len(key) <= len(KEY_PREFIX):
        shown = (
            type(key).__name__
            if not isinstance(key, str)
            else ("an empty string" if not key else f"a string not starting with {KEY_PREFIX!r}")
        )
        raise ConfigurationError(
            f"the API key must be a string starting with {KEY_PREFIX!r} (got {shown})"
        )
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in key):
        raise ConfigurationError(
            "the API key contains whitespace or control characters; copy it again without them"
        )


def _check_base_url(url: str) -> str:
    try:
        parts = urlsplit(url)
        usable = parts.scheme in ("http", "https") and bool(parts.hostname)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:  # e.g. "http://[::1" (an unclosed IPv6 bracket)
        usable = False
    if not usable:
        raise ConfigurationError(
            f"base URL {url!r} is not usable: give an http(s) URL such as {DEFAULT_BASE_URL!r}, "
            f"or {LOCAL_BASE_URL!r} for the local emulator"
        )
    return url.rstrip("/")
