"""The bearer token an app presents to the mock's Microsoft Graph and UserInfo (RFC 6750).

:func:`verify_graph_token` accepts what Graph accepts: an RS256 token signed by one of the
provider's published keys (over its header with the ``nonce`` hashed, as Entra signs a Graph
token: :mod:`mock_idp.protocol.graph_nonce`), not expired, issued for Microsoft Graph.
Refusals carry the messages Graph's ``InvalidAuthenticationToken`` errors use.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import jwt

from ..keys import KeyRing
from .claims import GRAPH_AUDIENCES
from .graph_nonce import as_signed


class BearerError(Exception):
    """A missing or unusable token; ``message`` is Graph's wording."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, if any."""
    value = authorization or ""
    if value[:7].lower() != "bearer ":
        return None
    return value[7:].strip() or None


def verify_graph_token(token: str | None, keys: KeyRing, now: datetime) -> dict[str, Any]:
    """The claims of a valid Microsoft Graph access token, or :class:`BearerError`."""
    if not token:
        raise BearerError("Access token is empty.")
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.PyJWTError:
        raise BearerError("IDX14100: JWT is not well formed.") from None
    key = keys.find(str(kid)) if kid else None
    if key is None:
        raise BearerError("Access token signature is not valid.")
    try:
        claims: dict[str, Any] = jwt.decode(
            as_signed(token), key.public_key, algorithms=["RS256"],
            options={"verify_aud": False, "verify_exp": False, "verify_iat": False,
                     "verify_nbf": False})
    except jwt.PyJWTError:
        raise BearerError("Access token signature is not valid.") from None
    if claims.get("exp", 0) <= now.timestamp():
        raise BearerError("Lifetime validation failed, the token is expired.")
    if claims.get("aud") not in GRAPH_AUDIENCES:
        raise BearerError("Invalid audience.")
    return claims


def delegated_scopes(claims: dict[str, Any]) -> frozenset[str]:
    """The delegated permissions (``scp``) of a user token, compared case-insensitively."""
    return frozenset(s.lower() for s in str(claims.get("scp", "")).split())
