"""``failure.v1-unsigned-over-http`` is not exercised by an app whose every v1 token request
the provider refuses (here a client secret it does not take): it gets no ID token, so its
failure page says nothing of the unsigned one. An app that sends no ``resource`` is not such an
app (its code is redeemed for Azure AD Graph, as Entra does) and meets the unsigned ID token.

The reference relying party is changed for one test with ``monkeypatch``: to leave out the
``resource`` it sends Entra's v1 authorization endpoint, or to send a wrong secret.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from relying_party import installation_credentials, login
from scenarios.pytest_plugin import ScenarioRunner, describe_result

pytestmark = pytest.mark.browser


def _not_entra(url: str, endpoint: str) -> None:
    return None


_EXCHANGE = installation_credentials.build_code_exchange


def _wrong_secret(*args: Any, credentials: Any, **kwargs: Any) -> Any:
    return _EXCHANGE(*args, credentials=replace(credentials, client_secret="wrong"), **kwargs)


@pytest.mark.parametrize("change", ["none", "no-resource", "wrong-secret"])
def test_only_an_app_refused_its_v1_token_request_never_meets_the_unsigned_id_token(
        sso_run_scenario: ScenarioRunner, monkeypatch: pytest.MonkeyPatch, change: str) -> None:
    if change == "no-resource":
        monkeypatch.setattr(login, "entra_endpoint", _not_entra)
    if change == "wrong-secret":
        monkeypatch.setattr(installation_credentials, "build_code_exchange", _wrong_secret)
    result = sso_run_scenario("failure.v1-unsigned-over-http")
    report = describe_result(result, sso_run_scenario.report_dir)
    if change != "wrong-secret":
        assert result.status == "passed", report
        return
    assert result.status == "skipped", report
    assert result.message is not None
    assert result.message.startswith(
        "not exercised: the provider refused the app's token request (AADSTS7000215: "), report
    assert result.message.endswith(
        "so no unsigned ID token reached the app: auto-login.v1-endpoints shows why it cannot "
        "sign in there"), report
