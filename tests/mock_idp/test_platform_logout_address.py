"""``POST /_mock/installations/{id}/logout``: the ``user_email`` a genuine ``user.logout``
carries is the platform account's address (partner-sso.md b.7). It may be one the provider does
not know, but not another user's of the tenant: such an event would name two people at once."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from asgi_client import AppClient
from idp_testkit import ALICE, BOB, CLIENT_ID, TENANT

GRAPH = f"/graph/{TENANT}/v1.0"


@pytest.fixture
def installation(client: AppClient) -> Iterator[str]:
    with socket.socket() as sock:  # an events URL that refuses: deliveries fail, quickly
        sock.bind(("127.0.0.1", 0))
        installed = client.post("/_mock/installations", json={
            "app_id": CLIENT_ID, "tenant": TENANT,
            "events_url": f"http://127.0.0.1:{sock.getsockname()[1]}/events"})
        assert installed.status_code == 201, installed.text
        yield installed.json()["installation"]["installation_id"]


def _logouts(client: AppClient) -> int:
    events = client.get("/_mock/events", params={"type": "user.logout"}).json()
    return len(events["events"] if isinstance(events, dict) else events)


@pytest.mark.parametrize("address", [BOB, BOB.upper()])
def test_a_logout_naming_another_users_address_is_refused(client: AppClient,
                                                          installation: str,
                                                          address: str) -> None:
    before = _logouts(client)
    logout = client.post(f"/_mock/installations/{installation}/logout",
                         json={"user_id": ALICE, "user_email": address})
    assert logout.status_code == 400, logout.text
    assert logout.json()["error"]["field"] == "user_email"
    assert _logouts(client) == before


@pytest.mark.parametrize("address", [ALICE, ALICE.upper(), "alice@platform-accounts.example"])
def test_a_logout_with_the_users_own_or_a_platform_address_is_sent(client: AppClient,
                                                                  installation: str,
                                                                  address: str) -> None:
    logout = client.post(f"/_mock/installations/{installation}/logout",
                         json={"user_id": ALICE, "user_email": address})
    assert logout.status_code == 200, logout.text
    assert logout.json()["event"]["data"]["user_email"] == address
    assert _logouts(client) == 1


def test_another_users_mail_that_is_not_their_upn_is_refused_too(client: AppClient,
                                                                 installation: str) -> None:
    changed = client.patch(f"{GRAPH}/users/{BOB}", json={"mail": "robert@contoso.example"})
    assert changed.status_code == 204, changed.text
    logout = client.post(f"/_mock/installations/{installation}/logout",
                         json={"user_id": ALICE, "user_email": "Robert@contoso.example"})
    assert logout.status_code == 400, logout.text
    assert logout.json()["error"]["field"] == "user_email"
