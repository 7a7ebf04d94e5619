"""Back-channel logout tokens: the catalogue's lt-* fault rows, each must be rejected."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import loops
import pytest
from rp_oidc_testkit import (
    CLIENT_ID,
    ISSUER,
    NOW,
    REMOVE,
    corrupt_signature,
    ec_key,
    hmac_signed,
    jwks,
    rsa_key,
    sign,
    unsigned,
)

from relying_party.oidc import errors
from relying_party.oidc.jwks import StaticKeys
from relying_party.oidc.logout_token import (
    BACKCHANNEL_LOGOUT_EVENT,
    LogoutToken,
    validate_logout_token,
)

KEY = rsa_key("rsa-1")
KEYS = StaticKeys(jwks(KEY))


def logout_claims(**overrides: Any) -> dict[str, Any]:
    now = int(NOW.timestamp())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": CLIENT_ID,
        "iat": now,
        "exp": now + 120,
        "jti": "bWJq",
        "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
        "sid": "08a5019c-17e1-4977-8f42-65a12843ea02",
        "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not REMOVE}


def validate(token: str, **overrides: Any) -> LogoutToken:
    kwargs: dict[str, Any] = {
        "keys": KEYS,
        "expected_issuer": ISSUER,
        "client_id": CLIENT_ID,
        "now": NOW,
    }
    kwargs.update(overrides)
    return loops.run(validate_logout_token(token, **kwargs))


def reason(token: str, **overrides: Any) -> str:
    with pytest.raises(errors.LogoutTokenInvalid) as info:
        validate(token, **overrides)
    assert info.value.code == "logout_token_invalid"
    return info.value.reason


def test_valid_logout_token_is_accepted() -> None:
    result = validate(sign(logout_claims(), KEY, typ="logout+jwt"))
    assert (result.iss, result.sub, result.sid, result.jti) == (
        ISSUER,
        logout_claims()["sub"],
        logout_claims()["sid"],
        "bWJq",
    )
    assert result.exp == NOW + timedelta(seconds=120)
    assert result.replay_key == (ISSUER, "bWJq")
    assert result.remember_until >= result.exp


def test_typ_jwt_is_accepted_too() -> None:
    assert validate(sign(logout_claims(), KEY, typ="JWT")).jti == "bWJq"


def test_sub_alone_or_sid_alone_is_enough() -> None:
    assert validate(sign(logout_claims(sid=REMOVE), KEY)).sid is None
    assert validate(sign(logout_claims(sub=REMOVE), KEY)).sub is None


def test_alg_none_is_rejected() -> None:
    assert reason(unsigned(logout_claims(), kid="rsa-1")) == "alg_not_allowed"


def test_wrong_alg_es256_is_rejected() -> None:
    key = ec_key("rsa-1")
    assert reason(sign(logout_claims(), key)) == "alg_not_allowed"


def test_es256_signed_token_is_rejected_even_when_es256_is_allowed_but_unpublished() -> None:
    token = sign(logout_claims(), ec_key("rsa-1"))
    assert reason(token, allowed_algs=["RS256", "ES256"]) == "unknown_signing_key"


def test_wrong_alg_hs256_keyed_with_public_key_is_rejected() -> None:
    token = hmac_signed(logout_claims(), KEY.public_pem(), kid="rsa-1")
    assert reason(token) == "alg_not_allowed"


def test_bad_signature_is_rejected() -> None:
    assert reason(corrupt_signature(sign(logout_claims(), KEY))) == "bad_signature"


def test_missing_events_is_rejected() -> None:
    assert reason(sign(logout_claims(events=REMOVE), KEY)) == "events_missing"


def test_wrong_event_is_rejected() -> None:
    events = {"http://schemas.openid.net/event/foobar": {}}
    assert reason(sign(logout_claims(events=events), KEY)) == "events_wrong"


def test_event_value_must_be_an_object() -> None:
    events = {BACKCHANNEL_LOGOUT_EVENT: "yes"}
    assert reason(sign(logout_claims(events=events), KEY)) == "events_wrong"


def test_nonce_present_is_rejected() -> None:
    token = sign(logout_claims(nonce="logout_tokens_must_not_contain_a_nonce"), KEY)
    assert reason(token) == "nonce_present"


def test_wrong_audience_is_rejected() -> None:
    assert reason(sign(logout_claims(aud=CLIENT_ID + "INVALID"), KEY)) == "wrong_audience"


def test_wrong_issuer_is_rejected() -> None:
    assert reason(sign(logout_claims(iss=ISSUER + "INVALID"), KEY)) == "wrong_issuer"


def test_neither_sub_nor_sid_is_rejected() -> None:
    assert reason(sign(logout_claims(sub=REMOVE, sid=REMOVE), KEY)) == "sub_and_sid_missing"


def test_expired_token_is_rejected() -> None:
    assert reason(sign(logout_claims(), KEY), now=NOW + timedelta(minutes=5)) == "expired"


def test_missing_exp_is_rejected() -> None:
    assert reason(sign(logout_claims(exp=REMOVE), KEY)) == "malformed"


def test_missing_iat_is_rejected() -> None:
    assert reason(sign(logout_claims(iat=REMOVE), KEY)) == "iat_missing"


def test_missing_jti_is_rejected() -> None:
    assert reason(sign(logout_claims(jti=REMOVE), KEY)) == "jti_missing"


def test_unknown_key_is_rejected() -> None:
    assert reason(sign(logout_claims(), rsa_key("other", index=1))) == "unknown_signing_key"


def test_an_id_token_is_not_a_logout_token() -> None:
    id_token_like = logout_claims(events=REMOVE, nonce="n-0S6_WzA2Mj")
    assert reason(sign(id_token_like, KEY)) in {"events_missing", "nonce_present"}


def test_hmac_cannot_be_configured_for_logout_tokens() -> None:
    with pytest.raises(ValueError):
        validate(sign(logout_claims(), KEY), allowed_algs=["HS256"])
