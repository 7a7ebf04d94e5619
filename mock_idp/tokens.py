"""Signing the provider's tokens, with the seam that token faults use."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import jwt

from .keys import KeyRing

if TYPE_CHECKING:
    from .state import IdpState


class TokenTamper(Protocol):
    """An armed token fault: given the claims and header, produce the JWT to hand out."""

    def __call__(self, claims: dict[str, Any], header: dict[str, Any]) -> str: ...


def sign(signer: IdpState | KeyRing, claims: dict[str, Any], *, version: str,
         tamper: TokenTamper | None = None, typ: str = "JWT") -> str:
    """Sign ``claims`` with the active key of ``signer`` (the provider, or its key ring): v1
    headers carry ``x5t`` beside ``kid``."""
    keys = signer if isinstance(signer, KeyRing) else signer.keys
    key = keys.active
    header: dict[str, Any] = {"typ": typ, "alg": "RS256"}
    if version == "1.0":
        header["x5t"] = key.kid
    header["kid"] = key.kid
    if tamper is not None:
        return tamper(claims, header)
    return key.sign(claims, headers={k: v for k, v in header.items() if k not in ("alg",)},
                    include_kid=True, include_x5t=version == "1.0")


def unsigned(claims: dict[str, Any], *, tamper: TokenTamper | None = None) -> str:
    """An unsigned JWT (``alg: none``, empty signature), as Entra's v1.0 token endpoint returns
    its ID tokens. An armed token fault changes the claims as it would for a signed token; the
    result carries no signature either way."""
    if tamper is not None:
        tampered = tamper(claims, {"typ": "JWT", "alg": "RS256"})
        claims = jwt.decode(tampered, options={"verify_signature": False})
    return jwt.encode(claims, "", algorithm="none", headers={"typ": "JWT"})
