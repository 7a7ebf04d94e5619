"""Judging a sign-in row: the check's status as signed in or not, reject, accept and either
rows, a refusal that counts only when a plain sign-in works right after, and the rows not
tested when the fault never fired or the app never used what it breaks."""

from __future__ import annotations

from dataclasses import replace

import pytest

from scenarios.conformance.rows import Row, Verdict, judge
from scenarios_conformance.judging_kit import (
    BY_ID,
    HAPPY,
    KID_MULTIPLE,
    KID_SINGLE,
    NONCE,
    USERINFO,
    login,
)


@pytest.mark.parametrize(("check", "expected"), [(200, True), (204, True), (401, False),
                                                 (403, False), (302, False), (500, None),
                                                 (None, None)])
def test_check_status_means_signed_in_or_not(check: int | None, expected: bool | None) -> None:
    assert login(check).signed_in is expected


def test_reject_row_passes_when_not_signed_in_and_shows_the_error_page() -> None:
    verdict = judge(NONCE, login(401, text="Sign-in failed"))
    assert verdict.result == "PASS"
    assert verdict.did == 'not signed in; page HTTP 502: "Sign-in failed"'


def test_reject_row_fails_with_the_reason_when_signed_in() -> None:
    verdict = judge(NONCE, login(200))
    assert verdict == Verdict(
        result="FAIL", did="signed in",
        reason="the RP signed in although the ID token's nonce differs from the one the RP sent")


@pytest.mark.parametrize("row", [NONCE, BY_ID["rp-id_token-bad-at_hash"]], ids=lambda r: r.id)
def test_a_refusal_counts_only_if_a_plain_sign_in_right_after_it_worked(row: Row) -> None:
    """An RP that refused a correct sign-in just after the row too (a stale key cache) may
    have refused the row's for that reason: the row fails, saying so, instead of passing (or,
    for a hash row, saying the app checks the hash)."""
    refused = login(401, text="Sign-in failed")
    assert judge(row, replace(refused, plain_after=True)) == judge(row, refused)
    verdict = judge(row, replace(refused, plain_after=False,
                                 plain_after_text="Unable to find a signing key"))
    assert verdict == Verdict(
        result="FAIL", did='not signed in; page HTTP 502: "Sign-in failed"',
        reason="the RP refused this sign-in, and a plain, correct one right after it too (no "
        "fault armed (\"Unable to find a signing key\")): its refusal cannot be credited to the "
        f"row's fault ({row.what}); an app must still sign in with a correct answer at that "
        "point")


def test_an_rp_that_sent_no_nonce_is_told_so() -> None:
    """The verdict stands (Core §2: a nonce in the ID token must equal the one sent), but the
    reason is not "differs from the one the RP sent" when it sent none."""
    no_nonce = replace(login(200), sent_nonce=False, sent_pkce=True)
    assert judge(NONCE, no_nonce) == Verdict(
        result="FAIL", did="signed in",
        reason="the RP sent no nonce and accepted an ID token carrying one (OpenID Connect Core "
               "§2: a nonce in the ID token MUST equal the one the client sent)")
    neither = judge(NONCE, replace(no_nonce, sent_pkce=False))
    assert neither.result == "FAIL" and neither.reason.endswith(
        "; it sent no PKCE code_challenge either, so nothing protects its sign-in against an "
        "injected authorization code (RFC 9700 §4.5)")
    assert judge(NONCE, replace(login(200), sent_nonce=True)).reason == (
        "the RP signed in although the ID token's nonce differs from the one the RP sent")


def test_accept_row_passes_when_signed_in_and_fails_when_refused() -> None:
    assert judge(HAPPY, login(200, fired=None)).result == "PASS"
    refused = judge(HAPPY, login(401, fired=None))
    assert refused.result == "FAIL"
    assert refused.reason == ("the RP refused a sign-in it should accept: a plain sign-in in "
                              "the app's own flow, no fault armed")
    refused = judge(KID_SINGLE, login(401))
    assert refused.reason == ("the RP refused a sign-in it should accept: the ID token has no "
                              "kid and the JWKS holds one key")


@pytest.mark.parametrize("check", [200, 401])
def test_either_row_passes_both_ways_and_says_which(check: int) -> None:
    verdict = judge(KID_MULTIPLE, login(check))
    assert verdict.result == "PASS"
    assert verdict.note.startswith("accepted;" if check == 200 else "rejected;")


def test_a_fault_that_never_fired_fails_the_row_even_when_not_signed_in() -> None:
    verdict = judge(NONCE, login(401, fired=False))
    assert verdict.result == "FAIL" and "wrong_nonce fault never fired" in verdict.reason


def test_a_fault_that_never_fired_while_the_rp_signed_in_says_so_not_that_it_stopped() -> None:
    """Signed in without the fault firing: the RP did complete a flow, just not the one (or
    with the client) the fault targeted; the reason must not say it stopped short."""
    verdict = judge(NONCE, login(200, fired=False))
    assert verdict.result == "FAIL" and verdict.did == "signed in"
    assert "did not complete the flow" not in verdict.reason, verdict.reason
    assert "another client or flow" in verdict.reason and "--client-id" in verdict.reason


def test_id_token_rows_are_not_tested_for_an_rp_that_asked_for_no_id_token() -> None:
    """An RP whose sign-in asked no openid (django-allauth's Microsoft provider: User.Read, the
    person from Graph's /me) gets no ID token from Entra's v2.0 endpoints: the ID-token faults
    never fire, which is no sign of another client or flow."""
    skipped = judge(NONCE, replace(login(200, fired=False), asked_id_token=False))
    assert skipped.result == "SKIP", skipped
    assert skipped.reason.startswith("not tested: the RP asked for no ID token"), skipped
    assert judge(NONCE, replace(login(200, fired=False), asked_id_token=True)).result == "FAIL"
    assert judge(NONCE, replace(login(401, fired=False), asked_id_token=False)).result == "FAIL"


def test_userinfo_row_is_skipped_when_the_rp_signs_in_without_calling_userinfo() -> None:
    assert judge(USERINFO, login(200, fired=False)).result == "SKIP"
    assert judge(USERINFO, login(200, fired=True)).result == "FAIL"
    assert judge(USERINFO, login(401, fired=True)).result == "PASS"
    # Core §5.3.2: the answer's values must not be used; an RP that drops the answer and signs
    # in on the ID token (mod_auth_openidc) passes.
    dropped = judge(USERINFO, replace(login(200, fired=True), dropped_userinfo=True))
    assert dropped.result == "PASS" and dropped.note is not None and "5.3.2" in dropped.note


def test_no_sign_in_page_or_an_ambiguous_check_fails() -> None:
    lost = judge(HAPPY, login(None, reached=False, error="Timeout 10000ms exceeded"))
    assert lost.result == "FAIL" and lost.did == "did not reach the provider's sign-in page"
    assert "Timeout" in lost.reason and "http://rp.test/widget" in lost.reason
    odd = judge(NONCE, login(500))
    assert odd.result == "FAIL" and "answered 500" in odd.reason


def test_a_custom_row_is_judged_by_its_expectation() -> None:
    row = Row(id="x", kind="login", fault="expired", expect="REJECT", what="it is old")
    assert judge(row, login(200)).reason == "the RP signed in although it is old"
