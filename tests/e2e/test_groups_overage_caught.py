"""An app that ignores the groups overage loses the groups of a user in 250 groups, and the
catalogue says so.

``token-groups-only`` (scenarios/profiles) reads groups from the ID token's ``groups`` claim
only. Below Entra's limit it holds the user's groups like any app (``claims.groups-in-token``
passes); past it the token carries ``_claim_names`` / ``_claim_sources`` instead and the app
holds none (``claims.groups-overage`` fails, naming the overage). The reference relying party,
which follows the overage to Graph, passes both (``test_scenarios`` runs them against it).

The app is a v2.0 app, handed MSAL's authority: the catalogue's v1 scenarios are skipped for it
with the reason, rather than run against an app that cannot take Entra's v1 endpoints.
"""

from __future__ import annotations

import pytest

from scenarios.pytest_plugin import ScenarioRunner, describe_result
from scenarios.registry import load_catalogue

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


@pytest.mark.parametrize("scenario_id", ["auto-login.v1-endpoints",
                                         "failure.v1-unsigned-over-http"])
def test_the_naive_app_is_skipped_on_the_v1_endpoints_with_the_reason(scenario_id: str) -> None:
    catalogue = load_catalogue("scenarios.catalogue")
    reason = catalogue.skip_reason(catalogue.get(scenario_id), NAIVE)
    assert reason is not None and reason.startswith("the profile lacks "), reason
    assert "v1-endpoints ([app] env or command" in reason, reason
