"""The ``claims`` request parameter and ``max_age``: what the mock honours, what it refuses
(:mod:`mock_idp.protocol.claims_request`)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

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
    redirect_params,
)

from mock_idp.config import AppConfig, IdpConfig, default_tenant
from mock_idp.directory import OptionalClaim, OptionalClaims
from mock_idp.errors import EntraError
from mock_idp.protocol.claims_request import ClaimsRequest, parse
from mock_idp.protocol.optional_claims import login_hint

TOKEN = paths(TENANT, "2.0")["token"]
MSAL_NODE_CLAIMS = json.dumps({"id_token": {
    "signin_state": {"essential": False}, "login_hint": {"essential": False},
    "tenant_region_sub_scope": {"essential": False}}})
"""What msal-node 7 sends on every request (msal-common ``buildMergedClaims``)."""
CP1 = json.dumps({"access_token": {"xms_cc": {"values": ["CP1"]}}})
API_ID = "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d"


def _error(response: Any, code: int) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    body: dict[str, Any] = response.json()
    assert body["error_codes"] == [code], body
    return body


# -- reading the parameter ------------------------------------------------------------------


def test_a_readable_request_names_its_id_token_claims_and_capabilities() -> None:
    asked = parse(json.dumps({"id_token": {"login_hint": None, "sid": {"essential": True}},
                              "access_token": {"xms_cc": {"values": ["CP1", 7, "CP1"]}},
                              "userinfo": {"email": None}}))
    assert asked == ClaimsRequest(id_token=frozenset({"login_hint", "sid"}),
                                  client_capabilities=("CP1",))
    assert parse(None) == parse("  ") == ClaimsRequest()


@pytest.mark.parametrize("raw", [
    "{not json", "[]", '"x"', "null", '{"id_token": []}', '{"id_token": {"sid": 1}}',
    '{"access_token": "xms_cc"}', "[" * 5000 + "]" * 5000,
    '{"id_token": {"sid": {"essential": NaN}}}', '{"access_token": {"nbf": {"value": Infinity}}}',
    '{"id_token": {"sid": {"value": -Infinity}}}',
])
def test_an_unreadable_claims_parameter_is_50117(raw: str) -> None:
    with pytest.raises(EntraError) as caught:
        parse(raw)
    assert caught.value.code == 50117


def test_malformed_claims_at_the_token_endpoint_is_50117(client: AppClient) -> None:
    body = _error(client.post(TOKEN, data={
        "grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": SECRET,
        "scope": GRAPH_DEFAULT, "claims": "{not json"}), 50117)
    assert body["error"] == "invalid_request"


def test_malformed_claims_at_authorize_goes_back_to_the_app(client: AppClient) -> None:
    response = client.get(paths(TENANT, "2.0")["authorize"],
                          params=auth_params(claims="{bad"))
    params = redirect_params(response)
    assert params["error"] == "invalid_request" and params["state"] == "st-1"
    assert params["error_description"].startswith("AADSTS50117:")


# -- what is emitted ----------------------------------------------------------------------


def _without_optional_claims() -> IdpConfig:
    """The default directory, its reference app configuring no optional claim (the default one
    asks for ``login_hint``, for its sign-out)."""
    tenant = default_tenant()
    rp = replace(tenant.apps[0], optional_claims=OptionalClaims())
    return IdpConfig(tenants=(replace(tenant, apps=(rp, *tenant.apps[1:])),))


@pytest.mark.idp_config(_without_optional_claims())
def test_id_token_claims_asked_through_claims_are_emitted(client: AppClient) -> None:
    # msal-node 7 asks for login_hint on every request; Entra answers with it.
    grant = get_code(client, claims=MSAL_NODE_CLAIMS)
    response = redeem(client, grant)
    assert response.status_code == 200, response.text
    idt = claims(response.json()["id_token"])
    alice = client.app.state.idp.store.tenants[TENANT].find_user(  # type: ignore[attr-defined]
        "alice@contoso.onmicrosoft.com")
    tenant = client.app.state.idp.store.tenants[TENANT]  # type: ignore[attr-defined]
    assert idt["login_hint"] == login_hint(alice, tenant)
    assert "signin_state" not in idt and "tenant_region_sub_scope" not in idt


@pytest.mark.idp_config(_without_optional_claims())
def test_without_claims_no_login_hint(client: AppClient) -> None:
    response = redeem(client, get_code(client))
    assert "login_hint" not in claims(response.json()["id_token"])


@pytest.mark.idp_config(_without_optional_claims())
def test_claims_on_the_token_request_count_too(client: AppClient) -> None:
    # MSAL sends ``claims`` on the code redemption as well as on the authorization request.
    response = redeem(client, get_code(client), claims=MSAL_NODE_CLAIMS)
    assert claims(response.json()["id_token"])["login_hint"]


def _api_with_xms_cc() -> IdpConfig:
    tenant = default_tenant()
    api = AppConfig(client_id=API_ID, name="Orders API", identifier_uris=("api://orders",),
                    optional_claims=OptionalClaims(access_token=(OptionalClaim("xms_cc"),)))
    # The RP holds consent on the API: its ``.default`` token carries what was granted.
    rp = replace(tenant.apps[0], optional_claims=OptionalClaims(
        id_token=(OptionalClaim("xms_cc"),)), api_permissions=("api://orders/Orders.Read",))
    return IdpConfig(tenants=(replace(tenant, apps=(rp, api, *tenant.apps[1:])),))


@pytest.mark.idp_config(_api_with_xms_cc())
def test_client_capabilities_reach_tokens_whose_registration_configures_xms_cc(
        client: AppClient) -> None:
    grant = get_code(client, claims=CP1)
    body = redeem(client, grant, scope="api://orders/.default openid").json()
    assert claims(body["access_token"])["xms_cc"] == ["CP1"]
    assert claims(body["id_token"])["xms_cc"] == ["CP1"]
    without = redeem(client, get_code(client), scope="api://orders/.default openid").json()
    assert "xms_cc" not in claims(without["access_token"])


# -- max_age ------------------------------------------------------------------------------


def test_max_age_puts_auth_time_in_the_id_token_of_the_code(client: AppClient) -> None:
    # OpenID Connect Core 3.1.2.1; MSAL Python refuses the ID token without it.
    grant = get_code(client, max_age="3600")
    body = redeem(client, grant).json()
    idt = claims(body["id_token"])
    session = next(iter(client.app.state.idp.store.sessions.values()))  # type: ignore[attr-defined]
    assert idt["auth_time"] == int(session.auth_time.timestamp())
    refreshed = client.post(TOKEN, data={
        "grant_type": "refresh_token", "client_id": CLIENT_ID, "client_secret": SECRET,
        "refresh_token": body["refresh_token"]})
    assert claims(refreshed.json()["id_token"])["auth_time"] == idt["auth_time"]


def test_without_max_age_no_auth_time(client: AppClient) -> None:
    assert "auth_time" not in claims(redeem(client, get_code(client)).json()["id_token"])
