"""Refresh tokens recognised past their lifetime after the provider has dropped their records.

Entra answers AADSTS700082 for a refresh token months after it expired (mspnp/
identity-reference-architectures #9, microsoft/azuredatastudio #15331), and apps sign the user
in again on that code (microsoft/azuredatastudio #24423); a value it never issued stays
AADSTS9002313. The mock drops a record a day after its expiry, so the value itself says when
it was issued and expires, under a MAC only the provider can make.
"""

from __future__ import annotations

import string
from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx
import pytest
from asgi_client import AppClient
from idp_testkit import CLIENT_ID, SECRET, TENANT, paths, tokens_for
from starlette.applications import Starlette

from mock_idp import create_app
from mock_idp.clock import MockClock
from mock_idp.config import AppConfig, IdpConfig, SecretConfig, default_tenant

TOKEN = paths(TENANT, "2.0")["token"]
OTHER_ID = "5e2c7a1d-9b3f-4c8e-a0d2-6f4b8e1c3a57"
OTHER_SECRET = "oth8Q~Another.Confidential.Client.Secret-01"
LIFETIME = timedelta(days=90)
YEARS = timedelta(days=730)


def _config() -> IdpConfig:
    """The reference app and another, with secrets that outlast the tests' years (Entra's
    longest, two years)."""
    tenant = default_tenant()
    rp = replace(tenant.apps[0], secrets=(SecretConfig(value=SECRET, expires_in=YEARS),))
    other = AppConfig(client_id=OTHER_ID, name="Another app",
                      redirect_uris=("http://localhost/other",),
                      secrets=(SecretConfig(value=OTHER_SECRET, expires_in=YEARS),))
    return IdpConfig(tenants=(replace(tenant, apps=(rp, other)),))


pytestmark = pytest.mark.idp_config(_config())


def _refresh(client: AppClient, token: str, *, client_id: str = CLIENT_ID,
             secret: str = SECRET) -> httpx.Response:
    return client.post(TOKEN, data={
        "grant_type": "refresh_token", "client_id": client_id, "client_secret": secret,
        "refresh_token": token, "scope": "openid offline_access"})


def _error(response: httpx.Response, code: int) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    body: dict[str, Any] = response.json()
    assert body["error"] == "invalid_grant" and body["error_codes"] == [code], body
    return body


def _message(body: dict[str, Any]) -> str:
    """The error description without its trace lines, which differ between answers."""
    return str(body["error_description"]).split("\r\nTrace ID:")[0]


def _drop_expired(idp_app: Starlette) -> None:
    idp_app.state.idp.store.refresh_tokens.drop_expired()


def test_a_refresh_token_dropped_past_its_lifetime_is_still_700082(
        client: AppClient, clock: MockClock, idp_app: Starlette) -> None:
    assert idp_app.state.idp.config.refresh_token_lifetime == LIFETIME
    token = tokens_for(client, scope="openid offline_access")["refresh_token"]
    clock.advance(LIFETIME + timedelta(hours=1))
    kept = _error(_refresh(client, token), 700082)
    clock.advance(timedelta(days=200))
    _drop_expired(idp_app)
    assert token not in idp_app.state.idp.store.refresh_tokens
    dropped = _error(_refresh(client, token), 700082)
    assert _message(dropped) == _message(kept)
    assert "was inactive for 90.00:00:00" in dropped["error_description"]


def test_a_token_reused_after_rotation_expires_90_days_after_its_issue(
        client: AppClient, clock: MockClock, idp_app: Starlette) -> None:
    """Issued on day 0, refreshed on day 80 (the old one stays usable until it expires),
    presented again on day 160: 700082, naming day 0; the day-80 token still works."""
    first = tokens_for(client, scope="openid offline_access")["refresh_token"]
    clock.advance(timedelta(days=80))
    second = _refresh(client, first)
    assert second.status_code == 200, second.text
    clock.advance(timedelta(days=80))
    third = _refresh(client, second.json()["refresh_token"])
    assert third.status_code == 200, third.text
    assert first not in idp_app.state.idp.store.refresh_tokens
    assert "issued on" in _error(_refresh(client, first), 700082)["error_description"]
    clock.advance(timedelta(days=91))
    _error(_refresh(client, third.json()["refresh_token"]), 700082)


def test_a_refresh_token_keeps_entras_shape(client: AppClient) -> None:
    token = tokens_for(client, scope="openid offline_access")["refresh_token"]
    assert token.startswith("1.A") and len(token) > 150
    assert set(token) <= set(string.ascii_letters + string.digits + "-_.")


@pytest.mark.parametrize("garbage", ["not-a-token", "1.A" + "A" * 230, "1.A" + "%%%"])
def test_a_value_never_issued_is_9002313(client: AppClient, garbage: str) -> None:
    _error(_refresh(client, garbage), 9002313)


def _flip(value: str, at: int) -> str:
    return value[:at] + ("B" if value[at] != "B" else "C") + value[at + 1:]


@pytest.mark.parametrize("at", [5, 40, -20])
def test_a_dropped_token_altered_anywhere_is_9002313(
        client: AppClient, clock: MockClock, idp_app: Starlette, at: int) -> None:
    token = tokens_for(client, scope="openid offline_access")["refresh_token"]
    clock.advance(LIFETIME + timedelta(days=2))
    _drop_expired(idp_app)
    _error(_refresh(client, _flip(token, at)), 9002313)
    _error(_refresh(client, token), 700082)


def test_a_dropped_token_presented_by_another_app_is_9002313(
        client: AppClient, clock: MockClock, idp_app: Starlette) -> None:
    token = tokens_for(client, scope="openid offline_access")["refresh_token"]
    clock.advance(LIFETIME + timedelta(days=2))
    _drop_expired(idp_app)
    _error(_refresh(client, token, client_id=OTHER_ID, secret=OTHER_SECRET), 9002313)


def test_the_values_of_another_provider_are_not_recognised(
        client: AppClient, clock: MockClock) -> None:
    """Each provider (a reset one too) has its own key: a token of another is garbage."""
    token = tokens_for(client, scope="openid offline_access")["refresh_token"]
    with AppClient(create_app(_config()), follow_redirects=False) as other:
        other.app.state.idp.clock.advance(LIFETIME + timedelta(days=2))  # type: ignore[attr-defined]
        _error(_refresh(other, token), 9002313)
