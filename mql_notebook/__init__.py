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
from .generation import Generation

__version__ = "0.1.0"

__all__ = [
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
