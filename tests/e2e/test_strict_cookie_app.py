"""An app that needs a SameSite=Strict cookie at its callback cannot finish a sign-in: the
provider is another site (as Entra is), and its redirect to the callback carries no Strict
cookie. ``run`` says so when the app shows nobody signed in, naming the cookie, as
``conformance``'s preflight does (``tests/scenarios_conformance/test_preflight.py``). The
sloppy sample app (``tests/sample_apps/tiny_rp.py``) keeping its PKCE verifier in a Strict
cookie."""

from __future__ import annotations

from pathlib import Path

import pytest
from sample_apps import tiny_profile

from scenarios.pytest_plugin import ScenarioRunner, describe_result


@pytest.mark.browser
@pytest.mark.slow  # an app started
def test_a_sign_in_lost_to_a_strict_cookie_names_the_cookie(
        tmp_path: Path, sso_run_scenario: ScenarioRunner) -> None:
    """The app keeps its PKCE verifier in a SameSite=Strict cookie: the provider's redirect to
    the callback, cross-site as from Entra, does not carry it, the code exchange fails, and the
    failure names the cookie rather than leaving a bare 500 to explain."""
    profile = tiny_profile(tmp_path, env='TINY_PKCE = "1"\nTINY_PKCE_SAMESITE = "Strict"\n')
    result = sso_run_scenario("auto-login.first-login", app=str(profile))
    report = describe_result(result, sso_run_scenario.report_dir)
    assert result.status == "failed", report
    assert ("is not signed in: the page at http://127.0.0.1:" in (result.message or "")), report
    assert ("; the browser held the app's cookie tiny_pkce set SameSite=Strict, which the "
            "provider's cross-site redirect (or form post) to its callback does not carry"
            ) in (result.message or ""), report
