"""Logout-token faults: back-channel logout tokens that break one rule of OpenID Connect
Back-Channel Logout 1.0 §2.4 each."""

from __future__ import annotations

from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from ..keys import KeyRing
from ..tokens import TokenTamper
from .id_tokens import corrupt_signature, unsigned


def logout_token_tamper(kind: str, keys: KeyRing) -> TokenTamper:
    def tamper(claims: dict[str, Any], header: dict[str, Any]) -> str:
        claims = dict(claims)
        header = {k: v for k, v in header.items() if k != "alg"}
        if kind == "lt_alg_none":
            return unsigned(claims, header)
        if kind == "lt_wrong_alg":
            ec_key = ec.generate_private_key(ec.SECP256R1())
            return jwt.encode(claims, ec_key, algorithm="ES256", headers=header,
                              sort_headers=False)
        if kind == "lt_no_events":
            claims.pop("events", None)
        elif kind == "lt_wrong_events":
            claims["events"] = {"http://schemas.openid.net/event/foobar": {}}
        elif kind == "lt_nonce":
            claims["nonce"] = "logout_tokens_must_not_contain_a_nonce"
        elif kind == "lt_wrong_aud":
            claims["aud"] = f"{claims.get('aud', '')}INVALID"
        elif kind == "lt_wrong_iss":
            claims["iss"] = f"{claims.get('iss', '')}INVALID"
        token = jwt.encode(claims, keys.active.private_key, algorithm="RS256", headers=header,
                           sort_headers=False)
        return corrupt_signature(token) if kind == "lt_bad_signature" else token

    return tamper
