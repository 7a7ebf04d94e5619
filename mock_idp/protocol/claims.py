"""Entra-shaped claim sets for ID tokens and access tokens, v1 and v2.

Pure functions of plain data and ``now``; signing happens in :mod:`mock_idp.tokens`.
References: Microsoft identity platform ID token and access token claim references; OpenID
Connect Core §3.1.3.6 (``at_hash``) and §3.3.2.11 (``c_hash``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from ..clock import epoch
from ..store import Application, Tenant, User
from . import auth_contexts
from .claims_request import EMPTY, ClaimsRequest
from .group_claims import groups_and_roles
from .optional_claims import CLIENT_IP, default_email, optional_claims, without_lone_edov
from .revalidation import rh_claim

GRAPH_RESOURCE_ID = "00000003-0000-0000-c000-000000000000"
GRAPH_RESOURCE_URI = "https://graph.microsoft.com"
GRAPH_AUDIENCES = frozenset({GRAPH_RESOURCE_ID, GRAPH_RESOURCE_URI, GRAPH_RESOURCE_URI + "/"})
"""The ``aud`` values of a Microsoft Graph token."""
V1_DEFAULT = "00000002-0000-0000-c000-000000000000"
"""What a v1 code grant stands for when neither its authorization request nor its token request
named a ``resource`` (and a v1 client credentials request naming none): Entra issues an access
token for Azure AD Graph (this app id, ``https://graph.windows.net``) rather than refusing
(MicrosoftDocs/azure-docs #64495, 2020, a Microsoft identity PM: "This is the case for the v1
endpoint"; microsoftgraph/microsoft-graph-docs #17911, 2022;
AzureAD/azure-activedirectory-library-for-python #43; jupyterhub/oauthenticator PR #328 dropped
``resource`` and has signed in this way since). AADSTS500013 remains for what still needs a
resource: an implicit access token at v1 ``/authorize`` (MicrosoftDocs/azure-docs #67544). The
mock's directory keeps no Azure AD Graph permissions of its own, so the token carries what the
user consented to on Graph."""
AZURE_AD_GRAPH = "https://graph.windows.net"
"""Azure AD Graph, Microsoft Graph's predecessor. A token asked for it by this URI is Azure AD
Graph's, its ``aud`` the URI as asked, which Microsoft Graph refuses ("Invalid audience"):
microsoftgraph/console-java-connect-sample #1 (2018, a decoded token's ``aud`` is
``https://graph.windows.net`` and Microsoft Graph answers 401), TheNetworg/oauth2-azure #87
(2019, the library's default Azure AD Graph token refused by Microsoft Graph). The mock keeps
no Azure AD Graph permissions of its own: the token carries what was granted on Microsoft
Graph, as for :data:`V1_DEFAULT`."""
OIDC_SCOPES = frozenset({"openid", "profile", "email", "offline_access"})
GRAPH_DEFAULT_SCOPES = ("User.Read",)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


V1_ISSUER_BASE = "https://sts.windows.net"
"""Entra's v1 issuer is on this host whichever host signs the user in, and so is the mock's:
``https://sts.windows.net/<tid>/`` in v1 tokens and the v1 discovery documents (token and
discovery references; AzureAD/microsoft-authentication-library-for-python #600, where a
validator must treat the two hosts as one; OfficeDev/Microsoft-Teams-Samples #805 and
snok/django-auth-adfs #143, issuer checks that expected the sign-in host and failed). A v2
issuer is on the sign-in host, the mock's own."""


def issuer(base_url: str, tenant_id: str, version: str) -> str:
    if version == "2.0":
        return f"{base_url}/{tenant_id}/v2.0"
    return f"{V1_ISSUER_BASE}/{tenant_id}/"


def pairwise_sub(user_id: str, client_id: str) -> str:
    """A 43-character subject, stable per (user, app) and different across apps."""
    return b64url(hashlib.sha256(f"{user_id}|{client_id}".encode()).digest())


def half_hash(value: str) -> str:
    """``at_hash`` / ``c_hash`` for RS256: left half of the SHA-256 digest, base64url."""
    digest = hashlib.sha256(value.encode("ascii")).digest()
    return b64url(digest[: len(digest) // 2])


def client_info(user: User, tenant: Tenant) -> str:
    """``uid`` and ``utid``: the account's home object and tenant, a B2B guest's in its home
    tenant (:mod:`mock_idp.guest_home`), which MSAL's ``home_account_id`` joins."""
    uid, utid = (user.home.user.id, user.home.tenant_id) if user.home else (user.id, tenant.id)
    return b64url(json.dumps({"uid": uid, "utid": utid}, separators=(",", ":")).encode())


def home_claims(user: User, version: str) -> dict[str, Any]:
    """What a token about a B2B guest from another Entra tenant says of its home account
    (:mod:`mock_idp.guest_home`): ``idp``, the home tenant's v1 STS URI, and the home UPN as
    ``unique_name`` (v1, with no ``upn``) or ``preferred_username`` (v2). Empty for others."""
    if user.home is None:
        return {}
    name = {"unique_name": user.home.user.upn, "upn": None} if version == "1.0" else {
        "preferred_username": user.home.user.upn}
    return {"idp": f"{V1_ISSUER_BASE}/{user.home.tenant_id}/", **name}


def uti() -> str:
    return b64url(secrets.token_bytes(16))


@dataclass(frozen=True)
class Subject:
    """Who a token is about and for which app, at which endpoint version."""

    base_url: str
    tenant: Tenant
    app: Application
    user: User | None
    version: str
    now: datetime
    implicit: bool = False
    """Issued by /authorize into the redirect (implicit or hybrid flow): at most 5 groups."""
    auth_time: datetime | None = None
    """When the user signed in, if known (for the ``auth_time`` optional claim)."""
    mfa: bool = False
    """The sign-in took a second factor (an authenticator app's code): v1 tokens' ``amr``."""
    requested: ClaimsRequest = EMPTY
    """What the ``claims`` parameter (and ``max_age``) asked for
    (:mod:`mock_idp.protocol.claims_request`)."""

    @property
    def amr(self) -> list[str]:
        return ["pwd", "mfa"] if self.mfa else ["pwd"]


PROTECTED_CLAIMS = frozenset({
    "iss", "aud", "exp", "nbf", "iat", "nonce", "sub", "oid", "tid", "ver", "uti", "sid",
    "c_hash", "at_hash", "azp", "appid", "idtyp",
    # ``rh`` names the making of the tenant that issued the token, which the mock's own
    # resources check (:mod:`mock_idp.protocol.revalidation`). Entra lists it in the JWT
    # restricted claim set, which no claims policy can set or change (Microsoft Learn,
    # "Claims customization using a policy", reference-claims-customization).
    "rh",
})
"""Claims a test's custom claims may not replace: the ones validation and sessions rest on,
and the ones the mock's resources read back from its own tokens."""


TOKEN_BACKDATE = 300
"""Seconds before its issue that Entra dates a token's ``iat`` and ``nbf``, ID and access
tokens, v1 and v2 alike, so that a relying party or API whose clock lags takes it at once;
``exp`` still counts from the issue, which makes ``exp - iat`` five minutes more than the
lifetime (``expires_in`` for an access token). Sources: the sample ID tokens of Microsoft
Learn's "ID tokens in the Microsoft identity platform" (id-tokens), v1 ``exp - iat`` 3900 s
(one hour and five minutes), v2 86700 s (a day and five minutes);
v2 ID tokens quoted in Azure/azure-cli #20778 and #25003, 3900 s; psignoret/aad-sso-wordpress
#34 (its Microsoft maintainer: an ID token's ``iat`` and ``nbf`` are both five minutes in the
past); openid/AppAuth-iOS #264 (Entra dates ID tokens' ``iat`` five minutes before they were
asked for; AppAuth 0.94 widened its ``iat`` window for it, #277); for access tokens
keycloakify/oidc-spa #162 (on a new tenant ``iat`` and ``nbf`` five minutes in the past,
``exp`` 60 minutes ahead). Tests that need a token's issue moment take ``iat`` plus this."""


def _times(now: datetime, lifetime: timedelta) -> dict[str, int]:
    issued = epoch(now)
    return {"iat": issued - TOKEN_BACKDATE, "nbf": issued - TOKEN_BACKDATE,
            "exp": issued + int(lifetime.total_seconds())}


def access_token_issued(iat: float) -> float:
    """When an access token whose ``iat`` is ``iat`` was issued (:data:`TOKEN_BACKDATE`):
    what revocations and password changes are compared with."""
    return iat + TOKEN_BACKDATE


def _configured(s: Subject, app: Application | None, kind: str, version: str,
                scopes: tuple[str, ...], session_id: str | None) -> dict[str, Any]:
    """What ``app``'s registration adds to a user token: roles, groups (or the overage),
    optional and directory extension claims."""
    user = s.user
    assert user is not None
    configured = app.optional_claims.for_token(kind) if app is not None else ()
    out = groups_and_roles(s.tenant, app, user, configured=configured, implicit=s.implicit)
    out.update(optional_claims(s.tenant, app, user, kind=kind, version=version, scopes=scopes,
                               auth_time=s.auth_time, session_id=session_id,
                               requested=s.requested))
    return out


def _custom(user: User, kind: str) -> dict[str, Any]:
    extra = user.custom_claims.get("id_token" if kind == "id" else "access_token", {})
    return {k: v for k, v in extra.items() if k not in PROTECTED_CLAIMS}


def id_token_claims(
    s: Subject,
    *,
    scopes: tuple[str, ...],
    lifetime: timedelta,
    nonce: str | None,
    session_id: str | None,
    auth_time: datetime | None,
    code: str | None = None,
    access_token: str | None = None,
) -> dict[str, Any]:
    user = s.user
    assert user is not None
    claims: dict[str, Any] = {
        "aud": s.app.client_id,
        "iss": issuer(s.base_url, s.tenant.id, s.version),
        **_times(s.now, lifetime),
    }
    if s.version == "1.0":
        claims.update({
            "amr": s.amr,
            "family_name": user.family_name,
            "given_name": user.given_name,
            "ipaddr": CLIENT_IP,
            "name": user.name,
            "oid": user.id,
            "sub": pairwise_sub(user.id, s.app.client_id),
            "tid": s.tenant.id,
            "unique_name": user.upn,
            "upn": user.upn,
            "uti": uti(),
            "ver": "1.0",
        })
    else:
        claims.update({
            "aio": b64url(secrets.token_bytes(24)),
            "rh": rh_claim(s.tenant),
            "sub": pairwise_sub(user.id, s.app.client_id),
            "tid": s.tenant.id,
            "uti": uti(),
            "ver": "2.0",
        })
        if "profile" in scopes or not scopes:
            # ``oid`` too: it lets apps correlate a user, so a v2 ID token carries it only with
            # ``profile`` (ID-token claims reference; AppModelv2-WebApp-OpenIDConnect-nodejs
            # #9, whose sample added ``profile`` to get it).
            claims["name"] = user.name
            claims["oid"] = user.id
            claims["preferred_username"] = user.upn
    claims["email"] = default_email(user, kind="id", version=s.version, scopes=scopes)
    # (a v2 ID token names the home UPN where it names one: with ``profile``)
    claims.update({k: v for k, v in home_claims(user, s.version).items()
                   if k in claims or k == "idp"})
    if nonce is not None:
        claims["nonce"] = nonce
    if session_id is not None:
        claims["sid"] = session_id
    if auth_time is not None:
        claims["auth_time"] = epoch(auth_time)
    if code is not None:
        claims["c_hash"] = half_hash(code)
    if access_token is not None:
        claims["at_hash"] = half_hash(access_token)
    if s.auth_time is None and auth_time is not None:
        s = replace(s, auth_time=auth_time)
    claims.update(_configured(s, s.app, "id", s.version, scopes, session_id))
    claims.update(_custom(user, "id"))
    return without_lone_edov({k: v for k, v in claims.items() if v is not None})


def access_token_claims(
    s: Subject,
    *,
    audience: str,
    scopes: tuple[str, ...],
    lifetime: timedelta,
    client_auth: str,
    token_version: str,
    app_only: bool = False,
    resource_app: Application | None = None,
    app_roles: tuple[str, ...] = (),
    capabilities: tuple[str, ...] = (),
) -> dict[str, Any]:
    """An access token for ``audience``; its version follows the resource, not the endpoint.

    ``resource_app`` is the API's registration when the mock registers it: its roles, groups
    and optional claims shape the token. Microsoft Graph (``None``) takes none of the client's.
    ``app_roles``: for an app-only token, the application permissions the app holds on it.
    ``capabilities``: a CAE token's ``xms_cc``, the client capabilities its client declared
    (:mod:`mock_idp.protocol.cae`).
    """
    claims: dict[str, Any] = {
        "aud": audience,
        "iss": issuer(s.base_url, s.tenant.id, token_version),
        **_times(s.now, lifetime),
        # ``aio``: an opaque value Entra puts in every access token, v1 and v2, user or app
        # (the access token claims reference lists it; "resources shouldn't use this claim").
        "aio": b64url(secrets.token_bytes(24)),
        "tid": s.tenant.id,
        "uti": uti(),
        "ver": token_version,
        "rh": rh_claim(s.tenant),
    }
    if token_version == "1.0":
        claims.update({"appid": s.app.client_id, "appidacr": client_auth})
    else:
        claims.update({"azp": s.app.client_id, "azpacr": client_auth})
    # ``idtyp``: Microsoft Graph's tokens carry it (``user`` or ``app``: an app-only Graph token
    # reported in zachlima/ticketing-app #16, a delegated one in Entra External ID's samples);
    # another API's only as its registration's optional claim, ``app`` in app-only tokens and
    # ``user`` with ``include_user_token`` (optional claims reference, ``idtyp``).
    if app_only or s.user is None:
        # ``roles``: the application permissions granted to the app; Entra leaves the claim out
        # of an app-only token that has none (the client credentials reference, "Controlling
        # tokens without the roles claim").
        # ``oid`` and ``sub``: the object id of the app's service principal in the tenant that
        # issues the token, not the application object's (the access token claims reference,
        # ``oid``: "the user or service principal"), so the ids Graph lists for the app
        # (``servicePrincipals``, ``appRoleAssignedTo``'s ``principalId``) match its tokens.
        principal = s.app.principal_id(s.tenant.id)
        claims.update({"oid": principal, "sub": principal})
        if token_version == "1.0":
            # ``idp``: a v1 app-only token names the tenant that authenticated the app, its
            # own issuer (the access token claims reference, ``idp``: "identical to the value
            # of the Issuer claim" for a subject of the issuing tenant), as Entra's client
            # credentials tokens for an API (``aud: api://…``) and for Graph show; a v2
            # app-only token carries no ``idp``, so libraries that call a token whose ``idp``
            # differs from ``iss`` a guest's (fastapi-azure-auth) accept both.
            claims["idp"] = claims["iss"]
        if app_roles:
            claims["roles"] = list(app_roles)
        if resource_app is None or any(
                c.name == "idtyp" for c in resource_app.optional_claims.for_token("access")):
            claims["idtyp"] = "app"
        return claims
    user = s.user
    if resource_app is None:
        claims["idtyp"] = "user"
    claims.update({
        "oid": user.id,
        "sub": pairwise_sub(user.id, s.app.client_id),
        "name": user.name,
        "scp": " ".join(scopes),
    })
    if token_version == "1.0":
        # ``ipaddr`` too: "always included in v1.0 tokens" (optional claims reference, the
        # v2.0-specific set), as in the access-token reference's v1 sample.
        claims.update({"acr": "1", "amr": s.amr, "unique_name": user.upn, "upn": user.upn,
                       "family_name": user.family_name, "given_name": user.given_name,
                       "ipaddr": CLIENT_IP})
    else:
        claims["preferred_username"] = user.upn
    # the authentication contexts asked for and satisfied (:mod:`.auth_contexts`)
    claims["acrs"] = auth_contexts.granted(s.tenant.auth_contexts, s.requested.acrs,
                                           mfa=s.mfa) or None
    claims["email"] = default_email(user, kind="access", version=token_version, scopes=scopes)
    claims.update(home_claims(user, token_version))
    if capabilities:
        claims["xms_cc"] = list(capabilities)
    claims.update(_configured(s, resource_app, "access", token_version, scopes, None))
    claims.update(_custom(user, "access"))
    return without_lone_edov({k: v for k, v in claims.items() if v is not None})


def split_scopes(raw: str | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(p for p in (raw or "").split() if p))


def resource_scopes(scopes: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(s for s in scopes if s.lower() not in OIDC_SCOPES)
