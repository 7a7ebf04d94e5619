"""The authorization response as the callback reads it: RFC 9207 ``iss`` (oidc-rp-checks.md
§2.8), checked before anything else the response says, the provider's error included."""

from __future__ import annotations

from urllib.parse import urlencode

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
    # Entra ID neither advertises nor sends it: the ID token's iss is the mix-up defence there.
    rp.add_connection()
    assert rp.sign_in().status_code == 303
    assert rp.me().status_code == 200
