"""Directory roles in Graph's shapes: ``roleManagement/directory/roleDefinitions`` (the built-in
roles the mock knows) and ``roleManagement/directory/roleAssignments`` (which user holds which,
tenant-wide only: ``directoryScopeId`` ``/``).

A role is named by its template id (``roleDefinitionId``), as in Graph; the user by object id
or UPN. Holding Global, Privileged Role, Cloud Application or Application Administrator lets a
user consent for the whole organization (:mod:`mock_idp.directory_roles`); ``wids`` lists the
roles. An assignment's id is derived from the user and the role, so it is stable across calls.
https://learn.microsoft.com/graph/api/rbacapplication-post-roleassignments
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from ..consent import digest_id
from ..directory_roles import BUILT_IN
from ..store import Tenant, User
from . import graph_permission_tables as tables
from .graph_access import requires
from .graph_http import PREFIX, json_body, not_found, route
from .graph_paging import collection
from .payload import BadInput, check_known, get_str, parse_guid, read_object

ROLES = PREFIX + "/roleManagement/directory"
_NAMES = {template: name for name, template in BUILT_IN.items()}


def _assignment_id(user: User, template: str) -> str:
    return digest_id(user.id, template)


def _assignment(user: User, name: str) -> dict[str, Any]:
    template = BUILT_IN[name]
    return {"id": _assignment_id(user, template), "principalId": user.id,
            "roleDefinitionId": template, "directoryScopeId": "/"}


def _assignments(tenant: Tenant) -> list[dict[str, Any]]:
    return [_assignment(user, name) for user in tenant.users.values()
            for name in user.directory_roles]


def held_roles(tenant: Tenant, user: User) -> list[dict[str, Any]]:
    """The directory roles ``user`` holds, as ``memberOf`` lists them: activated
    ``directoryRole`` objects, whose id is the tenant's own (stable here: derived from the
    tenant and the template), not the template id
    (https://learn.microsoft.com/graph/api/resources/directoryrole)."""
    return [{"@odata.type": "#microsoft.graph.directoryRole",
             "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{tenant.id}/directoryRoles/{template}")),
             "deletedDateTime": None, "description": None, "displayName": name,
             "roleTemplateId": template}
            for name in user.directory_roles if (template := BUILT_IN.get(name))]


@requires(tables.ROLE_DEFINITIONS_READ)
async def list_definitions(request: Request, tenant: Tenant) -> Response:
    items = [{"id": template, "templateId": template, "displayName": name, "isBuiltIn": True,
              "isEnabled": True} for name, template in BUILT_IN.items()]
    return collection(request, "roleManagement/directory/roleDefinitions", items,
                      type_name="microsoft.graph.unifiedRoleDefinition",
                      filterable={"displayName", "templateId"})


@requires(tables.ROLE_ASSIGNMENTS_READ)
async def list_assignments(request: Request, tenant: Tenant) -> Response:
    return collection(request, "roleManagement/directory/roleAssignments", _assignments(tenant),
                      type_name="microsoft.graph.unifiedRoleAssignment",
                      filterable={"principalId", "roleDefinitionId"})


@requires(tables.ROLE_ASSIGNMENTS_WRITE)
async def create_assignment(request: Request, tenant: Tenant) -> Response:
    body = await read_object(request)
    check_known(body, {"principalId", "roleDefinitionId", "directoryScopeId"})
    principal = get_str(body, "principalId", required=True, nullable=False, max_len=256) or ""
    user = tenant.find_user(principal)
    if user is None:
        raise BadInput("'principalId' must be the id or UPN of a user of this tenant",
                       field="principalId")
    template = parse_guid(get_str(body, "roleDefinitionId", required=True, nullable=False,
                                  max_len=64) or "", "roleDefinitionId")
    name = _NAMES.get(template)
    if name is None:
        raise BadInput(f"'roleDefinitionId' must be the template id of a built-in role the mock "
                       f"knows: {', '.join(f'{n} ({t})' for n, t in BUILT_IN.items())}",
                       field="roleDefinitionId")
    if get_str(body, "directoryScopeId", required=True, nullable=False, max_len=64) != "/":
        raise BadInput("'directoryScopeId' must be '/': only tenant-wide roles are modelled",
                       field="directoryScopeId")
    if name in user.directory_roles:
        raise BadInput("A conflicting object with one or more of the specified property values "
                       "is present in the directory.", field="roleDefinitionId", status=409)
    user.directory_roles = (*user.directory_roles, name)
    return json_body(request, "roleManagement/directory/roleAssignments/$entity",
                     _assignment(user, name), 201)


def _find(request: Request, tenant: Tenant) -> tuple[User, str]:
    wanted = request.path_params["assignment"]
    for user in tenant.users.values():
        for name in user.directory_roles:
            if _assignment_id(user, BUILT_IN[name]) == wanted:
                return user, name
    raise not_found("id", wanted)


@requires(tables.ROLE_ASSIGNMENTS_READ)
async def get_assignment(request: Request, tenant: Tenant) -> Response:
    user, name = _find(request, tenant)
    return json_body(request, "roleManagement/directory/roleAssignments/$entity",
                     _assignment(user, name))


@requires(tables.ROLE_ASSIGNMENTS_WRITE)
async def delete_assignment(request: Request, tenant: Tenant) -> Response:
    user, name = _find(request, tenant)
    user.directory_roles = tuple(r for r in user.directory_roles if r != name)
    return Response(status_code=204)


routes: list[BaseRoute] = [
    route(ROLES + "/roleDefinitions", {"GET": list_definitions}),
    route(ROLES + "/roleAssignments", {"GET": list_assignments, "POST": create_assignment}),
    route(ROLES + "/roleAssignments/{assignment}",
          {"GET": get_assignment, "DELETE": delete_assignment}),
]
