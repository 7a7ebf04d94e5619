"""An app that asks for ``response_mode=form_post`` (the default of ASP.NET Core's OpenID
Connect handler and of Microsoft.Identity.Web) gets the verdict an app answered by redirect gets
for the same behaviour. It signs in with no click: the provider's answer is a page that posts
itself to the app, which the automatic-login scenarios take as a hand-off, not as a page the
provider showed. The scenarios that hold that answer from the app and bring it back altered, or
in another browser, hold and post the form. The sloppy sample app
(``tests/sample_apps/tiny_rp.py``) and the state-checking one (``state_rp.py``), each in its
``form_post`` mode."""

from __future__ import annotations

from pathlib import Path

import pytest
from sample_apps import tiny_profile
from sample_apps.state_rp import state_profile

from scenarios.pytest_plugin import ScenarioRunner


@pytest.mark.browser
@pytest.mark.slow  # an app started for each scenario
@pytest.mark.parametrize("scenario_id", ["auto-login.first-login", "auto-login.silent-return"])
def test_a_form_post_app_passes_the_automatic_login_scenarios(
        tmp_path: Path, sso_run_scenario: ScenarioRunner, scenario_id: str) -> None:
    """In this mode the app answers a GET of its callback with 405: only the posted answer
    signs in."""
    profile = tiny_profile(tmp_path, env='TINY_FORM_POST = "1"\n')
    sso_run_scenario.expect_passed(sso_run_scenario(scenario_id, app=str(profile)))


@pytest.mark.browser
@pytest.mark.slow  # a stack for each scenario
@pytest.mark.parametrize("scenario_id", ["failure.state-tampered", "failure.state-other-browser"])
def test_a_form_post_app_that_checks_its_state_passes_the_state_scenarios(
        tmp_path: Path, sso_run_scenario: ScenarioRunner, scenario_id: str) -> None:
    """The app keeps each state on its server for the browser that started the sign-in (its
    cookie SameSite=None, which the provider's cross-site post carries) and takes only a
    posted answer: the scenario holds the provider's form, alters its state or posts it from
    another browser, and the app refuses it, as it does answered by redirect."""
    profile = state_profile(tmp_path, bind=True, form_post=True)
    sso_run_scenario.expect_passed(sso_run_scenario(scenario_id, app=str(profile)))


@pytest.mark.browser
@pytest.mark.slow  # an app started for each mode
@pytest.mark.parametrize("env", ["", 'TINY_FORM_POST = "1"\n'], ids=["query", "form_post"])
def test_a_callback_that_gives_no_answer_fails_idp_down_in_either_mode(
        tmp_path: Path, sso_run_scenario: ScenarioRunner, env: str) -> None:
    """The sloppy app drops the connection when the provider's token endpoint does: no
    failure page, the app's failure, whether the browser came to its callback by a redirect
    (which ``page.goto`` waited for) or by the provider's posted form (which it did not)."""
    result = sso_run_scenario("failure.idp-down", app=str(tiny_profile(tmp_path, env=env)))
    assert result.status == "failed", result
    assert (result.message or "").startswith(
        "AssertionError: the failure page did not appear: no 'Sign-in failed'; no answer from "
        "http://127.0.0.1:"), result
    assert ("/callback: the connection closed without a response, or could not be opened, and "
            "the browser shows its own error page") in (result.message or ""), result


@pytest.mark.browser
@pytest.mark.slow  # an app started for each scenario and mode
@pytest.mark.parametrize("env", ["", 'TINY_FORM_POST = "1"\n'], ids=["query", "form_post"])
@pytest.mark.parametrize("scenario_id", ["failure.state-tampered", "failure.state-other-browser"])
def test_an_app_that_sends_no_state_fails_the_state_scenarios_in_either_mode(
        tmp_path: Path, sso_run_scenario: ScenarioRunner, scenario_id: str, env: str) -> None:
    """Without a state in its authorization request (nor a nonce or PKCE challenge to rely on
    instead) the provider's answer carries none: there is none to alter, and nothing ties the
    answer to the browser that started the sign-in. The
    scenario fails saying so, not an ERROR looking for the answer's state."""
    profile = tiny_profile(tmp_path, env=f'TINY_NO_STATE = "1"\nTINY_NO_NONCE = "1"\n{env}')
    result = sso_run_scenario(scenario_id, app=str(profile))
    assert result.status == "failed", result
    message = result.message or ""
    assert message.startswith("AssertionError: the app sent no state to the provider"), result
    assert "its authorization request " in message and "/oauth2/v2.0/authorize?" in message, result
