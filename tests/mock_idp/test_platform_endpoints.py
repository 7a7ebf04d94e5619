"""The platform's control API and event-key JWKS, on a tiny Starlette app."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from asgi_client import AppClient
from cryptography.exceptions import InvalidSignature
from idp_testkit import verify_platform_event
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mock_idp.clock import MockClock
from mock_idp.config import IdpConfig
from mock_idp.endpoints import control
from mock_idp.endpoints.platform import RunDueEvents, routes
from mock_idp.state import IdpState
from mock_idp.store import Store

START = datetime(2026, 3, 2, 9, 30, 15, tzinfo=UTC)
TENANT_ID = "6f2c1a9e-3b7d-4e58-a1c4-92d0b7e5f318"
APP_ID = "2b8e4f61-9c3a-4d7e-b5f2-08a6c1d9e473"
EVENTS_URL = "http://rp.test/events"
INSTALL = {"app_id": APP_ID, "tenant": "contoso.onmicrosoft.com", "events_url": EVENTS_URL}


@dataclass
class Harness:
    client: AppClient
    clock: MockClock
    store: Store
    state: IdpState
    statuses: list[int]
    received: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)

    def install(self) -> dict[str, Any]:
        response = self.client.post("/_mock/installations", json=INSTALL)
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    def verify(self, index: int) -> None:
        verify_platform_event(self.client, *self.received[index])


@pytest.fixture
def harness() -> Iterator[Harness]:
    with open_harness() as opened:
        yield opened


@contextmanager
def open_harness() -> Iterator[Harness]:
    """The platform's routes over a provider at :data:`START`, delivering to a receiver that
    answers with ``statuses`` in turn (the last one from then on)."""
    clock = MockClock(frozen_at=START)
    statuses: list[int] = [200]
    received: list[tuple[bytes, dict[str, str]]] = []

    async def events(request: Request) -> Response:
        received.append((await request.body(), dict(request.headers)))
        return Response(status_code=statuses[min(len(received), len(statuses)) - 1])

    receiver = Starlette(routes=[Route("/events", events, methods=["POST"])])
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=receiver))
    state = IdpState.create(IdpConfig.default(clock=clock), http_client=http)
    app = Starlette(routes=routes,
                    middleware=[Middleware(RunDueEvents, platform=state.platform)])
    app.state.idp = state
    with AppClient(app) as client:
        yield Harness(client=client, clock=clock, store=state.store, state=state,
                      statuses=statuses, received=received)


def test_install_over_http_sends_a_signed_app_installed(harness: Harness) -> None:
    body = harness.install()
    assert set(body) == {"installation", "event", "delivery"}
    inst = body["installation"]
    assert inst["state"] == "installed" and inst["account_id"] == TENANT_ID
    assert body["delivery"]["outcome"] == "delivered" and body["delivery"]["status"] == 200
    ((raw, headers),) = harness.received
    assert json.loads(raw) == body["event"]
    assert headers["content-type"] == "application/json"
    harness.verify(0)
    tampered = raw.replace(b'"api_version":"1"', b'"api_version":"2"')
    harness.received.append((tampered, headers))
    with pytest.raises(InvalidSignature):
        harness.verify(1)

    links = body["event"]["_links"]
    assert links["root"] == {"href": "http://testserver"}
    assert links["token"] == {"href": f"http://testserver/{TENANT_ID}/oauth2/v2.0/token"}
    assert links["self"] == {
        "href": f"http://testserver/apps/{APP_ID}/events/{body['event']['id']}"}
    assert harness.client.get(f"/_mock/events/{body['event']['id']}").json() == body["event"]

    one = harness.client.get(f"/_mock/installations/{inst['installation_id']}").json()
    assert one["installation_id"] == inst["installation_id"] and one["users"] == []
    listed = harness.client.get("/_mock/installations", params={"tenant": TENANT_ID}).json()
    assert [i["installation_id"] for i in listed["installations"]] == [inst["installation_id"]]
    other = harness.client.get("/_mock/installations", params={"app_id": "nope"}).json()
    assert other == {"installations": []}
    events = harness.client.get("/_mock/events", params={"type": "app.installed"}).json()
    assert events == {"events": [body["event"]]}


def test_retries_over_http_follow_the_clock(harness: Harness) -> None:
    harness.statuses[:] = [500, 500, 200]
    event_id = harness.install()["event"]["id"]

    harness.clock.advance(timedelta(minutes=4, seconds=59))
    run = harness.client.post("/_mock/events/run").json()
    assert run["attempts"] == []
    assert run["pending"][0]["due_at"] == "2026-03-02T09:35:15Z"
    assert len(harness.received) == 1

    harness.clock.advance(timedelta(seconds=1))
    harness.client.get("/_mock/events")  # any request starts what is due
    queued = [p["attempt"] for p in harness.state.platform.dispatcher.pending()
              if not p["in_flight"]]
    assert 2 not in queued  # started (or already made), not waiting for a request
    harness.client.post("/_mock/events/run")  # waits for what is in flight
    assert len(harness.received) == 2

    harness.clock.advance(timedelta(minutes=10))
    run = harness.client.post("/_mock/events/run").json()
    assert [a["attempt"] for a in run["attempts"]] == [3]
    assert run["pending"] == []
    assert len({raw for raw, _ in harness.received}) == 1
    harness.verify(2)

    log = harness.client.get("/_mock/deliveries", params={"event_id": event_id}).json()
    assert [(d["attempt"], d["status"], d["outcome"]) for d in log["deliveries"]] == [
        (1, 500, "retry_scheduled"),
        (2, 500, "retry_scheduled"),
        (3, 200, "delivered"),
    ]


def test_rotate_uninstall_and_logout_over_http(harness: Harness) -> None:
    inst_id = harness.install()["installation"]["installation_id"]
    app = harness.store.tenants[TENANT_ID].apps[APP_ID]

    rotated = harness.client.post(f"/_mock/installations/{inst_id}/rotate")
    assert rotated.status_code == 200
    new_secret = rotated.json()["event"]["data"]["client_secret"]
    assert new_secret in [s.value for s in app.secrets]

    alice = harness.store.tenants[TENANT_ID].find_user("alice@contoso.onmicrosoft.com")
    assert alice is not None
    logout = harness.client.post(
        f"/_mock/installations/{inst_id}/logout",
        json={"user_id": "alice@contoso.onmicrosoft.com",
              "user_email": "alice@contoso.onmicrosoft.com"},
    )
    assert logout.status_code == 200
    assert logout.json()["event"]["data"]["user_id"] == alice.id  # her platform user id

    deleted = harness.client.delete(f"/_mock/installations/{inst_id}")
    assert deleted.status_code == 200
    assert deleted.json()["installation"]["state"] == "uninstalled"
    assert new_secret not in [s.value for s in app.secrets]
    types = [json.loads(raw)["type"] for raw, _ in harness.received]
    assert types == ["app.installed", "app.credentials_rotated", "user.logout", "app.uninstalled"]

    again = harness.client.delete(f"/_mock/installations/{inst_id}")
    assert again.status_code == 409
    assert again.json()["error"]["field"] == "installation_id"


def test_redeliver_posts_the_same_event_again(harness: Harness) -> None:
    event_id = harness.install()["event"]["id"]
    response = harness.client.post(f"/_mock/events/{event_id}/redeliver")
    assert response.status_code == 200
    assert response.json()["delivery"]["redelivery"] is True
    assert harness.received[0][0] == harness.received[1][0]
    missing = harness.client.post(f"/_mock/events/{'0' * 32}/redeliver")
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "event_id"


def test_event_key_rotation_keeps_the_old_key_published(harness: Harness) -> None:
    old = harness.client.get("/.well-known/platform-event-keys.json").json()["keys"][0]["kid"]
    rotated = harness.client.post("/_mock/event-keys/rotate", json={"retain_seconds": 60})
    assert rotated.status_code == 200
    assert [k["kid"] for k in rotated.json()["keys"]] == [rotated.json()["kid"], old]
    harness.install()
    assert harness.received[0][1]["x-hub-ecdsa-signature-id"] == rotated.json()["kid"]
    harness.verify(0)
    harness.clock.advance(timedelta(seconds=60))
    keys = harness.client.get("/.well-known/platform-event-keys.json").json()["keys"]
    assert [k["kid"] for k in keys] == [rotated.json()["kid"]]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "field"),
    [
        ("POST", "/_mock/installations", {"tenant": TENANT_ID}, 400, "app_id"),
        ("POST", "/_mock/installations", {"app_id": APP_ID}, 400, "tenant"),
        ("POST", "/_mock/installations", {**INSTALL, "app_id": 7}, 400, "app_id"),
        ("POST", "/_mock/installations", {**INSTALL, "events_url": "nope"}, 400, "events_url"),
        ("POST", "/_mock/installations", {**INSTALL, "events_url": ["x"]}, 400, "events_url"),
        ("POST", "/_mock/installations", {**INSTALL, "colour": "red"}, 400, "colour"),
        ("POST", "/_mock/installations", {**INSTALL, "tenant": "fabrikam.com"}, 404, "tenant"),
        ("POST", "/_mock/installations", {**INSTALL, "app_id": "x"}, 404, "app_id"),
        ("POST", "/_mock/installations", [INSTALL], 400, "body"),
        ("POST", "/_mock/installations/" + "0" * 32 + "/rotate", None, 404, "installation_id"),
        ("DELETE", "/_mock/installations/" + "0" * 32, None, 404, "installation_id"),
        ("GET", "/_mock/installations/" + "0" * 32, None, 404, "installation_id"),
        ("GET", "/_mock/events/" + "0" * 32, None, 404, "event_id"),
        ("GET", "/_mock/installations?tenant=fabrikam.com", None, 404, "tenant"),
        ("POST", "/_mock/event-keys/rotate", {"retain_seconds": -1}, 400, "retain_seconds"),
        ("POST", "/_mock/event-keys/rotate", {"retain_seconds": True}, 400, "retain_seconds"),
    ],
)
def test_bad_requests_get_a_4xx_naming_the_field(
    harness: Harness, method: str, path: str, body: Any, status: int, field: str | None
) -> None:
    response = harness.client.request(method, path, json=body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["message"]
    assert error.get("field") == field
    assert harness.received == []


def test_field_errors_on_an_existing_installation(harness: Harness) -> None:
    inst_id = harness.install()["installation"]["installation_id"]
    cases = [
        (f"/_mock/installations/{inst_id}/rotate", {"compromised": "yes"}, "compromised"),
        (f"/_mock/installations/{inst_id}/logout", {"user_id": "a"}, "user_email"),
        (f"/_mock/installations/{inst_id}/logout", {"user_email": "a@b"}, "user_id"),
        (f"/_mock/installations/{inst_id}/logout", {"user_id": "", "user_email": "a"}, "user_id"),
        (f"/_mock/installations/{inst_id}/logout", {"user_id": "a", "user_email": "\x00"},
         "user_email"),
        (f"/_mock/installations/{inst_id}/logout", {"user_id": "a", "user_email": "alice"},
         "user_email"),
        (f"/_mock/installations/{inst_id}/logout", {"user_id": "a\x00", "user_email": "a@b.c"},
         "user_id"),
    ]
    for path, body, field_name in cases:
        response = harness.client.post(path, json=body)
        assert response.status_code == 400, (path, body)
        assert response.json()["error"]["field"] == field_name
    duplicate = harness.client.post("/_mock/installations", json=INSTALL)
    assert duplicate.status_code == 409 and duplicate.json()["error"]["field"] == "app_id"
    assert len(harness.received) == 1


@pytest.mark.parametrize("app_id", ["a/b", "app?x=1", "app#1", "app id", "appé", "..", "."])
def test_an_app_id_that_cannot_be_a_path_segment_is_refused(harness: Harness,
                                                            app_id: str) -> None:
    response = harness.client.post("/_mock/installations",
                                   json={**INSTALL, "app_id": app_id, "client_id": APP_ID})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["field"] == "app_id"
    assert harness.received == []


def test_a_forged_logout_links_its_user_id_as_one_path_segment(harness: Harness) -> None:
    inst_id = harness.install()["installation"]["installation_id"]
    forged = harness.client.post(f"/_mock/installations/{inst_id}/forged-events",
                                 json={"type": "user.logout", "user_id": "u/../x?y#z",
                                       "user_email": "u@contoso.test"})
    assert forged.status_code == 200, forged.text
    event = forged.json()["event"]
    assert event["data"]["user_id"] == "u/../x?y#z"
    assert event["_links"]["user"]["href"] == "http://testserver/users/u%2F..%2Fx%3Fy%23z"


@pytest.mark.parametrize("user_id", ["..", ".", "a..b", "alice-oid", "0" * 24,
                                     "alice@fabrikam.onmicrosoft.com"])
def test_a_logout_for_anyone_but_a_user_of_the_account_is_refused(harness: Harness,
                                                                   user_id: str) -> None:
    """The platform signs out its own users only: a ``user_id`` that is not a user of the
    installation's tenant (by object id or userPrincipalName) is 404 naming it, and nothing
    is sent."""
    inst_id = harness.install()["installation"]["installation_id"]
    received, events = len(harness.received), harness.client.get("/_mock/events").json()
    logout = harness.client.post(f"/_mock/installations/{inst_id}/logout",
                                 json={"user_id": user_id, "user_email": "u@contoso.test"})
    assert logout.status_code == 404, logout.text
    assert logout.json()["error"]["field"] == "user_id"
    assert logout.json()["error"]["message"]
    assert len(harness.received) == received
    assert harness.client.get("/_mock/events").json() == events


@pytest.mark.parametrize("user_id", ["..", "."])
def test_a_forged_logout_for_a_dot_segment_user_id_is_refused(harness: Harness,
                                                              user_id: str) -> None:
    """A URL parser resolves ``users/..`` to another path, however the dots are spelt: the
    user link could not name the user, so nothing is sent."""
    inst_id = harness.install()["installation"]["installation_id"]
    received = len(harness.received)
    forged = harness.client.post(f"/_mock/installations/{inst_id}/forged-events",
                                 json={"type": "user.logout", "user_id": user_id,
                                       "user_email": "u@contoso.test"})
    assert forged.status_code == 400, forged.text
    assert forged.json()["error"]["field"] == "user_id"
    assert len(harness.received) == received
    allowed = harness.client.post(f"/_mock/installations/{inst_id}/forged-events",
                                  json={"type": "user.logout", "user_id": "a..b",
                                        "user_email": "u@contoso.test"})
    assert allowed.status_code == 200, allowed.text


def test_malformed_json_is_a_400(harness: Harness) -> None:
    response = harness.client.post(
        "/_mock/installations", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]["message"]


@pytest.mark.parametrize("forgery", ["unknown_key", "tampered", "unsigned"])
def test_a_forged_event_is_well_formed_but_not_validly_signed(harness: Harness,
                                                              forgery: str) -> None:
    """Delivered once, logged with its forgery, never retried nor stored for redelivery."""
    harness.install()
    inst_id = harness.state.platform.registry.all()[0].installation_id
    harness.statuses[:] = [200, 401]
    response = harness.client.post(f"/_mock/installations/{inst_id}/forged-events", json={
        "type": "user.logout", "forgery": forgery, "user_id": "alice-oid",
        "user_email": "alice@contoso.onmicrosoft.com"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["delivery"]["status"] == 401 and body["delivery"]["outcome"] == "failed"
    assert body["delivery"]["forgery"] == forgery and body["delivery"]["next_retry_at"] is None
    raw, headers = harness.received[1]
    event = json.loads(raw)
    assert event == body["event"]
    assert event["type"] == "user.logout" and event["app_id"] == APP_ID
    assert event["data"]["installation_id"] == inst_id
    if forgery == "unsigned":
        assert "x-hub-ecdsa-signature" not in headers
    elif forgery == "unknown_key":
        published = harness.client.get("/.well-known/platform-event-keys.json").json()["keys"]
        assert headers["x-hub-ecdsa-signature-id"] not in {k["kid"] for k in published}
    else:
        with pytest.raises(InvalidSignature):
            harness.verify(1)
    harness.clock.advance(timedelta(hours=1))
    assert harness.client.post("/_mock/events/run").json() == {"attempts": [], "pending": []}
    log = harness.client.get("/_mock/deliveries", params={"event_id": event["id"]}).json()
    assert [d["forgery"] for d in log["deliveries"]] == [forgery]
    missing = harness.client.post(f"/_mock/events/{event['id']}/redeliver")
    assert missing.status_code == 404


def test_a_forged_lifecycle_event_changes_nothing_at_the_platform(harness: Harness) -> None:
    inst_id = harness.install()["installation"]["installation_id"]
    response = harness.client.post(f"/_mock/installations/{inst_id}/forged-events",
                                   json={"type": "app.uninstalled"})
    assert response.status_code == 200, response.text
    assert response.json()["delivery"]["forgery"] == "unknown_key"
    assert json.loads(harness.received[1][0])["type"] == "app.uninstalled"
    state = harness.client.get(f"/_mock/installations/{inst_id}").json()["state"]
    assert state == "installed"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({}, 400, "type"),
        ({"type": "app.exploded"}, 400, "type"),
        ({"type": "app.uninstalled", "forgery": "nope"}, 400, "forgery"),
        ({"type": "user.logout"}, 400, "user_id"),
        ({"type": "user.logout", "user_id": "x"}, 400, "user_email"),
        ({"type": "app.installed", "user_id": "x"}, 400, "user_id"),
        ({"type": "app.installed", "extra": 1}, 400, "extra"),
    ],
)
def test_a_forged_event_request_is_checked_field_by_field(
        harness: Harness, body: dict[str, Any], status: int, field: str) -> None:
    inst_id = harness.install()["installation"]["installation_id"]
    response = harness.client.post(f"/_mock/installations/{inst_id}/forged-events", json=body)
    assert response.status_code == status, response.text
    assert response.json()["error"]["field"] == field, response.text
    assert len(harness.received) == 1


def test_a_forged_event_for_an_unknown_or_removed_installation_is_refused(
        harness: Harness) -> None:
    unknown = harness.client.post(f"/_mock/installations/{'0' * 32}/forged-events",
                                  json={"type": "app.uninstalled"})
    assert unknown.status_code == 404 and unknown.json()["error"]["field"] == "installation_id"
    inst_id = harness.install()["installation"]["installation_id"]
    harness.client.delete(f"/_mock/installations/{inst_id}")
    removed = harness.client.post(f"/_mock/installations/{inst_id}/forged-events",
                                  json={"type": "app.uninstalled"})
    assert removed.status_code == 409 and removed.json()["error"]["field"] == "installation_id"


def test_a_deleted_tenants_installations_are_gone(harness: Harness) -> None:
    """An installation belongs to its tenant (its account): deleting the tenant drops it, so
    the calls on it answer 404 and send nothing (a tenant made again under the same id starts
    with none)."""
    inst_id = harness.install()["installation"]["installation_id"]
    app = Starlette(routes=control.routes)
    app.state.idp = harness.state
    with AppClient(app) as controls:
        assert controls.delete(f"/_mock/tenants/{TENANT_ID}").status_code == 204
    assert harness.client.get("/_mock/installations").json() == {"installations": []}
    sent = len(harness.received)
    for action, body in (("rotate", {}), ("logout", {"user_id": "x", "user_email": "x@y.z"}),
                         ("update", {"subscription": {"licenses": 3}}),
                         ("forged-events", {"type": "app.uninstalled"})):
        response = harness.client.post(f"/_mock/installations/{inst_id}/{action}", json=body)
        assert response.status_code == 404, (action, response.text)
        assert response.json()["error"]["field"] == "installation_id"
    assert harness.client.get(f"/_mock/installations/{inst_id}").status_code == 404
    assert harness.client.delete(f"/_mock/installations/{inst_id}").status_code == 404
    assert len(harness.received) == sent
