"""Microsoft Graph's own root, ``/graph/v1.0/…``: the tenant is the caller's token's.

``https://graph.microsoft.com/v1.0/me`` names no tenant: Graph answers a user's token of any
organization, for that organization (its ``tid``), which is why an app signed in through
``/common`` or ``/organizations`` reads every organization's users there (Microsoft Learn,
"Use the Microsoft Graph API": one endpoint, ``https://graph.microsoft.com/{version}/
{resource}``, for every tenant). The tenant-scoped ``/graph/{tenant}/v1.0/…`` is the mock's
management API as well, and refuses another tenant's token; this root passes a call with a
valid Graph token on to its token's tenant there, where it is checked again as every call is.
A call without a token, or with one Graph refuses, gets Graph's 401 here: this root is no
management API. The links of its answers (``@odata.context``, ``@odata.nextLink``) stay under
this root, as Graph's stay under ``https://graph.microsoft.com/v1.0``
(:func:`.graph_http.self_path`).

Graph's root is its host's root, so the same root is answered at ``/v1.0/…`` on the mock's own
host too: a client that resolves the path ``/v1.0/me`` against its Graph base URL, as a URL
reference (RFC 3986 §5.2), drops the base's ``/graph``; Flask-Dance's Azure blueprint does, its
documentation calling ``azure.get("/v1.0/me")`` against ``https://graph.microsoft.com``
(https://flask-dance.readthedocs.io/en/latest/quickstarts/azure.html),
and so does JavaScript's ``new URL("/v1.0/me", base)``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from ..protocol.bearer import BearerError, bearer_token, verify_graph_token
from .common import idp
from .graph_access import CHALLENGE
from .graph_http import ROOT_SCOPE_KEY, graph_error

ROOT = "/graph/v1.0"
HOST_ROOT = "/v1.0"
"""The same root at the host's own root, where graph.microsoft.com serves it."""


def root_of(path: str) -> str | None:
    """The tenant-less root ``path`` is under (:data:`ROOT` or :data:`HOST_ROOT`), or ``None``."""
    for root in (ROOT, HOST_ROOT):
        if path == root or path.startswith(root + "/"):
            return root
    return None


class GraphRoot:
    """Pure ASGI middleware: ``/graph/v1.0/<rest>`` (or ``/v1.0/<rest>``) answered as
    ``/graph/<tid>/v1.0/<rest>`` for the ``tid`` of the call's valid Graph token, else Graph's
    401."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        root = root_of(path)
        if root is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        state = idp(request)
        try:
            claims = verify_graph_token(bearer_token(request.headers.get("authorization")),
                                        state.keys, state.clock.now())
        except BearerError as exc:
            response = graph_error(request, 401, exc.message, target="Authorization",
                                   code="InvalidAuthenticationToken", headers=CHALLENGE)
            await response(scope, receive, send)
            return
        tenant_path = f"/graph/{claims.get('tid', '')}/v1.0{path[len(root):]}"
        await self.app({**scope, "path": tenant_path, "raw_path": tenant_path.encode(),
                        ROOT_SCOPE_KEY: path}, receive, send)
