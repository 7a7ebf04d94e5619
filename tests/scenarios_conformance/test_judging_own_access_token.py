"""A REJECT row whose fault reached an RP that asked for no ID token (a v2.0 request for its
own API without openid, as django-auth-adfs makes with VERSION "v2.0" and SCOPES naming only
its API): the provider spoiled the RP's own access token instead, and the verdict says so
rather than naming an ID token the RP never got."""

from __future__ import annotations

from scenarios.conformance.rows import ROWS, LoginObservation, Verdict, judge

BY_ID = {row.id: row for row in ROWS}


def _signed_in(*, asked_id_token: bool | None) -> LoginObservation:
    return LoginObservation(reached_sign_in=True, check_status=200, fault_fired=True,
                            response_type="code", key_fetches=1,
                            asked_id_token=asked_id_token)


def test_the_verdict_names_the_access_token_when_there_was_no_id_token() -> None:
    assert judge(BY_ID["rp-id_token-sub"], _signed_in(asked_id_token=False)) == Verdict(
        result="FAIL", did="signed in", reason="the RP signed in although its own access token "
        "has no sub (the answer had no ID token)")


def test_a_claim_of_the_access_token_is_named_as_its_own() -> None:
    # "the ID token's iss" reads "its own access token's iss", the note after the whole
    verdict = judge(BY_ID["rp-id_token-issuer-mismatch"], _signed_in(asked_id_token=False))
    assert verdict.reason == ("the RP signed in although its own access token's iss is wrong "
                              "(the answer had no ID token)")


def test_the_verdict_names_the_id_token_when_one_was_asked_for() -> None:
    for asked in (True, None):
        verdict = judge(BY_ID["rp-id_token-sub"], _signed_in(asked_id_token=asked))
        assert verdict.reason == "the RP signed in although the ID token has no sub"
