"""``<resource>/.default`` in a user's sign-in, and v1's ``resource``, which stands for the same:
the token carries every delegated permission granted to the app on that resource, whatever the
flow (authorization code, device code, refresh, v1), as the on-behalf-of grant already did; a
resource nothing is granted on is AADSTS65001 (``consent_required``), and AADSTS650057 at
sign-in when the app's registration does not list it either."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx
import pytest
from asgi_client import AppClient
from idp_testkit import (
    CLIENT_ID,
    GRAPH_APP_ID,
    SECRET,
    TENANT,
    auth_params,
    claims,
    consent,
    get_code,
    paths,
    pkce_pair,
    redeem,
    redirect_params,
    sign_in,
    submit,
)

from mock_idp.config import AppConfig, IdpConfig, default_tenant
from mock_idp.consent import record_grant

ORDERS_ID = "7b3c2d1e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"
INVENTORY_ID = "2e4f6a8b-0c1d-4e3f-a5b6-c7d8e9f0a1b2"
CLI_ID = "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def _config(*, admin_consented: bool = True) -> IdpConfig:
    """The reference RP and a CLI configured with (and, by default, granted) the Orders API's
    ``Orders.Read`` and Graph's ``Mail.Read``; the Orders API also exposes ``Orders.Write``
    (named by nobody's consent); nothing is granted on the Inventory API."""
    tenant = default_tenant()
    wanted = ("api://orders/Orders.Read", "Mail.Read")
    # (Users consent for themselves where no administrator did: no assignment then.)
    rp = replace(tenant.apps[0], api_permissions=wanted, admin_consented=admin_consented,
                 assignment_required=admin_consented)
    cli = AppConfig(client_id=CLI_ID, name="Orders CLI", public_client=True,
                    api_permissions=wanted, admin_consented=admin_consented)
    orders = AppConfig(client_id=ORDERS_ID, name="Orders API", identifier_uris=("api://orders",))
    inventory = AppConfig(client_id=INVENTORY_ID, name="Inventory API",
                          identifier_uris=("api://inventory",))
    return IdpConfig(tenants=(replace(tenant, apps=(rp, *tenant.apps[1:], cli, orders,
                                                    inventory)),))


pytestmark = pytest.mark.idp_config(_config())


def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _consent_required(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert (body["error"], body["error_codes"], body["suberror"]) == (
        "invalid_grant", [65001], "consent_required"), body


def _refresh(client: AppClient, refresh_token: str, version: str = "2.0", **extra: str
             ) -> httpx.Response:
    return client.post(paths(TENANT, version)["token"], data={
        "grant_type": "refresh_token", "client_id": CLIENT_ID, "client_secret": SECRET,
        "refresh_token": refresh_token, **extra})


def test_a_code_for_an_apis_default_scope_carries_the_permission_granted_on_it(
        client: AppClient) -> None:
    body = _ok(redeem(client, get_code(client, scope="openid offline_access "
                                                    "api://orders/.default")))
    assert claims(body["access_token"])["scp"] == "Orders.Read"
    assert claims(body["access_token"])["aud"] == "api://orders"
    assert body["scope"] == "api://orders/Orders.Read api://orders/.default"
    refreshed = _ok(_refresh(client, body["refresh_token"], scope="api://orders/.default"))
    assert claims(refreshed["access_token"])["scp"] == "Orders.Read"
    assert refreshed["scope"] == "api://orders/Orders.Read api://orders/.default"


def test_a_device_code_for_an_apis_default_scope_carries_the_permission_granted_on_it(
        client: AppClient) -> None:
    started = _ok(client.post(f"/{TENANT}/oauth2/v2.0/devicecode", data={
        "client_id": CLI_ID, "scope": "api://orders/.default offline_access"}))
    entered = client.post("/devicelogin", data={"otc": started["user_code"]})
    confirm = sign_in(client, entered)
    assert "Are you trying to sign in to Orders CLI?" in confirm.text, confirm.text[:500]
    submit(client, confirm, answer="Continue")
    body = _ok(client.post(paths(TENANT, "2.0")["token"], data={
        "grant_type": DEVICE_GRANT, "client_id": CLI_ID, "device_code": started["device_code"]}))
    assert claims(body["access_token"])["scp"] == "Orders.Read"
    assert body["scope"] == "api://orders/Orders.Read api://orders/.default"


def test_a_v1_resource_carries_the_permission_granted_on_it(client: AppClient) -> None:
    # "scope={resource}/.default is functionally the same as resource={resource} on the v1.0
    # endpoint" (Microsoft identity platform, "Scopes and permissions").
    body = _ok(redeem(client, get_code(client, version="1.0", resource="api://orders"),
                      version="1.0"))
    assert claims(body["access_token"])["scp"] == body["scope"] == "Orders.Read"
    refreshed = _ok(_refresh(client, body["refresh_token"], "1.0", resource="api://orders"))
    assert claims(refreshed["access_token"])["scp"] == "Orders.Read"


def test_graphs_default_scope_carries_every_graph_permission_granted(
        client: AppClient) -> None:
    body = _ok(redeem(client, get_code(client, scope="openid https://graph.microsoft.com/"
                                                    ".default")))
    assert set(claims(body["access_token"])["scp"].split()) == {
        "openid", "User.Read", "Mail.Read"}
    graph_v1 = _ok(redeem(client, get_code(client, version="1.0"), version="1.0"))
    assert {"User.Read", "Mail.Read"} <= set(claims(graph_v1["access_token"])["scp"].split())
    # A sign-in that names no Graph permission gets User.Read, as before.
    plain = _ok(redeem(client, get_code(client, scope="openid profile")))
    assert claims(plain["access_token"])["scp"] == "openid profile User.Read"


@pytest.mark.parametrize("extra", [
    {"scope": "openid offline_access api://inventory/.default"},
    {"version": "1.0", "resource": "api://inventory"},
], ids=["v2-default", "v1-resource"])
def test_a_default_scope_of_an_api_the_app_does_not_list_is_refused_at_sign_in(
        client: AppClient, extra: dict[str, str]) -> None:
    # Nothing to ask consent for, nothing granted: AADSTS650057 (invalid_client) back to the
    # app after the sign-in, no code (the source is beside ``resources.check_default_listed``).
    version = extra.pop("version", "2.0")
    page = client.get(paths(TENANT, version)["authorize"], params=auth_params(**extra))
    values = redirect_params(sign_in(client, page))
    assert values["error"] == "invalid_client" and "code" not in values, values
    description = values["error_description"]
    assert description.startswith("AADSTS650057: Invalid resource. "), description
    assert f"Resource app ID: {INVENTORY_ID}." in description
    listed = description.split("List of valid resources from app registration: ")[1]
    assert ORDERS_ID in listed and GRAPH_APP_ID in listed and INVENTORY_ID not in listed


def test_a_default_scope_of_an_api_with_a_grant_is_taken_though_the_app_does_not_list_it(
        client: AppClient) -> None:
    tenant = client.app.state.idp.store.tenants[TENANT]  # type: ignore[attr-defined]
    record_grant(tenant.grants, CLIENT_ID, INVENTORY_ID, None, ["Stock.Read"])
    body = _ok(redeem(client, get_code(client, scope="openid api://inventory/.default")))
    assert claims(body["access_token"])["scp"] == "Stock.Read"


def test_a_refresh_for_the_default_scope_of_an_api_nothing_is_granted_on_is_consent_required(
        client: AppClient) -> None:
    tokens = _ok(redeem(client, get_code(client, scope="openid offline_access User.Read")))
    _consent_required(_refresh(client, tokens["refresh_token"], scope="api://inventory/.default"))


@pytest.mark.idp_config(_config(admin_consented=False))
def test_consenting_to_an_apis_default_scope_grants_what_the_app_is_configured_with(
        client: AppClient) -> None:
    """The consent prompt for ``.default`` asks for the app's static permissions on the
    resource; once accepted, the token carries them."""
    verifier, challenge = pkce_pair()
    params = auth_params(scope="openid api://orders/.default", code_challenge=challenge,
                         code_challenge_method="S256")
    page = sign_in(client, client.get(paths(TENANT, "2.0")["authorize"], params=params))
    code = redirect_params(consent(client, page))["code"]
    body = _ok(client.post(paths(TENANT, "2.0")["token"], data={
        "grant_type": "authorization_code", "client_id": CLIENT_ID, "client_secret": SECRET,
        "code": code, "redirect_uri": params["redirect_uri"], "code_verifier": verifier}))
    assert claims(body["access_token"])["scp"] == "Orders.Read"
    # Asked again, nothing is new: no consent page.
    again = client.get(paths(TENANT, "2.0")["authorize"], params=params)
    assert "code" in redirect_params(again)
