"""mql-notebook: generate videos with the Metriqual (Sora) API from a notebook."""

from ._version import __version__
from .client import MQL, AsyncMQL, PollTiming, RetryPolicy
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
    LibraryError,
    ModelUnavailableError,
    MQLError,
    NotFoundError,
    NotReadyError,
    RateLimitError,
    ServerError,
    WaitTimeoutError,
)
from .generation import Generation
from .library import Entry, Library
from .options import ASPECT_RATIOS, DURATIONS, MAX_VARIANTS, MODELS, RESOLUTIONS

__all__ = [
    "ASPECT_RATIOS",
    "DURATIONS",
    "MAX_VARIANTS",
    "MODELS",
    "MQL",
    "RESOLUTIONS",
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AsyncMQL",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "DownloadError",
    "DownloadTooLargeError",
    "Entry",
    "Gallery",
    "Generation",
    "GenerationFailedError",
    "InvalidRequestError",
    "InvalidResponseError",
    "Library",
    "LibraryError",
    "MQLError",
    "ModelUnavailableError",
    "NotFoundError",
    "NotReadyError",
    "PollTiming",
    "RateLimitError",
    "RetryPolicy",
    "ServerError",
    "VideoWidget",
    "WaitTimeoutError",
    "__version__",
]


def __getattr__(name: str) -> object:
    # The widget pulls in anywidget and ipywidgets: loaded on first use, so that
    # scripts using only the client import fast.
    if name == "VideoWidget":
        from .widget import VideoWidget

        return VideoWidget
    if name == "Gallery":
        from .widget import Gallery

        return Gallery
    raise AttributeError(f"module 'mql_notebook' has no attribute {name!r}")
