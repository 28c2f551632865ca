"""mql-notebook: generate videos with the Metriqual (Sora) API from a notebook."""

from .errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    DownloadError,
    DownloadTooLargeError,
    GenerationFailedError,
    InvalidRequestError,
    InvalidResponseError,
    MQLError,
    NotFoundError,
    NotReadyError,
    RateLimitError,
    ServerError,
    WaitTimeoutError,
)
from .client import MQL, AsyncMQL, PollTiming, RetryPolicy
from .generation import Generation
from .options import ASPECT_RATIOS, DURATIONS, MAX_VARIANTS, MODELS, RESOLUTIONS

from ._version import __version__

__all__ = [
    "__version__",
    "ASPECT_RATIOS",
    "DURATIONS",
    "MAX_VARIANTS",
    "MODELS",
    "MQL",
    "RESOLUTIONS",
    "AsyncMQL",
    "PollTiming",
    "RetryPolicy",
    "VideoWidget",
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "DownloadError",
    "DownloadTooLargeError",
    "Generation",
    "GenerationFailedError",
    "InvalidRequestError",
    "InvalidResponseError",
    "MQLError",
    "NotFoundError",
    "NotReadyError",
    "RateLimitError",
    "ServerError",
    "WaitTimeoutError",
]


def __getattr__(name: str) -> object:
    # The widget pulls in anywidget and ipywidgets: loaded on first use, so that
    # scripts using only the client import fast.
    if name == "VideoWidget":
        from .widget import VideoWidget

        return VideoWidget
    raise AttributeError(f"module 'mql_notebook' has no attribute {name!r}")
