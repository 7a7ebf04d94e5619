"""Groups and their members, in Graph's shapes, under ``/graph/{tenant}/v1.0/groups``.

``POST groups`` (with ``members@odata.bind``), ``GET/PATCH/DELETE groups/{id}``,
``GET groups/{id}/members``, ``POST groups/{id}/members/$ref`` and
``DELETE groups/{id}/members/{member}/$ref``. Members are users and other groups (nesting);
what a user's tokens then carry follows the apps' ``groupMembershipClaims``.
https://learn.microsoft.com/graph/api/group-post-groups,
https://learn.microsoft.com/graph/api/group-post-members,
https://learn.microsoft.com/graph/api/group-delete-members
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from ..directory import Group, remove_object
from ..directory_config import NESTING_CYCLE, nesting_cycle
from ..store import Tenant, User, new_guid
from . import graph_directory_model as model
from . import graph_permission_tables as tables
from .common import idp
from .graph_access import requires, sight
from .graph_http import PREFIX, group_key, json_body, not_found, route
from .graph_paging import Entry, collection, select_one
from .payload import BadInput, check_known, iso, read_object

MAX_MEMBERS = 50_000


UNSET_USER_PROPERTIES: dict[str, object] = {
    name: None for name in (
        "department", "companyName", "employeeId", "employeeType", "employeeHireDate",
        "onPremisesImmutableId", "onPremisesSamAccountName", "onPremisesUserPrincipalName",
        "onPremisesDomainName", "onPremisesDistinguishedName", "onPremisesSecurityIdentifier",
        "onPremisesSyncEnabled", "onPremisesLastSyncDateTime", "city", "state", "streetAddress",
        "postalCode", "faxNumber", "ageGroup", "passwordPolicies", "externalUserState",
        "creationType", "lastPasswordChangeDateTime", "securityIdentifier")}
"""User properties of Graph's user resource the mock keeps no value for, answered null when
``$select`` names them, as Graph answers an unset one
(https://learn.microsoft.com/graph/api/resources/user#properties)."""


def _user_properties(user: User) -> dict[str, object]:
    """What ``$select`` may name beyond :meth:`User.graph`: the unset ones null, collections
    empty; the ``mailNickname`` kept, and ``identities`` the UPN sign-in a member has."""
    domain = user.upn.partition("@")[2]
    return {**UNSET_USER_PROPERTIES, "otherMails": [], "proxyAddresses": [], "imAddresses": [],
            "createdDateTime": iso(user.created) if user.created else None,
            "mailNickname": user.mail_nickname,
            "identities": [{"signInType": "userPrincipalName", "issuer": domain,
                            "issuerAssignedId": user.upn}]}


def user_entry(user: User, odata_type: bool = False) -> Entry:
    """A user as lists show it: its default properties, and what ``$select`` may add (its
    directory extension values and ``passwordProfile`` among them)."""
    kind = {"@odata.type": "#microsoft.graph.user"} if odata_type else {}
    password = {"password": None, "forceChangePasswordNextSignIn": user.force_change_password,
                "forceChangePasswordNextSignInWithMfa": False}
    return Entry({**kind, **_user_properties(user), **user.graph(), **user.extensions,
                  "passwordProfile": password}, {**kind, **user.graph_default()})


def directory_entry(tenant: Tenant, object_id: str) -> Entry | None:
    """A user or group as a ``directoryObject`` (with its ``@odata.type``), or ``None``."""
    user = tenant.users.get(object_id)
    if user is not None:
        return user_entry(user, odata_type=True)
    group = tenant.groups.get(object_id)
    if group is not None:
        return Entry({"@odata.type": "#microsoft.graph.group", **group.graph(tenant.domain)})
    return None


def _group(request: Request, tenant: Tenant) -> Group:
    key = request.path_params["group"]
    group = tenant.groups.get(group_key(key))
    if group is None:
        raise not_found("id", key)
    return group


def add_members(tenant: Tenant, group: Group, ids: list[str], field: str) -> None:
    """Add users or groups; an unknown object, a duplicate or a cycle is refused (nothing is
    added then)."""
    for object_id in ids:
        if directory_entry(tenant, object_id) is None:
            raise not_found(field, object_id)
        if object_id in group.members:
            raise BadInput("One or more added object references already exist for the "
                           "following modified properties: 'members'.", field=field)
    nesting = {g.id: g.members for g in tenant.groups.values()}
    if nesting_cycle({**nesting, group.id: [*group.members, *ids]}, [group.id]) is not None:
        raise BadInput(NESTING_CYCLE, field=field)
    if len(group.members) + len(ids) > MAX_MEMBERS:
        raise BadInput(f"A group in the mock holds at most {MAX_MEMBERS} members.", field=field)
    group.members.extend(ids)


@requires(tables.GROUP_READ)
async def list_groups(request: Request, tenant: Tenant) -> Response:
    """Groups, 100 to a page (https://learn.microsoft.com/graph/api/group-list)."""
    return collection(request, "groups", [g.graph(tenant.domain) for g in tenant.groups.values()],
                      type_name="microsoft.graph.group",
                      filterable={"displayName", "id", "mail", "mailNickname",
                                  "securityEnabled", "mailEnabled"},
                      prefixable={"displayName", "mail", "mailNickname"},
                      orderable={"displayName"})


@requires(tables.GROUP_CREATE)
async def create_group(request: Request, tenant: Tenant) -> Response:
    body = await read_object(request)
    changes = model.group_changes(body, creating=True)
    members = model.member_binds(body) or []
    group = Group(id=new_guid(), created=idp(request).clock.now(), **changes)
    add_members(tenant, group, members, "members@odata.bind")
    tenant.groups[group.id] = group
    return json_body(request, "groups/$entity", group.graph(tenant.domain), 201)


@requires(tables.GROUP_READ)
async def get_group(request: Request, tenant: Tenant) -> Response:
    group = Entry(_group(request, tenant).graph(tenant.domain))
    return json_body(request, "groups/$entity",
                     select_one(request, group,
                                "microsoft.graph.group"))


@requires(tables.GROUP_UPDATE)
async def update_group(request: Request, tenant: Tenant) -> Response:
    group = _group(request, tenant)
    body = await read_object(request)
    changes = model.group_changes(body, creating=False)
    members = model.member_binds(body)
    if members:
        add_members(tenant, group, members, "members@odata.bind")
    for attr, value in changes.items():
        setattr(group, attr, value)
    return Response(status_code=204)


@requires(tables.GROUP_DELETE)
async def delete_group(request: Request, tenant: Tenant) -> Response:
    group = _group(request, tenant)
    del tenant.groups[group.id]
    remove_object(tenant, group.id)
    return Response(status_code=204)


@requires(tables.GROUP_READ)
async def list_members(request: Request, tenant: Tenant) -> Response:
    """Users and groups, each with as much as the token reads of its type: a token that reads
    groups but no users lists its user members by type and id alone (:mod:`.graph_visibility`)."""
    group = _group(request, tenant)
    seen = sight(request, tenant)
    items = [seen.member(e) for e in (directory_entry(tenant, m) for m in group.members)
             if e is not None]
    return collection(request, "directoryObjects", items)


@requires(tables.GROUP_MEMBERS_WRITE)
async def add_member_ref(request: Request, tenant: Tenant) -> Response:
    group = _group(request, tenant)
    body = await read_object(request)
    check_known(body, {"@odata.id"})
    if "@odata.id" not in body:
        raise BadInput("'@odata.id' is required: the member's directory object URL",
                       field="@odata.id")
    add_members(tenant, group, [model.object_ref(body["@odata.id"], "@odata.id")], "@odata.id")
    return Response(status_code=204)


@requires(tables.GROUP_MEMBERS_WRITE)
async def remove_member_ref(request: Request, tenant: Tenant) -> Response:
    group = _group(request, tenant)
    member = request.path_params["member"].strip().lower()
    if member not in group.members:
        raise not_found("member", member)
    group.members.remove(member)
    return Response(status_code=204)


routes: list[BaseRoute] = [
    route(PREFIX + "/groups", {"GET": list_groups, "POST": create_group}),
    route(PREFIX + "/groups/{group}", {"GET": get_group, "PATCH": update_group,
                                       "DELETE": delete_group}),
    route(PREFIX + "/groups/{group}/members", {"GET": list_members}),
    route(PREFIX + "/groups/{group}/members/$ref", {"POST": add_member_ref}),
    route(PREFIX + "/groups/{group}/members/{member}/$ref", {"DELETE": remove_member_ref}),
]
