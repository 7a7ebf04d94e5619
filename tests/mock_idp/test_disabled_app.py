"""A disabled app (its service principal's ``accountEnabled`` false, the enterprise
application's "Enabled for users to sign-in?" turned off): AADSTS7000112 at sign-in, at the
token endpoint and for a device code, until it is enabled again; and a disabled API, for which
no token is issued (AADSTS500014)."""

from __future__ import annotations

import html
from dataclasses import replace
from typing import Any

import httpx
import pytest
from asgi_client import AppClient
from idp_testkit import (
    CLIENT_ID,
    GRAPH_DEFAULT,
    SECRET,
    TENANT,
    auth_params,
    claims,
    get_code,
    paths,
    redeem,
)

from mock_idp.config import AppConfig, IdpConfig, default_tenant

GRAPH = f"/graph/{TENANT}/v1.0"
PRINCIPAL = f"{GRAPH}/servicePrincipals(appId='{CLIENT_ID}')"
NAME = "Reference relying party"
MESSAGE = f"AADSTS7000112: Application '{CLIENT_ID}'({NAME}) is disabled."


def _enable(client: AppClient, enabled: bool) -> None:
    response = client.patch(PRINCIPAL, json={"accountEnabled": enabled})
    assert response.status_code == 204, response.text


def _client_credentials(client: AppClient) -> httpx.Response:
    return client.post(paths(TENANT, "2.0")["token"], data={
        "grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": SECRET,
        "scope": GRAPH_DEFAULT})


def _refused(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    body: dict[str, Any] = response.json()
    assert (body["error"], body["error_codes"]) == ("unauthorized_client", [7000112]), body
    assert body["error_description"].startswith(MESSAGE)
    return body


def test_a_disabled_app_cannot_sign_in_nor_get_tokens(client: AppClient) -> None:
    grant = get_code(client)  # a code the app got before it was disabled
    assert client.get(PRINCIPAL).json()["accountEnabled"] is True
    _enable(client, False)
    assert client.get(PRINCIPAL).json()["accountEnabled"] is False
    for version in ("2.0", "1.0"):
        page = client.get(paths(TENANT, version)["authorize"], params=auth_params())
        # Entra's error page, not a redirect: the app never hears of it.
        assert page.status_code == 400 and "location" not in page.headers
        assert "trouble signing you in" in page.text and MESSAGE in html.unescape(page.text)
    _refused(_client_credentials(client))
    _refused(redeem(client, grant))
    _enable(client, True)
    assert _client_credentials(client).status_code == 200


def test_a_device_code_for_a_disabled_app_is_refused(client: AppClient) -> None:
    _enable(client, False)
    _refused(client.post(f"/{TENANT}/oauth2/v2.0/devicecode",
                         data={"client_id": CLIENT_ID, "scope": "openid"}))


def test_the_service_principal_by_object_id(client: AppClient) -> None:
    principal = client.get(PRINCIPAL).json()
    by_id = f"{GRAPH}/servicePrincipals/{principal['id']}"
    assert client.get(by_id).json() == principal
    assert client.patch(by_id, json={"appRoleAssignmentRequired": False}).status_code == 204
    assert client.get(PRINCIPAL).json()["appRoleAssignmentRequired"] is False


@pytest.mark.parametrize("body, field", [
    ({"accountEnabled": "no"}, "accountEnabled"),
    ({"appRoleAssignmentRequired": 1}, "appRoleAssignmentRequired"),
    ({"displayName": "x"}, "displayName"),
])
def test_bad_changes_are_refused_and_change_nothing(client: AppClient, body: dict[str, Any],
                                                    field: str) -> None:
    response = client.patch(PRINCIPAL, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["target"] == field
    assert client.get(PRINCIPAL).json()["accountEnabled"] is True


def test_graphs_own_service_principal_is_not_changed(client: AppClient) -> None:
    graph = f"{GRAPH}/servicePrincipals(appId='00000003-0000-0000-c000-000000000000')"
    response = client.patch(graph, json={"accountEnabled": False})
    assert response.status_code == 400 and response.json()["error"]["target"] == "accountEnabled"
    assert client.get(graph).json()["accountEnabled"] is True


@pytest.mark.idp_config(IdpConfig(tenants=(replace(default_tenant(), apps=(
    replace(default_tenant().apps[0], enabled=False),)),)))
def test_an_app_configured_disabled(client: AppClient) -> None:
    assert client.get(PRINCIPAL).json()["accountEnabled"] is False
    _refused(_client_credentials(client))


API_ID = "5e8a2c14-7b3d-4f90-a1c6-2d4e6f8a0b13"
API_URI = "api://orders"
API_PRINCIPAL = f"{GRAPH}/servicePrincipals(appId='{API_ID}')"
WITH_API = IdpConfig(tenants=(replace(default_tenant(), apps=(
    *default_tenant().apps,
    AppConfig(client_id=API_ID, name="Orders API", identifier_uris=(API_URI,)))),))


def _no_token_for(response: httpx.Response, resource: str) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert (body["error"], body["error_codes"]) == ("invalid_resource", [500014]), body
    assert body["error_description"].startswith(
        f"AADSTS500014: The service principal for resource '{resource}' is disabled.")


@pytest.mark.idp_config(WITH_API)
def test_no_token_is_issued_for_a_disabled_api(client: AppClient) -> None:
    grant = get_code(client, scope=f"openid {API_URI}/Orders.Read")
    app_only = {"grant_type": "client_credentials", "client_id": CLIENT_ID,
                "client_secret": SECRET, "scope": f"{API_URI}/.default"}
    assert client.patch(API_PRINCIPAL, json={"accountEnabled": False}).status_code == 204
    _no_token_for(redeem(client, grant), API_URI)
    _no_token_for(client.post(paths(TENANT, "2.0")["token"], data=app_only), API_URI)
    v1 = {**app_only, "scope": "", "resource": API_ID}
    _no_token_for(client.post(paths(TENANT, "1.0")["token"], data=v1), API_ID)
    # The app itself is not disabled, and its code was not used up by the refusal.
    assert client.patch(API_PRINCIPAL, json={"accountEnabled": True}).status_code == 204
    redeemed = redeem(client, grant)
    assert redeemed.status_code == 200, redeemed.text
    assert claims(redeemed.json()["access_token"])["aud"] == API_URI
    assert client.post(paths(TENANT, "2.0")["token"], data=app_only).status_code == 200
