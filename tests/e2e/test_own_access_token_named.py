"""An ID-token fault scenario's failure message says when the fault spoiled the app's own
access token of that answer too.

The mock spoils the access token beside the ID token when its audience is the app itself (an
app on Entra's v1 endpoints checks that token instead of the unsigned ID token). These tests
make the reference relying party, for one test, an app that skips the ID token's ``aud`` check
(``failure.wrong-audience`` fails it) and, in one of them, asks for a token for its own API
(``<client id>/.default`` beside the OpenID Connect scopes, so its UserInfo call with that
token is refused too): only then does the failure message add that both tokens were spoiled.
(pytest's ``monkeypatch`` restores both afterwards.)
"""

from __future__ import annotations

from typing import Any

import pytest

from relying_party import login
from relying_party.oidc import id_token
from relying_party.provider import ClientConfig
from scenarios.pytest_plugin import ScenarioRunner, describe_result

pytestmark = pytest.mark.browser

SCENARIO_ID = "failure.wrong-audience"
BOTH = "the provider spoiled the app's own access token of that answer as well as its ID token"


@pytest.fixture
def audience_unchecked(monkeypatch: pytest.MonkeyPatch) -> None:
    checks = id_token.ID_TOKEN_CHECKS
    assert id_token.check_audience in checks, "the relying party no longer checks aud there"
    monkeypatch.setattr(id_token, "ID_TOKEN_CHECKS",
                        tuple(c for c in checks if c is not id_token.check_audience))


@pytest.fixture
def asks_for_its_own_api(monkeypatch: pytest.MonkeyPatch) -> None:
    authorization_url = login.authorization_url

    def with_own_scope(client: ClientConfig, *, scopes: tuple[str, ...], **rest: Any) -> str:
        return authorization_url(client, scopes=(*scopes, f"{client.client_id}/.default"),
                                 **rest)

    monkeypatch.setattr(login, "authorization_url", with_own_scope)


@pytest.mark.usefixtures("audience_unchecked")
@pytest.mark.parametrize("own", [True, False], ids=["own-access-token", "graph-access-token"])
def test_the_failure_names_the_apps_own_access_token_only_when_the_fault_spoiled_it(
        own: bool, request: pytest.FixtureRequest, sso_run_scenario: ScenarioRunner) -> None:
    if own:
        request.getfixturevalue("asks_for_its_own_api")
    result = sso_run_scenario(SCENARIO_ID)
    report = describe_result(result, sso_run_scenario.report_dir)
    assert result.status == "failed", f"expected the scenario to FAIL:\n{report}"
    assert result.message is not None, report
    assert (BOTH in result.message) is own, report
