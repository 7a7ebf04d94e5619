"""An OpenID Connect app that sends no ``state`` but a ``nonce`` it compares with the ID token's
relies on the nonce for its callback's CSRF protection, which RFC 9700 §2.1 says gives similar
protection: ``failure.state-tampered`` has no state to alter and says it was not exercised,
pointing at ``failure.nonce-mismatch``, which that app passes. An app with neither a state, a
PKCE challenge nor a nonce still fails it (``tests/e2e/test_form_post_app.py``). The sloppy
sample app (``tests/sample_apps/tiny_rp.py``) with ``TINY_NO_STATE`` and ``TINY_CHECK_NONCE``."""

from __future__ import annotations

from pathlib import Path

import pytest
from sample_apps import tiny_profile

from scenarios.pytest_plugin import ScenarioRunner, describe_result

NO_STATE_BUT_A_NONCE = 'TINY_NO_STATE = "1"\nTINY_CHECK_NONCE = "1"\n'


@pytest.mark.browser
@pytest.mark.slow  # an app started
def test_an_app_relying_on_its_nonce_instead_of_a_state_is_not_exercised_by_state_tampered(
        tmp_path: Path, sso_run_scenario: ScenarioRunner) -> None:
    profile = tiny_profile(tmp_path, env=NO_STATE_BUT_A_NONCE)
    result = sso_run_scenario("failure.state-tampered", app=str(profile))
    report = describe_result(result, sso_run_scenario.report_dir)
    assert result.status == "skipped", report
    assert result.message == (
        "not exercised: the app sent no state to the provider but a nonce, which in OpenID "
        "Connect gives similar CSRF protection (RFC 9700 §2.1), so there is no state to alter; "
        "failure.nonce-mismatch shows whether the app checks the nonce"), report


@pytest.mark.browser
@pytest.mark.slow  # an app started
def test_the_app_relying_on_its_nonce_passes_nonce_mismatch(
        tmp_path: Path, sso_run_scenario: ScenarioRunner) -> None:
    """The scenario the not-exercised reason points at judges the app's nonce check."""
    profile = tiny_profile(tmp_path, env=NO_STATE_BUT_A_NONCE)
    result = sso_run_scenario("failure.nonce-mismatch", app=str(profile))
    assert result.status == "passed", describe_result(result, sso_run_scenario.report_dir)
