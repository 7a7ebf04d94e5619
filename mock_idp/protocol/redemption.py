"""The code or refresh token redeemed at the token endpoint, and the scopes it is redeemed
for."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from ..errors import EntraError
from ..store import Application, AuthorizationCode, RefreshToken, Tenant
from . import resources
from .claims import resource_scopes, split_scopes

SIGN_IN_SCOPES = ("openid", "offline_access")
Record = TypeVar("Record", bound=AuthorizationCode | RefreshToken)


def issued(grant_type: str, form: dict[str, str], record: Record | None, *, client_id: str,
           tenant_id: str, now: datetime | None = None) -> Record:
    """``record``, the code or refresh token the request names, when it was issued to this app
    in this tenant. An unreadable one is AADSTS9002313 (``invalid_grant``; MSAL.js #6076), a
    code in Entra's own form (``1.A…``) or another app's AADSTS70000: ``invalid_grant`` either
    way, which MSAL.js answers by signing in again.

    A refresh token still within its lifetime at ``now`` names what is wrong with it: issued in
    another tenant, AADSTS7000012 "The grant was obtained for a different tenant."
    (BingAds/BingAds-Python-SDK #297, Maishan-Inc/Microsoft-Email-Manager #11); to another app,
    AADSTS700007 "The grant was issued for a different client id." (CompassSecurity/EntraFalcon
    #6, a token of Azure CLI's redeemed by another client; microsoft/Partner-Center-PowerShell
    #419). The tenant is checked first, the mock's choice. Past its lifetime, or without
    ``now``, it stays AADSTS9002313."""
    name = "code" if grant_type == "authorization_code" else "refresh_token"
    value = form.get(name)
    if not value:
        raise EntraError(900144, {"name": name})
    if record is None or record.client_id != client_id or record.tenant_id != tenant_id:
        if name == "refresh_token":
            if record is not None and now is not None and now < record.expires_at:
                raise EntraError(7000012 if record.tenant_id != tenant_id else 700007)
            raise EntraError(9002313)
        if record is None and not value.startswith("1.A"):
            raise EntraError(9002313)
        raise EntraError(70000)
    return record


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
