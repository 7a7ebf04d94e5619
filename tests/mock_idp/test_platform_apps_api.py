"""The platform's Apps API inside the full provider: an app approves or rejects its installation
and acknowledges rotated credentials, with a client-credentials token of its installation; and
a routine rotation's grace period for the secret it replaced."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from asgi_client import AppClient
from idp_testkit import HYBRID_CLIENT_ID, HYBRID_SECRET, hybrid_config

from mock_idp.clock import MockClock

START = datetime(2026, 3, 2, 9, 30, 15, tzinfo=UTC)
TENANT_ID = "6f2c1a9e-3b7d-4e58-a1c4-92d0b7e5f318"
APP_ID = "2b8e4f61-9c3a-4d7e-b5f2-08a6c1d9e473"
"""The reference relying party's registration, installed as the partner app."""


@pytest.fixture
def idp_config() -> Any:
    """The default directory, with a second app whose token is not the installation's."""
    return hybrid_config(clock=MockClock(frozen_at=START))


@pytest.fixture
def events_url() -> Iterator[str]:
    """A loopback URL whose port is bound but not listening: deliveries fail, race-free."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/events"


def token(client: AppClient, secret: str, client_id: str = APP_ID) -> Any:
    return client.post(f"/{TENANT_ID}/oauth2/v2.0/token", data={
        "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret,
        "scope": "https://graph.microsoft.com/.default"})


def access_token(client: AppClient, secret: str, client_id: str = APP_ID) -> str:
    response = token(client, secret, client_id)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def error_codes(client: AppClient, secret: str) -> list[int]:
    response = token(client, secret)
    return [] if response.status_code == 200 else list(response.json()["error_codes"])


def install(client: AppClient, events_url: str) -> dict[str, Any]:
    response = client.post("/_mock/installations",
                           json={"app_id": APP_ID, "tenant": TENANT_ID, "events_url": events_url})
    assert response.status_code == 201, response.text
    installation: dict[str, Any] = response.json()["installation"]
    return installation


def set_state(client: AppClient, installation: dict[str, Any], bearer: str | None,
              body: Any, *, app_id: str = APP_ID) -> Any:
    headers = {} if bearer is None else {"Authorization": f"Bearer {bearer}"}
    return client.post(f"/apps/{app_id}/installations/{installation['installation_id']}/state",
                       json=body, headers=headers)


def acknowledge(client: AppClient, installation: dict[str, Any], bearer: str,
                body: Any = None, *, client_id: str = APP_ID) -> Any:
    path = (f"/apps/{APP_ID}/installations/{installation['installation_id']}"
            f"/credentials/{client_id}/state")
    return client.post(path, json={"state": "acknowledged"} if body is None else body,
                       headers={"Authorization": f"Bearer {bearer}"})


def current(client: AppClient, installation: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = client.get(
        f"/_mock/installations/{installation['installation_id']}").json()
    return found


def refused(response: Any, status: int, field: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"code", "message", "fields"}, body
    assert body["fields"] == [{"name": field, "description": body["message"]}], body


# --- the installation's state -------------------------------------------------------------------


def test_an_installation_awaits_approval_and_the_app_approves_it(
        client: AppClient, events_url: str) -> None:
    installation = install(client, events_url)
    assert installation["approval"] == {
        "state": "pending", "reason": None, "updated_at": "2026-03-02T09:30:15Z",
        "deadline": "2026-03-09T09:30:15Z"}
    bearer = access_token(client, installation["client_secret"])

    approved = set_state(client, installation, bearer, {"state": "approve"})
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert (body["state"], body["reason"], body["updated_at"]) == (
        "completed", None, "2026-03-02T09:30:15Z")
    assert body["_links"]["self"]["href"].endswith(
        f"/apps/{APP_ID}/installations/{installation['installation_id']}/state")
    assert current(client, installation)["approval"]["state"] == "completed"
    assert set_state(client, installation, bearer, {"state": "approve"}).status_code == 200
    refused(set_state(client, installation, bearer, {"state": "reject"}), 409, "state")
    assert current(client, installation)["state"] == "installed"


def test_a_rejected_installation_ends_and_its_secret_stops_working(
        client: AppClient, events_url: str) -> None:
    installation = install(client, events_url)
    bearer = access_token(client, installation["client_secret"])
    rejected = set_state(client, installation, bearer,
                         {"state": "reject", "reason": "no seats left"})
    assert rejected.status_code == 200, rejected.text
    assert (rejected.json()["state"], rejected.json()["reason"]) == ("rejected", "no seats left")
    shown = current(client, installation)
    assert shown["state"] == "rejected" and shown["approval"]["state"] == "rejected"
    assert error_codes(client, installation["client_secret"]) == [7000215]
    events = [e["type"] for e in client.get("/_mock/events").json()["events"]]
    assert events == ["app.installed"]  # the app asked: no app.uninstalled
    refused(set_state(client, installation, bearer, {"state": "approve"}), 409,
            "installation_id")
    assert install(client, events_url)["installation_id"] != installation["installation_id"]


def test_an_installation_nobody_approves_times_out_after_seven_days(
        client: AppClient, clock: MockClock, events_url: str) -> None:
    installation = install(client, events_url)
    clock.advance(timedelta(days=7, seconds=-1))
    bearer = access_token(client, installation["client_secret"])
    assert current(client, installation)["approval"]["state"] == "pending"
    clock.advance(timedelta(seconds=1))
    assert current(client, installation)["approval"]["state"] == "timeout"
    assert information(client, installation, bearer).json()["_embedded"]["state"]["state"] == (
        "timeout")
    refused(set_state(client, installation, bearer, {"state": "approve"}), 409, "state")


def test_the_customer_installs_again_once_an_installation_timed_out(
        client: AppClient, clock: MockClock, events_url: str) -> None:
    """Talkdesk: once an installation times out unconfirmed, the customer can repeat the
    process (docs.talkdesk.com/docs/app-enablement). A new install ends the timed-out one
    (``timeout``, its secret removed, no ``app.uninstalled``); before the deadline, or once
    approved, the installation still stands in the way (409)."""
    installation = install(client, events_url)
    clock.advance(timedelta(days=7, seconds=-1))
    early = client.post("/_mock/installations", json={
        "app_id": APP_ID, "tenant": TENANT_ID, "events_url": events_url})
    assert early.status_code == 409, early.text
    clock.advance(timedelta(seconds=1))
    events = [e["type"] for e in client.get("/_mock/events").json()["events"]]

    again = install(client, events_url)
    assert again["installation_id"] != installation["installation_id"]
    old = current(client, installation)
    assert (old["state"], old["approval"]["state"]) == ("timeout", "timeout")
    assert old["uninstalled_at"] is not None
    assert error_codes(client, installation["client_secret"]) == [7000215]
    assert error_codes(client, again["client_secret"]) == []
    assert [e["type"] for e in client.get("/_mock/events").json()["events"]] == [
        *events, "app.installed"]
    approve = set_state(client, again, access_token(client, again["client_secret"]),
                        {"state": "approve"})
    assert approve.status_code == 200, approve.text
    clock.advance(timedelta(days=8))
    approved_blocks = client.post("/_mock/installations", json={
        "app_id": APP_ID, "tenant": TENANT_ID, "events_url": events_url})
    assert approved_blocks.status_code == 409, approved_blocks.text


def test_the_apps_api_takes_only_the_installations_own_app_only_token(
        client: AppClient, clock: MockClock, events_url: str) -> None:
    installation = install(client, events_url)
    own = access_token(client, installation["client_secret"])
    other = access_token(client, HYBRID_SECRET, HYBRID_CLIENT_ID)
    refused(set_state(client, installation, None, {"state": "approve"}), 401, "Authorization")
    assert set_state(client, installation, None, {}).headers["www-authenticate"].startswith(
        "Bearer")
    refused(set_state(client, installation, "not.a.token", {"state": "approve"}), 401,
            "Authorization")
    refused(set_state(client, installation, other, {"state": "approve"}), 403, "Authorization")
    refused(set_state(client, installation, own, {"state": "approve"}, app_id=HYBRID_CLIENT_ID),
            404, "app_id")
    unknown = {"installation_id": "0" * 32}
    refused(set_state(client, unknown, own, {"state": "approve"}), 404, "installation_id")
    clock.advance(timedelta(hours=2))  # past the token's lifetime
    refused(set_state(client, installation, own, {"state": "approve"}), 401, "Authorization")
    assert current(client, installation)["approval"]["state"] == "pending"


@pytest.mark.parametrize(("body", "field"), [
    ({}, "state"), ({"state": "approved"}, "state"), ({"state": 1}, "state"),
    ({"state": "approve", "reason": "x" * 1001}, "reason"),
    ({"state": "approve", "reason": "\u202eevil"}, "reason"),
    ({"state": "approve", "extra": 1}, "extra"), ([], "body"),
])
def test_a_malformed_state_change_is_refused_naming_the_field(
        client: AppClient, events_url: str, body: Any, field: str) -> None:
    installation = install(client, events_url)
    bearer = access_token(client, installation["client_secret"])
    refused(set_state(client, installation, bearer, body), 400, field)
    assert current(client, installation)["approval"]["state"] == "pending"


def test_the_apps_api_answers_other_methods_and_paths_in_its_own_shape(
        client: AppClient, events_url: str) -> None:
    installation = install(client, events_url)
    path = f"/apps/{APP_ID}/installations/{installation['installation_id']}/state"
    response = client.get(path)
    refused(response, 405, "method")
    assert response.headers["allow"] == "POST"
    refused(client.get(f"/apps/{APP_ID}/nothing"), 404, "path")


# --- reading the installation ----------------------------------------------------------------


def information(client: AppClient, installation: dict[str, Any], bearer: str | None, *,
                app_id: str = APP_ID) -> Any:
    headers = {} if bearer is None else {"Authorization": f"Bearer {bearer}"}
    return client.get(f"/apps/{app_id}/installations/{installation['installation_id']}",
                      headers=headers)


def test_the_app_reads_its_installation_and_the_state_of_its_approval(
        client: AppClient, clock: MockClock, events_url: str) -> None:
    installation = install(client, events_url)
    bearer = access_token(client, installation["client_secret"])
    response = information(client, installation, bearer)
    assert response.status_code == 200, response.text
    url = f"http://testserver/apps/{APP_ID}/installations/{installation['installation_id']}"
    assert response.json() == {
        "id": installation["installation_id"], "app_id": APP_ID, "account_id": TENANT_ID,
        "scopes": ["openid", "apps:read", "apps:write"], "auto_provision_filters": [],
        "created_at": "2026-03-02T09:30:15Z",
        "_embedded": {"state": {"state": "pending", "reason": None,
                                "updated_at": "2026-03-02T09:30:15Z",
                                "_links": {"self": {"href": f"{url}/state"}}}},
        "_links": {"self": {"href": url}}}
    clock.advance(timedelta(minutes=5))
    assert set_state(client, installation, bearer, {"state": "approve", "reason": "ok"}
                     ).status_code == 200
    state = information(client, installation, bearer).json()["_embedded"]["state"]
    assert (state["state"], state["reason"], state["updated_at"]) == (
        "completed", "ok", "2026-03-02T09:35:15Z")


def test_reading_an_installation_takes_its_own_token_and_its_own_app(
        client: AppClient, events_url: str) -> None:
    installation = install(client, events_url)
    own = access_token(client, installation["client_secret"])
    other = access_token(client, HYBRID_SECRET, HYBRID_CLIENT_ID)
    refused(information(client, installation, None), 401, "Authorization")
    refused(information(client, installation, other), 403, "Authorization")
    refused(information(client, installation, own, app_id=HYBRID_CLIENT_ID), 404, "app_id")
    refused(information(client, {"installation_id": "0" * 32}, own), 404, "installation_id")
    refused(client.post(f"/apps/{APP_ID}/installations/{installation['installation_id']}",
                        headers={"Authorization": f"Bearer {own}"}), 405, "method")


def test_an_events_installation_link_is_the_installation_on_the_apps_api(
        client: AppClient, events_url: str) -> None:
    installation = install(client, events_url)
    logout = client.post(f"/_mock/installations/{installation['installation_id']}/logout",
                         json={"user_id": "alice@contoso.onmicrosoft.com",
                               "user_email": "alice@contoso.onmicrosoft.com"})
    assert logout.status_code == 200, logout.text
    link = logout.json()["event"]["_links"]["installation"]["href"]
    bearer = access_token(client, installation["client_secret"])
    followed = client.get(link, headers={"Authorization": f"Bearer {bearer}"})
    assert followed.status_code == 200, followed.text
    assert followed.json()["id"] == installation["installation_id"]


def test_an_events_self_link_is_the_event_on_the_apps_api(
        client: AppClient, events_url: str) -> None:
    """``_links.self`` is ``{root}/apps/{app_id}/events/{id}`` (docs.talkdesk.com/reference/
    app-installed), and the mock answers there, for the installation's own token, with the
    event as it was sent."""
    made = client.post("/_mock/installations",
                       json={"app_id": APP_ID, "tenant": TENANT_ID, "events_url": events_url})
    event = made.json()["event"]
    link = event["_links"]["self"]["href"]
    assert link == f"{event['_links']['root']['href']}/apps/{APP_ID}/events/{event['id']}"
    own = access_token(client, made.json()["installation"]["client_secret"])
    followed = client.get(link, headers={"Authorization": f"Bearer {own}"})
    assert followed.status_code == 200, followed.text
    assert followed.json() == event
    other = access_token(client, HYBRID_SECRET, HYBRID_CLIENT_ID)
    refused(client.get(link), 401, "Authorization")
    refused(client.get(link, headers={"Authorization": f"Bearer {other}"}), 403, "Authorization")
    for path in (f"/apps/{APP_ID}/events/{'0' * 32}",
                 f"/apps/{HYBRID_CLIENT_ID}/events/{event['id']}"):
        refused(client.get(path, headers={"Authorization": f"Bearer {own}"}), 404, "event_id")


def test_a_logouts_user_link_is_the_user_on_the_api_root(
        client: AppClient, events_url: str) -> None:
    """``_links.user`` is ``{root}/users/{user_id}`` (docs.talkdesk.com/reference/userlogout),
    and the mock answers there for the installation's app-only token."""
    installation = install(client, events_url)
    logout = client.post(f"/_mock/installations/{installation['installation_id']}/logout",
                         json={"user_id": "alice@contoso.onmicrosoft.com",
                               "user_email": "alice@contoso.onmicrosoft.com"})
    assert logout.status_code == 200, logout.text
    event = logout.json()["event"]
    user_id = event["data"]["user_id"]
    link = event["_links"]["user"]["href"]
    assert link == f"{event['_links']['root']['href']}/users/{user_id}"
    own = access_token(client, installation["client_secret"])
    followed = client.get(link, headers={"Authorization": f"Bearer {own}"})
    assert followed.status_code == 200, followed.text
    assert followed.json() == {"id": user_id, "email": "alice@contoso.onmicrosoft.com",
                               "name": followed.json()["name"], "active": True,
                               "_links": {"self": {"href": link}}}
    assert followed.json()["name"]
    other = access_token(client, HYBRID_SECRET, HYBRID_CLIENT_ID)
    refused(client.get(link), 401, "Authorization")
    refused(client.get(link, headers={"Authorization": f"Bearer {other}"}), 403, "Authorization")
    for unknown in ("0" * 24, "alice@contoso.onmicrosoft.com", "%2E%2E"):
        refused(client.get(f"/users/{unknown}", headers={"Authorization": f"Bearer {own}"}),
                404, "user_id")
    assert client.delete(f"/_mock/installations/{installation['installation_id']}"
                         ).status_code == 200
    refused(client.get(link, headers={"Authorization": f"Bearer {own}"}), 403, "Authorization")


# --- rotated credentials ------------------------------------------------------------------------


def test_a_routine_rotation_leaves_the_old_secret_working_until_acknowledged(
        client: AppClient, clock: MockClock, events_url: str) -> None:
    installation = install(client, events_url)
    old = installation["client_secret"]
    assert installation["credentials"]["state"] == "issued"
    refused(acknowledge(client, installation, access_token(client, old)), 409, "state")

    clock.advance(timedelta(days=1))
    rotated = client.post(f"/_mock/installations/{installation['installation_id']}/rotate")
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["installation"]["client_secret"]
    assert rotated.json()["installation"]["credentials"] == {
        "state": "pending", "rotated_at": "2026-03-03T09:30:15Z",
        "previous_secret_key_id": installation["secret_key_id"],
        "grace_ends_at": "2026-03-10T09:30:15Z", "acknowledged_at": None}
    assert error_codes(client, old) == [] and error_codes(client, new) == []

    bearer = access_token(client, new)
    refused(acknowledge(client, installation, bearer, {"state": "approve"}), 400, "state")
    refused(acknowledge(client, installation, bearer, client_id=HYBRID_CLIENT_ID), 404,
            "client_id")
    clock.advance(timedelta(minutes=5))
    acknowledged = acknowledge(client, installation, bearer)
    assert acknowledged.status_code == 202, acknowledged.text
    assert acknowledged.json()["state"] == "acknowledged"
    assert error_codes(client, old) == [7000215] and error_codes(client, new) == []
    credentials = current(client, installation)["credentials"]
    assert (credentials["state"], credentials["acknowledged_at"]) == (
        "acknowledged", "2026-03-03T09:35:15Z")
    assert acknowledge(client, installation, bearer).status_code == 202  # again: no change


def test_without_an_acknowledgement_the_old_secret_expires_with_the_grace_period(
        client: AppClient, clock: MockClock, events_url: str) -> None:
    installation = install(client, events_url)
    old = installation["client_secret"]
    rotated = client.post(f"/_mock/installations/{installation['installation_id']}/rotate")
    new = rotated.json()["installation"]["client_secret"]
    clock.advance(timedelta(days=7, seconds=-1))
    assert error_codes(client, old) == []
    clock.advance(timedelta(seconds=1))
    assert error_codes(client, old) == [7000222]  # expired
    assert current(client, installation)["credentials"]["state"] == "grace_ended"
    assert acknowledge(client, installation, access_token(client, new)).status_code == 202
    assert current(client, installation)["credentials"]["state"] == "acknowledged"


def test_a_compromised_rotation_ends_the_old_secret_at_once(
        client: AppClient, events_url: str) -> None:
    installation = install(client, events_url)
    old = installation["client_secret"]
    rotated = client.post(f"/_mock/installations/{installation['installation_id']}/rotate",
                          json={"compromised": True})
    assert rotated.json()["installation"]["credentials"]["state"] == "revoked"
    assert error_codes(client, old) == [7000215]


def test_a_second_rotation_ends_the_secret_the_first_left_in_its_grace_period(
        client: AppClient, events_url: str) -> None:
    installation = install(client, events_url)
    first = installation["client_secret"]
    rotate = f"/_mock/installations/{installation['installation_id']}/rotate"
    second = client.post(rotate).json()["installation"]["client_secret"]
    third = client.post(rotate).json()["installation"]["client_secret"]
    assert error_codes(client, first) == [7000215]
    assert error_codes(client, second) == [] and error_codes(client, third) == []
    assert client.delete(f"/_mock/installations/{installation['installation_id']}").is_success
    assert error_codes(client, second) == [7000215] and error_codes(client, third) == [7000215]
