"""Rows whose verdict depends on the flow, the transport and the provider's log: ``at_hash``
and ``c_hash`` by response type, signature rows over TLS from the token endpoint, key rows
the app never fetched keys for, and an app that refused a token and signed in again."""

from __future__ import annotations

from dataclasses import replace

import pytest

from scenarios.conformance.hashes import hash_endpoint
from scenarios.conformance.rows import (
    LoginObservation,
    Row,
    RowResult,
    Verdict,
    format_table,
    judge,
    to_json,
)
from scenarios.conformance.userinfo_answer import dropped_userinfo
from scenarios_conformance.judging_kit import BY_ID, KID_SINGLE, LT_NONCE, LT_VALID, NONCE, bc

AT_HASH = BY_ID["rp-id_token-bad-at_hash"]
C_HASH = BY_ID["rp-id_token-bad-c_hash"]
BAD_SIG = BY_ID["rp-id_token-bad-sig-rs256"]
UNKNOWN_KEY = BY_ID["harness-id_token-unknown-key"]
SIG_NONE = BY_ID["rp-id_token-sig-none"]
ROTATION = BY_ID["rp-key-rotation-op-sign-key-native"]


def _seen(check: int, *, response_type: str | None = "code", tls: bool = False,
          keys: int | None = 1, keys_before: int = 0) -> LoginObservation:
    return LoginObservation(reached_sign_in=True, check_status=check, fault_fired=True,
                            response_type=response_type, over_tls=tls, key_fetches=keys,
                            key_fetches_before=keys_before)


@pytest.mark.parametrize("row", [AT_HASH, C_HASH], ids=lambda r: r.hash_claim)
@pytest.mark.parametrize("check", [200, 401])
def test_hash_rows_in_the_code_flow_are_informational_either_way(row: Row, check: int) -> None:
    verdict = judge(row, _seen(check))
    assert verdict.result == "INFO"
    assert "response_type=code" in verdict.reason and "3.1.3.6" in verdict.reason
    assert verdict.reason.endswith("accepted the token" if check == 200
                                   else f"checks {row.hash_claim} when present and refused "
                                   "the token")


@pytest.mark.parametrize(("row", "response_type"), [(AT_HASH, "id_token token"),
                                                    (AT_HASH, "code id_token token"),
                                                    (C_HASH, "code id_token")])
def test_hash_rows_are_judged_where_the_flow_requires_the_hash(row: Row,
                                                               response_type: str) -> None:
    assert judge(row, _seen(401, response_type=response_type)).result == "PASS"
    failed = judge(row, _seen(200, response_type=response_type))
    assert failed.result == "FAIL" and failed.reason.startswith("the RP signed in although")


@pytest.mark.parametrize(("row", "response_type"), [(AT_HASH, "code id_token"),
                                                    (C_HASH, "id_token token")])
def test_a_hash_the_flow_does_not_require_is_informational(row: Row, response_type: str) -> None:
    assert judge(row, _seen(200, response_type=response_type)).result == "INFO"


@pytest.mark.parametrize("row", [BAD_SIG, UNKNOWN_KEY, SIG_NONE], ids=lambda r: r.id)
def test_signature_rows_over_tls_from_the_token_endpoint_are_allowed_by_3_1_3_7_6(
        row: Row) -> None:
    allowed = judge(row, _seen(200, tls=True))
    assert allowed.result == "INFO"
    assert allowed.reason.startswith("allowed by OpenID Connect Core 3.1.3.7 (6)")
    over_http = judge(row, _seen(200, tls=False))
    assert over_http.result == "FAIL" and "over plain http" in over_http.reason
    assert judge(row, _seen(401, tls=True)).result == "PASS"
    assert judge(row, _seen(401, tls=False)).result == "PASS"


def test_a_signature_row_on_a_front_channel_id_token_must_be_rejected_even_over_tls() -> None:
    hybrid = judge(BAD_SIG, _seen(200, response_type="code id_token", tls=True))
    assert hybrid.result == "FAIL" and "MUST check the signature" in hybrid.reason
    unknown = judge(BAD_SIG, _seen(200, response_type=None, tls=True))
    assert unknown.result == "FAIL" and "unknown flow" in unknown.reason


def test_key_rows_are_not_tested_when_the_app_never_fetched_the_keys() -> None:
    skipped = judge(KID_SINGLE, _seen(200, keys=0, keys_before=0))
    assert skipped.result == "SKIP"
    assert skipped.reason.startswith("not tested: the provider's request log shows no GET of "
                                     "its signing keys (jwks_uri) at any point of the run")
    assert judge(KID_SINGLE, _seen(200, keys=0, keys_before=2)).result == "PASS"  # cached
    assert judge(KID_SINGLE, _seen(401, keys=0)).result == "FAIL"  # refused: no fetch excuses it
    rotation = judge(ROTATION, _seen(200, keys=0, keys_before=3))
    assert rotation.result == "SKIP" and "during this row" in rotation.reason
    assert judge(ROTATION, _seen(200, keys=1)).result == "PASS"
    unread = judge(ROTATION, _seen(200, keys=None))
    assert unread.result == "SKIP" and "could not be read" in unread.reason


def test_informational_rows_have_their_own_line_and_count() -> None:
    results = [RowResult(row=AT_HASH, verdict=judge(AT_HASH, _seen(200)), seconds=0.1)]
    lines = format_table(results).splitlines()
    assert lines[1].endswith("INFO")
    assert any(line.startswith("INFO rp-id_token-bad-at_hash: informational:") for line in lines)
    assert lines[-1] == "0 passed, 0 failed, 0 not tested, 1 informational"
    assert to_json(results, rp="r", provider="p", client_id="c")["ok"] is True


@pytest.mark.parametrize("status", [404, 405])
def test_no_back_channel_endpoint_fails_the_valid_row_and_leaves_the_bad_ones_untested(
        status: int) -> None:
    valid = judge(LT_VALID, bc(status, after=200))
    assert valid.result == "FAIL"
    assert valid.reason == (f"the back-channel logout URI answered {status}: the app has no "
                            "back-channel logout endpoint there, so a sign-out at the provider "
                            "leaves its session alive")
    bad = judge(LT_NONCE, bc(status, after=200))
    assert bad.result == "SKIP" and bad.reason.startswith("not tested: the back-channel logout")


@pytest.mark.parametrize("row", [NONCE, BY_ID["rp-id_token-issuer-mismatch"], BAD_SIG],
                         ids=lambda r: r.id)
def test_an_rp_that_refused_the_faulted_token_and_signed_in_again_passes(row: Row) -> None:
    """passport's failureRedirect: '/login' starts the sign-in over after a refusal; the fault
    fired once, so the second sign-in gets a correct token. The session did not come from the
    faulted token: a refusal, not an acceptance. Signing in without starting over fails."""
    again = judge(row, replace(_seen(200), restarted=True))
    assert again.result == "PASS" and again.did == "refused, then signed in again"
    assert again.note == (f"the RP refused the answer in which {row.what} and started its "
                          "sign-in again; the provider answered that one correctly (the fault "
                          "fires once), and it signed in with the correct token")
    assert judge(row, _seen(200)).result == "FAIL"


def test_a_hash_row_signed_in_again_says_the_app_refused_the_token() -> None:
    verdict = judge(AT_HASH, replace(_seen(200), restarted=True))
    assert verdict.result == "INFO" and verdict.did == "refused, then signed in again"
    assert verdict.reason.endswith("checks at_hash when present and refused the token")


@pytest.mark.parametrize(("row", "response_type", "hashed"), [
    (AT_HASH, "id_token", "access token"), (C_HASH, "id_token", "authorization code"),
    (C_HASH, "id_token token", "authorization code")])
def test_a_hash_row_on_a_flow_without_what_it_hashes_does_not_apply(
        row: Row, response_type: str, hashed: str) -> None:
    """response_type=id_token returns neither an access token nor a code (and id_token token
    no code): no token endpoint is involved, and the row does not apply."""
    verdict = judge(row, _seen(200, response_type=response_type))
    assert verdict.result == "INFO" and "token endpoint" not in verdict.reason
    assert verdict.reason == (
        f"informational: the row does not apply to response_type="
        f"{response_type.replace(' ', '+')}, which returns no {hashed}, so there is nothing "
        f"for {row.hash_claim} to bind; the app accepted the token")


ACCEPTED = "; the app accepted the token"
TOKEN_ENDPOINT_ONLY = ("the ID token comes from the token endpoint, where {claim} is optional "
                       "(OpenID Connect Core {optional}); it is required only in an ID token the "
                       "authorization endpoint issues with an {hashed} (response_type {flows})")


AT_FLOWS = "id_token token or code id_token token: OpenID Connect Core 3.2.2.10, 3.3.2.11"
C_FLOWS = "code id_token or code id_token token: OpenID Connect Core 3.3.2.11"


@pytest.mark.parametrize(("response_type", "reason"), [
    ("code", "informational: with response_type=code " + TOKEN_ENDPOINT_ONLY.format(
        claim="at_hash", optional="3.1.3.6; the client MAY check it, 3.1.3.8",
        hashed="access token", flows=AT_FLOWS)),
    ("code token", "informational: with response_type=code+token " + TOKEN_ENDPOINT_ONLY.format(
        claim="at_hash", optional="3.3.3.6", hashed="access token", flows=AT_FLOWS)),
    ("code id_token", "informational: with response_type=code+id_token the authorization "
     "endpoint returns the code and an ID token but no access token, so that ID token need not "
     "carry at_hash (OpenID Connect Core 3.3.2.11); the access token comes from the token "
     "endpoint with a second ID token, whose at_hash is optional (3.3.3.6) and which the client "
     "MAY check (3.3.3.9, 3.1.3.8): the row broke that one"),
    ("id_token", "informational: the row does not apply to response_type=id_token, which "
     "returns no access token, so there is nothing for at_hash to bind"),
    (None, "informational: with an unknown flow (no authorization request in the provider's "
     "log) it cannot be told whether at_hash was required (only in an ID token the "
     f"authorization endpoint issues with an access token, as with response_type {AT_FLOWS})"),
])
def test_the_at_hash_row_says_what_each_flow_asks_of_the_hash(response_type: str | None,
                                                              reason: str) -> None:
    """OpenID Connect Core: at_hash is required only beside an access token from the
    authorization endpoint; with code id_token that endpoint returns none, and the access
    token (with the ID token whose at_hash the row broke) comes from the token endpoint."""
    verdict = judge(AT_HASH, _seen(200, response_type=response_type))
    assert (verdict.result, verdict.reason) == ("INFO", reason + ACCEPTED)


@pytest.mark.parametrize(("response_type", "reason"), [
    ("code", "informational: with response_type=code " + TOKEN_ENDPOINT_ONLY.format(
        claim="c_hash", optional="3.1.3.6, which lists no c_hash: the token endpoint returns "
        "no code", hashed="authorization code", flows=C_FLOWS)),
    ("code token", "informational: with response_type=code+token " + TOKEN_ENDPOINT_ONLY.format(
        claim="c_hash", optional="3.3.3.6: the token endpoint returns no code",
        hashed="authorization code", flows=C_FLOWS)),
])
def test_the_c_hash_row_says_the_code_flow_s_id_token_need_not_carry_it(
        response_type: str, reason: str) -> None:
    verdict = judge(C_HASH, _seen(200, response_type=response_type))
    assert (verdict.result, verdict.reason) == ("INFO", reason + ACCEPTED)


@pytest.mark.parametrize(("response_type", "endpoint"), [
    ("code", "token"), ("code id_token", "token"), ("code token", None), ("id_token", None),
    ("id_token token", None), ("code id_token token", None), (None, None)])
def test_the_at_hash_row_breaks_the_id_token_that_comes_with_the_access_token(
        response_type: str | None, endpoint: str | None) -> None:
    """The token endpoint's where the access token comes only from there (code, code
    id_token); else the first ID token issued: the authorization endpoint's beside its access
    token (id_token token, code id_token token), the only one there is (code token, id_token).
    The c_hash row's fault is always for the first: the one beside the code."""
    assert hash_endpoint("at_hash", response_type) == endpoint
    assert hash_endpoint("c_hash", response_type) is None


def test_an_app_that_never_redeems_its_code_leaves_the_at_hash_row_untested() -> None:
    """With code id_token an app may sign in on the authorization endpoint's ID token alone:
    the row's fault, for the token endpoint, never fires, and it tests nothing."""
    unfired = replace(_seen(200, response_type="code id_token"), fault_fired=False)
    verdict = judge(AT_HASH, unfired)
    assert verdict.result == "SKIP"
    assert verdict.reason == (
        "not exercised: the RP signed in without redeeming its code at the token endpoint, so "
        "it got no access token for at_hash to bind (with response_type=code+id_token only the "
        "token endpoint returns one)")
    # in the code flow the token endpoint is the only way in: a fault that never fired there
    # means another client or flow
    assert judge(AT_HASH, replace(unfired, response_type="code")).result == "FAIL"
    assert judge(C_HASH, unfired).result == "FAIL"


def test_a_refused_key_rotation_says_the_app_must_fetch_the_keys_again() -> None:
    refused = judge(ROTATION, _seen(401, keys=0))
    assert refused == Verdict(
        result="FAIL", did="not signed in",
        reason="the RP refused a sign-in it should accept: the provider rotated its signing key "
               "just before signing (the RP must re-fetch jwks_uri when it meets an unknown kid)")


def test_an_rp_dropped_userinfo_when_it_names_the_user_and_none_of_the_other_persons_values(
        ) -> None:
    upn = "alice@contoso.onmicrosoft.com"
    assert dropped_userinfo(f'{{"name": "Alice Adams", "upn": "{upn.upper()}"}}', upn)
    assert not dropped_userinfo(f'{{"name": "Mallory Moss", "upn": "{upn}"}}', upn)
    assert not dropped_userinfo('{"email": "mallory@contoso.onmicrosoft.com"}', upn)
    assert not dropped_userinfo("ok", upn)  # nothing tells who is signed in
    assert not dropped_userinfo("", "")
