"""A create's request, built before anything is sent: the route it takes, its body checked
(the images read, fitted and encoded in a worker thread), its ``Operation``, how its answer
is read and checked. ``AsyncVideo.create`` records it in the library, then sends it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..generation import MINIMAX_ROUTE, Generation
from ..request import gather_options, validate_generation_request
from . import minimax, protocol
from .operation import Operation

if TYPE_CHECKING:
    from .settings import Settings
    from .transport import AnswerCheck


@dataclass
class CreateRequest:
    route: str
    body: dict[str, Any]  # as recorded: the images as EncodedImage (their bytes), not base64
    key: str  # the Idempotency-Key
    op: Operation
    parse: Callable[..., Generation]
    check: AnswerCheck | None
    made_from: tuple[str | None, float | None]  # the parent entry and its frame's time

    def drop_body(self) -> None:
        """Once recorded, only the op's base64 is kept: a large image is not held twice."""
        self.body = {}


async def build_create(
    settings: Settings,
    model: Any,
    prompt: Any,
    positional: tuple[Any, ...],
    options: Mapping[str, Any],
    *,
    idempotency_key: str | None,
    fit: str | None,
    parent: Any,
    route: str | None,
) -> CreateRequest:
    """Every check of a create, in the order that costs least first: the route, the body, then
    the images (reading them is the slow part); InvalidRequestError before anything is sent."""
    from .images import image_body, parent_of, prepare_images, split_images

    chosen = model if model is not None else settings.model
    gathered = gather_options(positional, dict(options))
    route = minimax.choose_route(chosen if isinstance(chosen, str) else "", gathered, route)
    given_images = split_images(gathered)
    if route == MINIMAX_ROUTE:
        body = minimax.task_body(chosen, prompt, gathered, images=given_images)
        parse: Callable[..., Generation] = minimax.parse_created
    else:
        body = validate_generation_request(model=chosen, prompt=prompt, **gathered)
        parse = protocol.parse_generation
    images = await prepare_images(
        given_images,
        model=body["model"],
        aspect_ratio=body.get("aspect_ratio"),
        fit=fit,
        max_bytes=settings.max_image_bytes,
    )
    body.update(images)
    content = await image_body(body)  # None without images: httpx encodes the JSON
    key = idempotency_key or protocol.new_idempotency_key()
    check = None
    if route == MINIMAX_ROUTE:
        op = minimax.create_operation(body, key, content)
        check = functools.partial(minimax.base_resp_error, operation=op.description)
    else:
        op = Operation(
            "POST",
            protocol.CREATE_PATH,
            "creating a generation",
            idempotent=False,
            json=body if content is None else None,
            content=content,
            headers={"Idempotency-Key": key, **(content.headers if content else {})},
            model=body["model"],
        )
    return CreateRequest(route, body, key, op, parse, check, parent_of(images, parent))
