"""An app that asks for ``response_mode=form_post`` (the default of ASP.NET Core's OpenID
Connect handler and of Microsoft.Identity.Web) signs in with no click: the provider's answer is
a page that posts itself to the app, which the automatic-login scenarios take as a hand-off,
not as a page the provider showed. The sloppy sample app (``tests/sample_apps/tiny_rp.py``) in
its ``form_post`` mode, started as a command from its profile."""

from __future__ import annotations

from pathlib import Path

import pytest
from sample_apps import tiny_profile

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
