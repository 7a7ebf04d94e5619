"""An app that signs a person in on a spoiled ID token fails each ``failure.*`` token scenario
with a message saying what was wrong in the token it accepted: the claim, the value the
provider sent, the value the app should have required, and the check it is missing (a row of
the OpenID Foundation's RP tests), with how PyJWT and Authlib make it."""

from __future__ import annotations

import io

import pytest
from sample_apps import tiny_profile

from scenarios.runner import RunOptions, run

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a stack and an app each

FAMILIES = ("wrong-issuer", "wrong-audience", "expired-id-token", "missing-sub",
            "nonce-mismatch", "bad-signature")


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, str]]:
    """The token scenarios, once, against the tiny app reading its ID token unchecked (it
    never compares the nonce it sends either)."""
    directory = tmp_path_factory.mktemp("trusting")
    profile = tiny_profile(directory, env='TINY_TRUST_ID_TOKEN = "1"\n')
    summary = run(RunOptions(app=str(profile), only=tuple(f"failure.{f}" for f in FAMILIES),
                             report_dir=directory / "report", workers=1, trace="off",
                             screenshots="off", timeout_ms=10_000), out=io.StringIO())
    return {r.id: (r.status, r.message or "") for r in summary.results}


def _failed(verdicts: dict[str, tuple[str, str]], family: str) -> str:
    status, message = verdicts[f"failure.{family}"]
    assert status == "failed", (status, message)
    assert message.startswith("AssertionError: the app accepted an ID token whose "), message
    assert "the app accepted the sign-in: someone is signed in" in message, message
    return message.splitlines()[0]


def test_a_wrong_issuer_is_named_with_the_issuer_required(
        verdicts: dict[str, tuple[str, str]]) -> None:
    first = _failed(verdicts, "wrong-issuer")
    assert "whose iss was http://" in first and "/v2.01, not the app's issuer http://" in first
    assert "certification test rp-id_token-issuer-mismatch " in first, first
    assert "PyJWT: jwt.decode(..., issuer=<issuer>)" in first, first


def test_a_wrong_audience_is_named_with_the_client_id(
        verdicts: dict[str, tuple[str, str]]) -> None:
    first = _failed(verdicts, "wrong-audience")
    assert "whose aud was " in first and "1, not the app's client id " in first, first
    assert "certification test rp-id_token-aud " in first and "audience=<client id>" in first


def test_an_expired_token_is_named_with_its_exp(verdicts: dict[str, tuple[str, str]]) -> None:
    first = _failed(verdicts, "expired-id-token")
    assert "whose exp was " in first and " UTC), an hour before the sign-in" in first, first
    assert "§3.1.3.7 (9)" in first and "leeway=<seconds>" in first, first


def test_a_missing_sub_is_named(verdicts: dict[str, tuple[str, str]]) -> None:
    first = _failed(verdicts, "missing-sub")
    assert "whose sub was absent (the provider's genuine token had " in first, first
    assert "certification test rp-id_token-sub " in first, first
    assert "options={\"require\": [\"sub\", " in first, first


def test_a_nonce_not_compared_is_named_with_the_one_sent(
        verdicts: dict[str, tuple[str, str]]) -> None:
    first = _failed(verdicts, "nonce-mismatch")
    assert "whose nonce was " in first and ", the one this sign-in sent" in first, first
    assert "certification test rp-nonce-invalid " in first, first
    assert "parse_id_token(token, nonce=<the nonce sent>)" in first, first


def test_a_signature_unchecked_over_http_is_named(verdicts: dict[str, tuple[str, str]]) -> None:
    first = _failed(verdicts, "bad-signature")
    assert "whose signature did not verify with the provider's keys (one bit of the " \
        "signature flipped)" in first, first
    assert "certification test rp-id_token-bad-sig-rs256 " in first, first
    assert "over plain http" in first, first
