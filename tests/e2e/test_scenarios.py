"""A few catalogue scenarios through the ``sso_harness`` plugin's ``sso_run_scenario``.

The whole catalogue is ``make scenarios``'s job (``.ci/run`` runs it); here a passing journey
of each kind proves that the plugin runs registered scenarios as the runner does: a first
login, an automatic login, a failure page and a sign-out.
"""

from __future__ import annotations

import pytest

from scenarios.pytest_plugin import ScenarioRunner
from scenarios.registry import load_catalogue
from scenarios.runner import DEFAULT_CATALOGUE

SCENARIO_IDS = [item.id for item in load_catalogue(DEFAULT_CATALOGUE)]
THROUGH_THE_PLUGIN = ("auto-login.first-login", "auto-login.widget", "failure.user-cancels",
                      "signout.rp-initiated")


def test_catalogue_is_not_empty() -> None:
    assert SCENARIO_IDS, f"{DEFAULT_CATALOGUE} registers no scenarios"
    assert set(THROUGH_THE_PLUGIN) <= set(SCENARIO_IDS)


@pytest.mark.browser
@pytest.mark.parametrize("scenario_id", THROUGH_THE_PLUGIN)
def test_scenario(scenario_id: str, sso_run_scenario: ScenarioRunner) -> None:
    result = sso_run_scenario(scenario_id)
    sso_run_scenario.expect_passed(result)
    assert result.steps and result.phases is not None
