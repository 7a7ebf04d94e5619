"""MSAL Python sees what an app registration configures in ``id_token_claims``, and follows a
groups overage with the Graph token MSAL obtained in the same sign-in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import msal
import pytest
from idp_testkit import ALICE, CLIENT_ID, GRAPH_DEFAULT, SECRET, browser_sign_in

from mock_idp.config import SUPPORT_AGENTS_GROUP_ID
from mock_idp.testing import MockIdp

REDIRECT = "http://localhost/auth/callback"
# MSAL Python warns when a flow asks for the code in the query, as these do on purpose: that
# is its default, and what web apps built on it send unless they choose form_post.
pytestmark = pytest.mark.filterwarnings("ignore:response_mode='form_post' is recommended")


@pytest.fixture(scope="module")
def tls_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tls")


@pytest.fixture
def idp(tls_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MockIdp]:
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    with MockIdp(https=True, tls_dir=tls_dir) as running:
        yield running


def _sign_in_with_msal(idp: MockIdp) -> dict[str, object]:
    app = msal.ConfidentialClientApplication(
        CLIENT_ID, client_credential=SECRET, authority=idp.authority,
        validate_authority=False, instance_discovery=False, verify=str(idp.ca_file))
    try:
        flow = app.initiate_auth_code_flow(["User.Read"], redirect_uri=REDIRECT)
        response = browser_sign_in(idp, flow["auth_uri"], REDIRECT)
        result: dict[str, object] = app.acquire_token_by_auth_code_flow(flow, response)
        assert "access_token" in result, result
        return result
    finally:
        app.http_client.close()


def test_msal_sees_the_configured_optional_claims(idp: MockIdp) -> None:
    skype = idp.add_extension(CLIENT_ID, "skypeId")
    idp.update_user(ALICE, country="NL", preferredLanguage="nl-NL", **{skype: "alice.a"})
    idp.configure_claims(CLIENT_ID, id_token=[
        "email", "upn", "family_name", "given_name", "ctry", "acct", "xms_pl", "login_hint",
        {"name": skype, "source": "user"}])
    claims = _sign_in_with_msal(idp)["id_token_claims"]
    assert isinstance(claims, dict)
    assert claims["email"] == ALICE and claims["upn"] == ALICE
    assert (claims["family_name"], claims["given_name"]) == ("Adams", "Alice")
    assert (claims["ctry"], claims["acct"], claims["xms_pl"]) == ("NL", 0, "nl-NL")
    assert claims["extn.skypeId"] == "alice.a" and claims["login_hint"]
    assert claims["groups"] == [SUPPORT_AGENTS_GROUP_ID] and claims["roles"] == ["Agent"]


def test_msal_without_optional_claims(idp: MockIdp) -> None:
    idp.configure_claims(CLIENT_ID, id_token=[])  # the default app asks for login_hint
    claims = _sign_in_with_msal(idp)["id_token_claims"]
    assert isinstance(claims, dict)
    for absent in ("upn", "family_name", "ctry", "acct", "login_hint", "extn.skypeId"):
        assert absent not in claims


def test_overage_followed_with_the_msal_graph_token(idp: MockIdp) -> None:
    teams = idp.add_groups(200, member=ALICE, prefix="Team")
    result = _sign_in_with_msal(idp)
    claims = result["id_token_claims"]
    assert isinstance(claims, dict) and "groups" not in claims
    source = claims["_claim_names"]["groups"]
    assert claims["_claim_sources"][source]["endpoint"].startswith("https://graph.windows.net/")
    # As Microsoft tells apps: Microsoft Graph's getMemberObjects for the oid (the mock's Graph).
    endpoint = f"{idp.url}/graph/{idp.tenant_id}/v1.0/users/{claims['oid']}/getMemberObjects"
    answer = idp.http.post(endpoint, json={"securityEnabledOnly": False},
                           headers={"Authorization": f"Bearer {result['access_token']}"})
    assert answer.status_code == 200, answer.text
    assert set(answer.json()["value"]) == {SUPPORT_AGENTS_GROUP_ID, *(t.id for t in teams)}


def test_msal_passes_a_claims_challenge_on_and_one_with_nan_is_50117(idp: MockIdp) -> None:
    """MSAL sends a claims challenge as it is given; one carrying ``NaN``, no JSON number, is
    AADSTS50117 as any unreadable ``claims`` is, where a readable one gets its token."""
    app = msal.ConfidentialClientApplication(
        CLIENT_ID, client_credential=SECRET, authority=idp.authority,
        validate_authority=False, instance_discovery=False, verify=str(idp.ca_file))
    try:
        readable = app.acquire_token_for_client(
            [GRAPH_DEFAULT], claims_challenge='{"access_token": {"nbf": {"essential": true}}}')
        assert "access_token" in readable, readable
        refused = app.acquire_token_for_client(
            [GRAPH_DEFAULT], claims_challenge='{"access_token": {"nbf": {"value": NaN}}}')
        assert refused.get("error") == "invalid_request", refused
        assert refused["error_codes"] == [50117]
    finally:
        app.http_client.close()
