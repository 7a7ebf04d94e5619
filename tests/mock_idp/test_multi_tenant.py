"""A multi-tenant app: a user of another organization signs in through ``/organizations``,
``/common`` or their own tenant's endpoint, consents for themselves the first time (their
tenant holds no consent for the app), and gets tokens from their own tenant."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from asgi_client import AppClient
from idp_testkit import (
    ALICE,
    BASE,
    CLIENT_ID,
    FABRIKAM_ID,
    GRAPH_DEFAULT,
    SECRET,
    TENANT,
    ZED,
    auth_params,
    claims,
    consent,
    multi_tenant_config,
    page_kind,
    paths,
    pick_to_sign_out,
    pkce_pair,
    redirect_params,
    sign_in,
    two_organizations_config,
)

from mock_idp.config import IdpConfig


def _config(audience: str = "AzureADMultipleOrgs") -> IdpConfig:
    config: IdpConfig = two_organizations_config(audience)
    return config


def _authorize(client: AppClient, segment: str) -> tuple[httpx.Response, str]:
    verifier, challenge = pkce_pair()
    page = client.get(paths(segment, "2.0")["authorize"], params=auth_params(
        code_challenge=challenge, code_challenge_method="S256"))
    return page, verifier


def _redeem(client: AppClient, segment: str, code: str, verifier: str) -> httpx.Response:
    return client.post(paths(segment, "2.0")["token"], data={
        "grant_type": "authorization_code", "client_id": CLIENT_ID, "client_secret": SECRET,
        "code": code, "redirect_uri": auth_params()["redirect_uri"], "code_verifier": verifier})


@pytest.mark.idp_config(_config())
@pytest.mark.parametrize("segment", ["organizations", "common", FABRIKAM_ID])
def test_a_user_of_another_organization_gets_tokens_from_their_tenant(
        client: AppClient, segment: str) -> None:
    page, verifier = _authorize(client, segment)
    asked = sign_in(client, page, ZED)
    # Fabrikam holds no consent for Contoso's app, and Contoso's "assignment required" is not
    # Fabrikam's: Zed is asked to consent, not refused.
    assert page_kind(asked) == "consent", asked.text[:300]
    code = redirect_params(consent(client, asked))["code"]
    tokens = _redeem(client, segment, code, verifier)
    assert tokens.status_code == 200, tokens.text
    body: dict[str, Any] = tokens.json()
    id_claims = claims(body["id_token"])
    assert (id_claims["tid"], id_claims["iss"], id_claims["aud"]) == (
        FABRIKAM_ID, f"{BASE}/{FABRIKAM_ID}/v2.0", CLIENT_ID)
    assert id_claims["preferred_username"] == ZED
    assert claims(body["access_token"])["tid"] == FABRIKAM_ID
    refreshed = client.post(paths("organizations", "2.0")["token"], data={
        "grant_type": "refresh_token", "client_id": CLIENT_ID, "client_secret": SECRET,
        "refresh_token": body["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text
    assert claims(refreshed.json()["id_token"])["tid"] == FABRIKAM_ID
    # Consented once: the next sign-in is silent (the session) and asks nothing.
    page, verifier = _authorize(client, segment)
    assert _redeem(client, segment, redirect_params(page)["code"], verifier).status_code == 200


@pytest.mark.idp_config(_config())
def test_a_code_from_one_tenant_is_not_redeemed_in_another(client: AppClient) -> None:
    page, verifier = _authorize(client, "organizations")
    code = redirect_params(consent(client, sign_in(client, page, ZED)))["code"]
    refused = _redeem(client, "contoso.onmicrosoft.com", code, verifier)
    assert refused.status_code == 400 and refused.json()["error_codes"] == [70000], refused.text
    assert _redeem(client, FABRIKAM_ID, code, verifier).status_code == 200


@pytest.mark.idp_config(_config())
def test_the_app_gets_no_app_only_token_in_another_organization(client: AppClient) -> None:
    data = {"grant_type": "client_credentials", "client_id": CLIENT_ID,
            "client_secret": SECRET, "scope": GRAPH_DEFAULT}
    refused = client.post(paths(FABRIKAM_ID, "2.0")["token"], data=data)
    assert refused.status_code == 400 and refused.json()["error_codes"] == [700016]
    assert client.post(paths("contoso.onmicrosoft.com", "2.0")["token"],
                       data=data).status_code == 200


@pytest.mark.idp_config(_config("AzureADMyOrg"))
def test_a_single_tenant_app_stays_in_its_tenant(client: AppClient) -> None:
    page, _ = _authorize(client, FABRIKAM_ID)
    assert page.status_code == 400 and "AADSTS700016" in page.text
    page, _ = _authorize(client, "contoso.onmicrosoft.com")
    refused = sign_in(client, page, ZED)
    assert refused.status_code == 400 and "AADSTS50020" in refused.text


@pytest.mark.idp_config(_config())
def test_the_apps_own_users_sign_in_through_organizations_as_before(client: AppClient) -> None:
    page, verifier = _authorize(client, "organizations")
    code = redirect_params(sign_in(client, page, ALICE))["code"]
    tokens = _redeem(client, "organizations", code, verifier)
    assert claims(tokens.json()["id_token"])["tid"] == multi_tenant_config().tenants[0].id


@pytest.mark.idp_config(_config())
def test_signing_out_reaches_the_app_zed_signed_in_to(client: AppClient) -> None:
    """Zed's session is Fabrikam's, the app Contoso's: the sign-out still loads its logout URL."""
    logout_url = "https://app.example/frontchannel-logout"
    registered = client.patch(f"/graph/{TENANT}/v1.0/applications(appId='{CLIENT_ID}')",
                              json={"web": {"logoutUrl": logout_url}})
    assert registered.status_code == 204, registered.text
    page, _ = _authorize(client, "organizations")
    redirect_params(consent(client, sign_in(client, page, ZED)))
    signed_out = pick_to_sign_out(client, client.get("/organizations/oauth2/v2.0/logout"), ZED)
    assert signed_out.status_code == 200, signed_out.text
    notes = client.get("/_mock/notifications", params={"kind": "frontchannel"}).json()
    assert [n["url"].split("?")[0] for n in notes["notifications"]] == [logout_url], notes


@pytest.mark.idp_config(_config())
def test_deleting_the_app_drops_its_consent_and_sessions_entries_in_every_organization(
        client: AppClient) -> None:
    page, _ = _authorize(client, "organizations")
    assert "code" in redirect_params(consent(client, sign_in(client, page, ZED)))
    fabrikam_grants = f"/graph/{FABRIKAM_ID}/v1.0/oauth2PermissionGrants"
    assert client.get(fabrikam_grants).json()["value"] != []
    [session] = client.get("/_mock/sessions").json()["sessions"]
    assert list(session["apps"]) == [CLIENT_ID]
    item = f"/graph/{TENANT}/v1.0/applications(appId='{CLIENT_ID}')"
    assert client.delete(item).status_code == 204
    assert client.get(fabrikam_grants).json()["value"] == []
    [session] = client.get("/_mock/sessions").json()["sessions"]
    assert session["apps"] == {}
