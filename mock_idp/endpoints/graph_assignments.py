"""App role assignments of users and groups, in Graph's shapes:
``users/{id}/appRoleAssignments`` and ``groups/{id}/appRoleAssignments``.

An assignment names an application (``resourceId``: its object id or app id) and one of its app
roles (``appRoleId``: the role's id, its value, or ``00000000-…`` for default access). A user's
tokens for the app carry the roles assigned to the user and to the groups the user is a direct
member of; an app requiring assignment admits those users only.
https://learn.microsoft.com/graph/api/user-post-approleassignments,
https://learn.microsoft.com/graph/api/group-post-approleassignments
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from ..directory import RoleAssignment, assignment_id, assignments_of
from ..store import Tenant
from . import graph_directory_model as model
from .common import idp
from .graph_http import PREFIX, collection, find_user, json_body, not_found, route
from .payload import BadInput, read_object

_KINDS = {"users": "User", "groups": "Group"}


def _principal(request: Request, tenant: Tenant) -> tuple[str, str]:
    """(object id, ``User`` or ``Group``) of the path's principal."""
    if "user" in request.path_params:
        return find_user(request, tenant).id, "User"
    key = request.path_params["group"]
    group = tenant.find_group(key)
    if group is None:
        raise not_found("id", key)
    return group.id, "Group"


def _fragment(kind: str, principal_id: str) -> str:
    return f"{'users' if kind == 'User' else 'groups'}('{principal_id}')/appRoleAssignments"


async def list_assignments(request: Request, tenant: Tenant) -> Response:
    principal_id, kind = _principal(request, tenant)
    items = [model.assignment_graph(tenant, a) for a in assignments_of(tenant, [principal_id])]
    return collection(request, _fragment(kind, principal_id), items)


async def create_assignment(request: Request, tenant: Tenant) -> Response:
    principal_id, kind = _principal(request, tenant)
    app, role_id = model.assignment_request(await read_object(request), tenant, principal_id)
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


routes: list[BaseRoute] = []
for _plural, _one in (("users", "user"), ("groups", "group")):
    routes += [
        route(f"{PREFIX}/{_plural}/{{{_one}}}/appRoleAssignments",
              {"GET": list_assignments, "POST": create_assignment}),
        route(f"{PREFIX}/{_plural}/{{{_one}}}/appRoleAssignments/{{assignment}}",
              {"GET": get_assignment, "DELETE": delete_assignment}),
    ]
