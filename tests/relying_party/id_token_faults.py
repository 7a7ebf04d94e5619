"""The ID-token faults the fake provider can put in a sign-in, each with the error code the
relying party logs for it: every REJECT row of the RP catalogue that applies to the code flow.
A customer connection's sign-in and a partner installation's launch both refuse each."""

from __future__ import annotations

from collections.abc import Callable

from fake_op import CLIENT_ID, ISSUER, token_hash
from rp_support import RpHarness


def _now(rp: RpHarness) -> int:
    return int(rp.clock.now().timestamp())


ID_TOKEN_FAULTS: dict[str, tuple[Callable[[RpHarness], object], str]] = {
    # name: (fault setter, expected error code)
    "wrong iss": (lambda rp: rp.op.faults.claims.update(iss=ISSUER + "1"),
                  "id_token_wrong_issuer"),
    "other tenant iss": (
        lambda rp: rp.op.faults.claims.update(iss="https://login.op.test/other/v2.0"),
        "id_token_wrong_issuer"),
    "wrong aud": (lambda rp: rp.op.faults.claims.update(aud=CLIENT_ID + "1"),
                  "id_token_wrong_audience"),
    "missing aud": (lambda rp: rp.op.faults.claims.update(aud=None), "id_token_wrong_audience"),
    "untrusted extra aud": (
        lambda rp: rp.op.faults.claims.update(aud=[CLIENT_ID, "https://evil.test"],
                                              azp=CLIENT_ID),
        "id_token_wrong_audience"),
    "azp mismatch": (lambda rp: rp.op.faults.claims.update(azp="someone-else"),
                     "id_token_azp_mismatch"),
    "expired": (lambda rp: rp.op.faults.claims.update(exp=_now(rp) - 3600),
                "id_token_expired"),
    "missing exp": (lambda rp: rp.op.faults.claims.update(exp=None), "id_token_malformed"),
    "not yet valid": (lambda rp: rp.op.faults.claims.update(nbf=_now(rp) + 3600),
                      "id_token_not_yet_valid"),
    "missing iat": (lambda rp: rp.op.faults.claims.update(iat=None), "id_token_iat_missing"),
    "iat in future": (lambda rp: rp.op.faults.claims.update(iat=_now(rp) + 3600),
                      "id_token_iat_future"),
    "iat too old": (lambda rp: rp.op.faults.claims.update(iat=_now(rp) - 3000),
                    "id_token_expired"),
    "missing sub": (lambda rp: rp.op.faults.claims.update(sub=None), "id_token_sub_missing"),
    "wrong nonce": (lambda rp: rp.op.faults.claims.update(nonce="012345678"), "nonce_mismatch"),
    "missing nonce": (lambda rp: rp.op.faults.claims.update(nonce=None), "nonce_mismatch"),
    "bad at_hash": (lambda rp: rp.op.faults.claims.update(at_hash=token_hash("other")),
                    "at_hash_mismatch"),
    "bad c_hash": (lambda rp: rp.op.faults.claims.update(c_hash=token_hash("other")),
                   "c_hash_mismatch"),
    "bad signature": (lambda rp: setattr(rp.op.faults, "tamper_signature", True),
                      "id_token_bad_signature"),
    "unknown key": (lambda rp: setattr(rp.op.faults, "sign_with_unpublished_key", True),
                    "id_token_bad_signature"),
    "unknown kid": (lambda rp: rp.op.faults.header.update(kid="never-published"),
                    "unknown_signing_key"),
    "no kid, several keys": (
        lambda rp: (rp.op.faults.header.update(kid=None), setattr(rp.op, "published", [0, 1])),
        "ambiguous_signing_key"),
    "alg none": (lambda rp: setattr(rp.op.faults, "alg_none", True), "alg_not_allowed"),
    "hs256 keyed with the public key": (
        lambda rp: setattr(rp.op.faults, "hs256_with_public_key", True), "alg_not_allowed"),
    "discovery issuer mismatch": (
        lambda rp: setattr(rp.op.faults, "discovery_issuer", ISSUER + "INVALID"),
        "discovery_issuer_mismatch"),
    "discovery without jwks_uri": (
        lambda rp: rp.op.faults.discovery.update(jwks_uri=None), "discovery_failed"),
}
