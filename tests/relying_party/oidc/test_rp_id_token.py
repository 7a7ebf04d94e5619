"""ID-token validation: one test per REJECT / ACCEPT row of the relying-party catalogue."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import loops
import pytest
from rp_oidc_testkit import (
    CLIENT_ID,
    ISSUER,
    NONCE,
    NOW,
    OTHER_TID,
    REMOVE,
    TEMPLATE_ISSUER,
    TID,
    corrupt_signature,
    ec_key,
    hmac_signed,
    id_claims,
    jwks,
    rsa_key,
    sign,
    unsigned,
)

from relying_party.oidc import errors
from relying_party.oidc.id_token import IdTokenClaims, token_hash, validate_id_token
from relying_party.oidc.jwks import StaticKeys

KEY = rsa_key("rsa-1")
KEYS = StaticKeys(jwks(KEY))


def validate(token: str, **overrides: Any) -> IdTokenClaims:
    kwargs: dict[str, Any] = {
        "keys": KEYS,
        "expected_issuer": ISSUER,
        "client_id": CLIENT_ID,
        "nonce": NONCE,
        "now": NOW,
    }
    kwargs.update(overrides)
    return loops.run(validate_id_token(token, **kwargs))


def rejects(error: type[errors.LoginError], token: str, **overrides: Any) -> errors.LoginError:
    with pytest.raises(error) as info:
        validate(token, **overrides)
    assert type(info.value) is error
    return info.value


# --- ACCEPT rows -----------------------------------------------------------------------------


def test_valid_rs256_token_is_accepted_and_claims_returned() -> None:
    result = validate(sign(id_claims(sid="s-1", email="alice@contoso.test"), KEY))
    assert result.iss == ISSUER
    assert result.sub == id_claims()["sub"]
    assert result.aud == (CLIENT_ID,)
    assert result.exp == NOW + timedelta(hours=1)
    assert result.iat == NOW
    assert (result.tid, result.sid, result.email) == (TID, "s-1", "alice@contoso.test")
    assert (result.alg, result.kid) == ("RS256", "rsa-1")
    assert result.claims["ver"] == "2.0"


def test_es256_is_accepted_when_allowed() -> None:
    key = ec_key("ec-1")
    result = validate(sign(id_claims(), key), keys=StaticKeys(jwks(key)), allowed_algs=["ES256"])
    assert result.alg == "ES256"


def test_kid_absent_with_a_single_key_is_accepted() -> None:
    key = rsa_key(None)
    assert validate(sign(id_claims(), key), keys=StaticKeys(jwks(key))).kid is None


def test_kid_absent_with_one_rsa_and_one_ec_key_uses_the_only_fitting_key() -> None:
    key = rsa_key(None)
    keys = StaticKeys(jwks(key, ec_key(None)))
    assert validate(sign(id_claims(), key), keys=keys).sub


def test_timestamps_within_leeway_are_accepted() -> None:
    now = int(NOW.timestamp())
    token = sign(id_claims(exp=now - 30, iat=now + 30, nbf=now + 30), KEY)
    assert validate(token, leeway=timedelta(seconds=60)).sub


# --- Signature and algorithm -----------------------------------------------------------------


def test_bad_signature_is_rejected() -> None:
    rejects(errors.IdTokenBadSignature, corrupt_signature(sign(id_claims(), KEY)))


def test_signature_from_another_key_with_the_same_kid_is_rejected() -> None:
    impostor = rsa_key("rsa-1", index=1)
    rejects(errors.IdTokenBadSignature, sign(id_claims(), impostor))


def test_alg_none_is_rejected() -> None:
    rejects(errors.AlgNotAllowed, unsigned(id_claims(), kid="rsa-1"))


def test_unsigned_token_is_accepted_only_when_the_caller_allows_it() -> None:
    """Entra's v1 token endpoint over TLS (OIDC Core 3.1.3.7 step 6): no key, every claim
    check still applies."""
    result = validate(unsigned(id_claims()), unsigned_allowed=True)
    assert (result.alg, result.kid, result.sub) == ("none", None, id_claims()["sub"])
    rejects(errors.AlgNotAllowed, unsigned(id_claims()))
    rejects(errors.IdTokenWrongAudience, unsigned(id_claims(aud="other")), unsigned_allowed=True)
    rejects(errors.NonceMismatch, unsigned(id_claims(nonce="x")), unsigned_allowed=True)
    rejects(errors.IdTokenExpired, unsigned(id_claims(exp=int(NOW.timestamp()) - 3600)),
            unsigned_allowed=True)


def test_unsigned_allowed_still_verifies_signed_tokens() -> None:
    assert validate(sign(id_claims(), KEY), unsigned_allowed=True).kid == "rsa-1"
    rejects(errors.IdTokenBadSignature, corrupt_signature(sign(id_claims(), KEY)),
            unsigned_allowed=True)


def test_alg_none_with_a_signature_is_malformed_even_when_unsigned_is_allowed() -> None:
    rejects(errors.IdTokenMalformed, unsigned(id_claims()) + "c2ln", unsigned_allowed=True)


def test_hs256_keyed_with_the_public_key_pem_is_rejected() -> None:
    token = hmac_signed(id_claims(), KEY.public_pem(), kid="rsa-1")
    rejects(errors.AlgNotAllowed, token)


@pytest.mark.parametrize("algs", [["HS256"], ["none"], ["RS256", "HS512"], []])
def test_symmetric_or_none_algorithms_cannot_be_configured(algs: list[str]) -> None:
    with pytest.raises(ValueError):
        validate(sign(id_claims(), KEY), allowed_algs=algs)


def test_alg_outside_the_allow_list_is_rejected() -> None:
    key = ec_key("ec-1")
    rejects(errors.AlgNotAllowed, sign(id_claims(), key), keys=StaticKeys(jwks(key)))


def test_rs256_header_on_an_ec_key_finds_no_key() -> None:
    key = ec_key("ec-1")
    token = sign(id_claims(), rsa_key("ec-1"))
    rejects(errors.UnknownSigningKey, token, keys=StaticKeys(jwks(key)))


def test_unknown_kid_is_rejected() -> None:
    rejects(errors.UnknownSigningKey, sign(id_claims(), rsa_key("other-kid")))


def test_kid_absent_with_several_keys_is_rejected_as_ambiguous() -> None:
    first, second = rsa_key(None), rsa_key(None, index=1)
    keys = StaticKeys(jwks(first, second))
    rejects(errors.AmbiguousSigningKey, sign(id_claims(), first), keys=keys)


def test_malformed_token_is_rejected() -> None:
    rejects(errors.IdTokenMalformed, "not-a-jwt")


# --- Claims ----------------------------------------------------------------------------------


def test_wrong_issuer_is_rejected() -> None:
    rejects(errors.IdTokenWrongIssuer, sign(id_claims(iss=ISSUER + "1"), KEY))


def test_missing_issuer_is_rejected() -> None:
    rejects(errors.IdTokenWrongIssuer, sign(id_claims(iss=REMOVE), KEY))


def test_entra_template_issuer_is_resolved_with_tid() -> None:
    assert validate(sign(id_claims(), KEY), expected_issuer=TEMPLATE_ISSUER).tid == TID


def test_entra_template_issuer_rejects_a_tid_differing_from_iss() -> None:
    token = sign(id_claims(tid=OTHER_TID), KEY)
    rejects(errors.IdTokenWrongIssuer, token, expected_issuer=TEMPLATE_ISSUER)


@pytest.mark.parametrize("tid", [REMOVE, "../evil", f"{TID}/v2.0/x"])
def test_entra_template_issuer_needs_a_guid_tid(tid: object) -> None:
    token = sign(id_claims(tid=tid), KEY)
    rejects(errors.IdTokenWrongIssuer, token, expected_issuer=TEMPLATE_ISSUER)


def test_jwk_issuer_member_is_checked_after_tenant_substitution() -> None:
    ok = StaticKeys({"keys": [KEY.jwk(issuer=TEMPLATE_ISSUER)]})
    assert validate(sign(id_claims(), KEY), keys=ok).sub
    msa = StaticKeys({"keys": [KEY.jwk(issuer=f"https://login.mock.test/{OTHER_TID}/v2.0")]})
    rejects(errors.IdTokenWrongIssuer, sign(id_claims(), KEY), keys=msa)


def test_missing_sub_is_rejected() -> None:
    rejects(errors.IdTokenSubMissing, sign(id_claims(sub=REMOVE), KEY))


def test_empty_sub_is_rejected() -> None:
    rejects(errors.IdTokenSubMissing, sign(id_claims(sub=""), KEY))


def test_wrong_audience_is_rejected() -> None:
    rejects(errors.IdTokenWrongAudience, sign(id_claims(aud=CLIENT_ID + "1"), KEY))


def test_missing_audience_is_rejected() -> None:
    rejects(errors.IdTokenWrongAudience, sign(id_claims(aud=REMOVE), KEY))


def test_untrusted_extra_audience_is_rejected() -> None:
    token = sign(id_claims(aud=[CLIENT_ID, "https://other.example"], azp=CLIENT_ID), KEY)
    rejects(errors.IdTokenWrongAudience, token)


def test_trusted_extra_audience_is_accepted_with_azp() -> None:
    token = sign(id_claims(aud=[CLIENT_ID, "api://trusted"], azp=CLIENT_ID), KEY)
    assert validate(token, trusted_audiences={"api://trusted"}).aud == (CLIENT_ID, "api://trusted")


def test_several_audiences_without_azp_are_rejected() -> None:
    token = sign(id_claims(aud=[CLIENT_ID, "api://trusted"]), KEY)
    rejects(errors.IdTokenAzpMismatch, token, trusted_audiences={"api://trusted"})


def test_azp_mismatch_is_rejected() -> None:
    rejects(errors.IdTokenAzpMismatch, sign(id_claims(azp="someone-else"), KEY))


def test_expired_token_is_rejected() -> None:
    exp = int(NOW.timestamp()) - 61
    rejects(errors.IdTokenExpired, sign(id_claims(exp=exp), KEY))


def test_expiry_is_judged_by_the_given_now_not_the_wall_clock() -> None:
    token = sign(id_claims(), KEY)
    rejects(errors.IdTokenExpired, token, now=NOW + timedelta(hours=1, seconds=60))


def test_missing_exp_is_rejected() -> None:
    rejects(errors.IdTokenMalformed, sign(id_claims(exp=REMOVE), KEY))


def test_nbf_in_the_future_is_rejected() -> None:
    nbf = int(NOW.timestamp()) + 61
    rejects(errors.IdTokenNotYetValid, sign(id_claims(nbf=nbf, iat=nbf - 120), KEY))


def test_missing_iat_is_rejected() -> None:
    rejects(errors.IdTokenIatMissing, sign(id_claims(iat=REMOVE), KEY))


def test_iat_in_the_future_is_rejected() -> None:
    iat = int(NOW.timestamp()) + 61
    rejects(errors.IdTokenIatFuture, sign(id_claims(iat=iat, nbf=REMOVE), KEY))


def test_non_numeric_iat_is_rejected() -> None:
    rejects(errors.IdTokenMalformed, sign(id_claims(iat="yesterday"), KEY))


def test_nonce_mismatch_is_rejected() -> None:
    rejects(errors.NonceMismatch, sign(id_claims(nonce=NONCE + "1"), KEY))


def test_missing_nonce_is_rejected() -> None:
    rejects(errors.NonceMismatch, sign(id_claims(nonce=REMOVE), KEY))


@pytest.mark.parametrize("leeway", [timedelta(seconds=-1), timedelta(minutes=10)])
def test_unreasonable_leeway_is_a_configuration_error(leeway: timedelta) -> None:
    with pytest.raises(ValueError):
        validate(sign(id_claims(), KEY), leeway=leeway)


# --- at_hash / c_hash ------------------------------------------------------------------------

ACCESS_TOKEN = "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"
CODE = "Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk"


def test_token_hash_matches_the_oidc_core_examples() -> None:
    assert token_hash(ACCESS_TOKEN, "RS256") == "77QmUPtjPfzWtF2AnpK9RQ"
    assert token_hash(CODE, "RS256") == "LDktKdoQak3Pk0cnXxCltA"


def test_token_hash_length_follows_the_algorithm() -> None:
    assert len(token_hash(CODE, "RS384")) == 32  # 24 octets
    assert len(token_hash(CODE, "ES512")) == 43  # 32 octets
    assert token_hash(CODE, "RS384") != token_hash(CODE, "RS256")[:32]


def test_valid_at_hash_and_c_hash_are_accepted() -> None:
    token = sign(id_claims(at_hash="77QmUPtjPfzWtF2AnpK9RQ", c_hash="LDktKdoQak3Pk0cnXxCltA"), KEY)
    result = validate(
        token, access_token=ACCESS_TOKEN, code=CODE, require_at_hash=True, require_c_hash=True
    )
    assert result.sub


def test_at_hash_with_rs384_uses_sha384() -> None:
    key = rsa_key("rsa-384", alg="RS384")
    token = sign(id_claims(at_hash=token_hash(ACCESS_TOKEN, "RS384")), key)
    keys = StaticKeys(jwks(key))
    assert validate(token, keys=keys, allowed_algs=["RS384"], access_token=ACCESS_TOKEN).sub
    bad = sign(id_claims(at_hash=token_hash(ACCESS_TOKEN, "RS256")), key)
    rejects(
        errors.AtHashMismatch, bad, keys=keys, allowed_algs=["RS384"], access_token=ACCESS_TOKEN
    )


def test_bad_at_hash_is_rejected() -> None:
    token = sign(id_claims(at_hash="77QmUPtjPfzWtF2AnpK9RA"), KEY)
    rejects(errors.AtHashMismatch, token, access_token=ACCESS_TOKEN)


def test_missing_at_hash_is_rejected_when_required() -> None:
    token = sign(id_claims(), KEY)
    rejects(errors.AtHashMissing, token, access_token=ACCESS_TOKEN, require_at_hash=True)


def test_missing_at_hash_is_fine_for_a_token_endpoint_id_token() -> None:
    assert validate(sign(id_claims(), KEY), access_token=ACCESS_TOKEN).sub


def test_bad_c_hash_is_rejected() -> None:
    token = sign(id_claims(c_hash="LDktKdoQak3Pk0cnXxCltB"), KEY)
    rejects(errors.CHashMismatch, token, code=CODE)


def test_missing_c_hash_is_rejected_when_required() -> None:
    rejects(errors.CHashMissing, sign(id_claims(), KEY), code=CODE, require_c_hash=True)


def test_requiring_a_hash_without_its_value_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        validate(sign(id_claims(), KEY), require_at_hash=True)
