"""What an app asks Graph about a signed-in user, with the user's access token: ``/me``, and the
user's memberships, where a token's groups overage points.

``POST users/{id}/getMemberObjects`` and ``getMemberGroups`` (transitive ids; body
``{"securityEnabledOnly": bool}``), ``checkMemberGroups`` (``{"groupIds": [...]}``) and
``checkMemberObjects`` (``{"ids": [...]}``), at most 20 ids, answering those the user belongs
to transitively; ``GET users/{id}/memberOf`` (direct) and ``transitiveMemberOf`` (nested too)
as directory objects, paged with ``@odata.nextLink`` as every list is (:mod:`.graph_paging`),
and cast to groups with ``/microsoft.graph.group`` (or ``/graph.group``, as the Kiota SDKs
write it); each also as ``/me/…``. Memberships are groups and the directory roles the user
holds (``#microsoft.graph.directoryRole``), as Graph's are; ``getMemberGroups``,
``checkMemberGroups`` and ``securityEnabledOnly: true`` answer groups alone.

These always check the bearer token as Graph does (:mod:`.graph_access`): a Microsoft Graph
token of this tenant with the permissions of :data:`.graph_permission_tables.MEMBERSHIPS`
(``/me``: ``USER_READ``), the signed-in user's own row or another user's; 401
``InvalidAuthenticationToken`` or 403 ``Authorization_RequestDenied`` otherwise, and ``/me``
with an app-only token is Graph's 400. ``memberOf`` and ``transitiveMemberOf`` list
what the token may not read with its type and id alone, the rest null (``/me/memberOf`` with
``User.Read`` alone: every group nameless), as Graph does (:mod:`.graph_visibility`).
https://learn.microsoft.com/graph/api/directoryobject-getmemberobjects,
https://learn.microsoft.com/graph/api/directoryobject-getmembergroups,
https://learn.microsoft.com/graph/api/directoryobject-checkmembergroups,
https://learn.microsoft.com/graph/api/directoryobject-checkmemberobjects,
https://learn.microsoft.com/graph/api/user-list-memberof,
https://learn.microsoft.com/graph/api/user-list-transitivememberof
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from ..directory import Group, member_of, transitive_member_of
from ..store import Tenant, User
from . import graph_permission_tables as tables
from .graph_access import requires, sight, subject
from .graph_directory_roles import held_roles
from .graph_groups import directory_entry, user_entry
from .graph_http import PREFIX, GraphError, Guarded, json_body, route
from .graph_paging import Entry, collection, select_one
from .payload import BadInput, check_known, get_bool, get_str_list, read_object

MAX_MEMBER_IDS = 11_000
"""``getMemberObjects`` / ``getMemberGroups`` answer at most this many ids."""
MAX_CHECKED_IDS = 20
"""``checkMemberGroups`` / ``checkMemberObjects``: "You can check up to a maximum of 20"."""
_GROUP_CASTS = ("microsoft.graph.group", "graph.group")


@requires(tables.USER_READ)
async def me(request: Request, tenant: Tenant) -> Response:
    user = subject(request, tenant)
    return json_body(request, "users/$entity",
                     select_one(request, sight(request, tenant).user(user_entry(user)),
                                "microsoft.graph.user"))


async def _security_only(request: Request) -> bool:
    body = await read_object(request)
    check_known(body, {"securityEnabledOnly"})
    value = get_bool(body, "securityEnabledOnly")
    if value is None:
        raise BadInput("'securityEnabledOnly' is required (true or false)",
                       field="securityEnabledOnly")
    return value


def _member_ids(tenant: Tenant, user: User, *, groups_only: bool, security_only: bool = False
                ) -> list[str]:
    """Transitive: the groups the user belongs to (security groups only when asked), then
    the directory roles it holds unless only groups are wanted."""
    ids = [g.id for g in transitive_member_of(tenant, user.id)
           if g.security_enabled or not security_only]
    if not (groups_only or security_only):
        ids += [str(r["id"]) for r in held_roles(tenant, user)]
    return ids


async def _get_members(request: Request, tenant: Tenant, *, groups_only: bool) -> Response:
    user = subject(request, tenant)
    security_only = await _security_only(request)
    ids = _member_ids(tenant, user, groups_only=groups_only, security_only=security_only)
    if len(ids) > MAX_MEMBER_IDS:
        raise GraphError(f"The results would exceed {MAX_MEMBER_IDS} ids; use "
                         f"transitiveMemberOf.", code="Directory_ResultSizeLimitExceeded")
    return json_body(request, "Collection(Edm.String)", {"value": ids})


@requires(tables.MEMBERSHIPS)
async def get_member_objects(request: Request, tenant: Tenant) -> Response:
    return await _get_members(request, tenant, groups_only=False)


@requires(tables.MEMBERSHIPS)
async def get_member_groups(request: Request, tenant: Tenant) -> Response:
    return await _get_members(request, tenant, groups_only=True)


async def _check(request: Request, tenant: Tenant, key: str, *, groups_only: bool) -> Response:
    """Those of the body's ids the user belongs to, transitively, in the body's order."""
    user = subject(request, tenant)
    body = await read_object(request)
    check_known(body, {key})
    wanted = get_str_list(body, key, max_items=MAX_CHECKED_IDS, max_len=64)
    if wanted is None:
        raise BadInput(f"'{key}' is required: at most {MAX_CHECKED_IDS} object ids", field=key)
    held = set(_member_ids(tenant, user, groups_only=groups_only))
    return json_body(request, "Collection(Edm.String)",
                     {"value": [i for i in dict.fromkeys(w.strip().lower() for w in wanted)
                                if i in held]})


@requires(tables.MEMBERSHIPS)
async def check_member_groups(request: Request, tenant: Tenant) -> Response:
    return await _check(request, tenant, "groupIds", groups_only=True)


@requires(tables.MEMBERSHIPS)
async def check_member_objects(request: Request, tenant: Tenant) -> Response:
    return await _check(request, tenant, "ids", groups_only=False)


def _page(request: Request, tenant: Tenant, user: User, groups: list[Group], cast: bool
          ) -> Response:
    """The groups (and, uncast, the directory roles), each with as much as the token reads of
    its type (:mod:`.graph_visibility`)."""
    seen = sight(request, tenant)
    items = [seen.member(e) for e in (directory_entry(tenant, g.id) for g in groups)
             if e is not None]
    if cast:
        return collection(request, "groups", items, type_name="microsoft.graph.group")
    roles = [seen.member(Entry(r)) for r in held_roles(tenant, user)]
    return collection(request, "directoryObjects", [*items, *roles])


def _lister(found: Callable[[Tenant, str], list[Group]], *, cast: bool) -> Guarded:
    @requires(tables.MEMBERSHIPS)
    async def handler(request: Request, tenant: Tenant) -> Response:
        user = subject(request, tenant)
        return _page(request, tenant, user, found(tenant, user.id), cast)
    return handler


def _routes(base: str) -> list[BaseRoute]:
    kinds = (("memberOf", member_of), ("transitiveMemberOf", transitive_member_of))
    lists = [route(f"{base}/{name}", {"GET": _lister(found, cast=False)})
             for name, found in kinds]
    casts = [route(f"{base}/{name}/{cast}", {"GET": _lister(found, cast=True)})
             for name, found in kinds for cast in _GROUP_CASTS]
    return [
        route(base + "/getMemberObjects", {"POST": get_member_objects}),
        route(base + "/getMemberGroups", {"POST": get_member_groups}),
        route(base + "/checkMemberGroups", {"POST": check_member_groups}),
        route(base + "/checkMemberObjects", {"POST": check_member_objects}),
        *lists,
        *casts,
    ]


routes: list[BaseRoute] = [
    route(PREFIX + "/me", {"GET": me}),
    *_routes(PREFIX + "/me"),
    *_routes(PREFIX + "/users/{user}"),
]
