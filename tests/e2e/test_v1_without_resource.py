"""``failure.v1-unsigned-over-http`` is not exercised by an app whose v1 token request the
provider refuses: one that names no ``resource`` (AADSTS500013, as Authlib, passport and
next-auth v4 send none) gets no ID token, so its failure page says nothing of the unsigned one.

The reference relying party is changed for one test with ``monkeypatch`` to leave out the
``resource`` it sends Entra's v1 authorization endpoint.
"""

from __future__ import annotations

import pytest

from relying_party import login
from scenarios.pytest_plugin import ScenarioRunner, describe_result

pytestmark = pytest.mark.browser


def _not_entra(url: str, endpoint: str) -> None:
    return None


@pytest.mark.parametrize("sends_resource", [True, False], ids=["resource", "no-resource"])
def test_an_app_refused_its_v1_token_request_never_met_the_unsigned_id_token(
        sso_run_scenario: ScenarioRunner, monkeypatch: pytest.MonkeyPatch,
        sends_resource: bool) -> None:
    if not sends_resource:
        monkeypatch.setattr(login, "entra_endpoint", _not_entra)
    result = sso_run_scenario("failure.v1-unsigned-over-http")
    report = describe_result(result, sso_run_scenario.report_dir)
    if sends_resource:
        assert result.status == "passed", report
        return
    assert result.status == "skipped", report
    assert result.message == (
        "not exercised: the provider refused the app's token request (AADSTS500013: Resource "
        "identifier is not provided.), so no unsigned ID token reached the app: "
        "auto-login.v1-endpoints shows why it cannot sign in there"), report
