"""Deleting a tenant (``DELETE /_mock/tenants/{tenant}``) ends each of its active installations
as ``DELETE /_mock/installations/{id}`` ends one, then forgets them with their stored events
and queued retries: nothing more goes out for them."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import loops
import pytest
from asgi_client import AppClient
from test_platform_trials import START, approve, events_url, fresh_clock, install, sent

from mock_idp.clock import MockClock
from mock_idp.platform import DeliveryAttempt, EventDispatcher, EventKeyRing

TENANT_ID = "6f2c1a9e-3b7d-4e58-a1c4-92d0b7e5f318"
__all__ = ["events_url", "fresh_clock"]  # fixtures shared with the trial tests
pytestmark = pytest.mark.usefixtures("fresh_clock")


def deliveries(client: AppClient) -> dict[str, Any]:
    body: dict[str, Any] = client.get("/_mock/deliveries").json()
    return body


def attempts(client: AppClient) -> list[tuple[str, int, str]]:
    return [(d["type"], d["attempt"], d["outcome"]) for d in deliveries(client)["deliveries"]]


def test_no_retry_goes_out_for_a_deleted_tenants_installation(
        client: AppClient, clock: MockClock, events_url: str) -> None:
    """``events_url`` refuses connections: every first attempt schedules a retry."""
    installation = install(client, events_url)
    assert attempts(client) == [("app.installed", 1, "retry_scheduled")]

    assert client.delete(f"/_mock/tenants/{TENANT_ID}").status_code == 204
    assert attempts(client) == [("app.installed", 1, "retry_scheduled"),
                                ("app.uninstalled", 1, "retry_scheduled")]
    assert deliveries(client)["pending"] == []
    for _ in range(3):
        clock.advance(timedelta(minutes=10))
        run = client.post("/_mock/events/run")
        assert run.json() == {"attempts": [], "pending": []}
    assert len(attempts(client)) == 2
    assert sent(client) == []  # the events went with the installation
    assert client.get(f"/_mock/installations/{installation['installation_id']}").status_code == 404


def test_a_tenants_installations_end_as_an_uninstall_ends_one(
        client: AppClient, events_url: str) -> None:
    """An active trial ends (``app_uninstalled``), then ``app.uninstalled``; an installation
    already uninstalled sends nothing more."""
    gone = install(client, events_url)
    assert client.delete(f"/_mock/installations/{gone['installation_id']}").status_code == 200
    installation = install(client, events_url, trial_days=30)
    approve(client, installation)
    before = len(attempts(client))
    ended_ids = [e["id"] for e in sent(client)]

    assert client.delete(f"/_mock/tenants/{TENANT_ID}").status_code == 204
    assert [a[0] for a in attempts(client)[before:]] == ["app.trial_ended", "app.uninstalled"]
    assert client.get("/_mock/installations").json() == {"installations": []}
    for event_id in ended_ids:
        redelivered = client.post(f"/_mock/events/{event_id}/redeliver")
        assert redelivered.status_code == 404, redelivered.text
        assert redelivered.json()["error"]["field"] == "event_id"


def test_an_attempt_in_flight_when_its_installation_is_dropped_is_not_retried() -> None:
    clock = MockClock(frozen_at=START)

    async def scenario() -> tuple[DeliveryAttempt, list[dict[str, Any]], Any]:
        arrived, release = asyncio.Event(), asyncio.Event()

        async def refuse_later(request: httpx.Request) -> httpx.Response:
            arrived.set()
            await release.wait()
            return httpx.Response(500)

        async with httpx.AsyncClient(transport=httpx.MockTransport(refuse_later)) as http:
            dispatcher = EventDispatcher(clock, http, EventKeyRing(clock))
            body = {"id": "e1", "type": "app.installed", "data": {"installation_id": "i1"}}
            sending = asyncio.ensure_future(dispatcher.dispatch("http://rp.test/events", body))
            await arrived.wait()
            dispatcher.drop({"i1"})
            release.set()
            return await sending, dispatcher.pending(), dispatcher.event("e1")

    attempt, pending, stored = loops.run(scenario())
    assert (attempt.status, attempt.outcome, attempt.next_retry_at) == (500, "failed", None)
    assert pending == [] and stored is None
