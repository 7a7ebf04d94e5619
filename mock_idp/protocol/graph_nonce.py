"""The ``nonce`` in the header of a Microsoft Graph access token, as Entra writes it.

Entra puts a random ``nonce`` in the JWT header of every access token it issues for Microsoft
Graph (``aud`` Graph's app ID or URL), and signs the token as if that header member held the
nonce's SHA-256 instead (base64url, no padding). A standard JWT library therefore finds the
signature invalid, and so it must: such a token is for Graph to check, and an app has to
treat it as opaque. An app that validates one anyway passes against a provider that signs
plainly and fails against Entra.

Sources (facts only):

- the sample Graph access tokens in Microsoft's OpenID Connect and UserInfo documentation
  start ``{"typ":"JWT","nonce":...``;
- AzureAD/azure-activedirectory-identitymodel-extensions-for-dotnet #609 (2017) and #1132
  (2019): IDX10511 on a Graph token whose ``nonce`` header is always present;
- Microsoft Q&A 1459176 (2023-12, answered 2025-02): a header of ``typ``, ``nonce`` (43
  characters), ``alg``, ``x5t``, ``kid``, and the signature verifies once ``nonce`` is replaced
  by its SHA-256.

Such verifiers read the header, replace the member and serialize it again in the token's own
member order. Entra writes ``nonce`` second; PyJWT always writes ``typ`` and ``alg`` first, so
the mock writes it third. Both verify the same way.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any

import jwt

from .claims import GRAPH_AUDIENCES, b64url

NONCE_BYTES = 32
"""A 43-character nonce, as in Entra's Graph tokens since 2023 (earlier ones were longer)."""


def is_for_graph(claims: dict[str, Any]) -> bool:
    return claims.get("aud") in GRAPH_AUDIENCES


def new_nonce() -> str:
    return b64url(secrets.token_bytes(NONCE_BYTES))


def hashed(nonce: str) -> str:
    """What the signature covers in place of ``nonce``."""
    return b64url(hashlib.sha256(nonce.encode("utf-8")).digest())


def header_segment(header: dict[str, Any]) -> str:
    """A JWT header's first segment, serialized as PyJWT serializes it (compact JSON in the
    members' own order), so that a header read back and serialized again is the same text."""
    return b64url(json.dumps(header, separators=(",", ":")).encode("utf-8"))


def with_header(token: str, header: dict[str, Any]) -> str:
    """``token`` with its header segment replaced by ``header``."""
    _, rest = token.split(".", 1)
    return f"{header_segment(header)}.{rest}"


def as_signed(token: str) -> str:
    """The token whose signature is checked: its header's ``nonce`` replaced by the nonce's
    hash, as Graph and the published recipes do. A token without one is returned as it is;
    a malformed one raises :class:`jwt.DecodeError`."""
    header = jwt.get_unverified_header(token)
    nonce = header.get("nonce")
    if not isinstance(nonce, str):
        return token
    return with_header(token, {**header, "nonce": hashed(nonce)})
