"""Who may read what on the mock's Microsoft Graph: the bearer token, and Graph's permission
tables for the reads apps make.

A call that carries an ``Authorization`` header is an app's, and is checked as Graph checks it:
a Microsoft Graph token of this tenant (else 401 ``InvalidAuthenticationToken``), then the
permissions the call's table lists, delegated (``scp``) or application (``roles`` of an
app-only token), else 403 ``Authorization_RequestDenied``. A read of users, groups,
applications or service principals without the header is the test-control management API
(tests and the ``MockIdp`` helpers arrange the directory that way); the reads that only exist
for apps (``/me``, memberships) always need a token. What a permitted read then shows of each
object is :mod:`.graph_visibility`'s (:func:`sight`).

The tables, from Graph's API reference (each page's "Permissions" section):
https://learn.microsoft.com/graph/api/user-get, https://learn.microsoft.com/graph/api/user-list,
https://learn.microsoft.com/graph/api/group-get, https://learn.microsoft.com/graph/api/group-list,
https://learn.microsoft.com/graph/api/group-list-members,
https://learn.microsoft.com/graph/api/directoryobject-getmemberobjects ("Memberships for the
signed-in user", "… for other users"), https://learn.microsoft.com/graph/api/user-list-memberof,
https://learn.microsoft.com/graph/api/application-get,
https://learn.microsoft.com/graph/api/serviceprincipal-get.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from ..protocol.bearer import BearerError, bearer_token, verify_graph_token
from ..store import Tenant, User
from .common import idp
from .graph_http import GraphError, find_user
from .graph_visibility import EVERYTHING, Sight

__all__ = ["APPLICATION_READ", "GROUP_READ", "MEMBERSHIPS", "USER_LIST", "USER_READ", "Rule",
           "caller", "check_read", "read_user", "sight", "subject"]

_DENIED = "Insufficient privileges to complete the operation."
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="", authorization_uri="https://login.'
              'microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-'
              'c000-000000000000"'}
ME_NEEDS_A_USER = "/me request is only valid with delegated authentication flow."
"""Graph's 400 ``BadRequest`` for ``/me`` with an app-only token (quoted in
microsoftgraph/msgraph-sdk-php#1163); the docs: "Calling the /me endpoint requires a signed-in
user and therefore a delegated permission" (user-list-memberof)."""

Alternatives = tuple[frozenset[str], ...]


def _each(*names: str) -> Alternatives:
    """Any one of ``names`` suffices."""
    return tuple(frozenset({n.lower()}) for n in names)


def _all(*names: str) -> Alternatives:
    """``names`` together suffice (Graph's "User.ReadBasic.All and GroupMember.Read.All")."""
    return (frozenset(n.lower() for n in names),)


@dataclass(frozen=True)
class Rule:
    """One call's permission table: what reads the signed-in user's own data, another's (or a
    list) with a delegated token, and what an app-only token needs. Each alternative is a set
    of permissions that together suffice."""

    own: Alternatives
    delegated: Alternatives
    application: Alternatives


_DIRECTORY = ("Directory.Read.All", "Directory.ReadWrite.All")
_USERS = ("User.Read.All", "User.ReadWrite.All", *_DIRECTORY)
_OTHERS = _each("User.ReadBasic.All", *_USERS, "Directory.AccessAsUser.All")
_OWN = (*_each("User.Read", "User.ReadWrite"), *_OTHERS)

USER_READ = Rule(own=_OWN, delegated=_OTHERS, application=_each(*_USERS))
"""``GET users/{id}``, ``GET me``: User.Read reads the signed-in user only."""
USER_LIST = Rule(own=_OTHERS, delegated=_OTHERS, application=_each(*_USERS))
"""``GET users``: listing is never only oneself, so User.Read is not enough."""
_BASIC_AND_MEMBERS = _all("User.ReadBasic.All", "GroupMember.Read.All")
MEMBERSHIPS = Rule(own=(*_each("User.Read", "User.ReadWrite"), *_OTHERS),
                   delegated=(*_each(*_USERS, "Directory.AccessAsUser.All"),
                              *_BASIC_AND_MEMBERS),
                   application=(*_each(*_USERS), *_BASIC_AND_MEMBERS))
"""getMemberObjects, getMemberGroups, checkMemberGroups, checkMemberObjects, memberOf,
transitiveMemberOf: the "Memberships for other users" tables allow the application permissions
User.Read.All, Directory.Read.All, User.ReadWrite.All, Directory.ReadWrite.All, or
User.ReadBasic.All with GroupMember.Read.All."""
_GROUPS = ("GroupMember.Read.All", "Group.Read.All", "Group.ReadWrite.All", *_DIRECTORY)
GROUP_READ = Rule(own=_each(*_GROUPS, "Directory.AccessAsUser.All"),
                  delegated=_each(*_GROUPS, "Directory.AccessAsUser.All"),
                  application=_each(*_GROUPS))
"""``GET groups``, ``groups/{id}``, ``groups/{id}/members``."""
_APPLICATIONS = ("Application.Read.All", "Application.ReadWrite.All", *_DIRECTORY)
APPLICATION_READ = Rule(own=_each(*_APPLICATIONS), delegated=_each(*_APPLICATIONS),
                        application=_each(*_APPLICATIONS))
"""``GET applications``, ``applications/{id}`` (and its ``extensionProperties``),
``servicePrincipals``, ``servicePrincipals/{id}``: the same permissions, delegated or
application. Graph's tables also let an app with Application.ReadWrite.OwnedBy read the apps
it owns; the mock keeps no owners, so that permission reads none here."""


def caller(request: Request, tenant: Tenant) -> dict[str, Any]:
    """The claims of the request's Graph token, or Graph's 401 (with its challenge); checked
    once a request."""
    checked: dict[str, Any] | None = getattr(request.state, "graph_claims", None)
    if checked is not None:
        return checked
    state = idp(request)
    try:
        claims = verify_graph_token(bearer_token(request.headers.get("authorization")),
                                    state.keys, state.clock.now())
    except BearerError as exc:
        raise GraphError(exc.message, code="InvalidAuthenticationToken", status=401,
                         field="Authorization", headers=_CHALLENGE) from None
    if claims.get("tid") != tenant.id:
        raise GraphError("Access token validation failure. Invalid tenant.",
                         code="InvalidAuthenticationToken", status=401, field="Authorization",
                         headers=_CHALLENGE)
    request.state.graph_claims = claims
    return claims


def app_only(claims: dict[str, Any]) -> bool:
    return claims.get("idtyp") == "app" or not isinstance(claims.get("scp"), str)


def _granted(claims: dict[str, Any]) -> frozenset[str]:
    """Delegated scopes (``scp``) or an app-only token's application permissions
    (``roles``), compared case-insensitively."""
    if app_only(claims):
        roles = claims.get("roles")
        names: Iterable[object] = roles if isinstance(roles, list) else ()
    else:
        names = str(claims.get("scp", "")).split()
    return frozenset(str(n).lower() for n in names)


def _require(claims: dict[str, Any], rule: Rule, *, own: bool) -> None:
    if app_only(claims):
        wanted = rule.application
    else:
        wanted = rule.own if own else rule.delegated
    granted = _granted(claims)
    if not any(needed <= granted for needed in wanted):
        raise GraphError(_DENIED, code="Authorization_RequestDenied", status=403)


def _signed_in(tenant: Tenant, claims: dict[str, Any]) -> User:
    if app_only(claims):
        raise GraphError(ME_NEEDS_A_USER, code="BadRequest", field="me")
    me = tenant.users.get(str(claims.get("oid", "")))
    if me is None:
        raise GraphError("The signed-in user no longer exists.",
                         code="Request_ResourceNotFound", status=404, field="me")
    return me


def subject(request: Request, tenant: Tenant, rule: Rule) -> User:
    """The user a token-only call is about (``/me``: the token's), once the token may read
    it; the path names ``{user}`` unless it is ``/me``."""
    claims = caller(request, tenant)
    if "user" not in request.path_params:
        user = _signed_in(tenant, claims)
    else:
        user = find_user(request, tenant)
    _require(claims, rule, own=user.id == claims.get("oid") and not app_only(claims))
    return user


def check_read(request: Request, tenant: Tenant, rule: Rule) -> None:
    """An app's read of users, groups, applications or service principals (one with an
    ``Authorization`` header): its token and permissions, before anything is looked up. Without
    the header: the management API, unchecked."""
    if "authorization" not in request.headers:
        return
    _require(caller(request, tenant), rule, own=False)


def read_user(request: Request, tenant: Tenant, rule: Rule) -> User:
    """The user ``users/{id}`` names, for the management API (no ``Authorization`` header) or
    for an app: its token first, so that a bad one is a 401 whether the user exists or not
    (Graph authenticates before it looks anything up), then the user (404), then the
    permissions (403) as :func:`subject`."""
    if "authorization" not in request.headers:
        return find_user(request, tenant)
    return subject(request, tenant, rule)


def sight(request: Request, tenant: Tenant) -> Sight:
    """What the caller sees of the objects a read it may make answers with: everything for the
    management API (no ``Authorization`` header), else what its token's permissions read."""
    if "authorization" not in request.headers:
        return EVERYTHING
    claims = caller(request, tenant)
    return Sight(granted=_granted(claims),
                 me=None if app_only(claims) else str(claims.get("oid", "")))
