"""The scenarios that hold an app to the platform's Apps API can fail: each passes against the
reference relying party and fails, saying why, against one that answers the platform's events
but never calls the Apps API back (an app written before Talkdesk asked for acknowledgements).

- ``partner.installation-approved``: the installation stays ``pending`` (it would time out on
  the platform after seven days);
- ``lifecycle.credentials-rotated``: the rotated credentials stay unacknowledged, so the old
  secret would go on working for seven days.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import pytest

from relying_party import apps_api, partner
from relying_party.web import AppState
from scenarios.catalogue import partner_events
from scenarios.pytest_plugin import ScenarioRunner, describe_result

APPROVAL, ROTATION = "partner.installation-approved", "lifecycle.credentials-rotated"
SAID = {
    APPROVAL: ("the app did not approve its installation", "approval state is 'pending'"),
    ROTATION: ("the app did not acknowledge the rotated credentials",
               "credentials state is 'pending'"),
}
"""What each scenario's failure says against an app that never calls the Apps API."""


@pytest.fixture
def never_calls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    async def follow_up(rp: AppState, event: Mapping[str, Any], outcome: str) -> None:
        return None

    monkeypatch.setattr(partner, "follow_up", follow_up)
    monkeypatch.setattr(partner_events, "ACKNOWLEDGEMENT_WAIT", 1.0)  # nothing will come


@pytest.mark.browser
@pytest.mark.parametrize("scenario_id", list(SAID))
def test_the_apps_api_scenarios_pass_against_the_reference_rp(
        scenario_id: str, sso_run_scenario: ScenarioRunner) -> None:
    result = sso_run_scenario(scenario_id)
    assert result.status == "passed", describe_result(result, sso_run_scenario.report_dir)


@pytest.mark.browser
@pytest.mark.parametrize("scenario_id", list(SAID))
@pytest.mark.usefixtures("never_calls_back")
def test_the_apps_api_scenarios_fail_against_an_app_that_never_calls_back(
        scenario_id: str, sso_run_scenario: ScenarioRunner) -> None:
    result = sso_run_scenario(scenario_id)
    report = describe_result(result, sso_run_scenario.report_dir)
    assert result.status == "failed", f"expected the scenario to FAIL:\n{report}"
    assert result.message is not None, report
    for fragment in SAID[scenario_id]:
        assert fragment in result.message, report


@pytest.fixture
def asks_for_talkdesks_scope(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app asks the installation's token link for Talkdesk's own Apps API scope,
    ``apps:write`` (partner-sso.md b.8), which the mock's Entra token endpoint refuses for a
    client-credentials token (AADSTS1002012: it takes only ``{resource}/.default``)."""
    for name in ("approve_installation", "acknowledge_credentials"):
        original = getattr(apps_api, name)

        async def with_scope(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            return await _original(*args, **{**kwargs, "scope": "apps:write"})

        monkeypatch.setattr(apps_api, name, with_scope)
    monkeypatch.setattr(partner_events, "ACKNOWLEDGEMENT_WAIT", 1.0)  # nothing will come


@pytest.fixture
def calls_another_installation(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app's Apps API calls name an installation id the platform never gave it."""
    for name in ("installation_state_url", "credentials_state_url"):
        original = getattr(apps_api, name)

        def elsewhere(target: apps_api.Target, _original: Any = original) -> str:
            return str(_original(dataclasses.replace(target, installation_id="0" * 32)))

        monkeypatch.setattr(apps_api, name, elsewhere)
    monkeypatch.setattr(partner_events, "ACKNOWLEDGEMENT_WAIT", 1.0)  # nothing will come


NAMED = {
    "asks_for_talkdesks_scope": ("; the provider had refused the app's token request: "
                                 "'AADSTS1002012: The provided value for scope apps:write is "
                                 "not valid.",),
    "calls_another_installation": ("; the platform's Apps API answered the app's POST /apps/",
                                   f"/installations/{'0' * 32}/", " with HTTP 404: "),
}
"""What the first line of the failure adds, for an app that tried to call back, by how its
call went wrong (a fixture above)."""


@pytest.mark.browser
@pytest.mark.parametrize("scenario_id", list(SAID))
@pytest.mark.parametrize("fault", list(NAMED))
def test_a_refused_call_back_is_named(scenario_id: str, fault: str,
                                      request: pytest.FixtureRequest,
                                      sso_run_scenario: ScenarioRunner) -> None:
    """The app tried: the failure names what refused it (the provider's answer to its
    client-credentials request, or the Apps API's to its call), not only the platform state
    that did not change."""
    request.getfixturevalue(fault)
    result = sso_run_scenario(scenario_id)
    report = describe_result(result, sso_run_scenario.report_dir)
    assert result.status == "failed", f"expected the scenario to FAIL:\n{report}"
    assert result.message is not None, report
    first_line = result.message.splitlines()[0]
    assert SAID[scenario_id][0] in first_line, report
    for fragment in NAMED[fault]:
        assert fragment in first_line, report
