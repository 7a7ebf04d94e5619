"""Who may call what on the mock's Microsoft Graph: the bearer token, and Graph's permission
tables (:mod:`.graph_permission_tables`).

A call that carries an ``Authorization`` header is an app's, and is checked as Graph checks it,
before anything it names is looked up: a Microsoft Graph token of this tenant (else 401
``InvalidAuthenticationToken``; a CAE token a critical event made stale gets a claims
challenge, :mod:`mock_idp.protocol.cae`), then the permissions the call's table lists, delegated
(``scp``) or application (``roles`` of an app-only token), else 403
``Authorization_RequestDenied``. Where a table has a row for the signed-in user's own data
(``own``), which row applies depends on who the call is about: the token must hold one that
reaches someone before the user is looked up, so that a token without permissions gets the same
403 for a user that exists and one that does not, and the row for that user after; a delegated
token that reaches only the signed-in user is refused any other before the lookup alike.
Every route takes its handlers through :func:`requires`, so no
route answers an app without that check. A call without the header is the test-control
management API, unchecked (tests and the ``MockIdp`` helpers arrange the directory that way);
the reads that only exist for apps (``/me``, memberships) always need a token
(:func:`subject`). What a permitted read then shows of each object is
:mod:`.graph_visibility`'s (:func:`sight`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from starlette.requests import Request

from ..protocol import cae, revalidation
from ..protocol.bearer import BearerError, bearer_token, verify_graph_token
from ..store import Tenant, User
from .common import idp
from .graph_http import GraphError, Guarded, Handler, denied, find_user
from .graph_permission_tables import Alternatives, Rule
from .graph_visibility import EVERYTHING, Sight

__all__ = ["authorize", "caller", "requires", "sight", "subject"]

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="", authorization_uri="https://login.'
              'microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-'
              'c000-000000000000"'}
ME_NEEDS_A_USER = "/me request is only valid with delegated authentication flow."
"""Graph's 400 ``BadRequest`` for ``/me`` with an app-only token (quoted in
microsoftgraph/msgraph-sdk-php#1163); the docs: "Calling the /me endpoint requires a signed-in
user and therefore a delegated permission" (user-list-memberof)."""


def caller(request: Request, tenant: Tenant) -> dict[str, Any]:
    """The claims of the request's Graph token, or Graph's 401 (with its challenge; a claims
    challenge for a CAE token a critical event made stale, :mod:`mock_idp.protocol.cae`);
    checked once a request."""
    checked: dict[str, Any] | None = getattr(request.state, "graph_claims", None)
    if checked is not None:
        return checked
    state = idp(request)
    try:
        claims = verify_graph_token(bearer_token(request.headers.get("authorization")),
                                    state.keys, state.clock.now())
    except BearerError as exc:
        raise GraphError(exc.message, code="InvalidAuthenticationToken", status=401,
                         field="Authorization", headers=CHALLENGE) from None
    if claims.get("tid") != tenant.id or not revalidation.issued_by(tenant, claims):
        # (a token of a tenant deleted since, though one was made again under its id)
        raise GraphError("Access token validation failure. Invalid tenant.",
                         code="InvalidAuthenticationToken", status=401, field="Authorization",
                         headers=CHALLENGE)
    found = cae.challenge(claims, tenant.users.get(str(claims.get("oid", ""))),
                          state.clock.now())
    if found is not None:
        raise GraphError(cae.MESSAGE, code="InvalidAuthenticationToken", status=401,
                         field="Authorization", headers={"WWW-Authenticate": found.header})
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


def _require(claims: dict[str, Any], wanted: Alternatives) -> None:
    granted = _granted(claims)
    if not any(needed <= granted for needed in wanted):
        raise denied()


def _least(claims: dict[str, Any], rule: Rule) -> Alternatives:
    """What the call needs whoever it is about: an app-only token's row, else a delegated row
    (the signed-in user's own, or another's)."""
    if app_only(claims):
        return rule.application
    return (*(rule.own or ()), *rule.delegated)


def _signed_in(tenant: Tenant, claims: dict[str, Any]) -> User:
    if app_only(claims):
        raise GraphError(ME_NEEDS_A_USER, code="BadRequest", field="me")
    me = tenant.users.get(str(claims.get("oid", "")))
    if me is None:
        raise GraphError("The signed-in user no longer exists.",
                         code="Request_ResourceNotFound", status=404, field="me")
    return me


def _about(request: Request, tenant: Tenant, claims: dict[str, Any]) -> User:
    """The user a call about one user names: the path's ``{user}``, else (``/me``) the
    signed-in user."""
    if "user" in request.path_params:
        return find_user(request, tenant)
    return _signed_in(tenant, claims)


def _names_the_signed_in_user(request: Request, tenant: Tenant, claims: dict[str, Any]
                              ) -> bool:
    """Whether the call is about the signed-in user (``/me``, or the path's ``{user}`` is the
    token's ``oid`` or that user's UPN), told from the token alone: the path's user is not
    looked up."""
    if "user" not in request.path_params:
        return True
    key = str(request.path_params["user"]).strip().lower()
    oid = str(claims.get("oid", "")).lower()
    me = tenant.users.get(oid)
    return key == oid or (me is not None and me.upn.lower() == key)


def authorize(request: Request, tenant: Tenant, rule: Rule) -> None:
    """An app's call (one with an ``Authorization`` header): its token, then the permissions
    ``rule`` lists. For a rule with an ``own`` table, whether the signed-in user's own
    permissions suffice depends on who the call is about, so a token must first hold what
    reaches at least one user (else 403, for a user that exists or not alike, so that a token
    with no such permission cannot tell which users exist). A delegated token that reaches
    only the signed-in user (``User.Read`` alone) gets the same 403 for any other user, one
    that exists or not, before the lookup too: Graph's pages say User.Read reads "the
    signed-in user only" (https://learn.microsoft.com/graph/api/user-get) and no source says
    what Graph answers it for an id nobody has, so the mock answers as a check of the
    permission before the lookup would, rather than let a 404 tell which users exist. Then
    the user is looked up (404 if missing; ``/me`` with an app-only token is Graph's 400) and
    the row that applies is checked. Without the header: the management API, unchecked."""
    if "authorization" not in request.headers:
        return
    claims = caller(request, tenant)
    if rule.own is None:
        _require(claims, rule.application if app_only(claims) else rule.delegated)
        return
    if app_only(claims) and "user" not in request.path_params:
        raise GraphError(ME_NEEDS_A_USER, code="BadRequest", field="me")
    _require(claims, _least(claims, rule))
    if not app_only(claims) and not _names_the_signed_in_user(request, tenant, claims):
        _require(claims, rule.delegated)
    user = _about(request, tenant, claims)
    if not app_only(claims):
        _require(claims, rule.own if user.id == claims.get("oid") else rule.delegated)


def requires(rule: Rule) -> Callable[[Handler], Guarded]:
    """The handler, to run once :func:`authorize` lets the caller through ``rule``."""
    def guard(handler: Handler) -> Guarded:
        return Guarded(handler, partial(authorize, rule=rule))
    return guard


def subject(request: Request, tenant: Tenant) -> User:
    """The user a token-only call (``/me``, memberships) is about: the path's ``{user}``, else
    the token's; without a token, Graph's 401. The permissions are :func:`authorize`'s."""
    return _about(request, tenant, caller(request, tenant))


def sight(request: Request, tenant: Tenant) -> Sight:
    """What the caller sees of the objects a read it may make answers with: everything for the
    management API (no ``Authorization`` header), else what its token's permissions read."""
    if "authorization" not in request.headers:
        return EVERYTHING
    claims = caller(request, tenant)
    return Sight(granted=_granted(claims),
                 me=None if app_only(claims) else str(claims.get("oid", "")))
