"""Refusing a request under ``/_mock/`` whose ``Host`` is not one of the mock's
(:mod:`mock_idp.control_hosts`): what a DNS-rebinding page sends.

Only the test-control API and the console are checked, for every method (a rebound page can
read what it fetches, the console and ``GET requests`` included). The protocol endpoints
(authorize, token, discovery, the JWKS, Graph, the sign-in and signed-out pages) answer any
``Host``, as a client in a container reaches the mock by its service name. So does the one
``/_mock/`` call the mock's own signed-out page makes, the report that an app's logout frame
loaded (``POST /_mock/notifications/{id}/loaded``), made on whatever host the page was reached
at. A refusal is 403 naming ``host``, in the API's shape, or a short page for the console.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from starlette.datastructures import Headers
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from ..control_hosts import accepted, host_name
from .common import plain_error

CONSOLE = "/_mock/console"
_EXEMPT = re.compile(r"/_mock/notifications/[^/]+/loaded")
_PAGE_HEADERS = {
    "Cache-Control": "no-store", "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                               "frame-ancestors 'none'"}


def checked(path: str) -> bool:
    """Whether a request for ``path`` must name one of the mock's hosts."""
    return (path == "/_mock" or path.startswith("/_mock/")) and not _EXEMPT.fullmatch(path)


def refused_host(scope: Scope, *, public_url: str | None, allowed: Iterable[str]) -> str | None:
    """The ``Host`` a request under ``/_mock/`` is refused for (as it came, cut short), or None
    when it names one of the mock's hosts. A request without one is no browser's; two are
    refused, as RFC 9112 section 3.2 has a server refuse them."""
    given = Headers(scope=scope).getlist("host")
    if not given:
        return None
    if len(given) > 1:
        return ", ".join(given)[:100]
    server = scope.get("server")  # (host, port); (path, None) on a Unix socket: never a name
    server_host = server[0] if isinstance(server, tuple | list) and server and \
        isinstance(server[0], str) else None
    name = host_name(given[0])
    if name is not None and accepted(name, server=server_host, public_url=public_url,
                                     allowed=allowed):
        return None
    return given[0][:100]


def refusal(path: str, host: str) -> Response:
    """403 naming ``host``: the control API's JSON error, or a short page for the console."""
    shown = host.encode("ascii", "backslashreplace").decode("ascii")
    if path == CONSOLE or path.startswith(CONSOLE + "/"):
        body = (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Mock "
                f"provider console: refused</title></head><body><h1>Refused</h1><p>The console "
                f"answers on the mock's own host names, not on <code>{html.escape(shown)}</code>: "
                f"open it "
                f"at <code>localhost</code>, an IP address or the public URL, or start the "
                f"mock with <code>--control-host NAME</code> for this one.</p></body></html>")
        return HTMLResponse(body, status_code=403, headers=_PAGE_HEADERS)
    return plain_error(403, f"refused: the Host header {shown!r} is not one of the mock's own "
                       "host names (localhost, an IP address, the name it listens on or, on "
                       "every interface, the machine's own name, its "
                       "public_url's host, or one given with --control-host or control_hosts "
                       "in idp.toml); a page whose name was made to resolve to the mock (DNS "
                       "rebinding) must not drive the test-control API", field="host")


class ControlHostCheck:
    """Pure ASGI middleware: :func:`refusal` for a request :func:`checked` whose ``Host``
    :func:`refused_host` finds is not the mock's; everything else passes untouched."""

    def __init__(self, app: ASGIApp, *, public_url: str | None, allowed: tuple[str, ...]
                 ) -> None:
        self.app = app
        self.public_url = public_url
        self.allowed = allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and checked(scope["path"]):
            host = refused_host(scope, public_url=self.public_url, allowed=self.allowed)
            if host is not None:
                await refusal(scope["path"], host)(scope, receive, send)
                return
        await self.app(scope, receive, send)
