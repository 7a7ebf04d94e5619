"""An app that posts its authorization request to the provider (a page whose form posts itself
as it loads; Entra's authorize endpoint takes a POST as it takes a GET) is judged by the state
scenarios as one that redirects: the browser's log keeps a posted request's URL without its
parameters, so whether the app sent a state is read from the provider's answer, which carries
the request's state exactly when it had one. The sloppy sample app
(``tests/sample_apps/tiny_rp.py``) in its ``TINY_POST_AUTHORIZE`` mode."""

from __future__ import annotations

from pathlib import Path

import pytest
from sample_apps import tiny_profile

from scenarios.pytest_plugin import ScenarioRunner

STATE_SCENARIOS = ["failure.state-tampered", "failure.state-other-browser"]


@pytest.mark.browser
@pytest.mark.slow  # an app started for each scenario
@pytest.mark.parametrize("scenario_id", STATE_SCENARIOS)
def test_an_app_that_posts_its_state_is_not_said_to_send_none(
        tmp_path: Path, sso_run_scenario: ScenarioRunner, scenario_id: str) -> None:
    """The app never checks the state it sends, so it fails; for that, not for sending none."""
    profile = tiny_profile(tmp_path, env='TINY_POST_AUTHORIZE = "1"\n')
    result = sso_run_scenario(scenario_id, app=str(profile))
    assert result.status == "failed", result
    message = result.message or ""
    assert "sent no state" not in message, result
    assert message.startswith("AssertionError: the failure page did not appear"), result


@pytest.mark.browser
@pytest.mark.slow  # an app started for each scenario
@pytest.mark.parametrize("scenario_id", STATE_SCENARIOS)
def test_an_app_that_posts_no_state_fails_quoting_the_form_it_posted(
        tmp_path: Path, sso_run_scenario: ScenarioRunner, scenario_id: str) -> None:
    profile = tiny_profile(tmp_path, env='TINY_POST_AUTHORIZE = "1"\nTINY_NO_STATE = "1"\n'
                           'TINY_NO_NONCE = "1"\n')
    result = sso_run_scenario(scenario_id, app=str(profile))
    assert result.status == "failed", result
    message = result.message or ""
    assert message.startswith("AssertionError: the app sent no state to the provider"), result
    assert "its authorization request POST http://" in message, result
    assert "/oauth2/v2.0/authorize with the form client_id=" in message, result
    assert "response_type=code" in message and "state=" not in message, result
