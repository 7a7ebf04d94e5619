"""Event deliveries off the request path: due retries go out in the background, together.

A partner receiver that never answers must not hold up anyone else's request; the explicit
``POST /_mock/events/run`` still waits for what it starts, and shut-down stops what is in flight.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx
import loops
import pytest
from asgi_client import AppClient

from mock_idp import create_app
from mock_idp.clock import MockClock
from mock_idp.config import IdpConfig
from mock_idp.platform import (
    AppRef,
    ClientSecret,
    Installation,
    InstallationKey,
    PlatformConfig,
    PlatformState,
    TenantRef,
)
from mock_idp.platform import envelope as events
from mock_idp.platform.acknowledgements import Approval
from mock_idp.platform.delivery import EventDispatcher
from mock_idp.platform.signing import EventKeyRing

T = TypeVar("T")
START = datetime(2026, 3, 2, 9, 30, 15, tzinfo=UTC)
TENANT = TenantRef(id="6f2c1a9e-3b7d-4e58-a1c4-92d0b7e5f318", domain="contoso.onmicrosoft.com")
APP_ID = "2b8e4f61-9c3a-4d7e-b5f2-08a6c1d9e473"
DISCOVERY = f"/{TENANT.id}/v2.0/.well-known/openid-configuration"
TIMEOUT = 1.0
"""The delivery timeout of the tests with a receiver that never answers."""
GUARD = 1.0
"""How long a :class:`Gathering` receiver waits for the others before it gives up."""


def run(factory: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await factory()

    return loops.run(main())


class Gathering:
    """Receivers that answer 200 only once ``size`` deliveries are in flight at the same time
    (a one-at-a-time sender never gets there: each of its posts times out after
    :data:`GUARD`). ``fail_first`` answers each URL's first post 500 at once."""

    def __init__(self, size: int, *, fail_first: bool = False) -> None:
        self.size = size
        self.fail_first = fail_first
        self.posts: list[str] = []
        self.arrived = 0
        self.together = asyncio.Event()

    async def handle(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        first = url not in self.posts
        self.posts.append(url)
        if self.fail_first and first:
            return httpx.Response(500)
        self.arrived += 1
        if self.arrived >= self.size:
            self.together.set()
        try:
            await asyncio.wait_for(self.together.wait(), GUARD)
        except TimeoutError:
            raise httpx.ReadTimeout("the other deliveries never came", request=request) from None
        return httpx.Response(200)

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self.handle))


class Blocked:
    """A receiver that holds every post until :attr:`release` is set; with ``fail_first``, it
    answers the first post 500 at once."""

    def __init__(self, *, fail_first: bool = False) -> None:
        self.fail_first = fail_first
        self.posts = 0
        self.release = asyncio.Event()
        self.arrived = asyncio.Event()

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.posts += 1
        if self.fail_first and self.posts == 1:
            return httpx.Response(500)
        self.arrived.set()
        await self.release.wait()
        return httpx.Response(200)

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self.handle))


class AnyApp:
    """An :class:`~mock_idp.platform.state.AppDirectory` with one tenant and every app in it."""

    def resolve_tenant(self, tenant: str) -> TenantRef | None:
        return TENANT if tenant in (TENANT.id, TENANT.domain) else None

    def find_app(self, tenant_id: str, app_id: str) -> AppRef | None:
        return AppRef(client_id=app_id)

    def find_user(self, tenant_id: str, user: str) -> str | None:
        return None

    def address_holder(self, tenant_id: str, address: str) -> str | None:
        return None

    def add_client_secret(self, tenant_id: str, client_id: str, secret: ClientSecret) -> None:
        pass

    def remove_client_secret(self, tenant_id: str, client_id: str, key_id: str) -> None:
        pass


def envelope_for(n: int) -> dict[str, Any]:
    installation = Installation(
        installation_id=uuid.UUID(int=n).hex, app_id=APP_ID, app_version_id="0" * 32,
        app_version_name="1.0.0", tenant=TENANT, client_id=APP_ID,
        credential=ClientSecret.generate(now=START, lifetime=timedelta(days=1),
                                         display_name="test"),
        key=InstallationKey.generate(), events_url=f"http://rp{n}.test/events",
        installed_at=START, approval=Approval.start(START),
    )
    return events.app_installed(installation, base_url="http://idp.test", now=START)


# --- the dispatcher -----------------------------------------------------------------------------


def test_run_due_sends_the_due_retries_together() -> None:
    clock = MockClock(frozen_at=START)
    receiver = Gathering(3, fail_first=True)

    async def scenario() -> list[Any]:
        async with receiver.client() as client:
            dispatcher = EventDispatcher(clock, client, EventKeyRing(clock), 5.0)
            for n in range(3):
                first = await dispatcher.dispatch(f"http://rp{n}.test/events", envelope_for(n))
                assert first.outcome == "retry_scheduled"
            clock.advance(timedelta(minutes=5))
            return await dispatcher.run_due()

    attempts = run(scenario)
    assert [(a.attempt, a.outcome, a.error) for a in attempts] == [(2, "delivered", None)] * 3


def test_start_due_returns_before_the_receiver_answers() -> None:
    clock = MockClock(frozen_at=START)
    receiver = Blocked(fail_first=True)

    async def scenario() -> EventDispatcher:
        async with receiver.client() as client:
            dispatcher = EventDispatcher(clock, client, EventKeyRing(clock), 5.0)
            await dispatcher.dispatch("http://rp.test/events", envelope_for(0))
            clock.advance(timedelta(minutes=5))
            assert dispatcher.start_due() == 1
            await receiver.arrived.wait()
            (flying,) = dispatcher.pending()
            assert flying["in_flight"] is True and flying["attempt"] == 2
            assert dispatcher.start_due() == 0  # in flight: never sent twice at once
            receiver.release.set()
            (attempt,) = await dispatcher.run_due()  # waits for the one in flight
            assert attempt.attempt == 2 and attempt.delivered
            return dispatcher

    dispatcher = run(scenario)
    assert receiver.posts == 2
    assert dispatcher.pending() == []
    assert [e["outcome"] for e in dispatcher.delivery_log()] == ["retry_scheduled", "delivered"]


def test_aclose_stops_attempts_in_flight_and_queues_them_again() -> None:
    clock = MockClock(frozen_at=START)
    receiver = Blocked()

    async def scenario() -> EventDispatcher:
        async with receiver.client() as client:
            dispatcher = EventDispatcher(clock, client, EventKeyRing(clock), 5.0)
            sending = asyncio.ensure_future(
                dispatcher.dispatch("http://rp.test/events", envelope_for(0)))
            await receiver.arrived.wait()
            await dispatcher.aclose()
            with pytest.raises(asyncio.CancelledError):
                await sending
            return dispatcher

    dispatcher = run(scenario)
    assert dispatcher.delivery_log() == []
    (queued,) = dispatcher.pending()
    assert queued["attempt"] == 1 and queued["in_flight"] is False


def test_aclose_drops_a_forged_event_in_flight() -> None:
    """A forged event is sent once at most: cancelled at shut-down, it is not queued again, so
    nothing sends it after a restart."""
    clock = MockClock(frozen_at=START)
    receiver = Blocked()

    async def scenario() -> tuple[EventDispatcher, list[Any]]:
        async with receiver.client() as client:
            dispatcher = EventDispatcher(clock, client, EventKeyRing(clock), 5.0)
            envelope = envelope_for(0)
            sending = asyncio.ensure_future(dispatcher.deliver_forged(
                "http://rp.test/events", envelope, events.encode(envelope), {}, "unsigned"))
            await receiver.arrived.wait()
            await dispatcher.aclose()
            with pytest.raises(asyncio.CancelledError):
                await sending
            receiver.release.set()
            return dispatcher, await dispatcher.run_due()

    dispatcher, sent_again = run(scenario)
    assert sent_again == [] and dispatcher.pending() == []
    assert receiver.posts == 1


def test_an_attempt_in_flight_across_a_reset_leaves_no_trace() -> None:
    clock = MockClock(frozen_at=START)
    receiver = Blocked()

    async def scenario() -> tuple[EventDispatcher, Any]:
        async with receiver.client() as client:
            dispatcher = EventDispatcher(clock, client, EventKeyRing(clock), 5.0)
            sending = asyncio.ensure_future(
                dispatcher.dispatch("http://rp.test/events", envelope_for(0)))
            await receiver.arrived.wait()
            dispatcher.reset()
            assert dispatcher.pending() == []
            receiver.release.set()
            return dispatcher, await sending

    dispatcher, attempt = run(scenario)
    assert attempt.delivered  # its caller still learns how it went
    assert dispatcher.delivery_log() == [] and dispatcher.pending() == []


def test_user_logout_goes_to_every_installation_at_once() -> None:
    clock = MockClock(frozen_at=START)
    receiver = Gathering(3)
    app_ids = [uuid.UUID(int=n).hex for n in range(3)]

    async def scenario() -> list[Any]:
        async with receiver.client() as client:
            platform = PlatformState(
                clock=clock, http_client=client, directory=AnyApp(),
                config=PlatformConfig(base_url="http://idp.test", logout_scope="tenant"),
            )
            receiver.together.set()  # the installs go through one by one
            for n, app_id in enumerate(app_ids):
                await platform.install(app_id=app_id, tenant=TENANT.id,
                                       events_url=f"http://rp{n}.test/events")
            receiver.together.clear()
            receiver.arrived = 0
            return await platform.notify_user_logout(
                tenant_id=TENANT.id, user_id="alice-oid", user_email="alice@contoso.test")

    results = run(scenario)
    assert [r.event["type"] for r in results] == ["user.logout"] * 3
    assert [r.installation.app_id for r in results] == app_ids
    assert [(r.delivery.outcome, r.delivery.error) for r in results] == [("delivered", None)] * 3


# --- the provider -------------------------------------------------------------------------------


@dataclass
class Silent:
    """A loopback port that refuses connections until :meth:`listen`, then accepts them and
    never answers."""

    sock: socket.socket

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/events"

    def listen(self) -> None:
        self.sock.listen(16)


@pytest.fixture
def silent() -> Iterator[Silent]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield Silent(sock)


def install_in_new_tenants(client: AppClient, url: str, count: int) -> list[str]:
    """``count`` tenants, each with the app installed with events to ``url``; the event ids."""
    ids = []
    for n in range(count):
        tenant_id, client_id = str(uuid.uuid4()), str(uuid.uuid4())  # an app id is one tenant's
        created = client.post("/_mock/tenants", json={
            "id": tenant_id, "domain": f"partner{n}.onmicrosoft.com",
            "apps": [{"name": "Partner", "client_id": client_id,
                      "redirect_uris": ["http://127.0.0.1/auth/callback"]}]})
        assert created.status_code == 201, created.text
        installed = client.post("/_mock/installations", json={
            "app_id": APP_ID, "client_id": client_id, "tenant": tenant_id, "events_url": url})
        assert installed.status_code == 201, installed.text
        assert installed.json()["delivery"]["error"] == "connection refused"
        ids.append(installed.json()["event"]["id"])
    return ids


@pytest.mark.idp_config(clock=MockClock(frozen_at=START),
                        event_timeout=timedelta(seconds=TIMEOUT))
def test_a_receiver_that_never_answers_holds_up_no_request(
    client: AppClient, clock: MockClock, silent: Silent
) -> None:
    event_ids = install_in_new_tenants(client, silent.url, 3)
    silent.listen()
    clock.advance(timedelta(minutes=5, seconds=1))

    started = time.monotonic()
    assert client.get(DISCOVERY).status_code == 200
    assert time.monotonic() - started < TIMEOUT  # the three retries went to the background
    for _ in range(3):  # later requests find them in flight and start nothing again
        assert client.get(DISCOVERY).status_code == 200

    ran = client.post("/_mock/events/run").json()
    assert time.monotonic() - started < 2.5 * TIMEOUT  # they timed out together, not in turn
    assert sorted(a["event_id"] for a in ran["attempts"]) == sorted(event_ids)
    assert {(a["attempt"], a["error"], a["outcome"]) for a in ran["attempts"]} == {
        (2, "timeout", "retry_scheduled")}
    log = client.get("/_mock/deliveries").json()
    assert sorted((d["event_id"], d["attempt"]) for d in log["deliveries"]) == sorted(
        (e, n) for e in event_ids for n in (1, 2))
    assert {(p["attempt"], p["due_at"], p["in_flight"]) for p in log["pending"]} == {
        (3, "2026-03-02T09:45:16Z", False)}
    assert len(log["pending"]) == 3


def test_shutting_down_stops_the_deliveries_in_flight(silent: Silent) -> None:
    clock = MockClock(frozen_at=START)
    app = create_app(IdpConfig.default(clock=clock, event_timeout=timedelta(seconds=10)))
    dispatcher = app.state.idp.platform.dispatcher
    with AppClient(app) as client:
        (event_id,) = install_in_new_tenants(client, silent.url, 1)
        silent.listen()
        clock.advance(timedelta(minutes=5))
        client.get(DISCOVERY)
        started = time.monotonic()
    assert time.monotonic() - started < 5.0
    assert [(d["event_id"], d["attempt"]) for d in dispatcher.delivery_log()] == [(event_id, 1)]
    assert [(p["attempt"], p["in_flight"]) for p in dispatcher.pending()] == [(2, False)]


@pytest.mark.idp_config(clock=MockClock(frozen_at=START))
def test_deliveries_filter_pending_by_event_id(client: AppClient, silent: Silent) -> None:
    first, second = install_in_new_tenants(client, silent.url, 2)
    listed = client.get("/_mock/deliveries").json()
    assert sorted(p["event_id"] for p in listed["pending"]) == sorted([first, second])
    one = client.get("/_mock/deliveries", params={"event_id": first}).json()
    assert [d["event_id"] for d in one["deliveries"]] == [first]
    assert [p["event_id"] for p in one["pending"]] == [first]


@pytest.mark.idp_config(clock=MockClock(frozen_at=START))
def test_the_event_key_pair_never_shows_in_the_activity(client: AppClient,
                                                        silent: Silent) -> None:
    install_in_new_tenants(client, silent.url, 1)
    (event,) = client.get("/_mock/activity").json()["events"]
    assert event["data"]["client_secret"] == "[redacted]"
    assert "PRIVATE KEY" not in json.dumps(event)
