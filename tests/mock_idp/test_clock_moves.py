"""Moving the mock's clock back: fresh sign-ins, sessions and the built-in secrets keep working,
since "never revoked" sets no bound and default secrets were made well before the start."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx
import pytest
from asgi_client import AppClient
from idp_testkit import (
    ALICE,
    CLIENT_ID,
    GRAPH_DEFAULT,
    SECRET,
    TENANT,
    auth_params,
    get_code,
    page_kind,
    password,
    paths,
    redeem,
    redirect_params,
    sign_in,
)

from mock_idp.clock import MockClock
from mock_idp.config import IdpConfig, SecretConfig, default_tenant

TOKEN = paths(TENANT, "2.0")["token"]
LATER_SECRET = "lat8Q~A.Secret.That.Starts.Tomorrow-abcdefg"


def _move(client: AppClient, advance: str) -> None:
    response = client.post("/_mock/clock", json={"advance": advance})
    assert response.status_code == 200, response.text


def _client_credentials(client: AppClient, secret: str = SECRET) -> httpx.Response:
    return client.post(TOKEN, data={"grant_type": "client_credentials", "client_id": CLIENT_ID,
                                    "client_secret": secret, "scope": GRAPH_DEFAULT})


def test_after_moving_back_two_days_a_kmsi_sign_in_keeps_its_session(client: AppClient) -> None:
    _move(client, "-2d")
    page = client.get(paths(TENANT, "2.0")["authorize"], params=auth_params())
    answered = sign_in(client, page, stay="Yes")
    assert "code" in redirect_params(answered), answered.text[:500]
    again = client.get(paths(TENANT, "2.0")["authorize"], params=auth_params())
    assert "code" in redirect_params(again)  # the session signs in at once
    sessions = client.get("/_mock/sessions").json()["sessions"]
    assert [s["active"] for s in sessions] == [True]


def test_after_moving_back_a_refresh_token_is_not_revoked(client: AppClient) -> None:
    _move(client, "-2d")
    tokens = client.post(TOKEN, data={
        "grant_type": "password", "client_id": CLIENT_ID, "client_secret": SECRET,
        "username": ALICE, "password": password(ALICE), "scope": "openid offline_access"})
    assert tokens.status_code == 200, tokens.text
    refreshed = client.post(TOKEN, data={
        "grant_type": "refresh_token", "client_id": CLIENT_ID, "client_secret": SECRET,
        "refresh_token": tokens.json()["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text


@pytest.mark.parametrize("advance", ["-2h", "-2d", "-30d"])
def test_the_built_in_secret_works_after_moving_back(client: AppClient, advance: str) -> None:
    _move(client, advance)
    response = _client_credentials(client)
    assert response.status_code == 200, response.text


def test_a_code_redeemed_after_moving_back(client: AppClient) -> None:
    _move(client, "-1d")
    assert redeem(client, get_code(client)).status_code == 200


def _with_later_secret() -> IdpConfig:
    tenant = default_tenant()
    clock = MockClock()
    rp = replace(tenant.apps[0], secrets=(
        *tenant.apps[0].secrets,
        SecretConfig(value=LATER_SECRET, start=clock.now() + timedelta(days=1))))
    return IdpConfig(tenants=(replace(tenant, apps=(rp, *tenant.apps[1:])),), clock=clock)


@pytest.mark.idp_config(_with_later_secret())
def test_a_secret_before_its_start_is_called_expired(client: AppClient,
                                                    clock: MockClock) -> None:
    # Entra calls a key outside its dates "expired" on either side (client_auth's sources).
    body: dict[str, Any] = _client_credentials(client, LATER_SECRET).json()
    assert body["error_codes"] == [7000222] and body["error"] == "invalid_client"
    clock.advance(timedelta(days=1, seconds=1))
    assert _client_credentials(client, LATER_SECRET).status_code == 200


def test_the_sessions_list_agrees_with_sign_in(client: AppClient) -> None:
    page = client.get(paths(TENANT, "2.0")["authorize"], params=auth_params())
    sign_in(client, page)
    user = client.app.state.idp.store.tenants[TENANT].find_user(ALICE)  # type: ignore[attr-defined]
    user.enabled = False
    sessions = client.get("/_mock/sessions").json()["sessions"]
    assert [s["active"] for s in sessions] == [False]
    user.enabled = True
    assert client.get("/_mock/sessions").json()["sessions"][0]["active"] is True
    again = client.get(paths(TENANT, "2.0")["authorize"], params=auth_params())
    assert page_kind(again) is None and "code" in redirect_params(again)


def test_graph_shows_sign_in_sessions_valid_from_the_accounts_creation(
        client: AppClient) -> None:
    user = client.get(f"/graph/{TENANT}/v1.0/users/{ALICE}"
                      "?$select=signInSessionsValidFromDateTime").json()
    created = client.app.state.idp.store.tenants[TENANT].find_user(  # type: ignore[attr-defined]
        ALICE).created
    assert user["signInSessionsValidFromDateTime"] == created.strftime("%Y-%m-%dT%H:%M:%SZ")
