"""mql-notebook: generate videos with the Metriqual (Sora) API from a notebook."""

from typing import TYPE_CHECKING

from ._lazy import lazy_exports
from ._version import __version__
from .errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    BillingError,
    BudgetExceededError,
    ConfigurationError,
    ContentRefusedError,
    DownloadError,
    DownloadTooLargeError,
    GenerationFailedError,
    GenerationRefusedError,
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
from .request import ASPECT_RATIOS, DURATIONS, MAX_VARIANTS, MODELS, RESOLUTIONS

if TYPE_CHECKING:  # what type checkers and editors see; at run time these load on first use
    from .batch.runner import LineRun
    from .client import MQL, AsyncMQL, PollTiming, RetryPolicy
    from .library import Entry, Library
    from .media.concat import concat
    from .media.frames import Frame, frame_of, frame_of_async
    from .money import Budget, Estimate, PriceTable
    from .widget import Batch, Gallery, VideoWidget

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
    "Batch",
    "BillingError",
    "Budget",
    "BudgetExceededError",
    "ConfigurationError",
    "ContentRefusedError",
    "DownloadError",
    "DownloadTooLargeError",
    "Entry",
    "Estimate",
    "Frame",
    "Gallery",
    "Generation",
    "GenerationFailedError",
    "GenerationRefusedError",
    "InvalidRequestError",
    "InvalidResponseError",
    "Library",
    "LibraryError",
    "LineRun",
    "MQLError",
    "ModelUnavailableError",
    "NotFoundError",
    "NotReadyError",
    "PollTiming",
    "PriceTable",
    "RateLimitError",
    "RetryPolicy",
    "ServerError",
    "VideoWidget",
    "WaitTimeoutError",
    "__version__",
    "concat",
    "frame_of",
    "frame_of_async",
]


# Names loaded on first use, with the module that holds each. The client pulls in httpx and
# asyncio, the library sqlite3, the widget anywidget and ipywidgets: `import mql_notebook`
# (for the errors, the options, a version check) stays light, and `from mql_notebook import
# MQL` loads only what the client needs.
_LAZY = {
    "MQL": ".client",
    "AsyncMQL": ".client",
    "PollTiming": ".client.poller",
    "RetryPolicy": ".client.retry",
    "VideoWidget": ".widget",
    "Gallery": ".widget",
    "Batch": ".widget",
    "LineRun": ".batch.runner",
    "Library": ".library",
    "Entry": ".library",
    "Frame": ".media.frames",
    "frame_of": ".media.frames",
    "frame_of_async": ".media.frames",
    "concat": ".media.concat",
    "Budget": ".money",
    "Estimate": ".money",
    "PriceTable": ".money",
}


__getattr__, __dir__ = lazy_exports(globals(), _LAZY)
