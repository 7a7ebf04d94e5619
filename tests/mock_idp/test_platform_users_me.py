"""The installation's userinfo link, ``GET /users/me``: who signed in, with the platform user id
that ``user.logout`` names."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from asgi_client import AppClient
from idp_testkit import ALICE, CLIENT_ID, TENANT, claims, tokens_for

from mock_idp.faults import InjectedDrop


@pytest.fixture
def refused_url() -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/events"


def _install(client: AppClient, events_url: str) -> dict[str, Any]:
    installed = client.post("/_mock/installations", json={
        "app_id": CLIENT_ID, "tenant": TENANT, "events_url": events_url})
    assert installed.status_code == 201, installed.text
    body: dict[str, Any] = installed.json()
    return body


def test_the_userinfo_link_names_the_platform_user(client: AppClient, refused_url: str) -> None:
    installed = _install(client, refused_url)
    link = installed["event"]["_links"]["userinfo"]["href"]
    assert link == "http://testserver/users/me"
    tokens = tokens_for(client)
    id_claims = claims(tokens["id_token"])
    response = client.get(link, headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert response.status_code == 200, response.text
    user = response.json()
    assert user["id"] == id_claims["oid"]
    assert user["sub"] == id_claims["sub"]
    assert user["name"] == "Alice Adams" and user["email"] == ALICE
    logout = client.post(
        f"/_mock/installations/{installed['installation']['installation_id']}/logout",
        json={"user_id": user["id"], "user_email": ALICE})
    assert logout.json()["event"]["data"]["user_id"] == user["id"]


def test_the_userinfo_link_needs_a_user_token_of_an_installed_app(
        client: AppClient, refused_url: str) -> None:
    token = tokens_for(client)["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    missing = client.get("/users/me")
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "InvalidAuthenticationToken"
    not_installed = client.get("/users/me", headers=bearer)
    assert not_installed.status_code == 403
    assert not_installed.json()["error"]["code"] == "Authorization_RequestDenied"
    installation_id = _install(client, refused_url)["installation"]["installation_id"]
    assert client.get("/users/me", headers=bearer).status_code == 200
    assert client.delete(f"/_mock/installations/{installation_id}").status_code == 200
    assert client.get("/users/me", headers=bearer).status_code == 403


def test_a_fault_armed_at_userinfo_reaches_the_userinfo_link(
        client: AppClient, refused_url: str) -> None:
    """``/users/me`` answers what UserInfo would: the armed fault's answer, never a 500 of its
    own."""
    _install(client, refused_url)
    bearer = {"Authorization": f"Bearer {tokens_for(client)['access_token']}"}
    armed = client.post("/_mock/faults", json={"kind": "drop", "endpoint": "userinfo"})
    assert armed.status_code == 201, armed.text
    with pytest.raises(InjectedDrop):
        client.get("/users/me", headers=bearer)
    client.post("/_mock/faults", json={"kind": "status", "endpoint": "userinfo", "status": 503})
    unavailable = client.get("/users/me", headers=bearer)
    assert unavailable.status_code == 503
    assert unavailable.json()["error"] == "temporarily_unavailable"
    assert client.get("/users/me", headers=bearer).status_code == 200
