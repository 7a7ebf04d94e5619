"""Every registered scenario, one test each, through the ``sso_harness`` plugin.

Whatever ``scenarios.catalogue`` registers is collected here (``test_scenario[auto-login.kb]``),
so ``make test`` runs the same journeys as ``make scenarios``.
"""

from __future__ import annotations

import pytest

from scenarios.pytest_plugin import ScenarioRunner
from scenarios.registry import load_catalogue
from scenarios.runner import DEFAULT_CATALOGUE

SCENARIO_IDS = [item.id for item in load_catalogue(DEFAULT_CATALOGUE)]


def test_catalogue_is_not_empty() -> None:
    assert SCENARIO_IDS, f"{DEFAULT_CATALOGUE} registers no scenarios"


@pytest.mark.browser
@pytest.mark.parametrize("scenario_id", SCENARIO_IDS)
def test_scenario(scenario_id: str, sso_run_scenario: ScenarioRunner) -> None:
    sso_run_scenario.expect_passed(sso_run_scenario(scenario_id))
