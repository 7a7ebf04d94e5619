"""Routes of the test-control API under ``/_mock/``, and the one shape of its errors.

Every refusal is a 4xx ``{"error": {"code", "message", "field"}}``: a :class:`BadInput` from
the body and field readers, a :class:`PlatformError` from the platform, or a method the route
does not take (405, with ``Allow``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..platform.errors import PlatformError
from .common import plain_error
from .payload import BadInput

Handler = Callable[[Request], Awaitable[Response]]
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def refusal(request: Request, exc: BadInput | PlatformError) -> Response:
    if isinstance(exc, BadInput):
        return plain_error(exc.status, exc.message, field=exc.field)
    return plain_error(exc.status, exc.description, field=exc.field or "body")


def endpoint(methods: dict[str, Handler]) -> Handler:
    """One handler per method; other methods get this API's JSON 405."""

    async def dispatch(request: Request) -> Response:
        handler = methods.get("GET" if request.method == "HEAD" else request.method)
        if handler is None:
            allow = ", ".join(methods)
            response = plain_error(405, f"{request.method} is not supported here; use {allow}",
                                   field="method")
            response.headers["Allow"] = allow
            return response
        try:
            return await handler(request)
        except (BadInput, PlatformError) as exc:
            return refusal(request, exc)

    return dispatch


def route(path: str, methods: dict[str, Handler]) -> Route:
    """A route that takes every method, so a wrong one gets this API's JSON 405."""
    return Route(path, endpoint(methods), methods=ALL_METHODS)
