"""An app whose ``form_post`` callback needs a cookie set without a SameSite attribute passes a
sign-in made within two minutes (Chromium still sends such a cookie on a cross-site POST then)
and fails a person who stays longer at the provider: ``auto-login.first-login`` signs in as
that person, and its failure names the cookie and the two minutes. The sloppy sample app
(``tests/sample_apps/tiny_rp.py``) keeping its PKCE verifier in such a cookie, as Microsoft's
msal-node web-app tutorial keeps it in express-session's default cookie; with
``SameSite=None`` the provider's post carries it, and the scenario passes."""

from __future__ import annotations

from pathlib import Path

import pytest
from sample_apps import tiny_profile

from scenarios.pytest_plugin import ScenarioRunner, describe_result

FORM_POST_PKCE = 'TINY_FORM_POST = "1"\nTINY_PKCE = "1"\n'


@pytest.mark.browser
@pytest.mark.slow  # an app started
def test_a_form_post_sign_in_that_needs_a_cookie_without_samesite_fails_after_two_minutes(
        tmp_path: Path, sso_run_scenario: ScenarioRunner) -> None:
    profile = tiny_profile(tmp_path, env=f'{FORM_POST_PKCE}TINY_PKCE_SAMESITE = ""\n')
    result = sso_run_scenario("auto-login.first-login", app=str(profile))
    report = describe_result(result, sso_run_scenario.report_dir)
    assert result.status == "failed", report
    assert "is not signed in: the page at http://127.0.0.1:" in (result.message or ""), report
    assert ("; the provider answered by a form post to the app's callback (response_mode="
            "form_post), which is cross-site, and the browser held the app's cookie tiny_pkce "
            "as SameSite=Lax: Chromium sends a cookie set without a SameSite attribute on such "
            "a post only within two minutes of setting it") in (result.message or ""), report


@pytest.mark.browser
@pytest.mark.slow  # an app started
def test_a_form_post_sign_in_whose_cookie_is_samesite_none_passes(
        tmp_path: Path, sso_run_scenario: ScenarioRunner) -> None:
    profile = tiny_profile(tmp_path, env=f'{FORM_POST_PKCE}TINY_PKCE_SAMESITE = "None; Secure"\n')
    sso_run_scenario.expect_passed(sso_run_scenario("auto-login.first-login", app=str(profile)))
