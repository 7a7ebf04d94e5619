"""An app that relies on TLS instead of the ID token's signature is judged as conformance judges
it: allowed for an ID token taken straight from the token endpoint over TLS (OpenID Connect Core
3.1.3.7 (6), MSAL's way), a failure over plain http.

The reference relying party checks every ID token's signature against the keys it fetches. For
one test it is changed into an app that checks no signature and so fetches no keys (pytest's
``monkeypatch``; the stacks built during the test are the only relying parties running in this
process), and run with the provider on https (its profile with ``[provider] https = true``) or
on plain http (the shipped profile). Over https ``failure.bad-signature`` and
``lifecycle.key-rotation`` are not exercised, with the reason, where they failed it before;
over http both still fail, saying that the provider on https would let it rely on TLS; the
reference relying party passes both either way.
"""

from __future__ import annotations

from typing import Any

import jwt
import pytest

from relying_party.oidc import id_token
from scenarios.profiles import REFERENCE_RP
from scenarios.pytest_plugin import ScenarioRunner, describe_result

pytestmark = pytest.mark.browser

BAD_SIGNATURE, KEY_ROTATION = "failure.bad-signature", "lifecycle.key-rotation"
OVER_TLS = ("it took the ID token straight from the provider's token endpoint over TLS "
            "(response_type=code), where the client MAY rely on TLS server validation instead "
            "of the signature (OpenID Connect Core 3.1.3.7 (6); over plain http, or for an ID "
            "token that comes through the browser, it must check it)")
SKIPPED = {
    BAD_SIGNATURE: "not exercised: the app accepted an ID token whose signature does not "
    f"verify, which is allowed: {OVER_TLS}",
    KEY_ROTATION: "not exercised: the app never fetched the provider's signing keys, so it "
    f"had no key set to fetch again for the new kid: {OVER_TLS}",
}
OVER_HTTP = ("it took the ID token from the provider's token endpoint over plain http "
             "(response_type=code): without TLS only the signature vouches for it (OpenID "
             "Connect Core 3.1.3.7 (6) allows relying on TLS instead only over TLS); an app "
             "that relies on TLS there, as openid-client and MSAL do, passes with the provider "
             "on https: set [provider] https = true in its profile")
FAILED = {
    BAD_SIGNATURE: "AssertionError: the app accepted an ID token whose signature did not "
    "verify with the provider's keys (one bit of the signature flipped); it is missing the "
    "check of the OpenID Foundation's RP certification test rp-id_token-bad-sig-rs256",
    KEY_ROTATION: "AssertionError: the app never fetched the provider's signing keys, so it "
    f"cannot have checked the ID token's signature, and {OVER_HTTP}",
}


async def _unchecked(token: str, **kwargs: Any) -> id_token.VerifiedJwt:
    return id_token.VerifiedJwt(header=jwt.get_unverified_header(token), key=None,
                                claims=jwt.decode(token, options={"verify_signature": False}))


@pytest.fixture
def checks_no_signature(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(id_token, "verify_signed_jwt", _unchecked)


@pytest.fixture(scope="module")
def over_https(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The reference relying party's profile with the provider on https (its local CA is the
    app's ``RP_CA_FILE``). One file for the module: the worker keeps one environment (a
    provider and an app host, reset between scenarios) per profile path to the session's end,
    and a path per test started one more for each."""
    text = REFERENCE_RP.read_text(encoding="utf-8")
    assert "\n[provider]\n" in text
    profile = tmp_path_factory.mktemp("https-profile") / "reference-rp-https.toml"
    profile.write_text(text.replace("\n[provider]\n", "\n[provider]\nhttps = true\n", 1),
                       encoding="utf-8")
    return str(profile)


@pytest.mark.parametrize("scenario_id", [BAD_SIGNATURE, KEY_ROTATION])
def test_the_reference_rp_passes_over_https(scenario_id: str, over_https: str,
                                            sso_run_scenario: ScenarioRunner) -> None:
    result = sso_run_scenario(scenario_id, app=over_https)
    assert result.status == "passed", describe_result(result, sso_run_scenario.report_dir)


@pytest.mark.usefixtures("checks_no_signature")
@pytest.mark.parametrize("scenario_id", [BAD_SIGNATURE, KEY_ROTATION])
def test_relying_on_tls_from_the_token_endpoint_is_not_exercised(
        scenario_id: str, over_https: str, sso_run_scenario: ScenarioRunner) -> None:
    result = sso_run_scenario(scenario_id, app=over_https)
    report = describe_result(result, sso_run_scenario.report_dir)
    assert result.status == "skipped", f"expected the scenario to be skipped:\n{report}"
    assert result.message == SKIPPED[scenario_id], report
    if scenario_id == KEY_ROTATION:  # the sign-in after the rotation is still held to work
        assert [step.status for step in result.steps] == ["passed"] * 3 + ["skipped"], report


@pytest.mark.usefixtures("checks_no_signature")
@pytest.mark.parametrize("scenario_id", [BAD_SIGNATURE, KEY_ROTATION])
def test_an_app_that_checks_no_signature_over_plain_http_fails(
        scenario_id: str, sso_run_scenario: ScenarioRunner) -> None:
    result = sso_run_scenario(scenario_id)
    report = describe_result(result, sso_run_scenario.report_dir)
    assert result.status == "failed", f"expected the scenario to FAIL:\n{report}"
    assert (result.message or "").startswith(FAILED[scenario_id]), report
    assert f"and {OVER_HTTP}" in (result.message or ""), report
