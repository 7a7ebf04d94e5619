"""``app.updated``: the platform tells an installed app whose licence changed and how its
subscription changed (``POST /_mock/installations/{id}/update``), on a tiny Starlette app."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from asgi_client import AppClient
from idp_testkit import ALICE, BOB, CLIENT_ID, TENANT, tokens_for, verify_platform_event
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mock_idp.clock import MockClock
from mock_idp.config import IdpConfig
from mock_idp.endpoints.platform import RunDueEvents, routes
from mock_idp.state import IdpState

START = datetime(2026, 3, 2, 9, 30, 15, tzinfo=UTC)
TENANT_ID = "6f2c1a9e-3b7d-4e58-a1c4-92d0b7e5f318"
DOMAIN = "contoso.onmicrosoft.com"
APP_ID = "2b8e4f61-9c3a-4d7e-b5f2-08a6c1d9e473"
INSTALL = {"app_id": APP_ID, "tenant": DOMAIN, "events_url": "http://rp.test/events"}
LIFECYCLE_KEYS = ["id", "created_at", "api_version", "type", "app_id",
                  "app_version_id", "app_version_name", "data", "_links"]


@dataclass
class Harness:
    client: AppClient
    state: IdpState
    received: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)
    installation_id: str = ""

    def oid(self, upn: str) -> str:
        user = self.state.store.tenants[TENANT_ID].find_user(upn)
        assert user is not None
        return user.id

    def update(self, body: Any, installation_id: str | None = None) -> httpx.Response:
        return self.client.post(
            f"/_mock/installations/{installation_id or self.installation_id}/update", json=body)

    def installation(self) -> dict[str, Any]:
        found: dict[str, Any] = self.client.get(
            f"/_mock/installations/{self.installation_id}").json()
        return found

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(raw) for raw, _ in self.received]

    def verify(self, index: int) -> None:
        """What a receiver does: check the signature with the published key it names."""
        verify_platform_event(self.client, *self.received[index])


@pytest.fixture
def harness() -> Iterator[Harness]:
    received: list[tuple[bytes, dict[str, str]]] = []

    async def events(request: Request) -> Response:
        received.append((await request.body(), dict(request.headers)))
        return Response(status_code=200)

    receiver = Starlette(routes=[Route("/events", events, methods=["POST"])])
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=receiver))
    state = IdpState.create(IdpConfig.default(clock=MockClock(frozen_at=START)),
                            http_client=http)
    app = Starlette(routes=routes,
                    middleware=[Middleware(RunDueEvents, platform=state.platform)])
    app.state.idp = state
    with AppClient(app) as client:
        harness = Harness(client=client, state=state, received=received)
        installed = client.post("/_mock/installations", json=INSTALL)
        assert installed.status_code == 201, installed.text
        harness.installation_id = installed.json()["installation"]["installation_id"]
        yield harness


def test_users_only(harness: Harness) -> None:
    response = harness.update({"users": {"adding": [ALICE]}})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"installation", "event", "delivery"}
    assert body["delivery"]["outcome"] == "delivered"
    event = body["event"]
    assert list(event) == LIFECYCLE_KEYS
    assert event["type"] == "app.updated" and event["api_version"] == "1"
    assert event["app_id"] == APP_ID and event["created_at"] == "2026-03-02T09:30:15Z"
    installed = harness.events()[0]
    assert event["app_version_id"] == installed["app_version_id"]
    assert event["app_version_name"] == installed["app_version_name"] == "1.0.0"
    assert event["data"] == {
        "installation_id": harness.installation_id,
        "account_id": TENANT_ID,
        "account_name": DOMAIN,
        "users": {"adding": [harness.oid(ALICE)], "removing": []},
    }
    assert event["_links"] == {
        "root": {"href": "http://testserver"},
        "self": {"href": f"http://testserver/apps/{APP_ID}/events/{event['id']}"},
    }
    assert harness.client.get(f"/_mock/events/{event['id']}").json() == event

    (raw, headers) = harness.received[1]
    assert json.loads(raw) == event and headers["content-type"] == "application/json"
    harness.verify(1)


def test_subscription_only(harness: Harness) -> None:
    licenses = harness.update({"subscription": {"licenses": 10}}).json()["event"]
    assert licenses["data"] == {
        "installation_id": harness.installation_id,
        "account_id": TENANT_ID,
        "account_name": DOMAIN,
        "subscription": {"adding": {"licenses": "10"}},
    }
    name = harness.update({"subscription": {"name": "Paid Plus"}}).json()["event"]
    assert name["data"]["subscription"] == {"adding": {"name": "Paid Plus"}}
    assert "users" not in name["data"]
    harness.verify(1)
    harness.verify(2)
    assert harness.installation()["subscription"] == {"name": "Paid Plus", "licenses": 10}


def test_users_and_subscription(harness: Harness) -> None:
    response = harness.update({"users": {"removing": [BOB]},
                               "subscription": {"name": "Paid Plus", "licenses": 0}})
    assert response.status_code == 200, response.text
    data = response.json()["event"]["data"]
    assert list(data) == ["installation_id", "account_id", "account_name", "users",
                          "subscription"]
    assert data["users"] == {"adding": [], "removing": [harness.oid(BOB)]}
    assert data["subscription"] == {"adding": {"name": "Paid Plus", "licenses": "0"}}
    harness.verify(1)


def test_users_are_named_by_upn_or_object_id_and_sent_as_object_ids(harness: Harness) -> None:
    alice, bob = harness.oid(ALICE), harness.oid(BOB)
    response = harness.update({"users": {"adding": [ALICE.upper(), alice, bob.upper()]}})
    assert response.status_code == 200, response.text
    assert response.json()["event"]["data"]["users"] == {"adding": [alice, bob], "removing": []}


def test_the_installation_keeps_who_lost_the_licence_and_the_subscription(
        harness: Harness) -> None:
    alice, bob = harness.oid(ALICE), harness.oid(BOB)
    assert harness.installation()["unlicensed_users"] == []
    assert harness.installation()["subscription"] is None

    removed = harness.update({"users": {"removing": [ALICE, bob]},
                              "subscription": {"name": "Paid Plus"}}).json()
    assert removed["installation"]["unlicensed_users"] == sorted([alice, bob])
    assert removed["installation"]["subscription"] == {"name": "Paid Plus", "licenses": None}

    added = harness.update({"users": {"adding": [alice]}, "subscription": {"licenses": 5}})
    assert added.json()["installation"]["unlicensed_users"] == [bob]
    one = harness.installation()
    assert one["unlicensed_users"] == [bob]
    assert one["subscription"] == {"name": "Paid Plus", "licenses": 5}
    (listed,) = harness.client.get("/_mock/installations").json()["installations"]
    assert listed["unlicensed_users"] == [bob] and listed["subscription"] == one["subscription"]
    rotated = harness.client.post(f"/_mock/installations/{harness.installation_id}/rotate")
    assert rotated.json()["installation"]["unlicensed_users"] == [bob]


def test_uninstalling_forgets_licences_and_subscription(harness: Harness) -> None:
    harness.update({"users": {"removing": [ALICE]}, "subscription": {"licenses": 3}})
    gone = harness.client.delete(f"/_mock/installations/{harness.installation_id}").json()
    assert gone["installation"]["unlicensed_users"] == []
    assert gone["installation"]["subscription"] is None
    assert harness.installation()["unlicensed_users"] == []


def _bodies() -> list[tuple[Any, int, str]]:
    """Refused bodies; ``<alice>`` / ``<bob>`` stand for those users' object ids."""
    return [
        ({}, 400, "users"),
        (None, 400, "users"),  # an empty body
        ({"users": {}}, 400, "users"),
        ({"users": {"adding": [], "removing": []}}, 400, "users"),
        ({"users": None, "subscription": None}, 400, "users"),
        ({"users": {"adding": ["nobody@contoso.onmicrosoft.com"]}}, 404, "users.adding[0]"),
        ({"users": {"removing": [ALICE, "0" * 32]}}, 404, "users.removing[1]"),
        ({"users": {"adding": [ALICE], "removing": ["<alice>"]}}, 400, "users"),
        ({"users": {"adding": ALICE}}, 400, "users.adding"),
        ({"users": {"adding": None}}, 400, "users.adding"),
        ({"users": {"adding": [7]}}, 400, "users.adding[0]"),
        ({"users": {"removing": [BOB, ""]}}, 400, "users.removing[1]"),
        ({"users": {"adding": ["x" * 257]}}, 400, "users.adding[0]"),
        ({"users": {"adding": [ALICE] * 1001}}, 400, "users.adding"),
        ({"users": [ALICE]}, 400, "users"),
        ({"users": {"adding": [ALICE], "colour": []}}, 400, "users.colour"),
        ({"subscription": {}}, 400, "subscription"),
        ({"subscription": {"name": None}}, 400, "subscription"),
        ({"subscription": "Paid Plus"}, 400, "subscription"),
        ({"subscription": {"name": ""}}, 400, "subscription.name"),
        ({"subscription": {"name": "  "}}, 400, "subscription.name"),
        ({"subscription": {"name": "x" * 257}}, 400, "subscription.name"),
        ({"subscription": {"name": 10}}, 400, "subscription.name"),
        ({"subscription": {"licenses": -1}}, 400, "subscription.licenses"),
        ({"subscription": {"licenses": 10_000_001}}, 400, "subscription.licenses"),
        ({"subscription": {"licenses": "10"}}, 400, "subscription.licenses"),
        ({"subscription": {"licenses": 1.5}}, 400, "subscription.licenses"),
        ({"subscription": {"licenses": True}}, 400, "subscription.licenses"),
        ({"subscription": {"seats": 3}}, 400, "subscription.seats"),
        ({"users": {"removing": [ALICE]}, "subscription": {"licenses": -1}},
         400, "subscription.licenses"),
        ({"users": {"removing": [ALICE, "ghost"]}, "subscription": {"licenses": 1}},
         404, "users.removing[1]"),
        ({"users": {"removing": [ALICE]}, "plan": "x"}, 400, "plan"),
        ([{"users": {"removing": [ALICE]}}], 400, "body"),
    ]


@pytest.mark.parametrize(("body", "status", "field_name"), _bodies())
def test_a_refused_update_names_the_field_sends_nothing_and_changes_nothing(
        harness: Harness, body: Any, status: int, field_name: str) -> None:
    harness.update({"users": {"removing": [BOB]}, "subscription": {"name": "Basic"}})
    before = harness.installation()
    text = "" if body is None else json.dumps(body).replace("<alice>", harness.oid(ALICE))
    response = harness.client.post(f"/_mock/installations/{harness.installation_id}/update",
                                   content=text, headers={"content-type": "application/json"})
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["field"] == field_name, error
    assert error["message"]
    assert len(harness.received) == 2
    assert len(harness.client.get("/_mock/events").json()["events"]) == 2
    assert harness.installation() == before


def test_an_uninstalled_or_unknown_installation_is_refused(harness: Harness) -> None:
    unknown = harness.update({"users": {"adding": [ALICE]}}, installation_id="0" * 32)
    assert unknown.status_code == 404
    assert unknown.json()["error"]["field"] == "installation_id"
    assert harness.client.delete(f"/_mock/installations/{harness.installation_id}").is_success
    removed = harness.update({"users": {"adding": [ALICE]}})
    logout = harness.client.post(f"/_mock/installations/{harness.installation_id}/logout",
                                 json={"user_id": "a", "user_email": ALICE})
    assert removed.status_code == logout.status_code == 409
    assert removed.json()["error"]["field"] == "installation_id"
    assert removed.json()["error"]["code"] == logout.json()["error"]["code"]
    assert [e["type"] for e in harness.events()] == ["app.installed", "app.uninstalled"]
    assert harness.installation()["unlicensed_users"] == []


def test_a_forged_app_updated_is_delivered_with_a_bad_signature(harness: Harness) -> None:
    alice = harness.oid(ALICE)
    response = harness.client.post(
        f"/_mock/installations/{harness.installation_id}/forged-events",
        json={"type": "app.updated", "user_id": alice})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["delivery"]["forgery"] == "unknown_key"
    raw, headers = harness.received[1]
    event = json.loads(raw)
    assert event == body["event"] and list(event) == LIFECYCLE_KEYS
    assert event["type"] == "app.updated"
    assert event["data"]["users"] == {"adding": [], "removing": [alice]}
    assert "subscription" not in event["data"]
    published = harness.client.get("/.well-known/platform-event-keys.json").json()["keys"]
    assert headers["x-hub-ecdsa-signature-id"] not in {k["kid"] for k in published}
    assert harness.installation()["unlicensed_users"] == []


@pytest.mark.parametrize(
    ("body", "field_name"),
    [
        ({"type": "app.updated"}, "user_id"),
        ({"type": "app.updated", "user_id": "a", "user_email": ALICE}, "user_email"),
        ({"type": "app.installed", "user_id": "a"}, "user_id"),
        ({"type": "user.logout", "user_id": "a"}, "user_email"),
    ],
)
def test_a_forged_event_request_names_the_field_it_lacks_or_should_not_have(
        harness: Harness, body: dict[str, Any], field_name: str) -> None:
    response = harness.client.post(
        f"/_mock/installations/{harness.installation_id}/forged-events", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["field"] == field_name
    assert len(harness.received) == 1


def test_reset_forgets_licences_and_subscriptions(harness: Harness) -> None:
    harness.update({"users": {"removing": [ALICE]}, "subscription": {"licenses": 3}})
    harness.state.platform.reset()
    assert harness.client.get(
        f"/_mock/installations/{harness.installation_id}").status_code == 404
    again = harness.client.post("/_mock/installations", json=INSTALL).json()["installation"]
    assert again["unlicensed_users"] == [] and again["subscription"] is None


@pytest.fixture
def refused_url() -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/events"


def test_an_unlicensed_user_still_signs_in_and_reads_users_me(
        client: AppClient, refused_url: str) -> None:
    """Authentication does not imply authorization: refusing the user is the app's job."""
    installed = client.post("/_mock/installations", json={
        "app_id": CLIENT_ID, "tenant": TENANT, "events_url": refused_url}).json()
    installation_id = installed["installation"]["installation_id"]
    removed = client.post(f"/_mock/installations/{installation_id}/update",
                          json={"users": {"removing": [ALICE]}})
    assert removed.status_code == 200, removed.text
    tokens = tokens_for(client)
    me = client.get("/users/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 200, me.text
    assert removed.json()["installation"]["unlicensed_users"] == [me.json()["id"]]
    reset = client.post("/_mock/reset")
    assert reset.status_code == 200, reset.text
    assert client.get("/_mock/installations").json() == {"installations": []}
