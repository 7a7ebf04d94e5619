"""The authorization response as the callback reads it: RFC 9207 ``iss`` (oidc-rp-checks.md
§2.8), checked before anything else the response says, the provider's error included; each
parameter given once; by query only."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlencode

import pytest
from fake_op import ISSUER
from rp_support import RpHarness

ADVERTISED = "authorization_response_iss_parameter_supported"


def _token_calls(rp: RpHarness) -> int:
    return sum(1 for r in rp.op.requests if r.url.path.endswith("/token"))


def _denied(rp: RpHarness, **extra: str) -> str:
    callback = rp.op.deny(rp.start("/widget"), "access_denied", "AADSTS65004: declined.")
    return f"{callback}&{urlencode(extra)}" if extra else callback


def test_a_provider_that_advertises_iss_must_send_it(rp: RpHarness) -> None:
    rp.add_connection()
    rp.op.faults.discovery[ADVERTISED] = True
    record = rp.assert_failure_page(rp.sign_in(), status=400, code="response_issuer_mismatch")
    assert "iss" in str(record["detail"])
    assert _token_calls(rp) == 0


def test_its_error_responses_too(rp: RpHarness) -> None:
    rp.add_connection()
    rp.op.faults.discovery[ADVERTISED] = True
    rp.assert_failure_page(rp.client.get(_denied(rp)), status=400,
                           code="response_issuer_mismatch")


def test_its_error_response_with_its_iss_is_its_error(rp: RpHarness) -> None:
    rp.add_connection()
    rp.op.faults.discovery[ADVERTISED] = True
    rp.assert_failure_page(rp.client.get(_denied(rp, iss=ISSUER)), status=403, code="idp_error")


@pytest.mark.parametrize("advertised", [True, False], ids=["advertised", "not advertised"])
def test_an_error_response_with_a_wrong_iss_is_a_mismatch(rp: RpHarness,
                                                          advertised: bool) -> None:
    rp.add_connection()
    rp.op.faults.discovery[ADVERTISED] = advertised
    response = rp.client.get(_denied(rp, iss="https://evil.test"))
    rp.assert_failure_page(response, status=400, code="response_issuer_mismatch")


@pytest.mark.parametrize("value", [False, "true", 1], ids=["false", "a string", "a number"])
def test_iss_from_a_provider_that_does_not_advertise_it_is_discarded(rp: RpHarness,
                                                                     value: object) -> None:
    """RFC 9207 §2.4: a response carrying ``iss`` from an AS that does not indicate support
    SHOULD be discarded, even one naming the right issuer. Only the JSON ``true`` advertises."""
    rp.add_connection()
    rp.op.faults.discovery[ADVERTISED] = value
    response = rp.client.get(rp.op.approve(rp.start("/widget"), iss=ISSUER))
    record = rp.assert_failure_page(response, status=400, code="response_issuer_mismatch")
    assert ADVERTISED in str(record["detail"])
    assert _token_calls(rp) == 0


def test_no_iss_from_a_provider_that_does_not_advertise_it_signs_in(rp: RpHarness) -> None:
    # Entra ID neither advertises nor sends it: each connection's own redirect URI is the mix-up
    # defence there (relying_party.redirect_uris.check_redirect_uri).
    rp.add_connection()
    assert rp.sign_in().status_code == 303
    assert rp.me().status_code == 200


# -- each parameter once, by query (RFC 6749 §3.1) ------------------------------------------------


def _split(callback: str) -> tuple[str, list[tuple[str, str]]]:
    path, _, query = callback.partition("?")
    return path, [(k, v[0]) for k, v in parse_qs(query).items()]


REPEATS: dict[str, Callable[[list[tuple[str, str]]], list[tuple[str, str]]]] = {
    "iss wrong then right": lambda p: [*p, ("iss", "https://evil.test"), ("iss", ISSUER)],
    "iss right then wrong": lambda p: [*p, ("iss", ISSUER), ("iss", "https://evil.test")],
    "state and code made up first": lambda p: [("state", "bogus"), ("code", "bogus"), *p],
    "state and code made up last": lambda p: [*p, ("state", "bogus"), ("code", "bogus")],
    "code twice": lambda p: [*p, *[(k, v) for k, v in p if k == "code"]],
    "error": lambda p: [*p, ("error", "access_denied"), ("error", "access_denied")],
    "error_description": lambda p: [*p, ("error_description", "a"), ("error_description", "b")],
    "another parameter": lambda p: [*p, ("session_state", "a"), ("session_state", "a")],
}


@pytest.mark.parametrize("repeat", sorted(REPEATS))
def test_a_parameter_given_twice_is_refused_and_spends_nothing(rp: RpHarness,
                                                               repeat: str) -> None:
    rp.add_connection()
    rp.op.faults.discovery[ADVERTISED] = True
    callback = rp.op.approve(rp.start("/widget"), iss=ISSUER)
    path, params = _split(callback)
    response = rp.client.get(f"{path}?{urlencode(REPEATS[repeat](params))}")
    record = rp.assert_failure_page(response, status=400, code="callback_ambiguous",
                                    contact=rp.settings.default_support_contact)
    assert "more than once" in str(record["detail"])
    assert _token_calls(rp) == 0
    assert rp.client.get(callback).status_code == 303  # the sign-in itself is left to finish
    assert rp.me().status_code == 200


def test_a_posted_response_is_refused(rp: RpHarness) -> None:
    """The app asks for ``response_mode=query``; its login binding cookie is SameSite=Lax, so
    a provider's cross-site form post could not complete a sign-in anyway."""
    rp.add_connection()
    callback = rp.op.approve(rp.start("/widget"))
    path, params = _split(callback)
    response = rp.client.post(path, data=dict(params))
    rp.assert_failure_page(response, status=405, code="callback_refused",
                           contact=rp.settings.default_support_contact)
    assert "GET" in response.headers["allow"]
    assert _token_calls(rp) == 0
    assert rp.client.get(callback).status_code == 303
