"""An app that sends no ``state`` but a PKCE ``code_challenge`` (S256) relies on PKCE for its
callback's CSRF protection, as RFC 9700 §2.1 lets a client do: ``failure.state-tampered`` has no
state to alter and says it was not exercised, with the reason, whether the app redirects the
browser to the provider or posts its authorization request (read from the form then). An app
with neither still fails it (``tests/e2e/test_form_post_app.py``). The sloppy sample app
(``tests/sample_apps/tiny_rp.py``) with ``TINY_NO_STATE`` and ``TINY_PKCE``."""

from __future__ import annotations

from pathlib import Path

import pytest
from sample_apps import tiny_profile

from scenarios.pytest_plugin import ScenarioRunner, describe_result


@pytest.mark.browser
@pytest.mark.slow  # an app started for each mode
@pytest.mark.parametrize("env", ["", 'TINY_POST_AUTHORIZE = "1"\n'], ids=["redirect", "posted"])
def test_an_app_relying_on_pkce_instead_of_a_state_is_not_exercised_by_state_tampered(
        tmp_path: Path, sso_run_scenario: ScenarioRunner, env: str) -> None:
    profile = tiny_profile(tmp_path, env=f'TINY_NO_STATE = "1"\nTINY_PKCE = "1"\n{env}')
    result = sso_run_scenario("failure.state-tampered", app=str(profile))
    report = describe_result(result, sso_run_scenario.report_dir)
    assert result.status == "skipped", report
    assert result.message == (
        "not exercised: the app sent no state to the provider but a PKCE code_challenge "
        "(code_challenge_method=S256), on which RFC 9700 §2.1 lets a client rely for CSRF "
        "protection, so there is no state to alter; failure.state-other-browser and "
        "failure.state-replayed show whether its verifier is bound to the browser"), report


@pytest.mark.browser
@pytest.mark.slow  # an app started for the scenario
def test_a_pkce_verifier_that_refused_the_other_browser_is_not_blamed_on_the_missing_state(
        tmp_path: Path, sso_run_scenario: ScenarioRunner) -> None:
    """The other browser started a sign-in of its own, so its verifier is not the one alice's
    answer was issued for: the provider refuses the code (AADSTS501481) and nobody is signed
    in there (Auth.js's Microsoft Entra ID provider sends no state but such a verifier). The
    app still fails, for its bare error page, and the message says that, not that its callback
    lacks CSRF protection."""
    profile = tiny_profile(tmp_path, env='TINY_NO_STATE = "1"\nTINY_PKCE = "1"\n')
    result = sso_run_scenario("failure.state-other-browser", app=str(profile))
    report = describe_result(result, sso_run_scenario.report_dir)
    assert result.status == "failed", report
    message = result.message or ""
    assert message.startswith("AssertionError: the failure page did not appear: no 'Sign-in "
                              "failed'"), report
    assert "sent no state" not in message, report
    assert "AADSTS501481" in message, report
