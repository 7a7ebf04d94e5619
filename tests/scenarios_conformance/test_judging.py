"""The conformance rows and their judging, the table and the JSON: pure, no browser."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from mock_idp.faults import ID_TOKEN_KINDS, LOGOUT_TOKEN_KINDS, USERINFO_KINDS
from scenarios.conformance.hashes import hash_endpoint
from scenarios.conformance.rows import (
    BACKCHANNEL_ROWS,
    LOGIN_ROWS,
    ROWS,
    BackchannelObservation,
    LoginObservation,
    Row,
    RowResult,
    SelectionError,
    Verdict,
    format_progress,
    format_table,
    judge,
    select_rows,
    to_json,
)
from scenarios.conformance.userinfo_answer import dropped_userinfo

BY_ID = {row.id: row for row in ROWS}
HAPPY = BY_ID["rp-response_type-code"]
NONCE = BY_ID["rp-nonce-invalid"]
USERINFO = BY_ID["rp-userinfo-bad-sub-claim"]
KID_MULTIPLE = BY_ID["rp-id_token-kid-absent-multiple-jwks"]
LT_VALID = BY_ID["rp-backchannel-rpinitlogout"]
LT_NONCE = BY_ID["rp-backchannel-rpinitlogout-lt-with-nonce"]


def _login(check: int | None, *, fired: bool | None = True, reached: bool = True,
           text: str = "", error: str | None = None) -> LoginObservation:
    return LoginObservation(reached_sign_in=reached, check_status=check, fault_fired=fired,
                            final_url="http://rp.test/widget", page_status=502,
                            page_text=text, error=error, response_type="code", key_fetches=1)


def test_row_ids_are_unique_and_every_fault_is_one_the_mock_knows() -> None:
    assert len(BY_ID) == len(ROWS)
    assert {r.fault for r in LOGIN_ROWS} - {None} <= ID_TOKEN_KINDS | USERINFO_KINDS
    assert {r.fault for r in BACKCHANNEL_ROWS} - {None} <= LOGOUT_TOKEN_KINDS
    lt_rows = [r for r in BACKCHANNEL_ROWS if r.id.startswith("rp-backchannel-rpinitlogout-lt-")]
    assert len(lt_rows) == 7  # the catalogue's seven negative logout-token tests


def test_the_plain_flow_runs_first_and_key_rows_before_the_rest() -> None:
    faults = [r.fault for r in LOGIN_ROWS]
    assert faults[0] is None
    assert faults.index("kid_absent") < faults.index("key_rotated") < faults.index("unknown_key")


@pytest.mark.parametrize(("check", "expected"), [(200, True), (204, True), (401, False),
                                                 (403, False), (302, False), (500, None),
                                                 (None, None)])
def test_check_status_means_signed_in_or_not(check: int | None, expected: bool | None) -> None:
    assert _login(check).signed_in is expected


def test_reject_row_passes_when_not_signed_in_and_shows_the_error_page() -> None:
    verdict = judge(NONCE, _login(401, text="Sign-in failed"))
    assert verdict.result == "PASS"
    assert verdict.did == 'not signed in; page HTTP 502: "Sign-in failed"'


def test_reject_row_fails_with_the_reason_when_signed_in() -> None:
    verdict = judge(NONCE, _login(200))
    assert verdict == Verdict(
        result="FAIL", did="signed in",
        reason="the RP signed in although the ID token's nonce differs from the one the RP sent")


@pytest.mark.parametrize("row", [NONCE, BY_ID["rp-id_token-bad-at_hash"]], ids=lambda r: r.id)
def test_a_refusal_counts_only_if_a_plain_sign_in_right_after_it_worked(row: Row) -> None:
    """An RP that refused a correct sign-in just after the row too (a stale key cache) may
    have refused the row's for that reason: the row fails, saying so, instead of passing (or,
    for a hash row, saying the app checks the hash)."""
    refused = _login(401, text="Sign-in failed")
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
    no_nonce = replace(_login(200), sent_nonce=False, sent_pkce=True)
    assert judge(NONCE, no_nonce) == Verdict(
        result="FAIL", did="signed in",
        reason="the RP sent no nonce and accepted an ID token carrying one (OpenID Connect Core "
               "§2: a nonce in the ID token MUST equal the one the client sent)")
    neither = judge(NONCE, replace(no_nonce, sent_pkce=False))
    assert neither.result == "FAIL" and neither.reason.endswith(
        "; it sent no PKCE code_challenge either, so nothing protects its sign-in against an "
        "injected authorization code (RFC 9700 §4.5)")
    assert judge(NONCE, replace(_login(200), sent_nonce=True)).reason == (
        "the RP signed in although the ID token's nonce differs from the one the RP sent")


def test_accept_row_passes_when_signed_in_and_fails_when_refused() -> None:
    assert judge(HAPPY, _login(200, fired=None)).result == "PASS"
    refused = judge(HAPPY, _login(401, fired=None))
    assert refused.result == "FAIL"
    assert refused.reason == ("the RP refused a sign-in it should accept: a plain sign-in in "
                              "the app's own flow, no fault armed")
    refused = judge(KID_SINGLE, _login(401))
    assert refused.reason == ("the RP refused a sign-in it should accept: the ID token has no "
                              "kid and the JWKS holds one key")


@pytest.mark.parametrize("check", [200, 401])
def test_either_row_passes_both_ways_and_says_which(check: int) -> None:
    verdict = judge(KID_MULTIPLE, _login(check))
    assert verdict.result == "PASS"
    assert verdict.note.startswith("accepted;" if check == 200 else "rejected;")


def test_a_fault_that_never_fired_fails_the_row_even_when_not_signed_in() -> None:
    verdict = judge(NONCE, _login(401, fired=False))
    assert verdict.result == "FAIL" and "wrong_nonce fault never fired" in verdict.reason


def test_a_fault_that_never_fired_while_the_rp_signed_in_says_so_not_that_it_stopped() -> None:
    """Signed in without the fault firing: the RP did complete a flow, just not the one (or
    with the client) the fault targeted; the reason must not say it stopped short."""
    verdict = judge(NONCE, _login(200, fired=False))
    assert verdict.result == "FAIL" and verdict.did == "signed in"
    assert "did not complete the flow" not in verdict.reason, verdict.reason
    assert "another client or flow" in verdict.reason and "--client-id" in verdict.reason


def test_id_token_rows_are_not_tested_for_an_rp_that_asked_for_no_id_token() -> None:
    """An RP whose sign-in asked no openid (django-allauth's Microsoft provider: User.Read, the
    person from Graph's /me) gets no ID token from Entra's v2.0 endpoints: the ID-token faults
    never fire, which is no sign of another client or flow."""
    skipped = judge(NONCE, replace(_login(200, fired=False), asked_id_token=False))
    assert skipped.result == "SKIP", skipped
    assert skipped.reason.startswith("not tested: the RP asked for no ID token"), skipped
    assert judge(NONCE, replace(_login(200, fired=False), asked_id_token=True)).result == "FAIL"
    assert judge(NONCE, replace(_login(401, fired=False), asked_id_token=False)).result == "FAIL"


def test_userinfo_row_is_skipped_when_the_rp_signs_in_without_calling_userinfo() -> None:
    assert judge(USERINFO, _login(200, fired=False)).result == "SKIP"
    assert judge(USERINFO, _login(200, fired=True)).result == "FAIL"
    assert judge(USERINFO, _login(401, fired=True)).result == "PASS"
    # Core §5.3.2: the answer's values must not be used; an RP that drops the answer and signs
    # in on the ID token (mod_auth_openidc) passes.
    dropped = judge(USERINFO, replace(_login(200, fired=True), dropped_userinfo=True))
    assert dropped.result == "PASS" and dropped.note is not None and "5.3.2" in dropped.note


def test_no_sign_in_page_or_an_ambiguous_check_fails() -> None:
    lost = judge(HAPPY, _login(None, reached=False, error="Timeout 10000ms exceeded"))
    assert lost.result == "FAIL" and lost.did == "did not reach the provider's sign-in page"
    assert "Timeout" in lost.reason and "http://rp.test/widget" in lost.reason
    odd = judge(NONCE, _login(500))
    assert odd.result == "FAIL" and "answered 500" in odd.reason


def _bc(status: int | None, *, after: int | None = 401, headers_recorded: bool = False,
        cache_control: str | None = None, delivery_error: str | None = None,
        deliveries: int = 1, valid: int | None = 200) -> BackchannelObservation:
    return BackchannelObservation(
        signed_in_before=True, status=status, check_status_after=after,
        headers_recorded=headers_recorded, cache_control=cache_control,
        delivery_error=delivery_error, deliveries=deliveries, valid_answer=valid)


def test_valid_logout_token_needs_200_and_an_ended_session() -> None:
    ok = judge(LT_VALID, _bc(200))
    assert ok.result == "PASS" and ok.did == "HTTP 200; session ended"
    assert "not checked" in ok.note
    kept = judge(LT_VALID, _bc(200, after=200))
    assert kept.result == "FAIL" and "still signed in" in kept.reason
    assert judge(LT_VALID, _bc(201)).result == "FAIL"


def test_a_valid_logout_token_answered_204_passes_with_a_note() -> None:
    verdict = judge(LT_VALID, _bc(204))
    assert verdict.result == "PASS" and verdict.did == "HTTP 204; session ended"
    assert verdict.note.startswith("204 No Content taken as success: Back-Channel Logout 1.0 §2.8")
    assert judge(LT_VALID, _bc(204, after=200)).result == "FAIL"
    assert judge(LT_NONCE, _bc(204)).result == "FAIL"  # a bad token still needs 400


def test_cache_control_is_a_warning_only() -> None:
    missing = judge(LT_VALID, _bc(200, headers_recorded=True, cache_control="private"))
    assert missing.result == "PASS" and missing.note == (
        "WARNING: Cache-Control is private, not no-store")
    absent = judge(LT_VALID, _bc(200, headers_recorded=True, cache_control=None))
    assert absent.note == "WARNING: no Cache-Control header; no-store is expected"
    present = judge(LT_VALID, _bc(200, headers_recorded=True, cache_control="no-store"))
    assert present.note == "Cache-Control: no-store"


def test_bad_logout_token_needs_exactly_400() -> None:
    assert judge(LT_NONCE, _bc(400, after=200)).result == "PASS"
    accepted = judge(LT_NONCE, _bc(200))
    assert accepted.result == "FAIL"
    assert accepted.reason == ("the logout token carries a nonce, yet the RP answered 200, not "
                               "400, and ended the session")
    assert judge(LT_NONCE, _bc(200, after=200)).reason.endswith("answered 200, not 400")
    assert judge(LT_NONCE, _bc(401)).result == "FAIL"


def test_a_bad_logout_token_that_ended_the_session_fails_although_answered_400() -> None:
    """Back-Channel Logout 1.0 §2.6, §2.7: only a valid logout token ends a session; an app
    that logs the session out before it checks the token, then answers 400, is not refusing
    it."""
    verdict = judge(LT_NONCE, _bc(400, after=302))
    assert verdict == Verdict(
        result="FAIL", did="HTTP 400; session ended",
        reason="the logout token carries a nonce, yet the RP ended the session (check URL "
               "answered 302 afterwards) although it answered 400: Back-Channel Logout 1.0 §2.6, "
               "§2.7: an RP ends a session only for a logout token it validated")


def test_an_app_judged_by_its_signed_in_page_is_told_what_that_page_showed() -> None:
    """An app with no check URL (``[signed_in] page``, a single-page app) is asked no URL
    after the logout token: the reasons say what its page showed, not a status."""
    kept = judge(LT_VALID, replace(_bc(200, after=200), by_page=True))
    assert kept == Verdict(result="FAIL", did="HTTP 200; session kept", reason=(
        "the RP answered 200 but the session is still signed in (the [signed_in] page showed "
        "someone signed in)"))
    ended = judge(LT_NONCE, replace(_bc(400, after=401), by_page=True))
    assert ended.result == "FAIL" and ended.reason.startswith(
        "the logout token carries a nonce, yet the RP ended the session (the [signed_in] page "
        "showed no one signed in afterwards) although it answered 400")
    assert "check URL" not in kept.reason + ended.reason


@pytest.mark.parametrize("valid", [400, 403, 500])
def test_a_400_counts_only_when_the_same_uri_took_a_valid_logout_token(valid: int) -> None:
    """An endpoint behind a filter that refuses every POST (a CSRF check) answers 400 to the
    invalid tokens for a reason of its own: those rows are not tested, not passed."""
    verdict = judge(LT_NONCE, _bc(400, after=200, valid=valid))
    assert verdict == Verdict(
        result="SKIP", did="HTTP 400; session kept",
        reason=f"not tested: the back-channel logout URI answered a valid logout token {valid} "
               "too, so this 400 does not show that the app checked the token (something in "
               "front of it, a CSRF check say, may refuse every POST)")
    unknown = judge(LT_NONCE, _bc(400, after=200, valid=None))
    assert unknown.result == "SKIP" and unknown.reason.startswith(
        "not tested: no valid logout token was answered in this run")
    assert judge(LT_NONCE, _bc(400, after=200, valid=204)).result == "PASS"
    assert judge(LT_NONCE, _bc(200, after=200, valid=400)).result == "FAIL"  # took a bad one


def test_backchannel_without_an_answer_or_a_session_fails() -> None:
    down = judge(LT_NONCE, _bc(None, delivery_error="ConnectError: refused"))
    assert down.result == "FAIL" and "refused" in down.reason
    no_session = judge(LT_NONCE, BackchannelObservation(signed_in_before=False))
    assert no_session.result == "FAIL"
    twice = judge(LT_NONCE, _bc(400, deliveries=2))
    assert twice.result == "FAIL" and "2 logout tokens" in twice.reason


def test_select_rows_by_id_and_glob_in_catalogue_order() -> None:
    assert select_rows([]) == ROWS
    picked = select_rows(["rp-nonce-invalid,rp-response_type-code", "*lt-wrong-*"])
    assert [r.id for r in picked] == [
        "rp-response_type-code", "rp-nonce-invalid",
        "rp-backchannel-rpinitlogout-lt-wrong-alg", "rp-backchannel-rpinitlogout-lt-wrong-event",
        "rp-backchannel-rpinitlogout-lt-wrong-aud", "rp-backchannel-rpinitlogout-lt-wrong-issuer"]
    with pytest.raises(SelectionError, match="rp-nope"):
        select_rows(["rp-nonce-invalid", "rp-nope"])


def _results() -> list[RowResult]:
    return [
        RowResult(row=HAPPY, verdict=Verdict(result="PASS", did="signed in"), seconds=1.234),
        RowResult(row=NONCE, verdict=judge(NONCE, _login(200)), seconds=0.5),
        RowResult(row=USERINFO, verdict=judge(USERINFO, _login(200, fired=False)), seconds=0.7),
        RowResult(row=KID_MULTIPLE, verdict=judge(KID_MULTIPLE, _login(401)), seconds=0.6),
    ]


def test_table_has_a_line_per_row_and_a_reason_per_failure() -> None:
    lines = format_table(_results()).splitlines()
    assert lines[0].split() == ["ROW", "EXPECTED", "RP", "DID", "RESULT"]
    assert lines[1].split()[:3] == ["rp-response_type-code", "ACCEPT", "signed"]
    assert lines[2].endswith("FAIL") and lines[2].startswith("rp-nonce-invalid ")
    assert ("FAIL rp-nonce-invalid: the RP signed in although the ID token's nonce differs "
            "from the one the RP sent") in lines
    # a row not tested says why in its own cell, and only there when the cell holds it whole
    reason = _results()[2].verdict.reason
    assert len(reason) <= 100 and lines[3].startswith("rp-userinfo-bad-sub-claim ")
    assert lines[3].endswith(f"{reason}  SKIP"), lines[3]
    assert not any(line.startswith("SKIP rp-userinfo-bad-sub-claim") for line in lines), lines
    assert any(line.startswith("note rp-id_token-kid-absent-multiple-jwks: rejected;")
               for line in lines)
    assert lines[-1] == "2 passed, 1 failed, 1 not tested, 0 informational"


def test_a_row_not_tested_says_why_in_its_cell_not_what_the_rp_answered() -> None:
    """A logout-token row not tested because the URI refused a valid token too: its cell is
    the reason (cut, whole under the table), not ``HTTP 400; session kept`` beside ``EXPECTED
    HTTP 400``, which reads as a pass; a row tested keeps what the RP did."""
    skipped = RowResult(row=LT_NONCE, verdict=judge(LT_NONCE, _bc(400, after=200, valid=400)),
                        seconds=0.1)
    passed = RowResult(row=LT_VALID, verdict=judge(LT_VALID, _bc(200, after=401)), seconds=0.1)
    lines = format_table([passed, skipped]).splitlines()
    assert lines[1].split()[3:] == ["HTTP", "200;", "session", "ended", "PASS"]
    assert "HTTP 400; session kept" not in lines[2], lines[2]
    cell = lines[2].split("HTTP 400", 1)[1].strip().removesuffix("SKIP").strip()
    assert cell.startswith("not tested: the back-channel logout URI answered a valid logout "
                           "token 400 too") and cell.endswith("…") and len(cell) == 100, cell
    assert f"SKIP {LT_NONCE.id}: {skipped.verdict.reason}" in lines
    quoted = "not signed in; page HTTP 502: " + "x" * 90  # a tested row's cell is not cut
    refused = RowResult(row=NONCE, verdict=Verdict(result="PASS", did=quoted), seconds=0.1)
    assert quoted + "  PASS" in format_table([refused])


def test_table_columns_line_up() -> None:
    lines = format_table(_results()).splitlines()[:5]
    for column in ("EXPECTED", "RP DID", "RESULT"):
        start = lines[0].index(column)
        assert all(line[start - 2:start] == "  " and line[start] != " " for line in lines[1:])


def test_json_output_for_ci() -> None:
    data = json.loads(json.dumps(to_json(_results(), rp="http://rp.test",
                                         provider="http://idp.test", client_id="c")))
    assert (data["rp"], data["provider"], data["client_id"]) == (
        "http://rp.test", "http://idp.test", "c")
    assert data["ok"] is False
    assert (data["passed"], data["failed"], data["skipped"], data["informational"]) == (
        2, 1, 1, 0)
    nonce = data["rows"][1]
    assert nonce == {
        "id": "rp-nonce-invalid", "kind": "login", "fault": "wrong_nonce", "expect": "REJECT",
        "result": "FAIL", "did": "signed in",
        "reason": "the RP signed in although the ID token's nonce differs from the one the RP "
                  "sent",
        "note": "", "seconds": 0.5, "protocol_text": None,  # no exchange recorded here
        "app_log": None}
    assert data["rows"][0]["seconds"] == 1.23


def test_progress_line() -> None:
    assert format_progress(_results()[1]) == "FAIL  rp-nonce-invalid  0.50s"


def test_a_custom_row_is_judged_by_its_expectation() -> None:
    row = Row(id="x", kind="login", fault="expired", expect="REJECT", what="it is old")
    assert judge(row, _login(200)).reason == "the RP signed in although it is old"


# --- rows whose verdict depends on the flow, the transport and the provider's log -------------

AT_HASH = BY_ID["rp-id_token-bad-at_hash"]
C_HASH = BY_ID["rp-id_token-bad-c_hash"]
BAD_SIG = BY_ID["rp-id_token-bad-sig-rs256"]
UNKNOWN_KEY = BY_ID["harness-id_token-unknown-key"]
SIG_NONE = BY_ID["rp-id_token-sig-none"]
KID_SINGLE = BY_ID["rp-id_token-kid-absent-single-jwks"]
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
    valid = judge(LT_VALID, _bc(status, after=200))
    assert valid.result == "FAIL"
    assert valid.reason == (f"the back-channel logout URI answered {status}: the app has no "
                            "back-channel logout endpoint there, so a sign-out at the provider "
                            "leaves its session alive")
    bad = judge(LT_NONCE, _bc(status, after=200))
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
