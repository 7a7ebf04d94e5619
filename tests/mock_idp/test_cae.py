"""Continuous access evaluation in process: a client declaring CP1 gets a day-long Microsoft
Graph token carrying ``xms_cc``; Graph answers it with a claims challenge after each critical
event, and the token request carrying the challenge fails or succeeds as the event dictates.
A token without CP1 stays ordinary."""

from __future__ import annotations

import base64
import json
import re
from datetime import timedelta
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
    claims,
    page_kind,
    password,
    paths,
    submit,
    tokens_for,
)

from mock_idp.clock import MockClock
from mock_idp.signin import ids

GRAPH = f"/graph/{TENANT}/v1.0"
CP1 = json.dumps({"access_token": {"xms_cc": {"values": ["CP1"]}}})
TOKEN = paths(TENANT, "2.0")["token"]


def _me(client: AppClient, token: str) -> httpx.Response:
    return client.get(f"{GRAPH}/me", headers={"Authorization": f"Bearer {token}"})


def _challenge(response: httpx.Response) -> dict[str, Any]:
    """The claims request a 401's claims challenge carries, decoded."""
    assert response.status_code == 401, response.text
    header = response.headers["www-authenticate"]
    assert header.startswith(
        'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/'
        'authorize", client_id="00000003-0000-0000-c000-000000000000", '
        'error="insufficient_claims", claims="'), header
    match = re.search(r'claims="([^"]+)"', header)
    assert match is not None
    body = response.json()["error"]
    assert body["code"] == "InvalidAuthenticationToken"
    assert body["message"].startswith("Continuous access evaluation resulted in challenge")
    decoded: dict[str, Any] = json.loads(base64.b64decode(match.group(1)))
    return decoded


def _refresh_with(client: AppClient, refresh_token: str, challenge: dict[str, Any]
                  ) -> httpx.Response:
    """What MSAL sends for ``claims_challenge``: the challenge merged with the capabilities."""
    asked = {"access_token": {**challenge["access_token"], "xms_cc": {"values": ["CP1"]}}}
    return client.post(TOKEN, data={
        "grant_type": "refresh_token", "client_id": CLIENT_ID, "client_secret": SECRET,
        "refresh_token": refresh_token, "scope": "User.Read offline_access",
        "claims": json.dumps(asked)})


@pytest.mark.parametrize("declared", ["CP1", "cp1"])
def test_a_cp1_clients_graph_token_carries_xms_cc_and_lives_up_to_28_hours(
        client: AppClient, declared: str) -> None:
    body = tokens_for(client, claims=json.dumps(
        {"access_token": {"xms_cc": {"values": [declared]}}}))
    token = claims(body["access_token"])
    assert token["xms_cc"] == [declared]
    assert 24 * 3600 <= body["expires_in"] <= 28 * 3600
    assert token["exp"] - token["iat"] == body["expires_in"] == body["ext_expires_in"]
    assert _me(client, body["access_token"]).status_code == 200


def _revoke(client: AppClient) -> None:
    assert client.post(f"{GRAPH}/users/{ALICE}/revokeSignInSessions").status_code == 200


def _reset(client: AppClient) -> None:
    assert client.patch(f"{GRAPH}/users/{ALICE}", json={"passwordProfile": {
        "password": "Reset-Pass-3"}}).status_code == 204


def _disable(client: AppClient) -> None:
    assert client.patch(f"{GRAPH}/users/{ALICE}", json={
        "accountEnabled": False}).status_code == 204


def _delete(client: AppClient) -> None:
    assert client.delete(f"{GRAPH}/users/{ALICE}").status_code == 204


def _authenticator(client: AppClient) -> None:
    assert client.put(f"/_mock/tenants/{TENANT}/users/{ALICE}/authenticator",
                      json={}).status_code == 200


@pytest.mark.parametrize(("event", "refused_with"), [
    (_revoke, 50173), (_reset, 50173), (_delete, 50173), (_disable, 50057),
    (_authenticator, 50076)], ids=["revoked", "reset", "deleted", "disabled", "mfa-enabled"])
def test_after_a_critical_event_graph_challenges_and_the_refresh_is_refused(
        client: AppClient, clock: MockClock, event: Any, refused_with: int) -> None:
    body = tokens_for(client, claims=CP1)
    clock.advance(timedelta(minutes=5))
    event(client)
    challenge = _challenge(_me(client, body["access_token"]))
    nbf = challenge["access_token"]["nbf"]
    assert nbf["essential"] is True and int(nbf["value"]) > claims(body["access_token"])["iat"]
    refused = _refresh_with(client, body["refresh_token"], challenge)
    assert refused.status_code == 400 and refused.json()["error_codes"] == [refused_with]


@pytest.mark.parametrize("event", [_revoke, _disable, _authenticator],
                         ids=["revoked", "disabled", "mfa-enabled"])
def test_a_token_without_cp1_is_not_challenged(client: AppClient, clock: MockClock,
                                               event: Any) -> None:
    token = tokens_for(client)["access_token"]
    clock.advance(timedelta(minutes=5))
    event(client)
    assert _me(client, token).status_code == 200


def test_after_the_users_own_password_change_the_refresh_with_the_challenge_succeeds(
        client: AppClient, clock: MockClock) -> None:
    """A user's own change revokes only public clients' refresh tokens: the confidential
    client's refresh with the challenge gets a new token, which Graph takes."""
    body = tokens_for(client, claims=CP1)
    clock.advance(timedelta(minutes=5))
    client.cookies.clear()
    client.patch(f"{GRAPH}/users/{ALICE}", json={"passwordProfile": {
        "forceChangePasswordNextSignIn": True}})
    page = submit(client, client.get(paths(TENANT, "2.0")["authorize"], params=auth_params()),
                  loginfmt=ALICE, passwd=password(ALICE))
    assert page_kind(page) == "new_password", page.text[:300]
    submit(client, page, **{ids.CURRENT_PASSWORD_NAME: password(ALICE),
                            ids.NEW_PASSWORD_NAME: "Winter-2027 sky",
                            ids.CONFIRM_PASSWORD_NAME: "Winter-2027 sky"})
    challenge = _challenge(_me(client, body["access_token"]))
    renewed = _refresh_with(client, body["refresh_token"], challenge)
    assert renewed.status_code == 200, renewed.text
    fresh = renewed.json()["access_token"]
    assert claims(fresh)["xms_cc"] == ["CP1"]
    assert _me(client, fresh).status_code == 200
