"""Application permissions granted to an app, in Graph's shapes: the app role assignments of
its service principal, ``servicePrincipals/{id}/appRoleAssignments`` (``{id}`` an object id, or
``(appId='…')``).

``POST`` names the resource's service principal (``resourceId``: an object id, an app id, or
Microsoft Graph's) and the role (``appRoleId``: an app role of the API that apps may hold, by id
or value; for Microsoft Graph a permission's id, for the common ones the mock lists in
:data:`~mock_idp.protocol.graph_permissions.APPLICATION_PERMISSION_IDS`, or its name, such as
``User.Read.All``, for which the mock answers a stable id of its own when it lists none).
``principalId``, when given, must be the path's service principal. App-only tokens for the
resource then carry the value in ``roles`` (:mod:`mock_idp.consent`).
https://learn.microsoft.com/graph/api/serviceprincipal-post-approleassignments
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from ..consent import GRAPH_APP_ID, AppRoleGrant, digest_id
from ..protocol.graph_permissions import APPLICATION_PERMISSION_IDS, application_permission
from ..store import Tenant
from . import graph_permission_tables as tables
from .common import idp
from .graph_access import requires
from .graph_consent import find_principal, principals
from .graph_http import PREFIX, json_body, not_found, route
from .graph_paging import collection
from .payload import BadInput, check_known, get_str, parse_guid, read_object

_GRAPH_ROLES = uuid.UUID("6a8b2f0e-3c1d-4e5f-9a7b-0c2d4e6f8a1b")
"""The namespace of the stand-in ids of Microsoft Graph's app roles."""


def _principal(request: Request, tenant: Tenant) -> dict[str, Any]:
    """The path's service principal: an app of this tenant or a consented one, not Graph's."""
    match = find_principal(request, tenant)
    if match["appId"] == GRAPH_APP_ID:
        raise not_found("id", match["id"])
    return match


def _role_id(tenant: Tenant, grant: AppRoleGrant) -> str:
    api = tenant.apps.get(grant.resource_id)
    role = api.find_role(grant.value) if api is not None else None
    if role is not None:
        return role.id
    return APPLICATION_PERMISSION_IDS.get(grant.value) or str(uuid.uuid5(_GRAPH_ROLES,
                                                                         grant.value))


def _assignment_id(grant: AppRoleGrant) -> str:
    return digest_id(grant.client_id, grant.resource_id, grant.value)


def _graph(request: Request, tenant: Tenant, grant: AppRoleGrant, names: dict[str, str]
           ) -> dict[str, Any]:
    principal = idp(request).store.principal_id
    return {"id": _assignment_id(grant), "appRoleId": _role_id(tenant, grant),
            "principalId": principal(tenant.id, grant.client_id),
            "principalType": "ServicePrincipal",
            "principalDisplayName": names.get(grant.client_id, grant.client_id),
            "resourceId": principal(tenant.id, grant.resource_id),
            "resourceDisplayName": names.get(grant.resource_id, grant.resource_id)}


def _names(request: Request, tenant: Tenant) -> dict[str, str]:
    return {sp["appId"]: sp["displayName"]
            for sp in principals(tenant, idp(request).store).values()}


def granted_on(request: Request, tenant: Tenant, resource: str) -> list[dict[str, Any]]:
    """The application permissions held on the API whose app id is ``resource``, as its
    service principal's ``appRoleAssignedTo`` lists them."""
    names = _names(request, tenant)
    return [_graph(request, tenant, g, names) for g in tenant.app_role_grants
            if g.resource_id == resource]


@requires(tables.APPLICATION_READ)
async def list_app_roles(request: Request, tenant: Tenant) -> Response:
    client = _principal(request, tenant)["appId"]
    names = _names(request, tenant)
    items = [_graph(request, tenant, g, names) for g in tenant.app_role_grants
             if g.client_id == client]
    return collection(request, "appRoleAssignments", items,
                      type_name="microsoft.graph.appRoleAssignment")


def _resource(request: Request, tenant: Tenant, body: dict[str, Any]) -> str:
    key = parse_guid(get_str(body, "resourceId", required=True, nullable=False, max_len=64)
                     or "", "resourceId")
    found = principals(tenant, idp(request).store)
    app_id = found[key]["appId"] if key in found else key
    if app_id != GRAPH_APP_ID and app_id not in tenant.apps:
        raise BadInput("'resourceId' must be the service principal of an API of this tenant "
                       "or of Microsoft Graph", field="resourceId")
    return app_id


@requires(tables.APP_ROLE_GRANT)
async def grant_app_role(request: Request, tenant: Tenant) -> Response:
    principal = _principal(request, tenant)
    body = await read_object(request)
    check_known(body, {"principalId", "resourceId", "appRoleId"})
    named = get_str(body, "principalId", nullable=True, max_len=64)
    if named is not None and parse_guid(named, "principalId") != principal["id"]:
        raise BadInput("'principalId' must be the service principal in the path",
                       field="principalId")
    resource = _resource(request, tenant, body)
    role = get_str(body, "appRoleId", required=True, nullable=False, max_len=256) or ""
    if resource == GRAPH_APP_ID:
        value = application_permission(role) or ""
        if not value or not value.isprintable() or " " in value or "/" in value:
            raise BadInput("'appRoleId' must be one of Microsoft Graph's application "
                           "permissions, by an id the mock knows or by name (User.Read.All)",
                           field="appRoleId")
    else:
        found = tenant.apps[resource].find_role(role)
        if found is None or "Application" not in found.allowed_member_types:
            raise BadInput("'appRoleId' must be an app role of the API that apps may hold "
                           "(allowedMemberTypes with Application)", field="appRoleId")
        value = found.value
    grant = AppRoleGrant(principal["appId"], resource, value)
    if grant in tenant.app_role_grants:
        raise BadInput("Permission being assigned already exists on the object",
                       field="appRoleId", status=409)
    tenant.app_role_grants.append(grant)
    return json_body(request, "appRoleAssignments/$entity",
                     _graph(request, tenant, grant, _names(request, tenant)), 201)


@requires(tables.APP_ROLE_REVOKE)
async def revoke_app_role(request: Request, tenant: Tenant) -> Response:
    client = _principal(request, tenant)["appId"]
    wanted = request.path_params["assignment"]
    found = next((g for g in tenant.app_role_grants
                  if g.client_id == client and _assignment_id(g) == wanted), None)
    if found is None:
        raise not_found("id", wanted)
    tenant.app_role_grants.remove(found)
    return Response(status_code=204)


routes: list[BaseRoute] = []
for _key in ("servicePrincipals(appId='{app_id}')", "servicePrincipals/{sp}"):
    routes += [
        route(f"{PREFIX}/{_key}/appRoleAssignments",
              {"GET": list_app_roles, "POST": grant_app_role}),
        route(f"{PREFIX}/{_key}/appRoleAssignments/{{assignment}}", {"DELETE": revoke_app_role}),
    ]
