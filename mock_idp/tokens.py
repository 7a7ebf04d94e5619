"""Signing the provider's tokens, with the seam that token faults use."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import jwt

from .keys import KeyRing
from .protocol import graph_nonce

if TYPE_CHECKING:
    from .state import IdpState


class TokenTamper(Protocol):
    """An armed token fault: given the claims and header, produce the JWT to hand out."""

    def __call__(self, claims: dict[str, Any], header: dict[str, Any]) -> str: ...


def sign(signer: IdpState | KeyRing, claims: dict[str, Any], *, version: str,
         tamper: TokenTamper | None = None, typ: str = "JWT") -> str:
    """Sign ``claims`` with the active key of ``signer`` (the provider, or its key ring): v1
    headers carry ``x5t`` beside ``kid``, in Entra's order. A token for Microsoft Graph gets
    the header ``nonce`` Entra gives those (:mod:`mock_idp.protocol.graph_nonce`)."""
    keys = signer if isinstance(signer, KeyRing) else signer.keys
    key = keys.active
    nonce = (graph_nonce.new_nonce() if tamper is None and graph_nonce.is_for_graph(claims)
             else None)
    header: dict[str, Any] = {"typ": typ, "alg": "RS256"}
    if nonce is not None:
        header["nonce"] = graph_nonce.hashed(nonce)
    if version == "1.0":
        header["x5t"] = key.kid
    header["kid"] = key.kid
    if tamper is not None:
        return tamper(claims, header)
    signed = key.sign(claims, header)
    return signed if nonce is None else graph_nonce.with_header(signed, {**header, "nonce": nonce})


def unsigned(claims: dict[str, Any], *, tamper: TokenTamper | None = None) -> str:
    """An unsigned JWT (``alg: none``, empty signature), as Entra's v1.0 token endpoint returns
    its ID tokens. An armed token fault changes the claims as it would for a signed token; the
    result carries no signature either way."""
    if tamper is not None:
        tampered = tamper(claims, {"typ": "JWT", "alg": "RS256"})
        claims = jwt.decode(tampered, options={"verify_signature": False})
    return jwt.encode(claims, "", algorithm="none", headers={"typ": "JWT"}, sort_headers=False)
