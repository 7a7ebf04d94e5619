"""The platform's trials inside the full provider: a trial chosen at the install starts when the
app approves the installation (``app.trial_started``), can be extended
(``app.trial_extended``), and ends when a test says so or the app is uninstalled
(``app.trial_ended``), with Talkdesk's members."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from asgi_client import AppClient
from test_platform_apps_api import APP_ID, TENANT_ID, access_token, set_state

from mock_idp.clock import MockClock

START = datetime(2026, 3, 2, 9, 30, 15, tzinfo=UTC)
pytestmark = pytest.mark.usefixtures("fresh_clock")


@pytest.fixture
def fresh_clock(clock: MockClock) -> Iterator[None]:
    clock.set(START)
    clock.freeze()
    yield


@pytest.fixture
def events_url() -> Iterator[str]:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/events"


def install(client: AppClient, events_url: str, **extra: Any) -> dict[str, Any]:
    response = client.post("/_mock/installations", json={
        "app_id": APP_ID, "tenant": TENANT_ID, "events_url": events_url, **extra})
    assert response.status_code == 201, response.text
    installation: dict[str, Any] = response.json()["installation"]
    return installation


def approve(client: AppClient, installation: dict[str, Any], state: str = "approve") -> None:
    bearer = access_token(client, installation["client_secret"])
    assert set_state(client, installation, bearer, {"state": state}).status_code == 200


def sent(client: AppClient, event_type: str | None = None) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = client.get("/_mock/events").json()["events"]
    return [e for e in events if event_type is None or e["type"] == event_type]


def trial(client: AppClient, installation: dict[str, Any], body: Any) -> Any:
    return client.post(f"/_mock/installations/{installation['installation_id']}/trial",
                       json=body)


def shown(client: AppClient, installation: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = client.get(
        f"/_mock/installations/{installation['installation_id']}").json()["trial"]
    return found


def test_a_trial_starts_when_the_app_approves_the_installation(
        client: AppClient, clock: MockClock, events_url: str) -> None:
    installation = install(client, events_url, trial_days=30)
    assert shown(client, installation) == {
        "days": 30, "state": "offered", "started_at": None, "expires_at": None,
        "ended_at": None, "ended_reason": None, "ended_by": None}
    clock.advance(timedelta(hours=1))
    approve(client, installation)
    [started] = sent(client, "app.trial_started")
    assert started["data"] == {"installation_id": installation["installation_id"],
                               "account_id": TENANT_ID, "expires_at": "2026-04-01T10:30:15Z"}
    assert started["created_at"] == "2026-03-02T10:30:15Z"
    assert set(started["_links"]) == {"root", "self", "installation"}
    assert started["_links"]["installation"]["href"].endswith(
        f"/apps/{APP_ID}/installations/{installation['installation_id']}")
    assert {"app_version_id", "app_version_name"} <= set(started)
    assert shown(client, installation)["state"] == "active"
    approve(client, installation)  # approving again starts nothing
    assert len(sent(client, "app.trial_started")) == 1


def test_an_extension_then_the_end_of_the_trial(
        client: AppClient, clock: MockClock, events_url: str) -> None:
    installation = install(client, events_url, trial_days=30)
    approve(client, installation)
    extended = trial(client, installation, {"action": "extend", "days": 10})
    assert extended.status_code == 200, extended.text
    assert extended.json()["event"]["type"] == "app.trial_extended"
    assert extended.json()["event"]["data"]["expires_at"] == "2026-04-11T09:30:15Z"
    clock.advance(timedelta(days=40))
    assert shown(client, installation)["state"] == "expired"  # past its end, not yet ended
    ended = trial(client, installation, {"action": "end"})
    assert ended.status_code == 200, ended.text
    event = ended.json()["event"]
    assert event["type"] == "app.trial_ended"
    assert event["data"] == {
        "installation_id": installation["installation_id"], "account_id": TENANT_ID,
        "expires_at": event["created_at"], "ended_at": "2026-04-11T09:30:15Z",
        "ended_reason": "trial_expired", "ended_by": "system"}
    assert (shown(client, installation)["state"], shown(client, installation)["ended_by"]) == (
        "ended", "system")
    refused = trial(client, installation, {"action": "extend", "days": 5})
    assert refused.status_code == 409 and refused.json()["error"]["field"] == "trial"


def read_trial(client: AppClient, installation: dict[str, Any]) -> Any:
    """``GET …/trial`` on the Apps API, with a token of the installation's client."""
    bearer = access_token(client, installation["client_secret"])
    return client.get(f"/apps/{APP_ID}/installations/{installation['installation_id']}/trial",
                      headers={"Authorization": f"Bearer {bearer}"})


def test_the_app_reads_its_trial_on_the_apps_api_as_it_goes(
        client: AppClient, clock: MockClock, events_url: str) -> None:
    installation = install(client, events_url, trial_days=30)
    offered = read_trial(client, installation)
    assert offered.status_code == 200, offered.text
    url = f"http://testserver/apps/{APP_ID}/installations/{installation['installation_id']}"
    assert offered.json() == {
        "state": "offered", "started_at": None, "expires_at": None, "ended_at": None,
        "ended_reason": None, "subscription_name": None,
        "_links": {"self": {"href": f"{url}/trial"}, "installation": {"href": url}}}
    approve(client, installation)
    [started] = sent(client, "app.trial_started")
    assert read_trial(client, installation).json()["expires_at"] == "2026-04-01T09:30:15Z"
    clock.advance(timedelta(days=31))
    assert read_trial(client, installation).json()["state"] == "expired"
    updated = client.post(f"/_mock/installations/{installation['installation_id']}/update",
                          json={"subscription": {"name": "Paid Plus", "licenses": 10}})
    assert updated.status_code == 200, updated.text
    assert trial(client, installation, {"action": "end"}).status_code == 200
    ended = read_trial(client, installation).json()
    assert (ended["state"], ended["ended_reason"], ended["ended_at"]) == (
        "ended", "trial_expired", "2026-04-02T09:30:15Z")
    assert ended["subscription_name"] == "Paid Plus"


def test_an_installation_without_a_trial_has_none_to_read(
        client: AppClient, events_url: str) -> None:
    plain = install(client, events_url)
    response = read_trial(client, plain)
    assert response.status_code == 404, response.text
    assert response.json()["fields"] == [{"name": "trial",
                                          "description": "the installation has no trial"}]


def test_an_upgrade_ends_the_trial_by_the_user(client: AppClient, events_url: str) -> None:
    installation = install(client, events_url, trial_days=14)
    approve(client, installation)
    ended = trial(client, installation, {"action": "end", "reason": "plan_upgraded"})
    assert ended.json()["event"]["data"]["ended_by"] == "user"
    assert ended.json()["event"]["data"]["ended_reason"] == "plan_upgraded"


def test_uninstalling_during_a_trial_ends_it_first(client: AppClient, events_url: str) -> None:
    installation = install(client, events_url, trial_days=30)
    approve(client, installation)
    assert client.delete(f"/_mock/installations/{installation['installation_id']}").is_success
    types = [e["type"] for e in sent(client)]
    assert types == ["app.installed", "app.trial_started", "app.trial_ended",
                     "app.uninstalled"]
    [ended] = sent(client, "app.trial_ended")
    assert (ended["data"]["ended_reason"], ended["data"]["ended_by"]) == (
        "app_uninstalled", "user")


def test_no_trial_without_one_chosen_nor_for_a_rejected_installation(
        client: AppClient, events_url: str) -> None:
    plain = install(client, events_url)
    assert shown(client, plain) is None
    approve(client, plain)
    refused = trial(client, plain, {"action": "end"})
    assert refused.status_code == 409 and refused.json()["error"]["field"] == "trial"
    assert client.delete(f"/_mock/installations/{plain['installation_id']}").is_success
    offered = install(client, events_url, trial_days=30)
    not_yet = trial(client, offered, {"action": "extend", "days": 1})
    assert not_yet.status_code == 409 and "offered" in not_yet.json()["error"]["message"]
    approve(client, offered, "reject")
    assert sent(client, "app.trial_started") == []


@pytest.mark.parametrize(("body", "field"), [
    ({"trial_days": 0}, "trial_days"), ({"trial_days": 366}, "trial_days"),
    ({"trial_days": 1.5}, "trial_days"), ({"trial_days": "30"}, "trial_days"),
])
def test_a_bad_trial_length_is_refused_at_the_install(
        client: AppClient, events_url: str, body: dict[str, Any], field: str) -> None:
    response = client.post("/_mock/installations", json={
        "app_id": APP_ID, "tenant": TENANT_ID, "events_url": events_url, **body})
    assert response.status_code == 400 and response.json()["error"]["field"] == field
    assert client.get("/_mock/installations").json()["installations"] == []


@pytest.mark.parametrize(("body", "field"), [
    ({"action": "pause"}, "action"), ({}, "action"), ({"action": "extend"}, "days"),
    ({"action": "extend", "days": 5, "reason": "trial_expired"}, "reason"),
    ({"action": "end", "days": 5}, "days"), ({"action": "end", "reason": "expired"}, "reason"),
    ({"action": "extend", "days": 400}, "days"),
])
def test_a_bad_trial_change_is_refused_naming_the_field(
        client: AppClient, events_url: str, body: dict[str, Any], field: str) -> None:
    installation = install(client, events_url, trial_days=30)
    approve(client, installation)
    before = shown(client, installation)
    response = trial(client, installation, body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["field"] == field
    assert shown(client, installation) == before
    assert [e["type"] for e in sent(client)] == ["app.installed", "app.trial_started"]


def test_a_trial_past_its_end_ends_when_a_test_asks_for_what_is_due(
        client: AppClient, clock: MockClock, events_url: str) -> None:
    installation = install(client, events_url, trial_days=30)
    approve(client, installation)
    other = client.post("/_mock/events/run")
    assert other.status_code == 200 and sent(client, "app.trial_ended") == []
    clock.advance(timedelta(days=30, seconds=-1))
    client.post("/_mock/events/run")
    assert shown(client, installation)["state"] == "active"
    clock.advance(timedelta(hours=2))
    assert shown(client, installation)["state"] == "expired"
    run = client.post("/_mock/events/run").json()
    [ended] = sent(client, "app.trial_ended")
    assert [a["event_id"] for a in run["attempts"]] == [ended["id"]]
    assert ended["data"]["ended_reason"] == "trial_expired"
    assert ended["data"]["ended_by"] == "system"
    assert ended["data"]["ended_at"] == "2026-04-01T09:30:15Z"  # when it expired
    assert ended["data"]["expires_at"] == ended["created_at"] == "2026-04-01T11:30:14Z"
    assert shown(client, installation)["state"] == "ended"
    client.post("/_mock/events/run")
    assert len(sent(client, "app.trial_ended")) == 1
