"""What an app asks Graph about a signed-in user, with the user's access token: ``/me``, and the
user's group memberships, where a token's groups overage points.

``POST users/{id}/getMemberObjects`` and ``getMemberGroups`` (transitive ids; body
``{"securityEnabledOnly": bool}``), ``GET users/{id}/memberOf`` (direct) and
``transitiveMemberOf`` (nested too) as directory objects, paged with ``@odata.nextLink`` as
every list is (:mod:`.graph_paging`); each also as ``/me/…``. These always check the bearer
token as Graph does (:mod:`.graph_access`): a Microsoft Graph token of this tenant, a delegated
``User.Read`` (or wider) for the signed-in user's own data, ``User.Read.All`` or
``Directory.Read.All`` (delegated or application) for another user's; 401
``InvalidAuthenticationToken`` or 403 ``Authorization_RequestDenied`` otherwise, and ``/me``
with an app-only token is Graph's 400.
https://learn.microsoft.com/graph/api/directoryobject-getmemberobjects,
https://learn.microsoft.com/graph/api/directoryobject-getmembergroups,
https://learn.microsoft.com/graph/api/user-list-memberof,
https://learn.microsoft.com/graph/api/user-list-transitivememberof
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from ..directory import Group, member_of, transitive_member_of
from ..store import Tenant
from .graph_access import MEMBERSHIPS, USER_READ, subject
from .graph_groups import directory_entry, user_entry
from .graph_http import PREFIX, GraphError, json_body, route
from .graph_paging import collection, select_one
from .payload import BadInput, check_known, get_bool, read_object

MAX_MEMBER_IDS = 11_000
"""``getMemberObjects`` / ``getMemberGroups`` answer at most this many ids."""


async def me(request: Request, tenant: Tenant) -> Response:
    user = subject(request, tenant, USER_READ)
    return json_body(request, "users/$entity",
                     select_one(request, user_entry(user),
                                "microsoft.graph.user"))


async def _security_only(request: Request) -> bool:
    body = await read_object(request)
    check_known(body, {"securityEnabledOnly"})
    value = get_bool(body, "securityEnabledOnly")
    if value is None:
        raise BadInput("'securityEnabledOnly' is required (true or false)",
                       field="securityEnabledOnly")
    return value


async def get_member_objects(request: Request, tenant: Tenant) -> Response:
    """Transitive: every group the user belongs to (security groups only when asked)."""
    user = subject(request, tenant, MEMBERSHIPS)
    security_only = await _security_only(request)
    groups = [g for g in transitive_member_of(tenant, user.id)
              if g.security_enabled or not security_only]
    if len(groups) > MAX_MEMBER_IDS:
        raise GraphError(f"The results would exceed {MAX_MEMBER_IDS} ids; use "
                         f"transitiveMemberOf.", code="Directory_ResultSizeLimitExceeded")
    return json_body(request, "Collection(Edm.String)", {"value": [g.id for g in groups]})


def _page(request: Request, groups: list[Group], tenant: Tenant) -> Response:
    items = [e for e in (directory_entry(tenant, g.id) for g in groups) if e is not None]
    return collection(request, "directoryObjects", items)


async def list_member_of(request: Request, tenant: Tenant) -> Response:
    user = subject(request, tenant, MEMBERSHIPS)
    return _page(request, member_of(tenant, user.id), tenant)


async def list_transitive_member_of(request: Request, tenant: Tenant) -> Response:
    user = subject(request, tenant, MEMBERSHIPS)
    return _page(request, transitive_member_of(tenant, user.id), tenant)


def _routes(base: str) -> list[BaseRoute]:
    return [
        route(base + "/getMemberObjects", {"POST": get_member_objects}),
        route(base + "/getMemberGroups", {"POST": get_member_objects}),
        route(base + "/memberOf", {"GET": list_member_of}),
        route(base + "/transitiveMemberOf", {"GET": list_transitive_member_of}),
    ]


routes: list[BaseRoute] = [
    route(PREFIX + "/me", {"GET": me}),
    *_routes(PREFIX + "/me"),
    *_routes(PREFIX + "/users/{user}"),
]
