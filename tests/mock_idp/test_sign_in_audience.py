"""An app's supported account types (Graph ``signInAudience``): a single-tenant app, the
portal's default, used through ``/common`` or ``/organizations`` is AADSTS50194 at sign-in, at
the token endpoint and for a device code; a multi-tenant one signs in there."""

from __future__ import annotations

import html
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
    get_code,
    multi_tenant_config,
    paths,
    redeem,
)

from mock_idp.config import ConfigError, IdpConfig

GRAPH_APP = f"/graph/{TENANT}/v1.0/applications(appId='{CLIENT_ID}')"
MESSAGE = (f"AADSTS50194: Application '{CLIENT_ID}'(Reference relying party) is not configured "
           "as a multi-tenant application.")


def _refused(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    body: dict[str, Any] = response.json()
    assert (body["error"], body["error_codes"]) == ("invalid_request", [50194]), body
    assert body["error_description"].startswith(MESSAGE)
    return body


@pytest.mark.parametrize("segment", ["common", "organizations"])
@pytest.mark.parametrize("version", ["2.0", "1.0"])
def test_a_single_tenant_app_through_common_stops_at_the_error_page(
        client: AppClient, segment: str, version: str) -> None:
    page = client.get(paths(segment, version)["authorize"], params=auth_params())
    # Entra's own page, not a redirect: the app never hears of it.
    assert page.status_code == 400 and "location" not in page.headers
    assert "trouble signing you in" in page.text and MESSAGE in html.unescape(page.text)


def test_a_code_from_the_tenant_redeemed_at_common_is_refused_and_stays_unused(
        client: AppClient) -> None:
    """The sign-in named the tenant, the redemption did not (a library's default authority)."""
    grant = get_code(client)
    _refused(redeem(client, grant, tenant="common"))
    _refused(redeem(client, grant, tenant="organizations", version="1.0"))
    assert redeem(client, grant).status_code == 200


def test_a_refresh_and_client_credentials_through_organizations_are_refused(
        client: AppClient) -> None:
    tokens = redeem(client, get_code(client, scope="openid offline_access")).json()
    _refused(client.post(paths("organizations", "2.0")["token"], data={
        "grant_type": "refresh_token", "client_id": CLIENT_ID, "client_secret": SECRET,
        "refresh_token": tokens["refresh_token"]}))
    _refused(client.post(paths("organizations", "2.0")["token"], data={
        "grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": SECRET,
        "scope": GRAPH_DEFAULT}))


def test_a_device_code_through_organizations_is_refused(client: AppClient) -> None:
    _refused(client.post("/organizations/oauth2/v2.0/devicecode",
                         data={"client_id": CLIENT_ID, "scope": "openid"}))


@pytest.mark.idp_config(multi_tenant_config())
@pytest.mark.parametrize("segment", ["common", "organizations"])
def test_a_multi_tenant_app_signs_in_through_common(client: AppClient, segment: str) -> None:
    grant = get_code(client, tenant=segment)
    assert redeem(client, grant, tenant=segment).status_code == 200


def test_graph_shows_and_changes_the_audience(client: AppClient) -> None:
    assert client.get(GRAPH_APP).json()["signInAudience"] == "AzureADMyOrg"
    bad = client.patch(GRAPH_APP, json={"signInAudience": "AnyoneAtAll"})
    assert bad.status_code == 400 and bad.json()["error"]["target"] == "signInAudience", bad.text
    assert client.get(GRAPH_APP).json()["signInAudience"] == "AzureADMyOrg"
    assert client.get(paths("common", "2.0")["authorize"],
                      params=auth_params()).status_code == 400
    done = client.patch(GRAPH_APP, json={"signInAudience": "AzureADMultipleOrgs"})
    assert done.status_code == 204, done.text
    assert client.get(paths("common", "2.0")["authorize"],
                      params=auth_params()).status_code == 200


def _toml(audience: str) -> str:
    return f"""
[[tenants]]
id = "{TENANT}"
domain = "contoso.onmicrosoft.com"
[[tenants.apps]]
client_id = "{CLIENT_ID}"
sign_in_audience = "{audience}"
"""


def test_idp_toml_sets_the_audience_and_names_a_wrong_one(tmp_path: Any) -> None:
    path = tmp_path / "idp.toml"
    path.write_text(_toml("AzureADMultipleOrgs"))
    assert IdpConfig.from_toml(path).tenants[0].apps[0].sign_in_audience == "AzureADMultipleOrgs"
    path.write_text(_toml("multi"))
    with pytest.raises(ConfigError, match=r"tenants\[0\]\.apps\[0\]\.sign_in_audience"):
        IdpConfig.from_toml(path)


# -- redirect URI rules that depend on the audience (entra-id.md §8) ---------------------------

PERSONAL = "AzureADandPersonalMicrosoftAccount"


@pytest.mark.parametrize(("body", "field"), [
    ({"web": {"redirectUris": ["https://app.example/cb(1)"]}}, "web.redirectUris[0]"),
    ({"spa": {"redirectUris": ["https://app.example/ok", "https://app.example/a;b"]}},
     "spa.redirectUris[1]"),
    ({"signInAudience": PERSONAL, "web": {"redirectUris": ["https://app.example/cb?x=1"]}},
     "web.redirectUris[0]"),
    ({"signInAudience": PERSONAL,
      "web": {"redirectUris": [f"https://app.example/cb{i}" for i in range(101)]}},
     "web.redirectUris"),
])
def test_graph_refuses_redirect_uris_entra_does_not_take(client: AppClient, body: dict[str, Any],
                                                         field: str) -> None:
    before = client.get(GRAPH_APP).json()
    response = client.patch(GRAPH_APP, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["target"] == field
    assert client.get(GRAPH_APP).json() == before


def test_an_audience_change_is_checked_against_the_uris_the_app_has(client: AppClient) -> None:
    uris = {"web": {"redirectUris": ["http://localhost/auth/callback?tenant=contoso"]}}
    assert client.patch(GRAPH_APP, json=uris).status_code == 204  # fine for work accounts
    refused = client.patch(GRAPH_APP, json={"signInAudience": PERSONAL})
    assert refused.status_code == 400 and refused.json()["error"]["target"] == (
        "web.redirectUris[0]")
    assert client.get(GRAPH_APP).json()["signInAudience"] == "AzureADMyOrg"
    assert client.patch(GRAPH_APP, json={"signInAudience": "AzureADMultipleOrgs"}
                        ).status_code == 204


def test_idp_toml_names_a_redirect_uri_entra_does_not_take(tmp_path: Any) -> None:
    path = tmp_path / "idp.toml"
    path.write_text(_toml(PERSONAL) + 'redirect_uris = ["https://a.example/cb?x=1"]\n')
    with pytest.raises(ConfigError, match=r"apps\[0\]\.redirect_uris\[0\] must not have a query"):
        IdpConfig.from_toml(path)
