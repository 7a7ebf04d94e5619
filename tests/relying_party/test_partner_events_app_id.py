"""The platform signs every partner app's events with one key set, so a signature alone does
not say an event is for this app: only events whose ``app_id`` is ``Settings.partner_app_id``
are applied. Another app's event is refused (403, naming ``app_id``) and leaves no trace."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from asgi_client import AppClient
from fake_op import APP_ID, TID, USERS, FakeOp, event, sign_event
from rp_support import INSTALLATION, RpHarness, install, installed_body, launch, post_event
from test_rp_with_mock_idp import CLIENT_ID as MOCK_CLIENT_ID
from test_rp_with_mock_idp import RP, World, open_world
from test_rp_with_mock_idp import TID as MOCK_TID

from relying_party import Settings, create_app
from relying_party.__main__ import parse_args

OTHER_APP = "0c1d2e3f405162738495a6b7c8d9e0f1"


def installations(rp: RpHarness) -> list[dict[str, Any]]:
    body: list[dict[str, Any]] = rp.client.get("/api/admin/installations").json()
    return body


def with_app_id(body: bytes, app_id: object) -> bytes:
    envelope = json.loads(body)
    if app_id is None:
        del envelope["app_id"]
    else:
        envelope["app_id"] = app_id
    return json.dumps(envelope).encode()


def test_another_apps_install_is_refused_and_leaves_no_trace(rp: RpHarness) -> None:
    body = installed_body(rp)
    foreign = with_app_id(body, OTHER_APP)
    response = post_event(rp, foreign)
    assert response.status_code == 403, response.text
    assert response.json()["error"] == "wrong_app"
    assert "app_id" in response.json()["fields"]
    assert installations(rp) == []
    # its id was not recorded: the same event id for this app (ids are compared ignoring
    # case) is processed afresh
    assert post_event(rp, with_app_id(body, APP_ID.upper())).json()["status"] == "processed"
    assert installations(rp)[0]["app_id"] == APP_ID.upper()


EVENTS: dict[str, Callable[[RpHarness], bytes]] = {
    "app.credentials_rotated": lambda rp: event("app.credentials_rotated", {
        "installation_id": INSTALLATION, "client_id": "attacker-client",
        "client_secret": "attacker-secret"}, created_at=rp.clock.now(), app_id=OTHER_APP),
    "app.uninstalled": lambda rp: event("app.uninstalled", {
        "installation_id": INSTALLATION, "account_id": TID}, created_at=rp.clock.now(),
        app_id=OTHER_APP),
    "user.logout": lambda rp: event("user.logout", {
        "installation_id": INSTALLATION, "user_id": USERS["alice"].oid},
        created_at=rp.clock.now(), app_id=OTHER_APP),
}


@pytest.mark.parametrize("event_type", sorted(EVENTS))
def test_another_apps_events_change_nothing(rp: RpHarness, event_type: str) -> None:
    install(rp)
    assert launch(rp).status_code == 303
    before = installations(rp)
    response = post_event(rp, EVENTS[event_type](rp))
    assert response.status_code == 403, response.text
    assert response.json()["fields"] == {"app_id": "is not this partner app's id"}
    assert installations(rp) == before
    assert rp.me().status_code == 200


@pytest.mark.parametrize("app_id", [None, "", 5, "a\u202eb"])
def test_missing_or_malformed_app_id_is_400_naming_it(rp: RpHarness, app_id: object) -> None:
    response = post_event(rp, with_app_id(installed_body(rp), app_id))
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "event_malformed"
    assert list(response.json()["fields"]) == ["app_id"]
    assert installations(rp) == []


def test_events_refused_without_a_configured_app_id(
    make_settings: Callable[..., Settings], op: FakeOp
) -> None:
    settings = make_settings(partner_app_id=None)
    with AppClient(create_app(settings, http_client=op.http_client())) as client:
        body = event("app.uninstalled", {"installation_id": "x"},
                     created_at=settings.clock.now())
        response = client.post("/events", content=body, headers=sign_event(body))
        assert response.status_code == 401
        assert "partner app id" in response.json()["error_description"]


def test_cli_takes_the_partner_app_id() -> None:
    assert parse_args([]).partner_app_id is None
    assert parse_args(["--partner-app-id", APP_ID]).partner_app_id == APP_ID


# -- against the mock platform -------------------------------------------------------------------


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    yield from open_world(tmp_path)


def test_mock_platform_install_of_another_partner_app_is_refused(world: World) -> None:
    """Another partner app on the same platform points its events URL at this RP (or replays
    its own signed ``app.installed`` here): nothing is stored, and this app's own install still
    works."""
    other = world.idp.post(f"/graph/{MOCK_TID}/v1.0/applications", json={
        "displayName": "Another partner app",
        "web": {"redirectUris": [f"{RP}/auth/callback"]}})
    assert other.status_code == 201, other.text
    installed = world.idp.post("/_mock/installations", json={
        "app_id": other.json()["appId"], "tenant": MOCK_TID, "events_url": f"{RP}/events"})
    assert installed.status_code == 201, installed.text
    assert world.rp.get("/api/admin/installations").json() == []
    ours = world.idp.post("/_mock/installations", json={
        "app_id": MOCK_CLIENT_ID, "tenant": MOCK_TID, "events_url": f"{RP}/events"})
    assert ours.status_code == 201, ours.text
    [stored] = world.rp.get("/api/admin/installations").json()
    assert stored["app_id"] == MOCK_CLIENT_ID and stored["client_id"] == MOCK_CLIENT_ID

