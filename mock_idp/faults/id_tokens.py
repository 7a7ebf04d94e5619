"""ID-token and JWKS faults: one tampering per row of the relying-party check catalogue."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from ..clock import Clock
from ..keys import KeyRing, SigningKey
from ..tokens import TokenTamper

JwksTransform = Callable[[dict[str, Any]], dict[str, Any]]

OWN_ACCESS_TOKEN_KINDS = frozenset({
    "bad_signature", "alg_none", "unknown_key", "wrong_iss", "wrong_aud", "missing_aud",
    "missing_sub", "expired", "nbf_future",
})
"""ID-token faults that spoil, the same way, the access token of the same token response when
its audience is the app itself (a v1 ``resource`` naming its own client id, as Entra issues a
token for itself only by its GUID, or a scope of its own API). Entra's v1.0 token endpoint
returns the ID token unsigned (see :mod:`mock_idp.endpoints.token`), so apps on the v1
endpoints (django-auth-adfs, ADAL-era apps) sign people in on that access token instead,
checking its signature, ``iss``, ``aud`` and lifetime, as does an app that asks the v2.0
endpoint for its own API without ``openid`` and gets no ID token (in such an answer these
faults spoil the access token alone, and the others are not taken); the checks of the ID
token alone (nonce, hashes, ``azp``), the faults that change the key set and ``key_rotated``
(which rotates as it signs) stay with the ID token."""


def corrupt_signature(token: str) -> str:
    """The same JWT with one signature bit flipped: well-formed, but it does not verify."""
    head, body, sig = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4)))
    raw[len(raw) // 2] ^= 0x01
    return ".".join((head, body, base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()))


def unsigned(claims: dict[str, Any], header: dict[str, Any]) -> str:
    """An ``alg: none`` JWT: no signature (PyJWT takes an empty key for ``none``)."""
    return jwt.encode(claims, "", algorithm="none", headers=header, sort_headers=False)


def id_token_tamper(kind: str, clock: Clock, keys: KeyRing,
                    stray_key: Callable[[], rsa.RSAPrivateKey],
                    rotate: Callable[[], SigningKey] | None = None) -> TokenTamper:
    """The tampering for an ID-token fault of ``kind``; ``stray_key`` is a key nobody
    publishes (for ``unknown_key``); ``rotate`` makes the new active key of ``key_rotated``
    (default: ``keys.rotate``)."""

    def tamper(claims: dict[str, Any], header: dict[str, Any]) -> str:
        claims = dict(claims)
        header = {k: v for k, v in header.items() if k != "alg"}
        now = int(clock.now().timestamp())
        key = keys.active
        if kind == "key_rotated":
            key = (rotate or keys.rotate)()
            header["kid"] = key.kid
            if "x5t" in header:
                header["x5t"] = key.kid
        elif kind == "alg_none":
            return unsigned(claims, header)
        elif kind == "unknown_key":
            header["kid"] = secrets.token_urlsafe(20)
            if "x5t" in header:
                header["x5t"] = header["kid"]
            return jwt.encode(claims, stray_key(), algorithm="RS256", headers=header,
                              sort_headers=False)
        elif kind in ("kid_absent", "kid_absent_multiple"):
            header.pop("kid", None)
            header.pop("x5t", None)
        else:
            _change_claims(kind, claims, now)
        token = jwt.encode(claims, key.private_key, algorithm="RS256", headers=header,
                           sort_headers=False)
        return corrupt_signature(token) if kind == "bad_signature" else token

    return tamper


def _change_claims(kind: str, claims: dict[str, Any], now: int) -> None:
    if kind == "wrong_iss":
        claims["iss"] = f"{claims.get('iss', '')}1"
    elif kind == "wrong_aud":
        claims["aud"] = f"{claims.get('aud', '')}1"
    elif kind == "missing_aud":
        claims.pop("aud", None)
    elif kind == "wrong_azp":
        claims["azp"] = f"{claims.get('aud', '')}1"
    elif kind == "missing_sub":
        claims.pop("sub", None)
    elif kind == "missing_iat":
        claims.pop("iat", None)
    elif kind == "expired":
        claims.update(iat=now - 7200, nbf=now - 7200, exp=now - 3600)
    elif kind == "nbf_future":
        claims["nbf"] = now + 3600
    elif kind == "iat_future":
        claims["iat"] = now + 3600
    elif kind == "wrong_nonce":
        claims["nonce"] = f"{claims.get('nonce', '')}1"
    elif kind == "bad_at_hash":
        claims["at_hash"] = secrets.token_urlsafe(16)
    elif kind == "missing_at_hash":
        claims.pop("at_hash", None)
    elif kind == "bad_c_hash":
        claims["c_hash"] = secrets.token_urlsafe(16)
    elif kind == "missing_c_hash":
        claims.pop("c_hash", None)


def jwks_transform(mode: str, active_kid: str) -> JwksTransform:
    """The JWKS without ``kid``/``x5t`` (and, for ``kid_absent``, with only the active key)."""

    def transform(body: dict[str, Any]) -> dict[str, Any]:
        keys = body.get("keys", [])
        if mode == "kid_absent":
            keys = [k for k in keys if k.get("kid") == active_kid]
        stripped = [{k: v for k, v in key.items() if k not in ("kid", "x5t")} for key in keys]
        return {"keys": stripped}

    return transform
