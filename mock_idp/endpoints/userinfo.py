"""UserInfo, served as Graph serves it (``/oidc/userinfo``) and at the v1 tenant path."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..errors import EntraError
from ..protocol import claims as claimset
from ..protocol.bearer import BearerError, bearer_token, verify_graph_token
from .common import idp
from .faults_hook import json_fault, token_fault
from .forms import form_params


def _unauthorized(message: str, code: str = "InvalidAuthenticationToken") -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=401,
        headers={"WWW-Authenticate": 'Bearer realm="", error="invalid_token", '
                 f'error_description="{message}"'},
    )


async def userinfo(request: Request) -> Response:
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
    tenant = state.store.tenants.get(str(claims.get("tid", "")))
    user = tenant.users.get(str(claims.get("oid", ""))) if tenant else None
    if user is None or claims.get("idtyp") == "app":
        return _unauthorized("The token does not represent a user.")
    client_id = str(claims.get("appid") or claims.get("azp") or "")
    fault = await json_fault(request, "userinfo", tenant=tenant.id if tenant else None,
                                 app=client_id, user=user.id)
    if fault is not None:
        return fault
    body = {
        "sub": claimset.pairwise_sub(user.id, client_id),
        "name": user.name,
        "family_name": user.family_name,
        "given_name": user.given_name,
        "picture": "https://graph.microsoft.com/v1.0/me/photo/$value",
        "email": user.email,
    }
    transform = token_fault(request, "userinfo", tenant=tenant.id if tenant else None,
                            app=client_id, user=user.id)
    if transform is not None:
        body = transform(body)
    return JSONResponse({k: v for k, v in body.items() if v is not None},
                        headers={"Cache-Control": "no-store"})


routes: list[BaseRoute] = [
    Route("/oidc/userinfo", userinfo, methods=["GET", "POST"]),
    Route("/{tenant}/openid/userinfo", userinfo, methods=["GET", "POST"]),
]
