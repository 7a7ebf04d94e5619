"""The scopes an API exposes (``exposed_scopes``, Graph ``api.oauth2PermissionScopes``): a
sign-in or token request naming another permission of it is AADSTS650053, so its tokens carry
in ``scp`` only what it exposes; an API that declares none takes any name, as before."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest
from asgi_client import AppClient
from idp_testkit import (
    ALICE,
    TENANT,
    auth_params,
    claims,
    password,
    paths,
    redirect_params,
    sign_in,
)

from mock_idp.config import AppConfig, AppRoleConfig, ConfigError, IdpConfig, default_tenant

API_ID = "4e8c2a6f-1b3d-4f5a-9c7e-2d4b6f8a0c1e"
OPEN_ID = "5e8c2a6f-1b3d-4f5a-9c7e-2d4b6f8a0c1f"
CLI_ID = "7c2e9a41-3d5b-4f68-9a0c-1e2d3c4b5a69"
API = f"api://{API_ID}"
OPEN = f"api://{OPEN_ID}"


def _config() -> IdpConfig:
    tenant = default_tenant()
    role = AppRoleConfig(value="Orders.Read.All", allowed_member_types=("Application",))
    api = AppConfig(client_id=API_ID, name="Orders API", identifier_uris=(API,),
                    app_roles=(role,), exposed_scopes=("access_as_user", "Orders.Write"))
    open_api = AppConfig(client_id=OPEN_ID, name="Older API", identifier_uris=(OPEN,))
    cli = AppConfig(client_id=CLI_ID, name="Contoso CLI", public_client=True,
                    api_permissions=(f"{API}/access_as_user",))
    rp = replace(tenant.apps[0], api_permissions=(
        *tenant.apps[0].api_permissions, f"{API}/access_as_user"))
    return IdpConfig(tenants=(replace(tenant, apps=(rp, *tenant.apps[1:], api, open_api, cli)),))


pytestmark = pytest.mark.idp_config(_config())


def _password_grant(client: AppClient, scope: str) -> httpx.Response:
    return client.post(paths(TENANT, "2.0")["token"], data={
        "grant_type": "password", "client_id": CLI_ID, "username": ALICE,
        "password": password(ALICE), "scope": scope})


@pytest.mark.parametrize("scope", ["access_as_user", "Orders.Write"])
def test_an_exposed_scope_is_issued(client: AppClient, scope: str) -> None:
    response = _password_grant(client, f"{API}/{scope}")
    assert response.status_code == 200, response.text
    assert claims(response.json()["access_token"])["scp"] == scope


@pytest.mark.parametrize("name", ["nonexistent", "Orders.Read.All"],
                         ids=["unknown", "an-app-role"])
def test_a_scope_the_api_does_not_expose_is_650053(client: AppClient, name: str) -> None:
    response = _password_grant(client, f"{API}/access_as_user {API}/{name}")
    assert response.status_code == 400, response.text
    body = response.json()
    assert (body["error"], body["error_codes"]) == ("invalid_client", [650053])
    assert body["error_description"].startswith(
        f"AADSTS650053: The application 'Contoso CLI' asked for scope '{name}' that doesn't "
        f"exist on the resource '{API_ID}'. Contact the app vendor.")


def test_the_default_scope_needs_no_exposed_name(client: AppClient) -> None:
    response = _password_grant(client, f"{API}/.default")
    assert response.status_code == 200, response.text
    assert claims(response.json()["access_token"])["scp"] == "access_as_user"


def test_an_api_that_declares_no_scopes_takes_any_name(client: AppClient) -> None:
    response = _password_grant(client, f"{OPEN}/anything")
    assert response.status_code == 200, response.text
    assert claims(response.json()["access_token"])["scp"] == "anything"


def test_a_sign_in_asking_a_scope_the_api_does_not_expose_is_sent_back_650053(
        client: AppClient) -> None:
    page = client.get(paths(TENANT, "2.0")["authorize"],
                      params=auth_params(scope=f"openid {API}/nonexistent"))
    values = redirect_params(sign_in(client, page))
    assert values["error"] == "invalid_client" and "code" not in values, values
    assert values["error_description"].startswith("AADSTS650053: "), values


def test_graph_lists_the_exposed_scopes(client: AppClient) -> None:
    listed = client.get(f"/graph/{TENANT}/v1.0/applications(appId='{API_ID}')")
    assert listed.status_code == 200, listed.text
    scopes = listed.json()["api"]["oauth2PermissionScopes"]
    assert [s["value"] for s in scopes] == ["access_as_user", "Orders.Write"]
    assert all(s["isEnabled"] and s["type"] == "User" and s["id"] for s in scopes)


def test_idp_toml_names_the_exposed_scopes_and_refuses_a_value_no_request_could_name() -> None:
    tenant = {"id": "6f2c1a9e-3b7d-4e58-a1c4-92d0b7e5f318", "domain": "contoso.example"}
    app = {"client_id": API_ID, "name": "Orders API", "exposed_scopes": ["access_as_user"]}
    config = IdpConfig.from_mapping({"tenants": [{**tenant, "apps": [app]}]})
    assert config.tenants[0].apps[0].exposed_scopes == ("access_as_user",)
    for bad in ("", "two words", "api://x/read"):
        with pytest.raises(ConfigError) as caught:
            IdpConfig.from_mapping({"tenants": [{**tenant, "apps": [
                {**app, "exposed_scopes": [bad]}]}]})
        assert str(caught.value).startswith("tenants[0].apps[0].exposed_scopes[0] ")
