"""On-behalf-of: a middle-tier API trades the access token it was called with for one to a
downstream API, for the same user.

The Microsoft identity platform's OBO request is RFC 7523's JWT bearer grant (not RFC 8693
token exchange): ``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer``,
``requested_token_use=on_behalf_of``, ``assertion`` = the user's access token whose audience is
the middle tier, ``scope`` = the downstream scopes (v1: ``resource``), plus the middle tier's own
client credentials. Checks, in order, with the codes Entra answers (``invalid_grant``):

- ``<resource>/.default`` stands alone (the OpenID Connect scopes aside): AADSTS70011
  ``invalid_scope``, as at the authorization endpoint (MicrosoftDocs/entra-docs #1501,
  MSAL.js #4071);
- the assertion is a JWT this provider signed: AADSTS50013 "Assertion failed signature
  validation. [Reason - …]" (AzureAD/microsoft-authentication-library-for-dotnet #1317,
  Azure/azure-sdk-for-java #25109); not a JWT at all: AADSTS50027;
- it is within its time range: AADSTS500133 (microsoftgraph/msgraph-sdk-dotnet #2551);
- its audience is the middle tier, by app id or identifier URI: AADSTS500131
  (OfficeDev/microsoft-teams-apps-company-communicator #214, microsoft/AzureTRE-Deployment #65);
- it stands for a user, not an app: AADSTS90083 "Request is unsupported"
  (MicrosoftDocs/azure-docs #53334);
- the user is enabled and the token not revoked: AADSTS50057, AADSTS50173;
- the scopes name one resource: AADSTS28000, as a code or refresh token redeemed for two;
- the middle tier has consent for the downstream permissions: AADSTS65001 with suberror
  ``consent_required`` (the middle tier cannot show a consent page). Every app holds Microsoft
  Graph's ``User.Read``, as a new registration does; anything else needs an
  ``oauth2PermissionGrant``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt

from ..consent import consented
from ..errors import EntraError
from ..keys import KeyRing
from ..store import Application, Tenant, User
from . import resources, revalidation
from .claims import OIDC_SCOPES, access_token_issued, split_scopes
from .users import check_user, grant_time

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
MAX_FUTURE_NBF = 300


@dataclass(frozen=True)
class OnBehalfOf:
    """The user the assertion stands for, and what to issue for them."""

    user: User
    scopes: tuple[str, ...]
    """The downstream scopes, ``.default`` spelt out as the permissions granted (and kept)."""
    resource: str | None
    """The v1 request's ``resource``."""
    mfa: bool = False
    """The assertion's sign-in took a second factor (its ``amr``, which v1 tokens carry)."""


def exchange(form: Mapping[str, str], *, tenant: Tenant, app: Application, keys: KeyRing,
             issuers: Collection[str], now: datetime, version: str,
             tenants: Mapping[str, Tenant]) -> OnBehalfOf:
    """Check an OBO request made by ``app`` (already authenticated) and resolve it; ``tenants``:
    the directory, where a guest's home account is checked too."""
    if form.get("requested_token_use") != "on_behalf_of":
        raise EntraError(900144, {"name": "requested_token_use"})
    assertion = form.get("assertion")
    if not assertion:
        raise EntraError(900144, {"name": "assertion"})
    scopes = split_scopes(form.get("scope"))
    resource = form.get("resource") if version == "1.0" else None
    if version == "2.0" and not scopes:
        raise EntraError(900144, {"name": "scope"})
    if version == "1.0" and not resource:
        raise EntraError(900144, {"name": "resource"})
    if version == "2.0":  # (v1 names its resource with ``resource``)
        resources.default_alone(scopes)
    claims = _verified(assertion, keys)
    _check_time(claims, now)
    _check_audience(claims, app)
    if (claims.get("tid") != tenant.id or claims.get("iss") not in issuers
            or not revalidation.issued_by(tenant, claims)):
        raise EntraError(50013, {"reason": "The assertion was not issued by this tenant."})
    if claims.get("idtyp") == "app" or not isinstance(claims.get("scp"), str):
        raise EntraError(90083)
    user = check_user(tenant, str(claims.get("oid", "")),
                      datetime.fromtimestamp(access_token_issued(float(claims.get("iat", 0))),
                                             UTC), tenants)
    if version == "2.0":
        resources.one_resource(tenant, scopes)
    target = resources.resolve(tenant, scopes, resource)
    amr = claims.get("amr")
    return OnBehalfOf(user=user, scopes=_consented(tenant, app, user, target, scopes),
                      resource=resource, mfa=isinstance(amr, list) and "mfa" in amr)


def _verified(assertion: str, keys: KeyRing) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError as exc:
        raise EntraError(50027) from exc
    key = keys.find(str(header.get("kid"))) if header.get("alg") == "RS256" else None
    if key is None:
        raise EntraError(50013, {"reason": "The key was not found."})
    try:
        claims: dict[str, Any] = jwt.decode(
            assertion, key.public_key, algorithms=["RS256"],
            options={"verify_aud": False, "verify_exp": False, "verify_nbf": False,
                     "verify_iat": False, "verify_iss": False})
    except jwt.InvalidSignatureError as exc:
        raise EntraError(50013, {"reason": "The provided signature value did not match the "
                                           "expected signature value."}) from exc
    except jwt.PyJWTError as exc:
        raise EntraError(50027) from exc
    return claims


def _check_time(claims: Mapping[str, Any], now: datetime) -> None:
    exp, nbf = claims.get("exp"), claims.get("nbf")
    if not isinstance(exp, int | float) or isinstance(exp, bool):
        raise EntraError(50027)
    ts = now.timestamp()
    if exp <= ts or (isinstance(nbf, int | float) and nbf > ts + MAX_FUTURE_NBF):
        # The current time to the tenth of a microsecond, as Entra names it ("Current time:
        # 2024-06-20T11:53:16.0381024Z, expiry time of assertion 2024-06-20T11:53:16.0000000Z",
        # microsoftgraph/msgraph-sdk-dotnet #2551, refused 38 ms past the expiry: no skew); the
        # expiry, a JWT's whole seconds.
        raise EntraError(500133, {
            "now": grant_time(now),
            "exp": datetime.fromtimestamp(exp, UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000Z")})


def _check_audience(claims: Mapping[str, Any], app: Application) -> None:
    aud = claims.get("aud")
    accepted = {app.client_id, *(u.rstrip("/").lower() for u in app.identifier_uris)}
    if not isinstance(aud, str) or aud.rstrip("/").lower() not in accepted:
        raise EntraError(500131, {"aud": str(aud)[:200], "app_id": app.client_id,
                                  "app_name": app.name})


def _consented(tenant: Tenant, app: Application, user: User, target: resources.Resource,
               scopes: tuple[str, ...]) -> tuple[str, ...]:
    """The scopes to issue, or AADSTS65001 when the middle tier lacks consent for one."""
    granted = consented(tenant.grants, app.client_id, target.audience, user.id)
    # Entra matches permission names in any case and answers in the consented spelling (see
    # consent.holds).
    spelling = {name.lower(): name for name in granted}
    asked = resources.permissions(target, scopes)
    names = asked or tuple(sorted(granted))  # ``.default``: everything granted
    if not names or any(name.lower() not in spelling for name in names):
        raise EntraError(65001, {"app_id": app.client_id, "app_name": app.name})
    names = tuple(spelling[name.lower()] for name in names)
    oidc = tuple(s for s in scopes if s.lower() in OIDC_SCOPES)
    # Named as the request named them, so the token's ``aud`` follows (Resource.token_audience).
    qualified = names if target.named is None else (f"{target.prefix}/{n}" for n in names)
    # ``.default`` stays too: the response's ``scope`` ends with it, which is what MSAL finds
    # the token by when asked again (resources.echoed_scope).
    default = () if asked else tuple(s for s in scopes if s.endswith("/.default"))
    return (*qualified, *default, *oidc)
