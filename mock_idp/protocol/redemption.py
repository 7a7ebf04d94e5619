"""The scopes a code or refresh token is redeemed for at the token endpoint."""

from __future__ import annotations

from ..errors import EntraError
from ..store import Application, Tenant
from . import resources
from .claims import resource_scopes, split_scopes

SIGN_IN_SCOPES = ("openid", "offline_access")


def code_scopes(tenant: Tenant, granted: tuple[str, ...], scope: str | None,
                app: Application) -> tuple[str, ...]:
    """The scopes a code is redeemed for: the request's ``scope`` when it has one, which also
    names the resource the access token is for (a Microsoft extension of the code redemption
    that lets an app choose the token's resource: the auth-code flow reference), else what was
    ``granted``. A ``scope`` naming two resources is AADSTS28000, a resource scope beyond the
    grant AADSTS65001; ``openid`` and ``offline_access`` stay when the grant had them."""
    asked = split_scopes(scope)
    resources.one_resource(tenant, asked)
    requested = asked or granted
    extra = [s for s in resource_scopes(requested)
             if s not in granted and not s.endswith("/.default")]
    if extra:
        raise EntraError(65001, {"app_id": app.client_id, "app_name": app.name})
    return with_sign_in(granted, requested)


def with_sign_in(granted: tuple[str, ...], asked: tuple[str, ...]) -> tuple[str, ...]:
    """``asked``, plus ``openid`` and ``offline_access`` when the grant had them."""
    kept = tuple(s for s in SIGN_IN_SCOPES if s in granted)
    return tuple(dict.fromkeys((*asked, *kept)))
