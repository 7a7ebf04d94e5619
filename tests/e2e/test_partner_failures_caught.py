"""``failure.partner-idp-down`` can fail: against a relying party whose token call lets the
connection error through (an app that never caught its HTTP client's errors), a launch whose
token request fails ends on an error page without the support contact (HTTP 500), and the
scenario says so. The same
scenario passes against the reference relying party."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from relying_party.oidc import token_client
from scenarios.pytest_plugin import ScenarioRunner, describe_result

SCENARIO_ID = "failure.partner-idp-down"


@pytest.fixture
def transport_errors_let_through(monkeypatch: pytest.MonkeyPatch) -> None:
    async def send(client: httpx.AsyncClient, method: str, url: str, *, endpoint: str,
                   **options: Any) -> httpx.Response:
        options.pop("timeout", None)
        return await client.request(method, url, **options)

    monkeypatch.setattr(token_client, "send", send)


@pytest.mark.browser
@pytest.mark.parametrize("broken", [False, True], ids=["reference-rp", "errors-let-through"])
def test_the_partner_outage_scenario_tells_them_apart(
        broken: bool, request: pytest.FixtureRequest, sso_run_scenario: ScenarioRunner) -> None:
    if broken:
        request.getfixturevalue("transport_errors_let_through")
    result = sso_run_scenario(SCENARIO_ID)
    report = describe_result(result, sso_run_scenario.report_dir)
    if not broken:
        assert result.status == "passed", report
        return
    assert result.status == "failed", f"expected the scenario to FAIL:\n{report}"
    assert result.message is not None, report
    assert "does not show the support contact 'support@partner-app.example'" in result.message, (
        report)
    assert "/auth/callback with HTTP 500" in result.message, report
