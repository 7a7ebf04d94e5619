"""v1's ``resource`` at the v2 authorize, token and device-code endpoints: the scopes name the
token's resource there, and a ``resource`` that does not name the same one, by an identifier URI,
is AADSTS9010010 (``invalid_target``), as Entra answers MCP clients that send RFC 8707's
``resource`` beside their scopes; one that does changes nothing."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx
import pytest
from asgi_client import AppClient
from idp_testkit import (
    CLIENT_ID,
    GRAPH_APP_ID,
    GRAPH_DEFAULT,
    SECRET,
    TENANT,
    auth_params,
    claims,
    get_code,
    paths,
    redeem,
    redirect_params,
)

from mock_idp.config import AppConfig, IdpConfig, default_tenant

ORDERS_ID = "7b3c2d1e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"
CLI_ID = "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d"
TOKEN = paths(TENANT, "2.0")["token"]


def _config() -> IdpConfig:
    """The reference RP (multi-tenant, so ``/common`` serves it) and a CLI granted the Orders
    API's ``Orders.Read``."""
    tenant = default_tenant()
    wanted = ("api://orders/Orders.Read",)
    rp = replace(tenant.apps[0], api_permissions=wanted, sign_in_audience="AzureADMultipleOrgs")
    cli = AppConfig(client_id=CLI_ID, name="Orders CLI", public_client=True,
                    api_permissions=wanted)
    orders = AppConfig(client_id=ORDERS_ID, name="Orders API", identifier_uris=("api://orders",))
    return IdpConfig(tenants=(replace(tenant, apps=(rp, *tenant.apps[1:], cli, orders)),))


pytestmark = pytest.mark.idp_config(_config())


def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _invalid_target(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert (body["error"], body["error_codes"]) == ("invalid_target", [9010010]), body
    assert body["error_description"].startswith(
        "AADSTS9010010: The resource parameter provided in the request doesn't match with the "
        "requested scopes.")


def _invalid_target_redirect(response: httpx.Response) -> None:
    values = redirect_params(response)
    assert values["error"] == "invalid_target", values
    assert values["error_description"].startswith("AADSTS9010010: "), values
    assert values["state"] == "st-1" and "code" not in values


def _refresh(client: AppClient, refresh_token: str, **extra: str) -> httpx.Response:
    return client.post(TOKEN, data={
        "grant_type": "refresh_token", "client_id": CLIENT_ID, "client_secret": SECRET,
        "refresh_token": refresh_token, **extra})


def test_a_code_granted_for_graph_redeemed_with_another_resource_is_refused_and_unused(
        client: AppClient) -> None:
    grant = get_code(client, scope="openid offline_access User.Read")
    _invalid_target(redeem(client, grant, resource="api://orders"))
    _invalid_target(redeem(client, grant, scope="User.Read", resource="api://orders"))
    body = _ok(redeem(client, grant))
    assert claims(body["access_token"])["aud"] == GRAPH_APP_ID


def test_a_refresh_for_graph_with_another_resource_is_refused(client: AppClient) -> None:
    tokens = _ok(redeem(client, get_code(client, scope="openid offline_access User.Read")))
    _invalid_target(_refresh(client, tokens["refresh_token"], scope="User.Read",
                             resource="api://orders"))
    _invalid_target(_refresh(client, tokens["refresh_token"], resource="api://orders"))
    # Scopes that name no resource are Graph's: an API's ``resource`` beside them is refused (an
    # OpenID Connect sign-in through a broker that passes the client's ``resource`` on:
    # claude-code #52871).
    _invalid_target(_refresh(client, tokens["refresh_token"], scope="openid offline_access",
                             resource="api://orders"))
    assert _ok(_refresh(client, tokens["refresh_token"]))["scope"].startswith("User.Read")


def test_a_resource_that_names_the_scopes_resource_is_taken_and_changes_nothing(
        client: AppClient) -> None:
    grant = get_code(client, scope="openid offline_access api://orders/Orders.Read")
    body = _ok(redeem(client, grant, resource="api://orders"))
    assert claims(body["access_token"])["aud"] == "api://orders"
    assert body["scope"] == "api://orders/Orders.Read"
    refreshed = _ok(_refresh(client, body["refresh_token"], scope="api://orders/.default",
                             resource="api://orders"))
    assert claims(refreshed["access_token"])["scp"] == "Orders.Read"
    graph = _ok(_refresh(client, body["refresh_token"], scope="User.Read",
                         resource="https://graph.microsoft.com"))
    assert claims(graph["access_token"])["aud"] == GRAPH_APP_ID


@pytest.mark.parametrize("resource", ["api://orders/", "API://orders", ORDERS_ID])
def test_a_resource_must_be_one_of_the_apis_identifier_uris_exactly(
        client: AppClient, resource: str) -> None:
    # The check takes its values from the identifier URIs (opencode #12308), a trailing slash
    # too much refused; the app id is not one.
    tokens = _ok(redeem(client, get_code(client, scope="openid offline_access User.Read")))
    _invalid_target(_refresh(client, tokens["refresh_token"], scope="api://orders/Orders.Read",
                             resource=resource))


def test_a_v2_device_code_takes_its_resource_from_the_scopes(client: AppClient) -> None:
    start = f"/{TENANT}/oauth2/v2.0/devicecode"
    _invalid_target(client.post(start, data={"client_id": CLI_ID, "scope": "User.Read",
                                             "resource": "api://orders"}))
    started = _ok(client.post(start, data={"client_id": CLI_ID, "scope": "api://orders/.default",
                                           "resource": "api://orders"}))
    record = client.app.state.idp.store.device_codes[started["device_code"]]  # type: ignore[attr-defined]
    assert record.resource is None and record.scopes == ("api://orders/.default",)


def test_client_credentials_with_another_resource_are_refused(client: AppClient) -> None:
    data = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": SECRET,
            "scope": GRAPH_DEFAULT}
    _invalid_target(client.post(TOKEN, data={**data, "resource": "api://orders"}))
    assert _ok(client.post(TOKEN, data={**data, "resource": "https://graph.microsoft.com"}))


def test_v1_still_names_the_resource_with_resource(client: AppClient) -> None:
    body = _ok(redeem(client, get_code(client, version="1.0", resource=None), version="1.0",
                      resource="api://orders"))
    assert claims(body["access_token"])["aud"] == "api://orders"


@pytest.mark.parametrize("segment", [TENANT, "common"])
def test_a_sign_in_whose_resource_names_its_scopes_resource_gets_a_token_for_it(
        client: AppClient, segment: str) -> None:
    # Entra takes a ``resource`` at the v2 authorize endpoint that names the scopes' resource
    # (Dataverse-MCP #15; the source is beside ``authorization._resource_agrees``).
    grant = get_code(client, tenant=segment, resource="api://orders",
                     scope="openid offline_access api://orders/Orders.Read")
    body = _ok(redeem(client, grant, resource="api://orders"))
    assert claims(body["access_token"])["aud"] == "api://orders"
    assert body["scope"] == "api://orders/Orders.Read"
    graph = get_code(client, tenant=segment, resource="https://graph.microsoft.com")
    assert claims(_ok(redeem(client, graph))["access_token"])["aud"] == GRAPH_APP_ID


@pytest.mark.parametrize("segment", [TENANT, "common"])
@pytest.mark.parametrize(("scope", "resource"), [
    ("openid api://orders/Orders.Read", "https://mcp.example.com"),
    ("openid api://orders/Orders.Read", "api://orders/"),
    ("openid api://orders/Orders.Read", ORDERS_ID),
    ("openid profile", "api://orders"),
], ids=["another-uri", "slash-added", "app-id", "graph-scopes"])
def test_a_sign_in_whose_resource_names_another_is_sent_back_before_anyone_signs_in(
        client: AppClient, segment: str, scope: str, resource: str) -> None:
    response = client.get(paths(segment, "2.0")["authorize"],
                          params=auth_params(scope=scope, resource=resource))
    _invalid_target_redirect(response)
    assert not client.app.state.idp.store.codes  # type: ignore[attr-defined]


def test_under_common_a_resource_for_an_api_unknown_to_the_apps_tenant_waits_for_the_user(
        client: AppClient) -> None:
    page = client.get(paths("common", "2.0")["authorize"], params=auth_params(
        scope="openid api://nobody/read", resource="api://nobody"))
    assert page.status_code == 200 and "loginfmt" in page.text
