"""The platform inside the full provider: installation secrets work at the token endpoint."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from asgi_client import AppClient
from starlette.applications import Starlette

from mock_idp.clock import MockClock

START = datetime(2026, 3, 2, 9, 30, 15, tzinfo=UTC)
TENANT_ID = "6f2c1a9e-3b7d-4e58-a1c4-92d0b7e5f318"
APP_ID = "2b8e4f61-9c3a-4d7e-b5f2-08a6c1d9e473"

# ``client`` and ``clock`` come from conftest.py: the full provider built by create_app.


@pytest.fixture
def refused_url() -> Iterator[str]:
    """A loopback URL whose port is bound but not listening: connects are refused, race-free."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/events"


def token_status(client: AppClient, secret: str) -> tuple[int, list[int]]:
    response = client.post(
        f"/{TENANT_ID}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": APP_ID,
            "client_secret": secret,
            "scope": "https://graph.microsoft.com/.default",
        },
    )
    return response.status_code, response.json().get("error_codes", [])


@pytest.mark.idp_config(clock=MockClock(frozen_at=START))
def test_installation_secrets_follow_install_rotate_and_uninstall(
    client: AppClient, refused_url: str
) -> None:
    installed = client.post(
        "/_mock/installations",
        json={"app_id": APP_ID, "tenant": TENANT_ID, "events_url": refused_url},
    )
    assert installed.status_code == 201, installed.text
    inst_id = installed.json()["installation"]["installation_id"]
    first = installed.json()["event"]["data"]["client_secret"]
    assert token_status(client, first) == (200, [])

    rotated = client.post(f"/_mock/installations/{inst_id}/rotate",
                          json={"compromised": True}).json()
    second = rotated["event"]["data"]["client_secret"]
    assert token_status(client, first) == (401, [7000215])
    assert token_status(client, second) == (200, [])

    assert client.delete(f"/_mock/installations/{inst_id}").status_code == 200
    assert token_status(client, second) == (401, [7000215])


@pytest.mark.idp_config(clock=MockClock(frozen_at=START))
def test_retries_go_out_on_any_request_once_due(
    client: AppClient, clock: MockClock, refused_url: str, idp_app: Starlette
) -> None:
    keys = client.get("/.well-known/platform-event-keys.json").json()["keys"]
    assert [k["alg"] for k in keys] == ["ES256"]
    body = {"app_id": APP_ID, "tenant": "contoso.onmicrosoft.com", "events_url": refused_url}
    event_id = client.post("/_mock/installations", json=body).json()["event"]["id"]

    clock.advance(timedelta(minutes=4, seconds=59))
    client.get("/.well-known/platform-event-keys.json")
    assert len(client.get("/_mock/deliveries").json()["deliveries"]) == 1

    clock.advance(timedelta(seconds=1))
    client.get("/.well-known/platform-event-keys.json")
    dispatcher = idp_app.state.idp.platform.dispatcher
    queued = [p["attempt"] for p in dispatcher.pending() if not p["in_flight"]]
    assert 2 not in queued  # started (or already made), not waiting for a request
    client.post("/_mock/events/run")  # waits for it
    log = client.get("/_mock/deliveries", params={"event_id": event_id}).json()["deliveries"]
    assert [(d["attempt"], d["error"]) for d in log] == [
        (1, "connection refused"),
        (2, "connection refused"),
    ]
    assert log[1]["at"] == "2026-03-02T09:35:15Z"
    assert log[1]["next_retry_at"] == "2026-03-02T09:45:15Z"
