"""App role assignments of users and groups, in Graph's shapes:
``users/{id}/appRoleAssignments``, ``groups/{id}/appRoleAssignments``, and from the resource's
side ``servicePrincipals/{id}/appRoleAssignedTo`` (or ``servicePrincipals(appId='…')/…``).

An assignment names the application's service principal (``resourceId``: its object id, what
``servicePrincipals(appId='…')`` answers as ``id``) and one of its app roles (``appRoleId``: the
role's id, its value, or ``00000000-…`` for default access). A user's tokens for the app carry
the roles assigned to the user and to the groups the user is a direct member of; an app
requiring assignment admits those users only. ``appRoleAssignedTo`` lists those assignments and
the application permissions other apps hold on the API; it creates and deletes those of users
and groups (an app's own permissions go through ``servicePrincipals/{id}/appRoleAssignments``).
https://learn.microsoft.com/graph/api/user-post-approleassignments,
https://learn.microsoft.com/graph/api/group-post-approleassignments,
https://learn.microsoft.com/graph/api/serviceprincipal-list-approleassignedto,
https://learn.microsoft.com/graph/api/serviceprincipal-post-approleassignedto
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from ..directory import RoleAssignment, assignment_id, assignments_of
from ..store import Application, Tenant
from . import graph_directory_model as model
from . import graph_permission_tables as tables
from .common import idp
from .graph_access import requires
from .graph_app_roles import granted_on
from .graph_consent import find_principal
from .graph_http import PREFIX, find_user, group_key, json_body, not_found, route
from .graph_paging import collection
from .payload import BadInput, check_known, get_str, parse_guid, read_object

_ASSIGNMENT = "microsoft.graph.appRoleAssignment"

_KINDS = {"users": "User", "groups": "Group"}


def _principal(request: Request, tenant: Tenant) -> tuple[str, str]:
    """(object id, ``User`` or ``Group``) of the path's principal."""
    if "user" in request.path_params:
        return find_user(request, tenant).id, "User"
    key = request.path_params["group"]
    group = tenant.find_group(group_key(key))
    if group is None:
        raise not_found("id", key)
    return group.id, "Group"


def _fragment(kind: str, principal_id: str) -> str:
    return f"{'users' if kind == 'User' else 'groups'}('{principal_id}')/appRoleAssignments"


async def list_assignments(request: Request, tenant: Tenant) -> Response:
    principal_id, kind = _principal(request, tenant)
    items = [model.assignment_graph(tenant, a) for a in assignments_of(tenant, [principal_id])]
    return collection(request, _fragment(kind, principal_id), items, type_name=_ASSIGNMENT)


async def create_assignment(request: Request, tenant: Tenant) -> Response:
    principal_id, kind = _principal(request, tenant)
    app, role_id = model.assignment_request(await read_object(request), tenant, principal_id)
    return _create(request, tenant, principal_id, kind, app, role_id)


def _create(request: Request, tenant: Tenant, principal_id: str, kind: str, app: Application,
            role_id: str) -> Response:
    new_id = assignment_id(principal_id, app.id, role_id)
    if new_id in tenant.assignments:
        raise BadInput("Permission being assigned already exists on the object",
                       field="appRoleId")
    assignment = RoleAssignment(id=new_id, principal_id=principal_id, principal_type=kind,
                                client_id=app.client_id, app_role_id=role_id,
                                created=idp(request).clock.now())
    tenant.assignments[new_id] = assignment
    return json_body(request, "appRoleAssignments/$entity",
                     model.assignment_graph(tenant, assignment), 201)


def _assignment(request: Request, tenant: Tenant) -> RoleAssignment:
    principal_id, _ = _principal(request, tenant)
    wanted = request.path_params["assignment"]
    found = tenant.assignments.get(wanted)
    if found is None or found.principal_id != principal_id:
        raise not_found("assignmentId", wanted)
    return found


async def get_assignment(request: Request, tenant: Tenant) -> Response:
    return json_body(request, "appRoleAssignments/$entity",
                     model.assignment_graph(tenant, _assignment(request, tenant)))


async def delete_assignment(request: Request, tenant: Tenant) -> Response:
    del tenant.assignments[_assignment(request, tenant).id]
    return Response(status_code=204)


# --- from the resource's side: servicePrincipals/{id}/appRoleAssignedTo ----------------------

def _resource(request: Request, tenant: Tenant) -> tuple[dict[str, Any], Application | None]:
    """The path's service principal, and its app when it is one of this tenant's."""
    principal = find_principal(request, tenant)
    app = tenant.apps.get(principal["appId"])
    return principal, app


@requires(tables.APPLICATION_READ)
async def list_assigned_to(request: Request, tenant: Tenant) -> Response:
    principal, app = _resource(request, tenant)
    items = [model.assignment_graph(tenant, a) for a in tenant.assignments.values()
             if app is not None and a.client_id == app.client_id]
    items += granted_on(request, tenant, principal["appId"])
    return collection(request, f"servicePrincipals('{principal['id']}')/appRoleAssignedTo",
                      items, type_name=_ASSIGNMENT)


@requires(tables.APP_ROLE_GRANT)
async def create_assigned_to(request: Request, tenant: Tenant) -> Response:
    """A user or group assigned to the path's service principal: ``principalId``,
    ``resourceId`` (this service principal's id) and ``appRoleId`` are required."""
    principal, app = _resource(request, tenant)
    body = await read_object(request)
    check_known(body, {"principalId", "resourceId", "appRoleId"})
    key = parse_guid(get_str(body, "principalId", required=True, nullable=False, max_len=64)
                     or "", "principalId")
    user = tenant.users.get(key)
    group = tenant.groups.get(key)
    if user is None and group is None:
        raise BadInput("'principalId' must be the id of a user or a group of this tenant (an "
                       "app's own permissions: servicePrincipals/{id}/appRoleAssignments)",
                       field="principalId")
    resource = model.resource_app(tenant, get_str(body, "resourceId", required=True,
                                                  nullable=False, max_len=64) or "")
    if app is None or resource is not app:
        raise BadInput(f"'resourceId' must be this service principal's id, {principal['id']}",
                       field="resourceId")
    role_id = model.resolve_role(app, get_str(body, "appRoleId", required=True, nullable=False,
                                              max_len=128) or "")
    return _create(request, tenant, key, "User" if user is not None else "Group", app, role_id)


@requires(tables.APP_ROLE_REVOKE)
async def delete_assigned_to(request: Request, tenant: Tenant) -> Response:
    _, app = _resource(request, tenant)
    wanted = request.path_params["assignment"]
    found = tenant.assignments.get(wanted)
    if found is None or app is None or found.client_id != app.client_id:
        raise not_found("id", wanted)
    del tenant.assignments[found.id]
    return Response(status_code=204)


routes: list[BaseRoute] = []
for _key in ("servicePrincipals(appId='{app_id}')", "servicePrincipals/{sp}"):
    routes += [
        route(f"{PREFIX}/{_key}/appRoleAssignedTo",
              {"GET": list_assigned_to, "POST": create_assigned_to}),
        route(f"{PREFIX}/{_key}/appRoleAssignedTo/{{assignment}}",
              {"DELETE": delete_assigned_to}),
    ]
_TABLES = {"users": ("user", tables.USER_ASSIGNMENTS_READ, tables.USER_ASSIGN,
                      tables.USER_ASSIGNMENT_READ),
           "groups": ("group", tables.GROUP_ASSIGNMENTS_READ, tables.GROUP_ASSIGN,
                      tables.GROUP_ASSIGNMENT_READ)}
for _plural, (_one, _read_all, _assign, _read_one) in _TABLES.items():
    routes += [
        route(f"{PREFIX}/{_plural}/{{{_one}}}/appRoleAssignments",
              {"GET": requires(_read_all)(list_assignments),
               "POST": requires(_assign)(create_assignment)}),
        route(f"{PREFIX}/{_plural}/{{{_one}}}/appRoleAssignments/{{assignment}}",
              {"GET": requires(_read_one)(get_assignment),
               "DELETE": requires(tables.APP_ROLE_REVOKE)(delete_assignment)}),
    ]
