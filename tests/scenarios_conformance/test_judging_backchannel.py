"""Judging a back-channel logout row: what the app answered a valid or a bad logout token and
whether the session ended, ``Cache-Control`` as a warning, and a 400 that counts only when
the same URI took a valid token."""

from __future__ import annotations

from dataclasses import replace

import pytest

from scenarios.conformance.rows import BackchannelObservation, Verdict, judge
from scenarios_conformance.judging_kit import LT_NONCE, LT_VALID, bc


def test_valid_logout_token_needs_200_and_an_ended_session() -> None:
    ok = judge(LT_VALID, bc(200))
    assert ok.result == "PASS" and ok.did == "HTTP 200; session ended"
    assert "not checked" in ok.note
    kept = judge(LT_VALID, bc(200, after=200))
    assert kept.result == "FAIL" and "still signed in" in kept.reason
    assert judge(LT_VALID, bc(201)).result == "FAIL"


def test_a_valid_logout_token_answered_204_passes_with_a_note() -> None:
    verdict = judge(LT_VALID, bc(204))
    assert verdict.result == "PASS" and verdict.did == "HTTP 204; session ended"
    assert verdict.note.startswith("204 No Content taken as success: Back-Channel Logout 1.0 §2.8")
    assert judge(LT_VALID, bc(204, after=200)).result == "FAIL"
    assert judge(LT_NONCE, bc(204)).result == "FAIL"  # a bad token still needs 400


def test_cache_control_is_a_warning_only() -> None:
    missing = judge(LT_VALID, bc(200, headers_recorded=True, cache_control="private"))
    assert missing.result == "PASS" and missing.note == (
        "WARNING: Cache-Control is private, not no-store")
    absent = judge(LT_VALID, bc(200, headers_recorded=True, cache_control=None))
    assert absent.note == "WARNING: no Cache-Control header; no-store is expected"
    present = judge(LT_VALID, bc(200, headers_recorded=True, cache_control="no-store"))
    assert present.note == "Cache-Control: no-store"


def test_bad_logout_token_needs_exactly_400() -> None:
    assert judge(LT_NONCE, bc(400, after=200)).result == "PASS"
    accepted = judge(LT_NONCE, bc(200))
    assert accepted.result == "FAIL"
    assert accepted.reason == ("the logout token carries a nonce, yet the RP answered 200, not "
                               "400, and ended the session")
    assert judge(LT_NONCE, bc(200, after=200)).reason.endswith("answered 200, not 400")
    assert judge(LT_NONCE, bc(401)).result == "FAIL"


def test_a_bad_logout_token_that_ended_the_session_fails_although_answered_400() -> None:
    """Back-Channel Logout 1.0 §2.6, §2.7: only a valid logout token ends a session; an app
    that logs the session out before it checks the token, then answers 400, is not refusing
    it."""
    verdict = judge(LT_NONCE, bc(400, after=302))
    assert verdict == Verdict(
        result="FAIL", did="HTTP 400; session ended",
        reason="the logout token carries a nonce, yet the RP ended the session (check URL "
               "answered 302 afterwards) although it answered 400: Back-Channel Logout 1.0 §2.6, "
               "§2.7: an RP ends a session only for a logout token it validated")


def test_an_app_judged_by_its_signed_in_page_is_told_what_that_page_showed() -> None:
    """An app with no check URL (``[signed_in] page``, a single-page app) is asked no URL
    after the logout token: the reasons say what its page showed, not a status."""
    kept = judge(LT_VALID, replace(bc(200, after=200), by_page=True))
    assert kept == Verdict(result="FAIL", did="HTTP 200; session kept", reason=(
        "the RP answered 200 but the session is still signed in (the [signed_in] page showed "
        "someone signed in)"))
    ended = judge(LT_NONCE, replace(bc(400, after=401), by_page=True))
    assert ended.result == "FAIL" and ended.reason.startswith(
        "the logout token carries a nonce, yet the RP ended the session (the [signed_in] page "
        "showed no one signed in afterwards) although it answered 400")
    assert "check URL" not in kept.reason + ended.reason


@pytest.mark.parametrize("valid", [400, 403, 500])
def test_a_400_counts_only_when_the_same_uri_took_a_valid_logout_token(valid: int) -> None:
    """An endpoint behind a filter that refuses every POST (a CSRF check) answers 400 to the
    invalid tokens for a reason of its own: those rows are not tested, not passed."""
    verdict = judge(LT_NONCE, bc(400, after=200, valid=valid))
    assert verdict == Verdict(
        result="SKIP", did="HTTP 400; session kept",
        reason=f"not tested: the back-channel logout URI answered a valid logout token {valid} "
               "too, so this 400 does not show that the app checked the token (something in "
               "front of it, a CSRF check say, may refuse every POST)")
    unknown = judge(LT_NONCE, bc(400, after=200, valid=None))
    assert unknown.result == "SKIP" and unknown.reason.startswith(
        "not tested: no valid logout token was answered in this run")
    assert judge(LT_NONCE, bc(400, after=200, valid=204)).result == "PASS"
    assert judge(LT_NONCE, bc(200, after=200, valid=400)).result == "FAIL"  # took a bad one


def test_backchannel_without_an_answer_or_a_session_fails() -> None:
    down = judge(LT_NONCE, bc(None, delivery_error="ConnectError: refused"))
    assert down.result == "FAIL" and "refused" in down.reason
    no_session = judge(LT_NONCE, BackchannelObservation(signed_in_before=False))
    assert no_session.result == "FAIL"
    twice = judge(LT_NONCE, bc(400, deliveries=2))
    assert twice.result == "FAIL" and "2 logout tokens" in twice.reason
