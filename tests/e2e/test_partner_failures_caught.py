"""The partner failure scenarios can fail: each passes against the reference relying party and
fails, saying why, against one that lacks the check it proves.

- ``failure.partner-idp-down``: a relying party whose token call lets the connection error
  through (an app that never caught its HTTP client's errors): a launch whose token request
  fails ends on an error page without the support contact (HTTP 500).
- ``failure.unlicensed-user``: a relying party that accepts ``app.updated`` but never checks a
  licence (authentication taken for authorization): the user whose licence the platform took
  is signed in.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from relying_party import callback
from relying_party.oidc import token_client
from relying_party.redirect_uris import installation_redirect_uri
from scenarios.pytest_plugin import ScenarioRunner, describe_result

OUTAGE, LICENCE = "failure.partner-idp-down", "failure.unlicensed-user"
BROKEN: dict[str, tuple[str, tuple[str, ...]]] = {
    "errors_let_through": (OUTAGE, (
        "does not show the support contact 'support@partner-app.example'",
        f"{installation_redirect_uri('')} with HTTP 500")),
    "licences_ignored": (LICENCE, ("the app accepted the sign-in: someone is signed in",)),
}
"""A broken app (its fixture): the scenario it fails, and what the failure message says."""


@pytest.fixture
def errors_let_through(monkeypatch: pytest.MonkeyPatch) -> None:
    async def send(client: httpx.AsyncClient, method: str, url: str, *, endpoint: str,
                   **options: Any) -> httpx.Response:
        options.pop("timeout", None)
        return await client.request(method, url, **options)

    monkeypatch.setattr(token_client, "send", send)


@pytest.fixture
def licences_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    def check_nothing(*args: object, **kwargs: object) -> None:
        return None

    monkeypatch.setattr(callback, "check_licensed", check_nothing)


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("scenario_id", [OUTAGE, LICENCE])
def test_the_partner_failure_scenarios_pass_against_the_reference_rp(
        scenario_id: str, sso_run_scenario: ScenarioRunner) -> None:
    result = sso_run_scenario(scenario_id)
    assert result.status == "passed", describe_result(result, sso_run_scenario.report_dir)


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("broken", list(BROKEN))
def test_the_partner_failure_scenarios_fail_against_a_broken_app(
        broken: str, request: pytest.FixtureRequest, sso_run_scenario: ScenarioRunner) -> None:
    request.getfixturevalue(broken)
    scenario_id, said = BROKEN[broken]
    result = sso_run_scenario(scenario_id)
    report = describe_result(result, sso_run_scenario.report_dir)
    assert result.status == "failed", f"expected the scenario to FAIL:\n{report}"
    assert result.message is not None, report
    for fragment in said:
        assert fragment in result.message, report
