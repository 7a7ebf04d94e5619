"""The relying party's protocol and security core: pure, spec-named modules, no web framework.

Import from here; the submodules name the specification each one implements.
"""

from __future__ import annotations

from . import errors
from .discovery import (
    DiscoveryCache,
    ProviderMetadata,
    check_discovery_issuer,
    derive_discovery_url,
    fetch_provider_metadata,
)
from .errors import IdpError, LoginError, LogoutTokenInvalid
from .event_signature import (
    KEY_ID_HEADER,
    SIGNATURE_HEADER,
    check_event_freshness,
    verify_event_signature,
)
from .id_token import DEFAULT_ALGS, DEFAULT_LEEWAY, IdTokenClaims, validate_id_token
from .jwks import JwksCache, KeyResolver, StaticKeys
from .logout_token import LogoutToken, validate_logout_token
from .pkce import PkcePair, create_pkce_pair, generate_nonce, generate_state, s256_challenge
from .token_client import (
    ClientCredentials,
    TokenRequest,
    TokenResponse,
    build_code_exchange,
    exchange_code,
)
from .userinfo import check_userinfo_sub, fetch_userinfo

__all__ = [
    "DEFAULT_ALGS",
    "DEFAULT_LEEWAY",
    "KEY_ID_HEADER",
    "SIGNATURE_HEADER",
    "ClientCredentials",
    "DiscoveryCache",
    "IdTokenClaims",
    "IdpError",
    "JwksCache",
    "KeyResolver",
    "LoginError",
    "LogoutToken",
    "LogoutTokenInvalid",
    "PkcePair",
    "ProviderMetadata",
    "StaticKeys",
    "TokenRequest",
    "TokenResponse",
    "build_code_exchange",
    "check_discovery_issuer",
    "check_event_freshness",
    "check_userinfo_sub",
    "create_pkce_pair",
    "derive_discovery_url",
    "errors",
    "exchange_code",
    "fetch_provider_metadata",
    "fetch_userinfo",
    "generate_nonce",
    "generate_state",
    "s256_challenge",
    "validate_id_token",
    "validate_logout_token",
    "verify_event_signature",
]
