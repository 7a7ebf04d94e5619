"""Consent in Microsoft Graph's shapes: ``oauth2PermissionGrants`` and the service principals
they name, under ``/graph/{tenant}/v1.0/``.

An app is consented for a user when a grant exists for everyone in the tenant
(``consentType: AllPrincipals``, what "Grant admin consent" creates; every app starts with one
on Microsoft Graph unless configured with ``admin_consented = false``) or for that user
(``Principal``, what Accept on the consent page creates). Delete the grants to make the consent
page appear; grant an app permissions on another app's API for the on-behalf-of grant.

A grant's ``clientId`` and ``resourceId`` are service principals' object ids
(``GET servicePrincipals(appId='…')``; Microsoft Graph's app id is
``00000003-0000-0000-c000-000000000000``). For convenience a request may also name an app by
its app id or its application object id. ``scope`` lists permission names (``User.Read``);
``PATCH`` replaces it. One grant per client, resource and principal: a second is 409, as in
Graph.

A service principal's ``PATCH`` sets what the enterprise application's properties set:
``accountEnabled`` (false: the app is disabled, AADSTS7000112 at sign-in and at the token
endpoint) and ``appRoleAssignmentRequired``.

Graph reference: https://learn.microsoft.com/graph/api/resources/oauth2permissiongrant
"""

from __future__ import annotations

from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from ..consent import GRAPH_APP_ID, PermissionGrant, new_grant, service_principal_id
from ..protocol.graph_permissions import APPLICATION_PERMISSION_IDS
from ..store import Store, Tenant
from . import graph_permission_tables as tables
from .common import idp
from .graph_access import requires
from .graph_http import PREFIX, GraphError, json_body, not_found, route
from .graph_paging import Entry, collection, select_one
from .payload import BadInput, check_known, get_bool, get_str, parse_guid, read_object

PROPERTIES = {"clientId", "consentType", "principalId", "resourceId", "scope", "startTime",
              "expiryTime"}
CONSENT_TYPES = ("AllPrincipals", "Principal")
MAX_SCOPE = 4096


GRAPH_APP_ROLES = [
    {"allowedMemberTypes": ["Application"], "description": name, "displayName": name,
     "id": role_id, "isEnabled": True, "origin": "Application", "value": name}
    for name, role_id in APPLICATION_PERMISSION_IDS.items()]
"""Microsoft Graph's service principal's ``appRoles``: the common application permissions, so
that a script finding a permission's id there (``$filter=appId eq '00000003-…'``, then the role
whose ``value`` it wants) gets Graph's real id."""


def principals(tenant: Tenant, store: Store | None = None) -> dict[str, dict[str, Any]]:
    """Service principals by object id: one per app, Microsoft Graph's, and (with ``store``)
    one per other organization's multi-tenant app that someone here consented to, which
    ``appOwnerOrganizationId`` names (read-only here)."""
    out = {service_principal_id(tenant.id, GRAPH_APP_ID): {
        "appId": GRAPH_APP_ID, "displayName": "Microsoft Graph", "accountEnabled": True,
        "appRoleAssignmentRequired": False, "appRoles": GRAPH_APP_ROLES}}
    for app in tenant.apps.values():
        out[app.principal_id(tenant.id)] = {
            "appId": app.client_id, "displayName": app.name, "accountEnabled": app.enabled,
            "appRoleAssignmentRequired": app.assignment_required,
            "appOwnerOrganizationId": tenant.id, "appRoles": [r.graph() for r in app.app_roles]}
    for client_id in dict.fromkeys(g.client_id for g in tenant.grants):
        found = store.find_app_any(client_id) if store is not None else None
        if found is not None and found[0] is not tenant:
            out[found[1].principal_id(tenant.id)] = {
                "appId": client_id, "displayName": found[1].name,
                "accountEnabled": found[1].enabled, "appRoleAssignmentRequired": False,
                "appOwnerOrganizationId": found[0].id,
                "appRoles": [r.graph() for r in found[1].app_roles]}
    return {sp_id: {"id": sp_id, **body} for sp_id, body in out.items()}


def _app_id(tenant: Tenant, body: dict[str, Any], field: str, *, graph_ok: bool) -> str:
    """The app id a grant names: a service principal's object id, an app id or an app's object
    id (Microsoft Graph's only as the resource)."""
    key = parse_guid(get_str(body, field, required=True, nullable=False, max_len=64) or "",
                     field)
    principal = principals(tenant).get(key)
    app_id = principal["appId"] if principal else key
    if app_id == GRAPH_APP_ID:
        if graph_ok:
            return app_id
    elif (app := tenant.find_app(app_id)) is not None:
        return app.client_id
    raise BadInput(f"{field!r} {key} is not the service principal of "
                   f"{'an application or Microsoft Graph' if graph_ok else 'an application'} "
                   "in this tenant", field=field)


def _scopes(body: dict[str, Any]) -> list[str]:
    text = get_str(body, "scope", required=True, max_len=MAX_SCOPE) or ""
    names = list(dict.fromkeys(text.split()))
    for name in names:
        if "/" in name or not name.isprintable():
            raise BadInput(f"'scope' holds permission names such as 'User.Read', not "
                           f"{name[:64]!r}", field="scope")
    return names


def find_principal(request: Request, tenant: Tenant) -> dict[str, Any]:
    """The service principal a path names, by ``appId`` or by object id."""
    if "app_id" in request.path_params:
        key, value = "appId", parse_guid(request.path_params["app_id"], "appId")
    else:
        key, value = "id", parse_guid(request.path_params["sp"], "id")
    known = principals(tenant, idp(request).store).values()
    found = next((sp for sp in known if sp[key] == value), None)
    if found is None:
        raise not_found(key, value)
    return found


@requires(tables.APPLICATION_READ)
async def list_service_principals(request: Request, tenant: Tenant) -> Response:
    """The tenant's service principals; ``$filter`` on ``appId`` or ``displayName`` finds one,
    as scripts find Microsoft Graph's to look a permission's id up in its ``appRoles``."""
    items = list(principals(tenant, idp(request).store).values())
    return collection(request, "servicePrincipals", items,
                      type_name="microsoft.graph.servicePrincipal",
                      filterable={"appId", "displayName", "id", "accountEnabled"},
                      prefixable={"displayName"}, orderable={"displayName"}, sorts_by_default=False)


@requires(tables.APPLICATION_READ)
async def get_service_principal(request: Request, tenant: Tenant) -> Response:
    principal = Entry(find_principal(request, tenant))
    return json_body(request, "servicePrincipals/$entity",
                     select_one(request, principal,
                                "microsoft.graph.servicePrincipal"))


@requires(tables.APPLICATION_WRITE)
async def update_service_principal(request: Request, tenant: Tenant) -> Response:
    """``accountEnabled`` and ``appRoleAssignmentRequired`` of an app's service principal
    (Microsoft Graph's own is read-only here)."""
    principal = find_principal(request, tenant)
    body = await read_object(request)
    check_known(body, {"accountEnabled", "appRoleAssignmentRequired"})
    enabled = get_bool(body, "accountEnabled")
    required = get_bool(body, "appRoleAssignmentRequired")
    app = tenant.find_app(principal["appId"])
    if app is None:
        raise BadInput("this service principal cannot be changed here (Microsoft Graph's, or "
                       "another organization's app's)", field=next(iter(body), "accountEnabled"))
    if enabled is not None:
        app.enabled = enabled
    if required is not None:
        app.assignment_required = required
    return Response(status_code=204)


@requires(tables.GRANT_READ)
async def list_grants(request: Request, tenant: Tenant) -> Response:
    principal = partial(idp(request).store.principal_id, tenant.id)
    items = [g.graph(principal) for g in tenant.grants]
    return collection(request, "oauth2PermissionGrants", items,
                      type_name="microsoft.graph.oAuth2PermissionGrant",
                      filterable={"clientId", "consentType", "principalId", "resourceId"})


@requires(tables.GRANT_WRITE)
async def create_grant(request: Request, tenant: Tenant) -> Response:
    body = await read_object(request)
    check_known(body, PROPERTIES)
    client = _app_id(tenant, body, "clientId", graph_ok=False)
    consent_type = get_str(body, "consentType", required=True, max_len=32)
    if consent_type not in CONSENT_TYPES:
        raise BadInput(f"'consentType' must be one of {', '.join(CONSENT_TYPES)}",
                       field="consentType")
    principal = get_str(body, "principalId", nullable=True, max_len=64)
    if consent_type == "Principal":
        user = tenant.find_user(parse_guid(principal or "", "principalId"))
        if user is None:
            raise BadInput("'principalId' must be the id of a user of this tenant for a "
                           "Principal grant", field="principalId")
        principal = user.id
    elif principal is not None:
        raise BadInput("'principalId' must be null or absent for an AllPrincipals grant",
                       field="principalId")
    resource = _app_id(tenant, body, "resourceId", graph_ok=True)
    grant = new_grant(client, resource, principal, _scopes(body))
    if any(g.id == grant.id for g in tenant.grants):
        # Graph's 409 for a second grant of a client, resource and principal
        # (hashicorp/terraform-provider-azuread#690).
        raise GraphError("Permission entry already exists.",
                         code="Request_MultipleObjectsWithSameKeyValue", field="clientId",
                         status=409)
    tenant.grants.append(grant)
    return json_body(request, "oauth2PermissionGrants/$entity",
                     grant.graph(partial(idp(request).store.principal_id, tenant.id)), 201)


def _grant(request: Request, tenant: Tenant) -> PermissionGrant:
    wanted = request.path_params["grant"]
    found = next((g for g in tenant.grants if g.id == wanted), None)
    if found is None:
        raise not_found("id", wanted)
    return found


@requires(tables.GRANT_READ)
async def get_grant(request: Request, tenant: Tenant) -> Response:
    return json_body(request, "oauth2PermissionGrants/$entity",
                     _grant(request, tenant).graph(
                         partial(idp(request).store.principal_id, tenant.id)))


@requires(tables.GRANT_WRITE)
async def update_grant(request: Request, tenant: Tenant) -> Response:
    grant = _grant(request, tenant)
    body = await read_object(request)
    check_known(body, {"scope"})
    grant.scopes = _scopes(body)
    return Response(status_code=204)


@requires(tables.GRANT_WRITE)
async def delete_grant(request: Request, tenant: Tenant) -> Response:
    tenant.grants.remove(_grant(request, tenant))
    return Response(status_code=204)


routes: list[BaseRoute] = [
    route(PREFIX + "/servicePrincipals", {"GET": list_service_principals}),
    route(PREFIX + "/servicePrincipals(appId='{app_id}')",
          {"GET": get_service_principal, "PATCH": update_service_principal}),
    route(PREFIX + "/servicePrincipals/{sp}",
          {"GET": get_service_principal, "PATCH": update_service_principal}),
    route(PREFIX + "/oauth2PermissionGrants", {"GET": list_grants, "POST": create_grant}),
    route(PREFIX + "/oauth2PermissionGrants/{grant}",
          {"GET": get_grant, "PATCH": update_grant, "DELETE": delete_grant}),
]
"""Mounted before :mod:`.graph`'s routes, whose last one answers unknown paths."""
