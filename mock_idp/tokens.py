"""Signing the provider's tokens, with the seam that token faults use."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

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
