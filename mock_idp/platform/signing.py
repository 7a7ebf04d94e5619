"""Signing keys for platform events: ECDSA P-256 with SHA-256 over the raw request body.

The signature is DER-encoded and sent base64 (standard alphabet, padded) in
``X-Hub-Ecdsa-Signature``; the key id goes in ``X-Hub-Ecdsa-Signature-Id``. Receivers fetch the
public keys as a JWKS. The ``kid`` is the RFC 7638 JWK thumbprint (base64url SHA-256 of the
canonical public JWK), so it is derived from the key and never collides.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from ..clock import Clock
from ..keys import RotatingKeys

SIGNATURE_HEADER = "X-Hub-Ecdsa-Signature"
SIGNATURE_ID_HEADER = "X-Hub-Ecdsa-Signature-Id"
ALGORITHM = "ES256"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def jwk_thumbprint(public_jwk: dict[str, Any]) -> str:
    """RFC 7638 thumbprint of an EC public JWK: required members only, sorted, no whitespace."""
    canonical = {name: public_jwk[name] for name in ("crv", "kty", "x", "y")}
    digest = hashlib.sha256(json.dumps(canonical, separators=(",", ":"), sort_keys=True).encode())
    return _b64url(digest.digest())


@dataclass(frozen=True, eq=False)
class EventSigningKey:
    private_key: ec.EllipticCurvePrivateKey
    kid: str
    created_at: datetime

    @classmethod
    def generate(cls, now: datetime) -> EventSigningKey:
        private_key = ec.generate_private_key(ec.SECP256R1())
        public = ECAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
        return cls(private_key=private_key, kid=jwk_thumbprint(public), created_at=now)

    @property
    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self.private_key.public_key()

    def jwk(self) -> dict[str, Any]:
        entry: dict[str, Any] = dict(ECAlgorithm.to_jwk(self.public_key, as_dict=True))
        entry.update(kid=self.kid, use="sig", alg=ALGORITHM)
        return entry

    def sign(self, body: bytes) -> str:
        """Base64 (standard alphabet) of the DER ECDSA-SHA256 signature over ``body``."""
        der = self.private_key.sign(body, ec.ECDSA(hashes.SHA256()))
        return base64.b64encode(der).decode("ascii")

    def signature_headers(self, body: bytes) -> dict[str, str]:
        return {SIGNATURE_HEADER: self.sign(body), SIGNATURE_ID_HEADER: self.kid}


class EventKeyRing(RotatingKeys[EventSigningKey]):
    """One active event-signing key, plus rotated-out keys published until ``retain_for`` ends."""

    def __init__(self, clock: Clock, retain_for: timedelta = timedelta(hours=24)) -> None:
        super().__init__(EventSigningKey.generate, clock, retain_for)

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        return {"keys": [key.jwk() for key in self.published()]}

    def signature_headers(self, body: bytes) -> dict[str, str]:
        return self.active.signature_headers(body)
