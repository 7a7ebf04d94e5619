"""An app that ignores the groups overage loses the groups of a user in 250 groups, and the
catalogue says so.

``token-groups-only`` (scenarios/profiles) reads groups from the ID token's ``groups`` claim
only. Below Entra's limit it holds the user's groups like any app (``claims.groups-in-token``
passes); past it the token carries ``_claim_names`` / ``_claim_sources`` instead and the app
holds none (``claims.groups-overage`` fails, naming the overage). The reference relying party,
which follows the overage to Graph, passes both (``test_scenarios`` runs them against it).
"""

from __future__ import annotations

import pytest

from scenarios.pytest_plugin import ScenarioRunner, describe_result

NAIVE = "token-groups-only"


@pytest.mark.browser
def test_the_naive_app_holds_groups_below_the_limit(sso_run_scenario: ScenarioRunner) -> None:
    result = sso_run_scenario("claims.groups-in-token", app=NAIVE)
    sso_run_scenario.expect_passed(result)


@pytest.mark.browser
def test_the_naive_app_loses_the_groups_past_the_overage(
        sso_run_scenario: ScenarioRunner) -> None:
    result = sso_run_scenario("claims.groups-overage", app=NAIVE)
    report = describe_result(result, sso_run_scenario.report_dir)
    assert result.status == "failed", f"expected the scenario to FAIL:\n{report}"
    message = result.message or ""
    assert "the app holds 0 of alice's 251 groups" in message, report
    assert "never asked the provider's Graph" in message and "overage" in message, report
    failed = [step for step in result.steps if step.status == "failed"]
    assert failed and "holds all 251" in failed[0].name, report
