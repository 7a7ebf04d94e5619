"""What the partner platform has ended stays ended when the mock's clock moves back: an approval
that timed out, a grace period that ran out and a trial past its end are final, and the
platform does before the move what it would have done by the time it leaves (a trial's
``app.trial_ended``, a retry that fell due), once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from asgi_client import AppClient
from idp_testkit import hybrid_config
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from test_platform_apps_api import (
    APP_ID,
    TENANT_ID,
    access_token,
    error_codes,
    information,
    refused,
    set_state,
)

from mock_idp import create_app
from mock_idp.clock import MockClock

START = datetime(2026, 3, 2, 9, 30, 15, tzinfo=UTC)
EVENTS_URL = "http://partner.test/events"
DAY = 24 * 3600


@pytest.fixture
def received() -> list[dict[str, Any]]:
    """The events the partner app was sent, each attempt's body."""
    return []


@pytest.fixture
def answers() -> list[int]:
    """The status the app answers each delivery with, in turn; the last one from then on."""
    return [200]


@pytest.fixture
def idp_app(received: list[dict[str, Any]], answers: list[int]) -> Starlette:
    async def events(request: Request) -> Response:
        received.append(json.loads(await request.body()))
        return Response(status_code=answers[min(len(received), len(answers)) - 1])

    app = Starlette(routes=[Route("/events", events, methods=["POST"])])
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app))
    return create_app(hybrid_config(clock=MockClock(frozen_at=START)), http_client=http)


def install(client: AppClient, **extra: Any) -> dict[str, Any]:
    response = client.post("/_mock/installations", json={
        "app_id": APP_ID, "tenant": TENANT_ID, "events_url": EVENTS_URL, **extra})
    assert response.status_code == 201, response.text
    installation: dict[str, Any] = response.json()["installation"]
    return installation


def shown(client: AppClient, installation: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = client.get(
        f"/_mock/installations/{installation['installation_id']}").json()
    return found


def there_and_back(client: AppClient, seconds: float) -> None:
    """Move the clock ``seconds`` ahead, then back where it was, through the control API."""
    for move in (seconds, -seconds):
        response = client.post("/_mock/clock", json={"advance_seconds": move})
        assert response.status_code == 200, response.text


def of_type(events: list[dict[str, Any]], event_type: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == event_type]


def test_an_approval_that_timed_out_stays_timed_out_when_the_clock_moves_back(
        client: AppClient) -> None:
    installation = install(client)
    there_and_back(client, 8 * DAY)
    assert shown(client, installation)["approval"] == {
        "state": "timeout", "reason": None, "updated_at": "2026-03-02T09:30:15Z",
        "deadline": "2026-03-09T09:30:15Z"}
    bearer = access_token(client, installation["client_secret"])
    assert information(client, installation, bearer).json()["_embedded"]["state"]["state"] == (
        "timeout")
    refused(set_state(client, installation, bearer, {"state": "approve"}), 409, "state")


def test_a_grace_period_that_ran_out_stays_over_when_the_clock_moves_back(
        client: AppClient, clock: MockClock) -> None:
    installation = install(client)
    old = installation["client_secret"]
    rotated = client.post(f"/_mock/installations/{installation['installation_id']}/rotate")
    new = rotated.json()["installation"]["client_secret"]
    clock.advance(timedelta(days=8))  # moved in Python, off the server's event loop
    clock.advance(timedelta(days=-7))  # back into what was the grace period
    assert error_codes(client, old) == [7000215]  # gone from the registration, not valid again
    assert error_codes(client, new) == []
    assert shown(client, installation)["credentials"]["state"] == "grace_ended"
    assert client.post("/_mock/clock", json={"advance": "7d"}).status_code == 200
    assert error_codes(client, old) == [7000215]


def test_a_trial_past_its_end_ends_once_before_the_clock_moves_back(
        client: AppClient, received: list[dict[str, Any]]) -> None:
    installation = install(client, trial_days=30)
    approve = set_state(client, installation, access_token(client, installation["client_secret"]),
                        {"state": "approve"})
    assert approve.status_code == 200, approve.text
    there_and_back(client, 31 * DAY)
    trial = shown(client, installation)["trial"]
    assert (trial["state"], trial["ended_at"], trial["ended_reason"], trial["ended_by"]) == (
        "ended", "2026-04-01T09:30:15Z", "trial_expired", "system")

    client.post("/_mock/events/run")  # waits for what the request before it started
    [ended] = of_type(received, "app.trial_ended")  # the app hears of it as it would have
    log = client.get("/_mock/deliveries", params={"event_id": ended["id"]}).json()
    assert [(a["attempt"], a["outcome"]) for a in log["deliveries"]] == [(1, "delivered")]
    assert ended["created_at"] == ended["data"]["expires_at"] == "2026-04-02T09:30:15Z"
    assert ended["data"]["ended_at"] == "2026-04-01T09:30:15Z"
    assert ended["data"]["ended_reason"] == "trial_expired"

    there_and_back(client, 31 * DAY)
    client.post("/_mock/events/run")
    assert len(of_type(received, "app.trial_ended")) == 1
    assert len(of_type(client.get("/_mock/events").json()["events"], "app.trial_ended")) == 1
    extend = client.post(f"/_mock/installations/{installation['installation_id']}/trial",
                         json={"action": "extend", "days": 5})
    assert extend.status_code == 409 and extend.json()["error"]["field"] == "trial"


def test_a_trial_ended_by_a_move_in_python_reaches_the_app_on_the_next_request(
        client: AppClient, clock: MockClock, received: list[dict[str, Any]]) -> None:
    installation = install(client, trial_days=30)
    set_state(client, installation, access_token(client, installation["client_secret"]),
              {"state": "approve"})
    clock.advance(timedelta(days=31))
    clock.advance(timedelta(days=-31))
    assert shown(client, installation)["trial"]["state"] == "ended"
    client.post("/_mock/events/run")  # waits for what the request before it started
    assert len(of_type(received, "app.trial_ended")) == 1
    client.post("/_mock/events/run")
    assert len(of_type(received, "app.trial_ended")) == 1


@pytest.mark.parametrize("answers", [[500, 500, 200]])
def test_a_retry_that_fell_due_goes_out_after_the_clock_moves_back(
        client: AppClient, clock: MockClock, received: list[dict[str, Any]]) -> None:
    install(client)  # app.installed's first attempt fails; the next falls due 5 minutes later
    clock.advance(timedelta(minutes=10))
    clock.advance(timedelta(minutes=-10))
    run = client.post("/_mock/events/run").json()
    assert [(a["type"], a["attempt"], a["outcome"]) for a in run["attempts"]] == [
        ("app.installed", 2, "retry_scheduled")]
    assert [e["type"] for e in received] == ["app.installed", "app.installed"]
    # the retry after it falls due 10 minutes on, as any other: not at once
    assert client.post("/_mock/events/run").json()["attempts"] == []
    assert [(p["attempt"], p["due_at"]) for p in run["pending"]] == [
        (3, "2026-03-02T09:40:15Z")]


def test_an_installation_secret_past_its_end_stays_expired_when_the_clock_moves_back(
        client: AppClient) -> None:
    installation = install(client)
    secret = installation["client_secret"]
    assert installation["secret_expires_at"] == "2026-08-29T09:30:15Z"  # 180 days
    there_and_back(client, 181 * DAY)
    assert error_codes(client, secret) == [7000222]  # expired, still on the registration
    assert shown(client, installation)["secret_expires_at"] == "2026-08-29T09:30:15Z"


def test_a_retired_event_signing_key_past_its_retention_is_not_published_again(
        client: AppClient) -> None:
    first = client.get("/.well-known/platform-event-keys.json").json()["keys"]
    rotated = client.post("/_mock/event-keys/rotate", json={})
    assert rotated.status_code == 200, rotated.text
    both = client.get("/.well-known/platform-event-keys.json").json()["keys"]
    assert len(first) == 1 and len(both) == 2
    there_and_back(client, 25 * 3600)  # rotated-out keys are published for 24 hours
    again = client.get("/.well-known/platform-event-keys.json").json()["keys"]
    assert [k["kid"] for k in again] == [k["kid"] for k in both if k not in first]


def test_a_trial_ended_by_a_request_while_the_clock_moves_back_is_left_as_it_ended(
        client: AppClient, clock: MockClock, received: list[dict[str, Any]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The move comes from another thread: a request uninstalls the app between the move
    reading the installations and ending the trial it found past its end."""
    installation = install(client, trial_days=30)
    set_state(client, installation, access_token(client, installation["client_secret"]),
              {"state": "approve"})
    registry = client.app.state.idp.platform.registry  # type: ignore[attr-defined]
    listed = registry.all

    def uninstalled_meanwhile() -> Any:
        found = listed()
        registry.uninstall(installation["installation_id"])
        return found

    monkeypatch.setattr(registry, "all", uninstalled_meanwhile)
    clock.advance(timedelta(days=31))
    clock.advance(timedelta(days=-31))  # no NotInstalled out of the move
    monkeypatch.undo()
    assert shown(client, installation)["state"] == "uninstalled"
    client.post("/_mock/events/run")
    assert of_type(received, "app.trial_ended") == []
