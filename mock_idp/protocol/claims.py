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
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..clock import epoch
from ..store import Application, Tenant, User

GRAPH_RESOURCE_ID = "00000003-0000-0000-c000-000000000000"
GRAPH_RESOURCE_URI = "https://graph.microsoft.com"
OIDC_SCOPES = frozenset({"openid", "profile", "email", "offline_access"})
GRAPH_DEFAULT_SCOPES = ("User.Read",)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def issuer(base_url: str, tenant_id: str, version: str) -> str:
    return f"{base_url}/{tenant_id}/v2.0" if version == "2.0" else f"{base_url}/{tenant_id}/"


def pairwise_sub(user_id: str, client_id: str) -> str:
    """A 43-character subject, stable per (user, app) and different across apps."""
    return b64url(hashlib.sha256(f"{user_id}|{client_id}".encode()).digest())


def half_hash(value: str) -> str:
    """``at_hash`` / ``c_hash`` for RS256: left half of the SHA-256 digest, base64url."""
    digest = hashlib.sha256(value.encode("ascii")).digest()
    return b64url(digest[: len(digest) // 2])


def client_info(user: User, tenant: Tenant) -> str:
    return b64url(json.dumps({"uid": user.id, "utid": tenant.id}, separators=(",", ":")).encode())


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


def _times(now: datetime, lifetime: timedelta) -> dict[str, int]:
    iat = epoch(now)
    return {"iat": iat, "nbf": iat, "exp": iat + int(lifetime.total_seconds())}


def _roles_and_groups(s: Subject) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if s.user is None:
        return out
    roles = [r for r in s.user.roles if r in s.app.app_roles]
    if roles:
        out["roles"] = roles
    if s.app.group_claims and s.user.groups:
        out["groups"] = list(s.user.groups)
    return out


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
            "amr": ["pwd"],
            "family_name": user.family_name,
            "given_name": user.given_name,
            "ipaddr": "127.0.0.1",
            "name": user.name,
            "oid": user.id,
            "sub": pairwise_sub(user.id, s.app.client_id),
            "tid": s.tenant.id,
            "unique_name": user.upn,
            "upn": user.upn,
            "uti": uti(),
            "ver": "1.0",
        })
        if user.email:
            claims["email"] = user.email
    else:
        claims.update({
            "aio": b64url(secrets.token_bytes(24)),
            "oid": user.id,
            "rh": "0.A" + b64url(secrets.token_bytes(18)),
            "sub": pairwise_sub(user.id, s.app.client_id),
            "tid": s.tenant.id,
            "uti": uti(),
            "ver": "2.0",
        })
        if "profile" in scopes or not scopes:
            claims["name"] = user.name
            claims["preferred_username"] = user.upn
        if "email" in scopes and user.email:
            claims["email"] = user.email
        claims["login_hint"] = b64url(f"O.{user.id}.{s.tenant.id}".encode())
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
    claims.update(_roles_and_groups(s))
    return {k: v for k, v in claims.items() if v is not None}


def access_token_claims(
    s: Subject,
    *,
    audience: str,
    scopes: tuple[str, ...],
    lifetime: timedelta,
    client_auth: str,
    token_version: str,
    app_only: bool = False,
) -> dict[str, Any]:
    """An access token for ``audience``; its version follows the resource, not the endpoint."""
    claims: dict[str, Any] = {
        "aud": audience,
        "iss": issuer(s.base_url, s.tenant.id, token_version),
        **_times(s.now, lifetime),
        "tid": s.tenant.id,
        "uti": uti(),
        "ver": token_version,
        "rh": "0.A" + b64url(secrets.token_bytes(18)),
    }
    if token_version == "1.0":
        claims.update({"appid": s.app.client_id, "appidacr": client_auth})
    else:
        claims.update({"azp": s.app.client_id, "azpacr": client_auth})
    if app_only or s.user is None:
        # No application permissions are modelled, and Entra leaves ``roles`` out of an
        # app-only token that has none (it is present only when app roles are granted).
        claims.update({"oid": s.app.id, "sub": s.app.id, "idtyp": "app"})
        return claims
    user = s.user
    claims.update({
        "oid": user.id,
        "sub": pairwise_sub(user.id, s.app.client_id),
        "name": user.name,
        "scp": " ".join(scopes),
    })
    if token_version == "1.0":
        claims.update({"acr": "1", "amr": ["pwd"], "unique_name": user.upn, "upn": user.upn,
                       "family_name": user.family_name, "given_name": user.given_name})
    else:
        claims["preferred_username"] = user.upn
    claims.update(_roles_and_groups(s))
    return {k: v for k, v in claims.items() if v is not None}


def split_scopes(raw: str | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(p for p in (raw or "").split() if p))


def resource_scopes(scopes: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(s for s in scopes if s.lower() not in OIDC_SCOPES)
