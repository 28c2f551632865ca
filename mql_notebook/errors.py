"""One tree of errors for everything mql-notebook raises.

Every error says what was being done and carries the ids a user needs to recover
(a generation id can always be handed back to ``wait(id)`` or ``VideoWidget.resume``).
The whole tree (``except MQLError`` catches everything the package raises on purpose)::

    MQLError
    ├── InvalidRequestError (also ValueError)  an option refused here, before anything is sent
    ├── ConfigurationError                     no key, a malformed base URL, ...
    ├── BudgetExceededError                    a create refused here, before it was sent: it
    │                                          would go over a budget (``spent``, ``left``)
    ├── APIError                               the API answered with an error status
    │   ├── BadRequestError                    400 (``param`` names the field)
    │   ├── AuthenticationError                401, 403
    │   ├── NotFoundError                      404 (no such generation, or it expired)
    │   ├── ModelUnavailableError              404, 410 on create about the model
    │   ├── NotReadyError                      409, 425 (the video is not ready yet)
    │   ├── RateLimitError                     429 (``retry_after``)
    │   ├── ServerError                        5xx, 529
    │   ├── BillingError                       final: arrears, depleted pack, spend cap, balance, 402
    │   └── ContentRefusedError                final: moderation refused the input or the output
    │       └── GenerationRefusedError         ... a job that ended failed for it (also below)
    ├── InvalidResponseError                   a 2xx answer that is not usable (HTML, no id)
    ├── APIConnectionError                     unreachable, or the connection dropped (``origin``)
    │   └── APITimeoutError                    no answer within the timeout
    ├── GenerationFailedError                  the job ended failed or cancelled (``generation``)
    │   └── GenerationRefusedError             ... because moderation refused it (``stage``)
    ├── WaitTimeoutError (also TimeoutError)   the wait's deadline passed; the job may still finish
    ├── DownloadError                          a download could not be completed
    │   └── DownloadTooLargeError              above the client's ``max_download_bytes``
    └── LibraryError                           the library's folder or index cannot be used
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .generation import Generation


class MQLError(Exception):
    """Base of every error raised by mql-notebook."""


class InvalidRequestError(MQLError, ValueError):
    """An option was refused locally, before any request (and any money) was spent."""

    def __init__(
        self, field: str, value: Any, allowed: str | Sequence[Any], reason: str | None = None
    ):
        self.field = field
        self.value = value
        self.allowed = allowed
        allowed_text = (
            allowed if isinstance(allowed, str) else "one of " + ", ".join(repr(a) for a in allowed)
        )
        what = reason or f"{field}={_short_repr(value)} is not allowed"
        super().__init__(f"{what}; {field} must be {allowed_text}")


class ConfigurationError(MQLError):
    """The client cannot be built as configured (no key, a malformed base URL, ...)."""


class BudgetExceededError(MQLError):
    """A create was refused before it was sent: it would go over a budget.

    Not an ``InvalidRequestError``: the request itself is fine, and the same one may go
    through tomorrow or once the budget is raised. ``budget`` is the budget it would break
    (a ``mql_notebook.money.Budget``), ``spent`` and ``left`` what that budget's period has
    used and has left (``mql_notebook.money.Spent``), ``asked`` what this create would add,
    and ``scope`` whose budget it is: ``"library"`` (every client recording into it) or
    ``"client"`` (this client's, widget's or batch's own ``budget=``).
    """

    def __init__(self, message: str, *, budget: Any, spent: Any, left: Any, asked: Any, scope: str):
        self.budget = budget
        self.spent = spent
        self.left = left
        self.asked = asked
        self.scope = scope
        super().__init__(message)


class APIError(MQLError):
    """The API answered with an error status.

    ``param`` is the request field the server blamed, if it named one; ``retry_after`` the
    seconds it asked the client to wait (``Retry-After``), if any. ``final`` is True for an
    answer that no retry or wait can change (money, moderation): it is raised after one request.
    """

    final: bool = False

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        code: str | None = None,
        operation: str = "",
        generation_id: str | None = None,
        param: str | None = None,
        retry_after: float | None = None,
    ):
        if param and param not in message:
            message = f"{param}: {message}"
        self.message = message
        self.status_code = status_code
        self.code = code
        self.param = param
        self.retry_after = retry_after
        self.operation = operation
        self.generation_id = generation_id
        where = f" while {operation}" if operation else ""
        ident = _ident(generation_id, operation)
        super().__init__(f"HTTP {status_code}{where}{ident}: {message}")

    def keywords(self) -> dict[str, Any]:
        """What made this error besides its message: ``type(error)(text, **error.keywords())``
        is the same error saying ``text`` (the slot wait's note, the default model's hint)."""
        return {
            "status_code": self.status_code,
            "code": self.code,
            "operation": self.operation,
            "generation_id": self.generation_id,
            "param": self.param,
            "retry_after": self.retry_after,
        }


class BadRequestError(APIError):
    """400: the server refused the parameters; ``param`` names the field when the server does."""


class ModelUnavailableError(APIError):
    """404/410 on create about the model (``model_not_found``, ``model_retired``): choose another.

    ``model`` is the id that was asked for; ``status_code`` and ``code`` are the server's.
    """

    def __init__(self, message: str, *, model: str, **kwargs: Any):
        self.model = model
        super().__init__(message, **kwargs)


class AuthenticationError(APIError):
    """401 or 403: the API key is missing, malformed or not allowed."""


class NotFoundError(APIError):
    """404: no such generation (or it has expired)."""


class NotReadyError(APIError):
    """409 or 425: the video is not ready to download yet."""


class RateLimitError(APIError):
    """429: too many requests; ``retry_after`` is the server's hint in seconds, if any."""


class ServerError(APIError):
    """5xx or 529: the server (or a proxy in front of it) failed or is overloaded."""


class BillingError(APIError):
    """Money stops the request: an account in arrears, a depleted resource pack, a spend cap
    reached, an insufficient balance, or 402. Final: it is not sent again (a retry would be
    refused the same way until the account changes); the message is the server's.
    """

    final = True


class ContentRefusedError(APIError):
    """Moderation refused the content. Final: never sent again automatically.

    ``stage`` is ``"input"`` (the prompt or an image was refused, usually before a render) or
    ``"output"`` (the rendered video was refused, sometimes billed), or None when the server
    does not say; the message is the provider's own words.
    """

    final = True

    def __init__(self, message: str, *, stage: str | None = None, **kwargs: Any):
        self.stage = stage
        super().__init__(message, **kwargs)
        # Said plainly: what refused it and which part, then the provider's own words.
        what = {"input": "its input", "output": "its output"}.get(stage or "", "its content")
        where = f" while {self.operation}" if self.operation else ""
        ident = _ident(self.generation_id, self.operation)
        Exception.__init__(
            self,
            f"refused by moderation ({what}, HTTP {self.status_code}){where}{ident}: {message}",
        )


class InvalidResponseError(MQLError):
    """The server answered 2xx with something that is not a usable generation (HTML, no id, ...)."""


class APIConnectionError(MQLError):
    """The request could not be completed: the server was unreachable or the connection dropped."""

    def __init__(
        self,
        message: str,
        *,
        operation: str = "",
        generation_id: str | None = None,
        origin: str | None = None,
    ):
        self.operation = operation
        self.generation_id = generation_id
        self.origin = origin  # scheme://host:port of the server, when the message names it
        where = f" while {operation}" if operation else ""
        ident = _ident(generation_id, operation)
        super().__init__(f"{message}{where}{ident}")


class APITimeoutError(APIConnectionError):
    """The server did not answer within the configured timeout."""


class GenerationFailedError(MQLError):
    """The job ended as failed or cancelled; ``generation`` holds the server's last word."""

    def __init__(self, generation: Generation):
        self.generation = generation
        self.generation_id: str | None = generation.id
        detail = generation.error_message or "no reason given"
        super().__init__(f"generation {generation.id} ended {generation.status}: {detail}")


class GenerationRefusedError(GenerationFailedError, ContentRefusedError):
    """The job ended failed because moderation refused its input or its output.

    Both a ``GenerationFailedError`` (``generation``, ``generation_id``) and a
    ``ContentRefusedError`` (``stage``, ``code``, ``final``); ``status_code`` is that of the
    status answer that said so.
    """

    def __init__(self, generation: Generation, *, stage: str | None, status_code: int = 200):
        reason = generation.error_message or "no reason given"
        ContentRefusedError.__init__(
            self,
            reason,
            stage=stage,
            status_code=status_code,
            code=generation.error_code,
            generation_id=generation.id,
        )
        self.generation = generation
        what = {"input": "its input", "output": "its output"}.get(stage or "", "its content")
        text = f"generation {generation.id} was refused by moderation ({what}): {reason}"
        Exception.__init__(self, text)


class WaitTimeoutError(MQLError, TimeoutError):
    """The wait's deadline passed; the remote job may still finish: ``wait(generation_id)`` resumes."""

    def __init__(self, generation: Generation, timeout: float, *, last_error: str | None = None):
        self.generation = generation
        self.generation_id = generation.id
        self.last_status = generation.status
        self.timeout = timeout
        self.last_error = last_error  # why the last looks failed, when the wait ended in an outage
        state = f"still {generation.raw_status!r}" if generation.raw_status else "not seen"
        unreachable = (
            f" (the server could not be reached at the end: {last_error})" if last_error else ""
        )
        super().__init__(
            f"generation {generation.id} {state} after {timeout:g} s{unreachable}; "
            f"the job may still finish: resume with wait({generation.id!r})"
        )


class DownloadError(MQLError):
    """A download could not be completed; nothing half-written was left at the destination."""

    def __init__(self, message: str, *, generation_id: str | None = None):
        self.generation_id = generation_id
        super().__init__(message)


class DownloadTooLargeError(DownloadError):
    """The video is larger than the client's ``max_download_bytes``."""


class LibraryError(MQLError):
    """The library (the folder of videos and its index) cannot be used as asked.

    Raised for an index that is corrupt, not a library's or from a newer release (the file
    is named and left untouched), and for an index that stays locked far too long.
    """


def _ident(generation_id: str | None, operation: str) -> str:
    """The " (generation X)" suffix, unless the operation already names X (no id said twice)."""
    if not generation_id or generation_id in operation.split():
        return ""
    return f" (generation {generation_id})"


def _short_repr(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
