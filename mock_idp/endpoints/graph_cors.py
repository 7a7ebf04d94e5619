"""CORS on what Microsoft Graph serves to a page: UserInfo (``/oidc/userinfo``) and Graph's own
root (``/graph/v1.0/…``, and ``/v1.0/…`` at the host's root).

A single-page app reads both from the browser with its access token in an ``Authorization``
header, so the browser first sends a preflight (``OPTIONS``) and then reads the answer only if
it carries ``Access-Control-Allow-Origin``:

- Graph answers pages: Microsoft's single-page app tutorials call ``/v1.0/me`` with ``fetch``
  from the browser (Azure-Samples/ms-identity-javascript-react-spa; MicrosoftDocs/azure-docs
  #82859, the React SPA tutorial), and Graph's answers name the headers a page may read
  (``Access-Control-Expose-Headers``: microsoft-graph-docs-contrib #2011).
- UserInfo is served by Graph, not the login host (Entra's UserInfo page), and a browser app
  reads its status: oidc-client-js with ``loadUserInfo`` saw Graph's 401 from
  ``https://graph.microsoft.com/oidc/userinfo`` as "Unauthorized (401)"
  (IdentityModel/oidc-client-js #1028), which a page sees only through CORS; oidc-client-ts
  fails the whole sign-in ("Failed to fetch") when it cannot read it.
- A page reads Graph's claims challenge: Microsoft's React SPA sample takes the
  ``WWW-Authenticate`` header of Graph's 401 (Azure-Samples/ms-identity-javascript-react-tutorial,
  ``2-Authorization-I/1-call-graph/SPA/src/fetch.js``), which a browser shows a page only when
  the answer names it in ``Access-Control-Expose-Headers``. ``Retry-After`` is not named: Graph's
  list lacked it (microsoft-graph-docs-contrib #2011).
- The login host's own v1 UserInfo (``/{tenant}/openid/userinfo``) was reported without CORS
  (damienbod/angular-auth-oidc-client #19), and keeps none here.

The value sent, ``*``, lets any page read an answer without credentials (a bearer token is not
one); Graph's exact value and preflight answer were not found recorded. The tenant-scoped
``/graph/{tenant}/…`` is the mock's management API too, which answers calls without a token:
it gets no CORS, so no page of another origin can read or change the directory through it.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .graph_root import root_of

USERINFO = "/oidc/userinfo"
USERINFO_METHODS = "GET, POST, OPTIONS"
GRAPH_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
MAX_REQUESTED_HEADERS = 1024
MAX_AGE = "86400"
EXPOSED = "WWW-Authenticate"


def methods_for(path: str) -> str | None:
    """The methods a page may use on ``path``, or ``None`` for a path served without CORS."""
    if path == USERINFO:
        return USERINFO_METHODS
    if root_of(path) is not None:  # /graph/v1.0/… or /v1.0/…
        return GRAPH_METHODS
    return None


def preflight_answer(methods: str, requested_headers: str | None) -> Response:
    headers = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": methods,
               "Access-Control-Max-Age": MAX_AGE}
    if requested_headers and len(requested_headers) <= MAX_REQUESTED_HEADERS:
        headers["Access-Control-Allow-Headers"] = requested_headers
    return Response(status_code=200, headers=headers)


class GraphCors:
    """Pure ASGI middleware: answers a browser's preflight of UserInfo or Graph's root, and
    makes their answers (errors included) readable to the page that asked."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        methods = methods_for(scope.get("path", "")) if scope["type"] == "http" else None
        headers = Headers(scope=scope) if methods is not None else None
        if methods is None or headers is None or "origin" not in headers:
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            answer = preflight_answer(methods, headers.get("access-control-request-headers"))
            await answer(scope, receive, send)
            return

        async def send_readable(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer = MutableHeaders(scope=message)
                answer["Access-Control-Allow-Origin"] = "*"
                answer["Access-Control-Expose-Headers"] = EXPOSED
            await send(message)

        await self.app(scope, receive, send_readable)
