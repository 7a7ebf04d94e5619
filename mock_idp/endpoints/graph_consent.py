"""Consent in Microsoft Graph's shapes: ``oauth2PermissionGrants`` and the service principals
they name, under ``/graph/{tenant}/v1.0/``.

An app is consented for a user when a grant exists for everyone in the tenant
(``consentType: AllPrincipals``, what "Grant admin consent" creates; every app starts with one
unless configured with ``admin_consented = false``) or for that user (``Principal``, what
Accept on the consent page creates). Delete the grants to make the consent page appear.

A grant's ``clientId`` is the object id of the app's service principal
(``GET servicePrincipals(appId='…')``) and its ``resourceId`` that of Microsoft Graph's
(``GET servicePrincipals(appId='00000003-0000-0000-c000-000000000000')``). The mock checks that
a grant exists, not which scopes it lists.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from ..consent import GRAPH_APP_ID, PermissionGrant, service_principal_id
from ..store import Tenant
from .graph_http import PREFIX, collection, filtered, json_body, not_found, route
from .payload import BadInput, check_known, get_guid, get_str, parse_guid, read_object

CONSENT_TYPES = ("AllPrincipals", "Principal")


def _principals(tenant: Tenant) -> dict[str, dict[str, Any]]:
    """Service principals by object id: one per app, plus Microsoft Graph's."""
    out = {service_principal_id(tenant.id, GRAPH_APP_ID): {
        "appId": GRAPH_APP_ID, "displayName": "Microsoft Graph",
        "appRoleAssignmentRequired": False}}
    for app in tenant.apps.values():
        out[service_principal_id(tenant.id, app.client_id)] = {
            "appId": app.client_id, "displayName": app.name,
            "appRoleAssignmentRequired": app.assignment_required}
    return {sp_id: {"id": sp_id, **body} for sp_id, body in out.items()}


async def get_service_principal(request: Request, tenant: Tenant) -> Response:
    app_id = parse_guid(request.path_params["app_id"], "appId")
    found = next((sp for sp in _principals(tenant).values() if sp["appId"] == app_id), None)
    if found is None:
        raise not_found("appId", app_id)
    return json_body(request, "servicePrincipals/$entity", found)


async def list_grants(request: Request, tenant: Tenant) -> Response:
    items = [g.graph(tenant.id) for g in tenant.grants]
    items = filtered(request, items, {"clientId", "consentType", "principalId", "resourceId"})
    return collection(request, "oauth2PermissionGrants", items)


async def create_grant(request: Request, tenant: Tenant) -> Response:
    body = await read_object(request)
    check_known(body, {"clientId", "consentType", "principalId", "resourceId", "scope"})
    principals = _principals(tenant)
    client = get_guid(body, "clientId", required=True) or ""
    if client not in principals or principals[client]["appId"] == GRAPH_APP_ID:
        raise BadInput(f"'clientId' {client} is not the service principal of an application "
                       "in this tenant", field="clientId")
    consent_type = get_str(body, "consentType", required=True, max_len=32)
    if consent_type not in CONSENT_TYPES:
        raise BadInput("'consentType' must be AllPrincipals or Principal", field="consentType")
    principal = get_guid(body, "principalId")
    if consent_type == "Principal" and (principal is None or principal not in tenant.users):
        raise BadInput("'principalId' must be the id of a user of this tenant for a Principal "
                       "grant", field="principalId")
    if consent_type == "AllPrincipals" and principal is not None:
        raise BadInput("'principalId' must be absent for an AllPrincipals grant",
                       field="principalId")
    resource = get_guid(body, "resourceId", required=True)
    if resource != service_principal_id(tenant.id, GRAPH_APP_ID):
        raise BadInput("'resourceId' must be Microsoft Graph's service principal in this "
                       "tenant", field="resourceId")
    scope = get_str(body, "scope", max_len=1024) or ""
    grant = tenant.grant_consent(principals[client]["appId"], principal, scope.strip())
    return json_body(request, "oauth2PermissionGrants/$entity", grant.graph(tenant.id), 201)


def _grant(request: Request, tenant: Tenant) -> PermissionGrant:
    wanted = request.path_params["grant"]
    found = next((g for g in tenant.grants if g.id == wanted), None)
    if found is None:
        raise not_found("id", wanted)
    return found


async def get_grant(request: Request, tenant: Tenant) -> Response:
    return json_body(request, "oauth2PermissionGrants/$entity",
                 _grant(request, tenant).graph(tenant.id))


async def delete_grant(request: Request, tenant: Tenant) -> Response:
    tenant.grants.remove(_grant(request, tenant))
    return Response(status_code=204)


routes: list[BaseRoute] = [
    route(PREFIX + "/servicePrincipals(appId='{app_id}')", {"GET": get_service_principal}),
    route(PREFIX + "/oauth2PermissionGrants", {"GET": list_grants, "POST": create_grant}),
    route(PREFIX + "/oauth2PermissionGrants/{grant}", {"GET": get_grant,
                                                        "DELETE": delete_grant}),
]
"""Mounted before :mod:`.graph`'s routes, whose last one answers unknown paths."""
