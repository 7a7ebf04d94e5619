"""The control API's ``foreign_app`` forgery: an event the platform validly signs that names
another partner app's ``app_id``, as another partner could post one of its own events to this
app (the platform signs every app's events with the same keys)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from test_platform_endpoints import APP_ID, TENANT_ID, Harness, open_harness

OTHER_APP = "0c1d2e3f405162738495a6b7c8d9e0f1"


@pytest.fixture
def harness() -> Iterator[Harness]:
    with open_harness() as opened:
        yield opened


def forge(harness: Harness, installation_id: str, **body: Any) -> dict[str, Any]:
    response = harness.client.post(f"/_mock/installations/{installation_id}/forged-events",
                                   json={"forgery": "foreign_app", **body})
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_a_foreign_user_logout_is_validly_signed_and_names_the_other_app(
        harness: Harness) -> None:
    installed = harness.install()["installation"]
    inst_id = installed["installation_id"]
    harness.statuses[:] = [200, 403]
    body = forge(harness, inst_id, type="user.logout", app_id=OTHER_APP, user_id="alice-oid",
                 user_email="alice@contoso.onmicrosoft.com")
    assert body["delivery"]["status"] == 403 and body["delivery"]["forgery"] == "foreign_app"
    assert body["delivery"]["next_retry_at"] is None
    harness.verify(1)
    event = json.loads(harness.received[1][0])
    assert event == body["event"] and event["app_id"] == OTHER_APP
    assert event["data"] == {"account_id": TENANT_ID, "user_id": "alice-oid",
                             "user_email": "alice@contoso.onmicrosoft.com",
                             "installation_id": inst_id}
    assert f"/apps/{OTHER_APP}/installations/{inst_id}" in (
        event["_links"]["installation"]["href"])
    harness.clock.advance(timedelta(hours=1))
    assert harness.client.post("/_mock/events/run").json() == {"attempts": [], "pending": []}
    assert harness.client.post(f"/_mock/events/{event['id']}/redeliver").status_code == 404


def test_a_foreign_app_installed_carries_the_other_apps_credentials_and_changes_nothing(
        harness: Harness) -> None:
    """Signed with the platform's key; this installation and account, but another app's id,
    version and credentials. The installation at the platform is as it was."""
    installed = harness.install()["installation"]
    inst_id = installed["installation_id"]
    body = forge(harness, inst_id, type="app.installed")
    harness.verify(1)
    event = json.loads(harness.received[1][0])
    assert event == body["event"] and event["type"] == "app.installed"
    assert event["app_id"] not in (APP_ID, APP_ID.lower()) and len(event["app_id"]) == 32
    assert event["app_version_id"] != installed["app_version_id"]
    data = event["data"]
    assert data["installation_id"] == inst_id and data["account_id"] == TENANT_ID
    for name in ("client_id", "client_secret", "key_id", "private_key"):
        assert data[name] and data[name] != installed[name], name
    assert harness.client.get(f"/_mock/installations/{inst_id}").json()["client_id"] == (
        installed["client_id"])
    events = harness.client.get("/_mock/events").json()["events"]
    assert [e["type"] for e in events] == ["app.installed"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "user.logout", "user_id": "a", "user_email": "a@b.test",
          "forgery": "unknown_key", "app_id": OTHER_APP}, "app_id"),
        ({"type": "app.installed", "app_id": APP_ID.upper()}, "app_id"),
        ({"type": "app.installed", "app_id": "a/b"}, "app_id"),
        ({"type": "app.installed", "app_id": ".."}, "app_id"),
        ({"type": "app.installed", "app_id": "a" * 65}, "app_id"),
        ({"type": "app.installed", "app_id": ""}, "app_id"),
        ({"type": "app.installed", "app_id": 7}, "app_id"),
    ],
)
def test_a_foreign_event_request_names_a_wrong_app_id(harness: Harness, body: dict[str, Any],
                                                      field: str) -> None:
    """``app_id`` goes with ``foreign_app`` only, and is another app's id, a path segment of
    the Apps API."""
    inst_id = harness.install()["installation"]["installation_id"]
    response = harness.client.post(f"/_mock/installations/{inst_id}/forged-events",
                                   json={"forgery": "foreign_app", **body})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["field"] == field, response.text
    assert len(harness.received) == 1
