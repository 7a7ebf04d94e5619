"""An app that keeps one user for everyone (the first person it signed in, held in a global)
passes every scenario in which one person signs in; ``auto-login.first-login`` signs a second
person in from another browser and fails it, naming what the app did."""

from __future__ import annotations

from pathlib import Path

import pytest
from sample_apps import tiny_fails, tiny_profile

from scenarios.pytest_plugin import ScenarioRunner

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # an app started as a command


def test_an_app_that_signs_everyone_in_as_the_first_person_fails_first_login(
        tmp_path: Path, sso_run_scenario: ScenarioRunner) -> None:
    message = tiny_fails(sso_run_scenario, tmp_path, "auto-login.first-login",
                         env='TINY_ONE_USER = "1"')
    assert message.startswith(
        "AssertionError: the app signed bob@contoso.onmicrosoft.com in as "
        "alice@contoso.onmicrosoft.com, who signed in before him in another browser: it keeps "
        "one user for everyone; "), message
    assert "'Signed in as Alice Adams'" in message, message


def test_an_app_that_signs_each_person_in_as_himself_passes(
        tmp_path: Path, sso_run_scenario: ScenarioRunner) -> None:
    sso_run_scenario.expect_passed(
        sso_run_scenario("auto-login.first-login", app=str(tiny_profile(tmp_path))))
