"""Purpose-built keys, tokens and a movable clock for the relying party's protocol tests."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from pool_keys import distinct_rsa_keys

NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
TID = "6f2c1a9e-3b7d-4e58-a1c4-92d0b7e5f318"
OTHER_TID = "0d1e2f30-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
BASE = "https://login.mock.test"
ISSUER = f"{BASE}/{TID}/v2.0"
TEMPLATE_ISSUER = f"{BASE}/{{tenantid}}/v2.0"
CLIENT_ID = "2b8e4f61-9c3a-4d7e-b5f2-08a6c1d9e473"
NONCE = "n-0S6_WzA2Mj"
REMOVE = object()


class FakeClock:
    def __init__(self, now: datetime = NOW) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now

    def advance(self, **kwargs: float) -> None:
        self._now += timedelta(**kwargs)


@dataclass(frozen=True)
class KeyPair:
    private_key: Any
    kid: str | None
    alg: str

    def jwk(self, **extra: Any) -> dict[str, Any]:
        public = self.private_key.public_key()
        algo = RSAAlgorithm if self.alg[:2] in ("RS", "PS") else ECAlgorithm
        data = algo.to_jwk(public, as_dict=True)
        data["use"] = "sig"
        if self.kid is not None:
            data["kid"] = self.kid
        data.update(extra)
        return {k: v for k, v in data.items() if v is not REMOVE}

    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


@functools.cache
def _rsa_keys() -> tuple[rsa.RSAPrivateKey, ...]:
    """From the session's key pool (``pool_keys``), on first use."""
    return distinct_rsa_keys(3)


def _rsa(index: int) -> rsa.RSAPrivateKey:
    return _rsa_keys()[index]


def rsa_key(kid: str | None = "rsa-1", *, index: int = 0, alg: str = "RS256") -> KeyPair:
    return KeyPair(_rsa(index), kid, alg)


def ec_key(kid: str | None = "ec-1") -> KeyPair:
    return KeyPair(ec.generate_private_key(ec.SECP256R1()), kid, "ES256")


def jwks(*keys: KeyPair) -> dict[str, Any]:
    return {"keys": [k.jwk() for k in keys]}


def id_claims(**overrides: Any) -> dict[str, Any]:
    now = int(NOW.timestamp())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": CLIENT_ID,
        "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "nonce": NONCE,
        "tid": TID,
        "oid": "00000000-0000-0000-66f3-3332eca7ea81",
        "name": "Alice Adams",
        "preferred_username": "alice@contoso.onmicrosoft.com",
        "ver": "2.0",
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not REMOVE}


def sign(claims: dict[str, Any], key: KeyPair, *, alg: str | None = None, **headers: Any) -> str:
    header: dict[str, Any] = {"typ": "JWT"}
    if key.kid is not None:
        header["kid"] = key.kid
    header.update(headers)
    header = {k: v for k, v in header.items() if v is not REMOVE}
    return jwt.encode(claims, key.private_key, algorithm=alg or key.alg, headers=header)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unsigned(claims: dict[str, Any], **header: Any) -> str:
    """An ``alg: none`` JWT (empty signature)."""
    head = {"alg": "none", "typ": "JWT", **header}
    return f"{b64url(json.dumps(head).encode())}.{b64url(json.dumps(claims).encode())}."


def hmac_signed(claims: dict[str, Any], secret: bytes, **header: Any) -> str:
    """An HS256 JWT keyed with ``secret`` (built by hand: pyjwt rightly refuses PEM secrets)."""
    head = {"alg": "HS256", "typ": "JWT", **header}
    signing_input = f"{b64url(json.dumps(head).encode())}.{b64url(json.dumps(claims).encode())}"
    mac = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(mac)}"


def corrupt_signature(token: str) -> str:
    head, payload, signature = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    raw[len(raw) // 2] ^= 0x01
    return f"{head}.{payload}.{b64url(bytes(raw))}"
