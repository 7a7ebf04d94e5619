"""``/_mock/tenants/{tenant}/users/{user}/claims``: claims a test merges into one user's tokens.

Test-only: Entra has no per-user custom claims. ``PUT {"id_token": {…}, "access_token": {…}}``
replaces them, ``GET`` shows them, ``DELETE`` removes them; they are merged after everything Entra
would put in a token (:func:`mock_idp.protocol.claims.id_token_claims`). Entra's JWT restricted
claim set (:mod:`mock_idp.protocol.restricted_claims`: the protocol claims, ``roles``,
``groups``, ``email``, ``xms_*``...), which no claims policy may set, is refused, naming the
claim; the protocol claims validation rests on
(:data:`~mock_idp.protocol.claims.PROTECTED_CLAIMS`) are never merged, however they were set. A
reset drops them with the rest of the runtime directory.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..protocol.claims import PROTECTED_CLAIMS
from ..protocol.restricted_claims import is_restricted
from ..store import Tenant, User
from .common import idp
from .payload import BadInput, check_known, read_object

CUSTOM_CLAIM_KINDS = ("id_token", "access_token")
MAX_CUSTOM_CLAIMS = 64
CUSTOM_CLAIMS_NOTE = (
    "Test-only: Entra has no per-user custom claims. These are merged into this user's tokens "
    "after everything Entra would put there; Entra's restricted claim set (protocol claims, "
    "roles, groups, email, xms_*...) cannot be set.")


def path_user(request: Request) -> tuple[Tenant, User]:
    store = idp(request).store
    segment = request.path_params["tenant"]
    tenant = store.resolve_tenant(segment)
    if tenant is None:
        raise BadInput(f"no tenant {segment[:80]!r}", field="tenant", status=404)
    key = request.path_params["user"]
    user = tenant.find_user(key)
    if user is None:
        raise BadInput(f"no user {key[:80]!r} in tenant {tenant.domain}", field="user",
                       status=404)
    return tenant, user


def _custom_json(tenant: Tenant, user: User) -> dict[str, Any]:
    return {"tenant": tenant.id, "user": user.id, "note": CUSTOM_CLAIMS_NOTE,
            **{kind: dict(user.custom_claims.get(kind, {})) for kind in CUSTOM_CLAIM_KINDS}}


def _custom_claims(body: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    check_known(body, CUSTOM_CLAIM_KINDS)
    out: dict[str, dict[str, Any]] = {}
    for kind in CUSTOM_CLAIM_KINDS:
        claims = body.get(kind)
        if claims is None:
            continue
        if not isinstance(claims, dict):
            raise BadInput(f"{kind!r} must be an object of claim names to values", field=kind)
        if len(claims) > MAX_CUSTOM_CLAIMS:
            raise BadInput(f"{kind!r} holds more than {MAX_CUSTOM_CLAIMS} claims", field=kind)
        for name in claims:
            field = f"{kind}.{name[:60]}"
            if not name or len(name) > 100 or not name.isprintable():
                raise BadInput("a claim name must be 1 to 100 printable characters",
                               field=field)
            if name in PROTECTED_CLAIMS:
                raise BadInput(f"{name!r} is a protocol claim and cannot be replaced; use a "
                               f"fault (/_mock/faults) to tamper with tokens", field=field)
            if is_restricted(name):
                raise BadInput(f"{name!r} is in Entra's restricted claim set, which no claims "
                               f"policy may set; the mock makes it as Entra does (app role "
                               f"assignments, group memberships, the user's mail)", field=field)
        out[kind] = dict(claims)
    return out


async def get_claims(request: Request) -> Response:
    tenant, user = path_user(request)
    return JSONResponse(_custom_json(tenant, user))


async def put_claims(request: Request) -> Response:
    tenant, user = path_user(request)
    user.custom_claims = _custom_claims(await read_object(request))
    return JSONResponse(_custom_json(tenant, user))


async def delete_claims(request: Request) -> Response:
    _, user = path_user(request)
    user.custom_claims = {}
    return Response(status_code=204)
