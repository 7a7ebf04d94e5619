"""The HTTP side of the Graph-shaped API: routes, OData envelopes and Graph's error body.

Every handler takes ``(request, tenant)`` and may raise :class:`BadInput` (or
:class:`GraphError` for a Graph error code of its own); :func:`route` turns both into Graph's
``{"error": {"code", "message", "target", "innerError"}}`` with the right status. A route takes
only :class:`Guarded` handlers, each with the check of who may call it
(:func:`mock_idp.endpoints.graph_access.requires`), which runs before the handler looks anything
up.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..config_fields import is_guid
from ..store import Tenant, User
from .body_first import read_first
from .common import base_url, idp
from .payload import BadInput, iso

__all__ = [
    "ALL_METHODS",
    "PREFIX",
    "ROOT_SCOPE_KEY",
    "GraphError",
    "Guarded",
    "Handler",
    "context",
    "denied",
    "find_user",
    "group_key",
    "graph_error",
    "request_ids",
    "json_body",
    "not_found",
    "route",
    "select_context",
    "self_path",
    "unknown_resource",
]

PREFIX = "/graph/{tenant}/v1.0"
ROOT_SCOPE_KEY = "mock_idp.graph_root_path"
"""The ASGI scope key under which :mod:`.graph_root` keeps the path the caller asked for
(``/graph/v1.0/…``) when it answers it as the tenant-scoped one."""
Handler = Callable[[Request, Tenant], Awaitable[Response]]
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

_CODES = {400: "Request_BadRequest", 401: "InvalidAuthenticationToken",
          403: "Authorization_RequestDenied", 404: "Request_ResourceNotFound", 405: "BadRequest",
          409: "Request_BadRequest", 413: "RequestEntityTooLarge", 415: "BadRequest",
          500: "generalException"}


class GraphError(BadInput):
    """A refusal with a Graph error code of its own (``Directory_ResultSizeLimitExceeded``)."""

    def __init__(self, message: str, *, code: str, field: str = "body", status: int = 400,
                 headers: dict[str, str] | None = None,
                 details: list[dict[str, str]] | None = None) -> None:
        super().__init__(message, field=field, status=status)
        self.code = code
        self.headers = headers or {}
        self.details = details


def denied(field: str = "body") -> GraphError:
    """Graph's 403 for a call the token's permissions do not allow."""
    return GraphError("Insufficient privileges to complete the operation.",
                      code="Authorization_RequestDenied", status=403, field=field)


@dataclass(frozen=True)
class Guarded:
    """A handler and the check of the caller it runs first (raising :class:`GraphError`, as
    Graph's 401 or 403), so that no route answers without one."""

    handler: Handler
    authorize: Callable[[Request, Tenant], None]


def request_ids(request: Request) -> dict[str, str]:
    """The ``request-id`` and ``client-request-id`` headers Graph sends on every response
    (the client's own ``client-request-id`` echoed, else the request id), success or error;
    Graph's best practices ask apps to log both from the response headers
    (https://learn.microsoft.com/graph/best-practices-concept#reliability-and-support), and an
    error's ``innerError`` repeats them. One pair per request."""
    ids: dict[str, str] | None = getattr(request.state, "graph_request_ids", None)
    if ids is None:
        request_id = str(uuid.uuid4())
        sent = request.headers.get("client-request-id", "")[:64]
        ids = {"request-id": request_id, "client-request-id": sent or request_id}
        request.state.graph_request_ids = ids
    return ids


def graph_error(request: Request, status: int, message: str, *, target: str | None = None,
                headers: dict[str, str] | None = None, code: str | None = None,
                details: list[dict[str, str]] | None = None) -> JSONResponse:
    ids = request_ids(request)
    request_id, client_request_id = ids["request-id"], ids["client-request-id"]
    error: dict[str, Any] = {"code": code or _CODES.get(status, "BadRequest"),
                             "message": message}
    if target is not None:
        error["target"] = target
    if details:
        error["details"] = details
    error["innerError"] = {
        "date": iso(idp(request).clock.now()),
        "request-id": request_id,
        "client-request-id": client_request_id,
    }
    return JSONResponse({"error": error}, status_code=status,
                        headers={**ids, **(headers or {})})


def self_path(request: Request) -> str:
    """The path the caller asked for: Graph's tenant-less ``/graph/v1.0/…`` (or ``/v1.0/…``)
    when the call came through that root, else the request's own. Links in an answer
    (``@odata.context``, ``@odata.nextLink``) stay under the root the caller used, as
    graph.microsoft.com's do (``https://graph.microsoft.com/v1.0/$metadata#users/$entity``
    for ``GET /v1.0/me``: microsoftgraph/microsoft-graph-docs#22278, and the responses of
    Microsoft Learn's "Get a user")."""
    asked = request.scope.get(ROOT_SCOPE_KEY)
    return asked if isinstance(asked, str) else request.url.path


def _service_root(request: Request) -> str:
    asked = request.scope.get(ROOT_SCOPE_KEY)
    if isinstance(asked, str):  # the tenant-less root the caller used (.graph_root)
        return f"{base_url(request)}{'/graph' if asked.startswith('/graph/') else ''}/v1.0"
    return f"{base_url(request)}/graph/{request.path_params['tenant']}/v1.0"


def select_context(request: Request, names: Sequence[str] | None) -> None:
    """Remember the properties ``$select`` chose, which the answer's ``@odata.context``
    names."""
    request.state.graph_selected = tuple(names) if names is not None else None


def context(request: Request, fragment: str) -> str:
    """``@odata.context``: with ``$select``, the entity set names the selected properties as
    the objects spell them (``graph_paging._as_named``), ``#users(displayName,mail)/$entity``
    for one object and ``#users(displayName,mail)`` for a list (Microsoft Learn, "Get a user"
    and "List users" responses; microsoftgraph/microsoft-graph-docs#22278 for ``/me``)."""
    selected: tuple[str, ...] | None = getattr(request.state, "graph_selected", None)
    if selected:
        names = f"({','.join(selected)})"
        head, entity, _ = fragment.partition("/$entity")
        fragment = f"{head}{names}{entity}"
    return f"{_service_root(request)}/$metadata#{fragment}"


def json_body(request: Request, fragment: str, body: dict[str, Any], status: int = 200
              ) -> Response:
    return JSONResponse({"@odata.context": context(request, fragment), **body},
                        status_code=status)


def _endpoint(methods: dict[str, Guarded]) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        response = await _answer(request)
        for name, value in request_ids(request).items():
            response.headers.setdefault(name, value)
        return response

    async def _answer(request: Request) -> Response:
        guarded = methods.get("GET" if request.method == "HEAD" else request.method)
        if guarded is None:
            allow = ", ".join(methods)
            return graph_error(request, 405, f"{request.method} is not supported here; use "
                               f"{allow}", target="method", headers={"Allow": allow})
        # The body first: no wait between finding the tenant (and what the handler finds in
        # it) and changing it, in which another request could delete or reset it.
        request = await read_first(request)
        segment = request.path_params["tenant"]
        tenant = idp(request).store.resolve_tenant(segment)
        if tenant is None:
            return graph_error(request, 404, f"Tenant '{segment[:80]}' not found. Use a tenant "
                               f"GUID or domain known to the mock.", target="tenant")
        try:
            guarded.authorize(request, tenant)
            return await guarded.handler(request, tenant)
        except GraphError as exc:
            return graph_error(request, exc.status, exc.message, target=exc.field,
                               code=exc.code, headers=exc.headers, details=exc.details)
        except BadInput as exc:
            return graph_error(request, exc.status, exc.message, target=exc.field)

    return endpoint


def route(path: str, methods: dict[str, Guarded]) -> Route:
    """A route that takes every method, so a wrong one gets this API's JSON 405; each method's
    handler runs once its check lets the caller through."""
    return Route(path, _endpoint(methods), methods=ALL_METHODS)


def _segment_pattern(template: str) -> re.Pattern[str]:
    """One segment of a route's path, its ``{parameters}`` matching any text."""
    parts = re.split(r"\{[^}]*\}", template)
    return re.compile("[^/]+".join(re.escape(p) for p in parts))


def _first_unresolved(segments: list[str], templates: list[str]) -> str:
    """The first of ``segments`` (after ``v1.0/``) that no route's path continues with."""
    resolved = 0
    for template in templates:
        shape = template.split("/")
        count = 0
        while (count < min(len(shape), len(segments))
               and _segment_pattern(shape[count]).fullmatch(segments[count])):
            count += 1
        resolved = max(resolved, count)
    return segments[min(resolved, len(segments) - 1)] if segments else ""


async def unknown_resource(request: Request) -> Response:
    """Graph's answer to a path it has no resource for: 400 ``BadRequest`` naming the first
    segment it could not resolve, only that one ("Resource not found for the segment
    'mailboxSettings'.", microsoftgraph/microsoft-graph-docs#21648)."""
    tenant, _, rest = request.path_params.get("rest", "").partition("/")
    version, _, tail = rest.partition("/")
    base = PREFIX + "/"
    templates = [r.path[len(base):] for r in getattr(request.app, "routes", ())
                 if isinstance(r, Route) and r.path.startswith(base)]
    segment = (_first_unresolved([s for s in tail.split("/") if s], templates)
               if version == "v1.0" else version) or tenant
    return graph_error(request, 400, f"Resource not found for the segment '{segment[:80]}'.",
                       target="path", code="BadRequest")


def not_found(name: str, value: str) -> BadInput:
    return BadInput(f"Resource '{value[:80]}' does not exist or one of its queried "
                    f"reference-property objects are not present.", field=name, status=404)


def group_key(value: str) -> str:
    """The path's group id, lower-cased: a key that is not a GUID is Graph's 400
    ``Request_BadRequest`` "Invalid object identifier '…'." rather than a 404 (a group's name
    in its place, Azure/active-directory-dotnet-graphapi-b2bportal-web#16; the placeholder
    ``{id}`` left in ``groups/{id}/checkMemberObjects``,
    microsoftgraph/microsoft-graph-docs-contrib#3854). Users differ: their key may be a UPN."""
    key = value.strip()
    if not is_guid(key):  # 8-4-4-4-12 ASCII hex only, as parse_guid
        raise BadInput(f"Invalid object identifier '{value[:80]}'.", field="id")
    return key.lower()


def find_user(request: Request, tenant: Tenant) -> User:
    """The user the path's ``{user}`` names (object id or UPN), or Graph's 404."""
    key = request.path_params["user"]
    user = tenant.find_user(key)
    if user is None:
        raise not_found("id", key)
    return user
