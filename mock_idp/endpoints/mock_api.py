"""Routes of the test-control API under ``/_mock/``, and the one shape of its errors.

Every refusal is a 4xx ``{"error": {"code", "message", "field"}}``: a :class:`BadInput` from
the body and field readers, a :class:`PlatformError` from the platform, a method the route
does not take (405, with ``Allow``), or a query parameter given twice (400 naming it: the
handlers read one value, and ``limit=1&limit=2`` would otherwise be taken as one of them).

A test-control route (under ``/_mock/``) also refuses, for every method but ``GET``, ``HEAD``
and ``OPTIONS``, what a page of another site could make a browser send (:mod:`.cross_site`):
a request whose ``Origin`` is not the mock's own (the one it was reached at, or its configured
``public_url``), or, without one, whose ``Sec-Fetch-Site`` is ``cross-site`` or ``same-site``
(403 naming ``origin``); and a body of any type but JSON (415 naming ``content-type``), the form
or ``text/plain`` body such a page can send without a preflight, which a route that reads no
body would otherwise take. No ``/_mock/`` route answers a CORS preflight, so a page of another
site cannot send JSON at all. Before any route, a request whose ``Host`` is not one of the
mock's names is refused (403 naming ``host``: :mod:`.host_check`), which a DNS-rebinding page,
same-origin with itself, cannot pass.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..platform.errors import PlatformError
from .body_first import read_first
from .common import idp, plain_error
from .cross_site import SAFE_METHODS, foreign_page, origin_of
from .payload import BadInput, check_json_type, shown

Handler = Callable[[Request], Awaitable[Response]]
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
CONTROL_PREFIX = "/_mock/"


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


def endpoint(methods: dict[str, Handler], shape: ErrorShape = plain_refusal, *,
             same_origin: bool = False) -> Handler:
    """One handler per method; other methods get a JSON 405, and every refusal (a
    :class:`BadInput`, a :class:`PlatformError`) is answered in ``shape``. ``same_origin``:
    refuse a state-changing request a page of another site sent, and a body other than JSON."""

    async def dispatch(request: Request) -> Response:
        handler = methods.get("GET" if request.method == "HEAD" else request.method)
        if handler is None:
            allow = ", ".join(methods)
            response = shape(405, f"{request.method} is not supported here; use {allow}",
                             "method")
            response.headers["Allow"] = allow
            return response
        changes = same_origin and request.method not in SAFE_METHODS
        if changes and from_another_page(request):
            return shape(403, "refused: a page of another origin sent this request (its Origin "
                         "or Sec-Fetch-Site header says so); the test-control API takes changes "
                         "from HTTP clients and the mock's own pages only", "origin")
        repeated = _repeated(request)
        if repeated is not None:
            return shape(400, f"query parameter {repeated!r} is given more than once", repeated)
        try:
            if changes:
                check_json_type(request)
            # the body first: nothing the handler finds can go before it changes it
            return await handler(await read_first(request))
        except (BadInput, PlatformError) as exc:
            return refusal(request, exc, shape)

    return dispatch


def from_another_page(request: Request) -> bool:
    """Whether a browser page of an origin other than the mock's sent ``request``: the mock's
    are the one it was reached at and its configured ``public_url`` (behind a proxy). The
    console's forms are judged by it too."""
    own = {f"{request.url.scheme}://{request.url.netloc}", idp(request).config.public_url or ""}
    return foreign_page(request.headers.get("origin"), request.headers.get("sec-fetch-site"),
                        {origin for url in own if (origin := origin_of(url)) is not None})


def _repeated(request: Request) -> str | None:
    """The first query parameter the request names twice, cut to 64 characters, or None."""
    seen: set[str] = set()
    for name, _ in request.query_params.multi_items():
        if name in seen:
            return shown(name, 64)
        seen.add(name)
    return None


def route(path: str, methods: dict[str, Handler], shape: ErrorShape = plain_refusal) -> Route:
    """A route that takes every method, so a wrong one gets the API's JSON 405; one under
    ``/_mock/`` takes no change from another site's page (the module's docstring)."""
    return Route(path, endpoint(methods, shape, same_origin=path.startswith(CONTROL_PREFIX)),
                 methods=ALL_METHODS)
