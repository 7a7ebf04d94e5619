"""What an app asks Graph about a signed-in user, with the user's access token: ``/me``, and the
user's group memberships, where a token's groups overage points.

``POST users/{id}/getMemberObjects`` and ``getMemberGroups`` (transitive ids; body
``{"securityEnabledOnly": bool}``), ``GET users/{id}/memberOf`` (direct) and
``transitiveMemberOf`` (nested too) as directory objects, paged with ``@odata.nextLink`` as
every list is (:mod:`.graph_paging`); each also as ``/me/…``. Unlike the management calls
(which a test makes without a token), these check the bearer token as Graph does: a Microsoft
Graph token of this tenant, a delegated ``User.Read`` (or wider) for the signed-in user's own
data, ``User.Read.All`` or ``Directory.Read.All`` for another user's; 401
``InvalidAuthenticationToken`` or 403 ``Authorization_RequestDenied`` otherwise. App-only tokens
carry no application permissions in the mock, so they are refused.
https://learn.microsoft.com/graph/api/directoryobject-getmemberobjects,
https://learn.microsoft.com/graph/api/directoryobject-getmembergroups,
https://learn.microsoft.com/graph/api/user-list-memberof,
https://learn.microsoft.com/graph/api/user-list-transitivememberof
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from ..directory import Group, member_of, transitive_member_of
from ..protocol.bearer import BearerError, bearer_token, delegated_scopes, verify_graph_token
from ..store import Tenant, User
from .common import idp
from .graph_groups import directory_entry, user_entry
from .graph_http import PREFIX, GraphError, json_body, not_found, route
from .graph_paging import collection, select_one
from .payload import BadInput, check_known, get_bool, read_object

MAX_MEMBER_IDS = 11_000
"""``getMemberObjects`` / ``getMemberGroups`` answer at most this many ids."""
SELF_SCOPES = frozenset({"user.read", "user.readwrite", "user.readbasic.all", "user.read.all",
                         "user.readwrite.all", "directory.read.all", "directory.readwrite.all",
                         "directory.accessasuser.all"})
OTHER_SCOPES = frozenset({"user.read.all", "user.readwrite.all", "directory.read.all",
                          "directory.readwrite.all", "directory.accessasuser.all"})
_DENIED = "Insufficient privileges to complete the operation."


def _caller(request: Request, tenant: Tenant) -> dict[str, Any]:
    """The claims of the request's Graph token, or Graph's 401."""
    state = idp(request)
    try:
        claims = verify_graph_token(bearer_token(request.headers.get("authorization")),
                                    state.keys, state.clock.now())
    except BearerError as exc:
        raise GraphError(exc.message, code="InvalidAuthenticationToken", status=401,
                         field="Authorization",
                         headers={"WWW-Authenticate": 'Bearer realm="", '
                                  'authorization_uri="https://login.microsoftonline.com/'
                                  'common/oauth2/authorize", client_id="00000003-0000-0000-'
                                  'c000-000000000000"'}) from None
    if claims.get("tid") != tenant.id:
        raise GraphError("Access token validation failure. Invalid tenant.",
                         code="InvalidAuthenticationToken", status=401, field="Authorization")
    return claims


def _subject(request: Request, tenant: Tenant) -> User:
    """The user the call is about (``/me``: the token's), once the token may read it."""
    claims = _caller(request, tenant)
    if claims.get("idtyp") == "app" or "scp" not in claims:
        raise GraphError(_DENIED, code="Authorization_RequestDenied", status=403)
    scopes = delegated_scopes(claims)
    if "user" not in request.path_params:
        me = tenant.users.get(str(claims.get("oid", "")))
        if me is None:
            raise GraphError("The signed-in user no longer exists.",
                             code="Request_ResourceNotFound", status=404, field="me")
        allowed = SELF_SCOPES
        user = me
    else:
        key = request.path_params["user"]
        found = tenant.find_user(key)
        if found is None:
            raise not_found("id", key)
        user = found
        allowed = SELF_SCOPES if user.id == claims.get("oid") else OTHER_SCOPES
    if not scopes & allowed:
        raise GraphError(_DENIED, code="Authorization_RequestDenied", status=403)
    return user


async def me(request: Request, tenant: Tenant) -> Response:
    user = _subject(request, tenant)
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
    user = _subject(request, tenant)
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
    user = _subject(request, tenant)
    return _page(request, member_of(tenant, user.id), tenant)


async def list_transitive_member_of(request: Request, tenant: Tenant) -> Response:
    user = _subject(request, tenant)
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
