"""Routes of the test-control API under ``/_mock/``, and the one shape of its errors.

Every refusal is a 4xx ``{"error": {"code", "message", "field"}}``: a :class:`BadInput` from
the body and field readers, a :class:`PlatformError` from the platform, a method the route
does not take (405, with ``Allow``), or a query parameter given twice (400 naming it: the
handlers read one value, and ``limit=1&limit=2`` would otherwise be taken as one of them).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..platform.errors import PlatformError
from .common import plain_error
from .payload import BadInput, shown

Handler = Callable[[Request], Awaitable[Response]]
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


ErrorShape = Callable[[int, str, str], Response]
"""An API's refusal: ``(status, message, field)`` → its error response."""


def plain_refusal(status: int, message: str, field: str) -> Response:
    """This API's shape: ``{"error": {"code", "message", "field"}}``."""
    return plain_error(status, message, field=field)


def refusal(request: Request, exc: BadInput | PlatformError,
            shape: ErrorShape = plain_refusal) -> Response:
    if isinstance(exc, BadInput):
        return shape(exc.status, exc.message, exc.field)
    return shape(exc.status, exc.description, exc.field or "body")


def endpoint(methods: dict[str, Handler], shape: ErrorShape = plain_refusal) -> Handler:
    """One handler per method; other methods get a JSON 405, and every refusal (a
    :class:`BadInput`, a :class:`PlatformError`) is answered in ``shape``."""

    async def dispatch(request: Request) -> Response:
        handler = methods.get("GET" if request.method == "HEAD" else request.method)
        if handler is None:
            allow = ", ".join(methods)
            response = shape(405, f"{request.method} is not supported here; use {allow}",
                             "method")
            response.headers["Allow"] = allow
            return response
        repeated = _repeated(request)
        if repeated is not None:
            return shape(400, f"query parameter {repeated!r} is given more than once", repeated)
        try:
            return await handler(request)
        except (BadInput, PlatformError) as exc:
            return refusal(request, exc, shape)

    return dispatch


def _repeated(request: Request) -> str | None:
    """The first query parameter the request names twice, cut to 64 characters, or None."""
    seen: set[str] = set()
    for name, _ in request.query_params.multi_items():
        if name in seen:
            return shown(name, 64)
        seen.add(name)
    return None


def route(path: str, methods: dict[str, Handler], shape: ErrorShape = plain_refusal) -> Route:
    """A route that takes every method, so a wrong one gets the API's JSON 405."""
    return Route(path, endpoint(methods, shape), methods=ALL_METHODS)
