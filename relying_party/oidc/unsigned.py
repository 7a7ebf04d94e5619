"""When an unsigned ID token may be trusted: Entra's v1 token endpoint over TLS, and nowhere else.

Entra ID's v1.0 token endpoint (``…/{tenant}/oauth2/token``) returns the ID token unsigned:
header ``{"typ": "JWT", "alg": "none"}`` and an empty signature, although its discovery document
advertises RS256 (reported in coreos/go-oidc #350 and #133, oauth2-proxy #914, and
AzureAD/azure-activedirectory-library-for-java #117, closed "by design": the token's integrity
comes from the TLS channel to the token endpoint). The v2.0 endpoints sign it.

OpenID Connect Core 1.0 §3.1.3.7 step 6 allows exactly this: an ID token "received via direct
communication between the Client and the Token Endpoint" may have its issuer validated by TLS
server validation instead of a signature. So the relying party accepts ``alg: none`` only when

- the token came straight from the token endpoint of the code exchange (never from a browser),
- that token endpoint is Entra's v1.0 one, and
- it was reached over https, with the server certificate verified.

Everything else with ``alg: none`` is refused as a forgery. Over plain http the refusal says
how to fix the connection (:class:`UnsignedIdTokenOverHttp`).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import jwt
from jwt.exceptions import InvalidTokenError

from .entra_paths import entra_endpoint
from .errors import LoginError

__all__ = [
    "UnsignedIdTokenOverHttp",
    "is_entra_v1_token_endpoint",
    "is_unsigned",
    "refuse_unsigned_over_http",
    "unsigned_trusted",
]

class UnsignedIdTokenOverHttp(LoginError):
    """An unsigned ID token from Entra's v1.0 token endpoint reached over plain http."""

    code = "id_token_unsigned_over_http"
    default_message = "We could not verify the sign-in response from your identity provider."
    default_admin_hint = (
        "The connection uses Entra ID's v1.0 endpoints, whose token endpoint returns unsigned ID "
        "tokens; they can be trusted only when they arrive over https. Use the https token URL, "
        "or switch the connection to the v2.0 endpoints (…/oauth2/v2.0/authorize and "
        "…/oauth2/v2.0/token), whose ID tokens are signed."
    )


def is_entra_v1_token_endpoint(url: str) -> bool:
    """``…/{tenant}/oauth2/token``: Entra's v1.0 token endpoint."""
    return entra_endpoint(url, "token") == "v1.0"


def unsigned_trusted(token_endpoint: str) -> bool:
    """May an unsigned ID token from this token endpoint be trusted (see the module doc)?"""
    return urlsplit(token_endpoint).scheme == "https" and is_entra_v1_token_endpoint(
        token_endpoint
    )


def is_unsigned(token: str) -> bool:
    """Does the token's header say ``alg: none``?"""
    try:
        return jwt.get_unverified_header(token).get("alg") == "none"
    except InvalidTokenError:
        return False


def refuse_unsigned_over_http(token_endpoint: str, token: str) -> None:
    """Raise :class:`UnsignedIdTokenOverHttp` for an unsigned token from Entra's v1.0 token
    endpoint reached over http, so the failure page names the fix."""
    if (
        urlsplit(token_endpoint).scheme == "http"
        and is_entra_v1_token_endpoint(token_endpoint)
        and is_unsigned(token)
    ):
        raise UnsignedIdTokenOverHttp(f"unsigned ID token from {token_endpoint} over http")
