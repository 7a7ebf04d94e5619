"""Graph ``oauth2PermissionGrants``: consent for an app to call an API on users' behalf.

``POST /oauth2PermissionGrants`` with ``clientId``, ``resourceId``, ``consentType``
(``AllPrincipals``, or ``Principal`` with ``principalId``) and ``scope`` (space-separated
permission names); ``GET`` lists them (``$filter=clientId eq '…'``), ``GET/PATCH/DELETE
/oauth2PermissionGrants/{id}`` reads, changes ``scope``, revokes. The on-behalf-of grant checks
these (:mod:`mock_idp.protocol.on_behalf_of`). Graph names service principals in ``clientId`` and
``resourceId``; the mock has none, so they take the application's object id or app id (read
back as the app id), and Microsoft Graph's app id ``00000003-0000-0000-c000-000000000000`` for
Graph.

Graph reference: https://learn.microsoft.com/graph/api/resources/oauth2permissiongrant
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from ..protocol.claims import GRAPH_RESOURCE_ID
from ..store import PermissionGrant, Tenant
from .graph_http import PREFIX, collection, filtered, json_body, not_found, route
from .payload import BadInput, check_known, get_str, parse_guid, read_object

PROPERTIES = {"clientId", "consentType", "principalId", "resourceId", "scope", "startTime",
              "expiryTime"}
CONSENT_TYPES = ("AllPrincipals", "Principal")
MAX_SCOPE = 4096


def _app_id(tenant: Tenant, value: str, field: str, *, graph_ok: bool) -> str:
    key = parse_guid(value, field)
    if graph_ok and key == GRAPH_RESOURCE_ID:
        return key
    app = tenant.find_app(key)
    if app is None:
        raise BadInput(f"{field!r} {value[:64]!r} is neither the object id nor the appId of an "
                       f"application in this tenant", field=field)
    return app.client_id


def _scopes(body: dict[str, Any]) -> list[str]:
    text = get_str(body, "scope", required=True, max_len=MAX_SCOPE) or ""
    names = list(dict.fromkeys(text.split()))
    for name in names:
        if "/" in name or not name.isprintable():
            raise BadInput(f"'scope' holds permission names such as 'User.Read', not "
                           f"{name[:64]!r}", field="scope")
    return names


def grant_id(client_id: str, resource_id: str, principal_id: str | None) -> str:
    digest = hashlib.sha256(f"{client_id}|{resource_id}|{principal_id}".encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")[:43]


async def list_grants(request: Request, tenant: Tenant) -> Response:
    items = filtered(request, [g.graph() for g in tenant.grants],
                      {"clientId", "resourceId", "principalId", "consentType"})
    return collection(request, "oauth2PermissionGrants", items)


async def create_grant(request: Request, tenant: Tenant) -> Response:
    body = await read_object(request)
    check_known(body, PROPERTIES)
    client = _app_id(tenant, get_str(body, "clientId", required=True, max_len=64) or "",
                     "clientId", graph_ok=False)
    resource = _app_id(tenant, get_str(body, "resourceId", required=True, max_len=64) or "",
                       "resourceId", graph_ok=True)
    consent_type = get_str(body, "consentType", required=True, max_len=32)
    if consent_type not in CONSENT_TYPES:
        raise BadInput(f"'consentType' must be one of {', '.join(CONSENT_TYPES)}",
                       field="consentType")
    principal = get_str(body, "principalId", nullable=True, max_len=64)
    if consent_type == "Principal":
        user = tenant.find_user(parse_guid(principal or "", "principalId"))
        if user is None:
            raise BadInput("'principalId' must be the id of a user in this tenant",
                           field="principalId")
        principal = user.id
    elif principal is not None:
        raise BadInput("'principalId' must be null when consentType is AllPrincipals",
                       field="principalId")
    new_id = grant_id(client, resource, principal)
    if any(g.id == new_id for g in tenant.grants):
        raise BadInput("Permission entry already exists.", field="clientId", status=409)
    grant = PermissionGrant(id=new_id, client_id=client, resource_id=resource,
                            consent_type=consent_type, principal_id=principal,
                            scopes=_scopes(body))
    tenant.grants.append(grant)
    return json_body(request, "oauth2PermissionGrants/$entity", grant.graph(), 201)


def _grant(request: Request, tenant: Tenant) -> PermissionGrant:
    wanted = request.path_params["grant_id"]
    found = next((g for g in tenant.grants if g.id == wanted), None)
    if found is None:
        raise not_found("id", wanted)
    return found


async def get_grant(request: Request, tenant: Tenant) -> Response:
    return json_body(request, "oauth2PermissionGrants/$entity", _grant(request, tenant).graph())


async def update_grant(request: Request, tenant: Tenant) -> Response:
    grant = _grant(request, tenant)
    body = await read_object(request)
    check_known(body, {"scope"})
    grant.scopes = _scopes(body)
    return Response(status_code=204)


async def delete_grant(request: Request, tenant: Tenant) -> Response:
    tenant.grants.remove(_grant(request, tenant))
    return Response(status_code=204)


routes: list[BaseRoute] = [
    route(PREFIX + "/oauth2PermissionGrants", {"GET": list_grants, "POST": create_grant}),
    route(PREFIX + "/oauth2PermissionGrants/{grant_id}",
           {"GET": get_grant, "PATCH": update_grant, "DELETE": delete_grant}),
]
"""Mount before :data:`mock_idp.endpoints.graph.routes` (whose last route answers unknown
paths)."""
