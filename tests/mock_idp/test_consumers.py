"""``/consumers``, the personal Microsoft accounts' authority. An app whose supported account
types leave them out is not served there (Microsoft account's "not enabled for consumers" page
in the browser, AADSTS700016 naming the 'Microsoft Accounts' directory at the device-code and
token endpoints); one that signs them in is, but the mock has no personal accounts, so a work
account typed there is "That Microsoft account doesn't exist", and no code or refresh token of
a work account is redeemed there."""

from __future__ import annotations

import html
from typing import Any

import httpx
import pytest
from asgi_client import AppClient
from idp_testkit import (
    ALICE,
    CLIENT_ID,
    SECRET,
    TENANT,
    auth_params,
    ctx_of,
    get_code,
    multi_tenant_config,
    page_kind,
    password,
    paths,
    redeem,
    redirect_params,
    sign_in,
    submit,
)

from mock_idp.config import IdpConfig
from mock_idp.signin import credential_type, ids

PERSONAL = multi_tenant_config("AzureADandPersonalMicrosoftAccount")
ORGANIZATIONS_ONLY = pytest.mark.parametrize("audience", [
    pytest.param("AzureADMyOrg", marks=pytest.mark.idp_config(IdpConfig.default())),
    pytest.param("AzureADMultipleOrgs", marks=pytest.mark.idp_config(multi_tenant_config()))])
"""The reference RP for its own organization (the default) or for any organization."""
CONSUMERS_TOKEN = paths("consumers", "2.0")["token"]


def _not_served(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    body: dict[str, Any] = response.json()
    assert (body["error"], body["error_codes"]) == ("unauthorized_client", [700016]), body
    assert body["error_description"].startswith(
        f"AADSTS700016: Application with identifier '{CLIENT_ID}' was not found in the "
        "directory 'Microsoft Accounts'.")
    return body


@pytest.mark.parametrize("version", ["2.0", "1.0"])
@ORGANIZATIONS_ONLY
def test_an_app_for_organizations_only_gets_microsoft_accounts_page_at_consumers(
        client: AppClient, audience: str, version: str) -> None:
    page = client.get(paths("consumers", version)["authorize"], params=auth_params())
    # Microsoft account's own page, no redirect: the app never hears of it.
    assert page.status_code == 400 and "location" not in page.headers
    text = html.unescape(page.text)
    assert ids.CONSUMERS_ERROR_HEADING in text
    assert ("unauthorized_client: The client does not exist or is not enabled for "
            "consumers.") in text
    unknown = client.get(paths("consumers", version)["authorize"],
                         params=auth_params(client_id="0f0e0d0c-0b0a-4908-8706-050403020100"))
    assert unknown.status_code == 400
    assert ids.NOT_ENABLED_FOR_CONSUMERS in html.unescape(unknown.text)


@ORGANIZATIONS_ONLY
def test_an_app_for_organizations_only_gets_no_device_code_or_token_at_consumers(
        client: AppClient, audience: str) -> None:
    _not_served(client.post("/consumers/oauth2/v2.0/devicecode",
                            data={"client_id": CLIENT_ID, "scope": "openid User.Read"}))
    grant = get_code(client, scope="openid offline_access User.Read")
    _not_served(redeem(client, grant, tenant="consumers"))
    tokens = redeem(client, grant)  # the code was left unused by the refusal
    assert tokens.status_code == 200, tokens.text
    _not_served(client.post(CONSUMERS_TOKEN, data={
        "grant_type": "refresh_token", "client_id": CLIENT_ID, "client_secret": SECRET,
        "refresh_token": tokens.json()["refresh_token"]}))


@pytest.mark.idp_config(PERSONAL)
def test_a_work_account_typed_at_consumers_is_no_microsoft_account(client: AppClient) -> None:
    page = client.get(paths("consumers", "2.0")["authorize"], params=auth_params())
    assert page_kind(page) == "username"
    assert f'data-not-found="{ids.PERSONAL_ACCOUNT_NOT_FOUND}"' in html.unescape(page.text)
    lookup = client.post(credential_type.PATH, json={
        "username": ALICE, "originalRequest": ctx_of(page.text)})
    assert lookup.json()["IfExistsResult"] == credential_type.DOES_NOT_EXIST
    # Next, or the username and password posted at once: the username again, with Microsoft
    # account's words and no AADSTS code, and no password is checked.
    for form in ({"loginfmt": ALICE}, {"loginfmt": ALICE, "passwd": password(ALICE)}):
        page = submit(client, page, **form)
        assert page.status_code == 200 and page_kind(page) == "username", page.text[:300]
        assert ids.PERSONAL_ACCOUNT_NOT_FOUND in html.unescape(page.text)
        assert 'id="usernameErrorCode"' not in page.text and f'value="{ALICE}"' in page.text
    # The same lookup for a sign-in at the tenant finds Alice.
    tenant_page = client.get(paths(TENANT, "2.0")["authorize"], params=auth_params())
    found = client.post(credential_type.PATH, json={
        "username": ALICE, "originalRequest": ctx_of(tenant_page.text)})
    assert found.json()["IfExistsResult"] == credential_type.EXISTS


@pytest.mark.idp_config(PERSONAL)
def test_a_work_session_does_not_answer_at_consumers(client: AppClient) -> None:
    get_code(client)  # Alice signed in at her tenant
    page = client.get(paths("consumers", "2.0")["authorize"], params=auth_params())
    assert page_kind(page) == "username"
    silent = client.get(paths("consumers", "2.0")["authorize"],
                        params=auth_params(prompt="none", login_hint=ALICE))
    values = redirect_params(silent)
    assert "code" not in values and values["error"] == "login_required", values


@pytest.mark.idp_config(PERSONAL)
def test_a_work_accounts_code_and_refresh_token_are_not_redeemed_at_consumers(
        client: AppClient) -> None:
    grant = get_code(client, scope="openid offline_access User.Read")
    refused = redeem(client, grant, tenant="consumers")
    assert refused.status_code == 400
    assert (refused.json()["error"], refused.json()["error_codes"]) == ("invalid_grant", [70000])
    tokens = redeem(client, grant)
    assert tokens.status_code == 200, tokens.text
    again = client.post(CONSUMERS_TOKEN, data={
        "grant_type": "refresh_token", "client_id": CLIENT_ID, "client_secret": SECRET,
        "refresh_token": tokens.json()["refresh_token"]})
    assert (again.json()["error"], again.json()["error_codes"]) == ("invalid_grant", [9002313])


@pytest.mark.idp_config(PERSONAL)
def test_a_device_code_at_consumers_is_approved_by_no_work_account(client: AppClient) -> None:
    started = client.post("/consumers/oauth2/v2.0/devicecode",
                          data={"client_id": CLIENT_ID, "scope": "openid User.Read"})
    assert started.status_code == 200, started.text
    entered = client.post("/devicelogin", data={"otc": started.json()["user_code"]})
    assert page_kind(entered) == "username"
    page = sign_in(client, entered)
    assert page_kind(page) == "username"
    assert ids.PERSONAL_ACCOUNT_NOT_FOUND in html.unescape(page.text)
    poll = client.post(CONSUMERS_TOKEN, data={
        "grant_type": "urn:ietf:params:oauth:grant-type:device_code", "client_id": CLIENT_ID,
        "client_secret": SECRET, "device_code": started.json()["device_code"]})
    assert (poll.json()["error"], poll.json()["error_codes"]) == ("authorization_pending",
                                                                  [70016])

