"""One active installation per (app, tenant) at the platform: app ids compare ignoring case, and
an app registration (``client_id``) has one active installation per tenant, whatever ``app_id``
the install names. A refused install stores nothing and sends nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from asgi_client import AppClient
from test_platform_trials import events_url

TENANT_ID = "6f2c1a9e-3b7d-4e58-a1c4-92d0b7e5f318"
CLIENT_ID = "2b8e4f61-9c3a-4d7e-b5f2-08a6c1d9e473"
APP = f"/graph/{TENANT_ID}/v1.0/applications(appId='{CLIENT_ID}')"
__all__ = ["events_url"]  # a fixture shared with the trial tests


def install(client: AppClient, events_url: str, **body: str) -> httpx.Response:
    return client.post("/_mock/installations",
                       json={"tenant": TENANT_ID, "events_url": events_url, **body})


def platform_state(client: AppClient) -> tuple[Any, ...]:
    """Installations, events, delivery attempts and the registration's secrets."""
    return (client.get("/_mock/installations").json(), client.get("/_mock/events").json(),
            client.get("/_mock/deliveries").json(), client.get(APP).json()["passwordCredentials"])


@pytest.mark.parametrize(("body", "field"), [
    ({"app_id": CLIENT_ID.upper(), "client_id": CLIENT_ID}, "app_id"),
    ({"app_id": CLIENT_ID.upper()}, "app_id"),
    ({"app_id": "totally-made-up", "client_id": CLIENT_ID}, "client_id"),
    ({"app_id": "totally-made-up", "client_id": CLIENT_ID.upper()}, "client_id"),
])
def test_a_second_active_installation_of_one_registration_is_refused(
        client: AppClient, events_url: str, body: dict[str, str], field: str) -> None:
    assert install(client, events_url, app_id=CLIENT_ID).status_code == 201
    before = platform_state(client)

    refused = install(client, events_url, **body)
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "Conflict"
    assert refused.json()["error"]["field"] == field
    assert platform_state(client) == before


def test_an_installation_named_by_app_id_is_refused_when_its_registration_is_installed(
        client: AppClient, events_url: str) -> None:
    """The registration installed under an app id of its own: installing it by its client id
    (no ``client_id`` given) names ``app_id``, the field the request named it by."""
    first = install(client, events_url, app_id="partner-app", client_id=CLIENT_ID)
    assert first.status_code == 201, first.text
    assert first.json()["event"]["app_id"] == "partner-app"
    refused = install(client, events_url, app_id=CLIENT_ID)
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["field"] == "app_id"


def test_the_registration_installs_again_once_uninstalled(
        client: AppClient, events_url: str) -> None:
    first = install(client, events_url, app_id=CLIENT_ID).json()["installation"]
    assert client.delete(f"/_mock/installations/{first['installation_id']}").status_code == 200
    again = install(client, events_url, app_id="partner-app", client_id=CLIENT_ID)
    assert again.status_code == 201, again.text
    assert again.json()["installation"]["installation_id"] != first["installation_id"]
