"""``partner.trial`` can fail: it passes against the reference relying party and fails, saying
which event, against one that takes only the events it knows and refuses the others with a
400 (an allow-list written before Talkdesk added trials): the trial's events then go unanswered
and the platform retries them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from relying_party import partner
from relying_party.inputs import InputError
from scenarios.pytest_plugin import ScenarioRunner, describe_result

TRIAL = "partner.trial"


class KnownTypesOnly(dict[str, Any]):
    """The effects without the trial's, and a refusal for any other type."""

    def get(self, key: str, default: Any = None) -> Any:
        if key in self:
            return self[key]

        def refuse(*args: object) -> str:
            raise InputError.of("type", f"unknown event type {key}")

        return refuse


@pytest.fixture
def trial_events_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    known: Mapping[str, Any] = {k: v for k, v in partner.EFFECTS.items()
                                if not k.startswith("app.trial_")}
    monkeypatch.setattr(partner, "EFFECTS", KnownTypesOnly(known))


@pytest.mark.browser
def test_the_trial_scenario_passes_against_the_reference_rp(
        sso_run_scenario: ScenarioRunner) -> None:
    result = sso_run_scenario(TRIAL)
    assert result.status == "passed", describe_result(result, sso_run_scenario.report_dir)


@pytest.mark.browser
@pytest.mark.usefixtures("trial_events_refused")
def test_the_trial_scenario_fails_against_an_app_that_refuses_the_trial_events(
        sso_run_scenario: ScenarioRunner) -> None:
    result = sso_run_scenario(TRIAL)
    report = describe_result(result, sso_run_scenario.report_dir)
    assert result.status == "failed", f"expected the scenario to FAIL:\n{report}"
    assert result.message is not None, report
    assert "the app did not accept app.trial_started" in result.message, report
    assert "HTTP 400" in result.message, report
