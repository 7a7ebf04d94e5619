"""UserInfo, served as Graph serves it (``/oidc/userinfo``) and at the v1 tenant path."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..errors import EntraError
from ..faults.registry import held
from ..protocol import claims as claimset
from ..protocol import revalidation
from ..protocol.bearer import BearerError, bearer_token, verify_graph_token
from ..store import Tenant, User
from .common import idp
from .faults_hook import json_fault, token_fault
from .forms import form_params


def _unauthorized(message: str, code: str = "InvalidAuthenticationToken") -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=401,
        headers={"WWW-Authenticate": 'Bearer realm="", error="invalid_token", '
                 f'error_description="{message}"'},
    )


def _insufficient_scope() -> JSONResponse:
    """A Graph token without ``openid``: UserInfo requires it (Entra's UserInfo page lists
    ``openid`` as required). Answered as Graph answers a missing permission, 403, with the
    RFC 6750 challenge; the exact body Entra sends here is not recorded."""
    message = "Insufficient privileges to complete the operation."
    return JSONResponse(
        {"error": {"code": "Authorization_RequestDenied", "message": message}}, status_code=403,
        headers={"WWW-Authenticate": 'Bearer realm="", error="insufficient_scope", '
                 f'error_description="{message}"'})


def _subject(tenants: Mapping[str, Tenant], claims: dict[str, Any]
             ) -> tuple[Tenant | None, User | None]:
    """The token's tenant and user; no user when the tenant that issued the token was deleted
    since, even if one was made again under its id with a user of the same id
    (:mod:`mock_idp.protocol.revalidation`)."""
    tenant = tenants.get(str(claims.get("tid", "")))
    if tenant is None or not revalidation.issued_by(tenant, claims):
        return tenant, None
    return tenant, tenant.users.get(str(claims.get("oid", "")))


async def userinfo_claims(request: Request, *, graph: bool) -> dict[str, str] | Response:
    """The claims UserInfo answers for the request's bearer token, or the answer instead of
    them: a refusal, or an armed fault's response. ``graph``: Graph's UserInfo, the one
    discovery names; otherwise the legacy v1 path."""
    state = idp(request)
    token = bearer_token(request.headers.get("authorization"))
    if token is None and request.method == "POST":
        try:
            token = (await form_params(request)).get("access_token")
        except EntraError:
            token = None
    try:
        claims = verify_graph_token(token, state.keys, state.clock.now())
    except BearerError as exc:
        return _unauthorized(exc.message)
    tenant, user = _subject(state.store.tenants, claims)
    if user is None or claims.get("idtyp") == "app":
        return _unauthorized("The token does not represent a user.")
    scopes = {s.lower() for s in str(claims.get("scp", "")).split()}
    if graph and "openid" not in scopes:
        return _insufficient_scope()
    client_id = str(claims.get("appid") or claims.get("azp") or "")
    fault = await json_fault(request, "userinfo", tenant=tenant.id if tenant else None,
                                 app=client_id, user=user.id)
    if fault is not None:
        return fault
    if held(request):
        # Read again: while a latency or hang fault held the request, the user or the tenant
        # may have been deleted (or made again).
        tenant, user = _subject(state.store.tenants, claims)
        if user is None:
            return _unauthorized("The token does not represent a user.")
    body: dict[str, str | None] = {"sub": claimset.pairwise_sub(user.id, client_id)}
    # The name claims and the e-mail "when available and consented to": with ``profile`` and
    # ``email`` among the token's scopes (learn.microsoft.com/entra/identity-platform/userinfo).
    # The legacy v1 path answered whatever the token's scopes; it keeps doing so.
    if not graph or "profile" in scopes:
        body |= {"name": user.name, "family_name": user.family_name,
                 "given_name": user.given_name,
                 "picture": "https://graph.microsoft.com/v1.0/me/photo/$value"}
    if not graph or "email" in scopes:
        body["email"] = user.email
    transform = token_fault(request, "userinfo", tenant=tenant.id if tenant else None,
                            app=client_id, user=user.id)
    if transform is not None:
        body = transform(body)
    return {k: v for k, v in body.items() if v is not None}


async def userinfo(request: Request, *, graph: bool) -> Response:
    claims = await userinfo_claims(request, graph=graph)
    if isinstance(claims, Response):
        return claims
    return JSONResponse(claims, headers={"Cache-Control": "no-store"})


async def graph_userinfo(request: Request) -> Response:
    return await userinfo(request, graph=True)


async def v1_userinfo(request: Request) -> Response:
    return await userinfo(request, graph=False)


GRAPH_HOST_USERINFO = "/graph/oidc/userinfo"
"""UserInfo under the mock's Graph base (``{graph_url}``) as well: Entra's discovery document
names ``https://graph.microsoft.com/oidc/userinfo``, Graph's host and not the login host
(learn.microsoft.com/entra/identity-platform/userinfo), so apps configured by hand (e.g.
mozilla-django-oidc's ``OIDC_OP_USER_ENDPOINT``) write it from their Graph base."""

routes: list[BaseRoute] = [
    Route("/oidc/userinfo", graph_userinfo, methods=["GET", "POST"]),
    Route(GRAPH_HOST_USERINFO, graph_userinfo, methods=["GET", "POST"]),
    Route("/{tenant}/openid/userinfo", v1_userinfo, methods=["GET", "POST"]),
]
