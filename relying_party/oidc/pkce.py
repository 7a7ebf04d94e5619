"""PKCE (RFC 7636) and the per-login random values ``state`` and ``nonce``.

https://www.rfc-editor.org/rfc/rfc7636 §4.1-4.2; OIDC Core §3.1.2.1 (``nonce``); RFC 9700 §4.7
(``state`` as a one-time CSRF token bound to the browser).
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass

__all__ = [
    "PkcePair",
    "create_pkce_pair",
    "generate_code_verifier",
    "generate_nonce",
    "generate_state",
    "s256_challenge",
]

_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def generate_code_verifier(nbytes: int = 32) -> str:
    """base64url of ``nbytes`` random octets: 43 characters for the recommended 32 (§4.1)."""
    if not 32 <= nbytes <= 96:
        raise ValueError("a code verifier needs 32 to 96 random octets (43-128 characters)")
    return _b64url(secrets.token_bytes(nbytes))


def s256_challenge(verifier: str) -> str:
    """``BASE64URL(SHA256(ASCII(code_verifier)))`` without padding (§4.2)."""
    if not _VERIFIER.fullmatch(verifier):
        raise ValueError("a code verifier is 43-128 characters of [A-Za-z0-9-._~]")
    return _b64url(hashlib.sha256(verifier.encode("ascii")).digest())


@dataclass(frozen=True, kw_only=True)
class PkcePair:
    verifier: str
    challenge: str
    method: str = "S256"


def create_pkce_pair() -> PkcePair:
    verifier = generate_code_verifier()
    return PkcePair(verifier=verifier, challenge=s256_challenge(verifier))


def generate_state() -> str:
    """An unguessable, single-use ``state`` value (256 bits)."""
    return secrets.token_urlsafe(32)


def generate_nonce() -> str:
    """An unguessable ``nonce`` to bind the ID token to this login (256 bits)."""
    return secrets.token_urlsafe(32)
