"""Platform events' at-least-once delivery on the mock clock: one POST for a 200, retries at
+5 and +10 minutes only, timeouts and refused connections logged and retried, the delivery
log, and a redelivery of the same bytes."""

from __future__ import annotations

import json
import socket
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

import httpx
import loops
from platform_events_kit import BASE, START, make_installation, verify
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mock_idp.clock import MockClock
from mock_idp.platform import envelope as events
from mock_idp.platform.delivery import EventDispatcher
from mock_idp.platform.signing import EventKeyRing

T = TypeVar("T")


def run(factory: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await factory()

    return loops.run(main())


class Receiver:
    """A Starlette events endpoint that records each POST and answers with ``statuses`` in turn."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses) or [200]
        self.requests: list[tuple[bytes, httpx.Headers]] = []

    async def events(self, request: Request) -> Response:
        self.requests.append((await request.body(), httpx.Headers(request.headers.raw)))
        status = self.statuses[min(len(self.requests), len(self.statuses)) - 1]
        return Response(status_code=status)

    def client(self) -> httpx.AsyncClient:
        app = Starlette(routes=[Route("/events", self.events, methods=["POST"])])
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app))


def raising(exc_type: type[httpx.TransportError], message: str) -> httpx.AsyncClient:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise exc_type(message, request=request)

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    client.calls = calls  # type: ignore[attr-defined]
    return client


def dispatcher_for(client: httpx.AsyncClient, clock: MockClock) -> EventDispatcher:
    return EventDispatcher(clock, client, EventKeyRing(clock), 2.5)


def installed_event() -> dict[str, Any]:
    return events.app_installed(make_installation(), base_url=BASE, now=START)


def test_a_receiver_answering_200_gets_exactly_one_post() -> None:
    clock = MockClock(frozen_at=START)
    receiver = Receiver(200)
    body = installed_event()

    async def scenario() -> EventDispatcher:
        async with receiver.client() as client:
            dispatcher = dispatcher_for(client, clock)
            first = await dispatcher.dispatch("http://rp.test/events", body)
            assert first.delivered and first.next_retry_at is None
            for minutes in (5, 10, 60, 24 * 60):
                clock.set(START + timedelta(minutes=minutes))
                assert await dispatcher.run_due() == []
            return dispatcher

    dispatcher = run(scenario)
    assert len(receiver.requests) == 1
    raw, headers = receiver.requests[0]
    assert raw == events.encode(body)
    assert json.loads(raw) == body
    assert headers["content-type"] == "application/json"
    assert dispatcher.pending() == []
    (entry,) = dispatcher.delivery_log()
    assert entry["outcome"] == "delivered" and entry["status"] == 200


def test_failed_deliveries_retry_only_at_plus_5_and_plus_10_minutes() -> None:
    clock = MockClock(frozen_at=START)
    receiver = Receiver(500)
    body = installed_event()
    ring = EventKeyRing(clock)

    async def scenario() -> EventDispatcher:
        async with receiver.client() as client:
            dispatcher = EventDispatcher(clock, client, ring, 2.5)
            await dispatcher.dispatch("http://rp.test/events", body)
            assert len(receiver.requests) == 1

            clock.set(START + timedelta(minutes=4, seconds=59))
            assert await dispatcher.run_due() == []
            assert len(receiver.requests) == 1

            clock.set(START + timedelta(minutes=5))
            (second,) = await dispatcher.run_due()
            assert second.attempt == 2 and len(receiver.requests) == 2

            clock.set(START + timedelta(minutes=14, seconds=59))
            assert await dispatcher.run_due() == []
            assert len(receiver.requests) == 2

            clock.set(START + timedelta(minutes=15))
            (third,) = await dispatcher.run_due()
            assert third.attempt == 3 and third.outcome == "failed"

            clock.set(START + timedelta(days=2))
            assert await dispatcher.run_due() == []
            return dispatcher

    dispatcher = run(scenario)
    assert len(receiver.requests) == 3
    bodies = {raw for raw, _ in receiver.requests}
    assert bodies == {events.encode(body)}  # same bytes, same event id, every attempt
    for raw, headers in receiver.requests:
        verify(ring.jwks(), raw, headers)
    log = dispatcher.delivery_log()
    assert [(e["attempt"], e["status"], e["outcome"]) for e in log] == [
        (1, 500, "retry_scheduled"),
        (2, 500, "retry_scheduled"),
        (3, 500, "failed"),
    ]
    assert [e["at"] for e in log] == [
        "2026-03-02T09:30:15Z",
        "2026-03-02T09:35:15Z",
        "2026-03-02T09:45:15Z",
    ]
    assert [e["next_retry_at"] for e in log] == [
        "2026-03-02T09:35:15Z",
        "2026-03-02T09:45:15Z",
        None,
    ]
    assert {e["event_id"] for e in log} == {body["id"]}
    assert {e["type"] for e in log} == {"app.installed"}
    assert {e["url"] for e in log} == {"http://rp.test/events"}


def test_second_delay_counts_from_the_late_retry_not_from_the_first_attempt() -> None:
    clock = MockClock(frozen_at=START)
    receiver = Receiver(503)

    async def scenario() -> EventDispatcher:
        async with receiver.client() as client:
            dispatcher = dispatcher_for(client, clock)
            await dispatcher.dispatch("http://rp.test/events", installed_event())
            clock.set(START + timedelta(minutes=12))  # nobody ran the queue for a while
            (second,) = await dispatcher.run_due()
            assert second.next_retry_at == START + timedelta(minutes=22)
            clock.set(START + timedelta(minutes=21, seconds=59))
            assert await dispatcher.run_due() == []
            clock.set(START + timedelta(minutes=22))
            assert len(await dispatcher.run_due()) == 1
            return dispatcher

    run(scenario)
    assert len(receiver.requests) == 3


def test_a_receiver_that_recovers_gets_no_further_retry() -> None:
    clock = MockClock(frozen_at=START)
    receiver = Receiver(500, 200)

    async def scenario() -> EventDispatcher:
        async with receiver.client() as client:
            dispatcher = dispatcher_for(client, clock)
            await dispatcher.dispatch("http://rp.test/events", installed_event())
            clock.advance(timedelta(minutes=5))
            (second,) = await dispatcher.run_due()
            assert second.delivered
            clock.advance(timedelta(hours=1))
            assert await dispatcher.run_due() == []
            return dispatcher

    dispatcher = run(scenario)
    assert len(receiver.requests) == 2
    assert [e["outcome"] for e in dispatcher.delivery_log()] == ["retry_scheduled", "delivered"]


def test_a_timeout_is_logged_and_retried() -> None:
    clock = MockClock(frozen_at=START)
    seen_timeouts: list[object] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen_timeouts.append(request.extensions["timeout"])
        raise httpx.ReadTimeout("timed out", request=request)

    async def scenario() -> EventDispatcher:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            dispatcher = dispatcher_for(client, clock)
            first = await dispatcher.dispatch("http://slow.test/events", installed_event())
            assert first.error == "timeout" and first.status is None
            clock.advance(timedelta(minutes=5))
            await dispatcher.run_due()
            return dispatcher

    dispatcher = run(scenario)
    assert len(seen_timeouts) == 2
    assert seen_timeouts[0] == {"connect": 2.5, "read": 2.5, "write": 2.5, "pool": 2.5}
    entry = dispatcher.delivery_log()[0]
    assert entry["error"] == "timeout" and entry["status"] is None
    assert entry["detail"] == "ReadTimeout: timed out"
    assert entry["next_retry_at"] == "2026-03-02T09:35:15Z"


def test_connection_refused_is_logged_and_retried() -> None:
    clock = MockClock(frozen_at=START)

    async def scenario() -> tuple[EventDispatcher, int]:
        client = raising(httpx.ConnectError, "[Errno 111] Connection refused")
        async with client:
            dispatcher = dispatcher_for(client, clock)
            await dispatcher.dispatch("http://down.test/events", installed_event())
            clock.advance(timedelta(minutes=5))
            await dispatcher.run_due()
            clock.advance(timedelta(minutes=10))
            await dispatcher.run_due()
            return dispatcher, len(client.calls)  # type: ignore[attr-defined]

    dispatcher, calls = run(scenario)
    assert calls == 3
    log = dispatcher.delivery_log()
    assert [e["error"] for e in log] == ["connection refused"] * 3
    assert [e["outcome"] for e in log] == ["retry_scheduled", "retry_scheduled", "failed"]


def test_a_real_refused_connection_is_classified() -> None:
    clock = MockClock(frozen_at=START)
    with socket.socket() as sock:  # bound but not listening: connects are refused, port is ours
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

        async def scenario() -> EventDispatcher:
            async with httpx.AsyncClient() as client:
                dispatcher = dispatcher_for(client, clock)
                await dispatcher.dispatch(f"http://127.0.0.1:{port}/events", installed_event())
                return dispatcher

        dispatcher = run(scenario)
    (entry,) = dispatcher.delivery_log()
    assert entry["error"] == "connection refused"
    assert entry["outcome"] == "retry_scheduled"


def test_delivery_log_entries_are_json_ready() -> None:
    clock = MockClock(frozen_at=START)
    receiver = Receiver(404)

    async def scenario() -> EventDispatcher:
        async with receiver.client() as client:
            dispatcher = dispatcher_for(client, clock)
            await dispatcher.dispatch("http://rp.test/events", installed_event())
            return dispatcher

    dispatcher = run(scenario)
    (entry,) = dispatcher.delivery_log()
    assert json.loads(json.dumps(entry)) == entry
    assert set(entry) == {
        "event_id", "type", "url", "attempt", "at", "status", "error", "detail",
        "duration_ms", "next_retry_at", "outcome", "redelivery", "wall",
    }  # fmt: skip
    assert entry["status"] == 404 and entry["error"] is None
    assert entry["duration_ms"] >= 0
    assert dispatcher.pending() == [
        {
            "event_id": entry["event_id"],
            "type": "app.installed",
            "url": "http://rp.test/events",
            "attempt": 2,
            "due_at": "2026-03-02T09:35:15Z",
            "in_flight": False,
        }
    ]
    assert [e["id"] for e in dispatcher.events()] == [entry["event_id"]]


def test_redelivery_sends_the_same_bytes_again() -> None:
    clock = MockClock(frozen_at=START)
    receiver = Receiver(200)
    body = installed_event()

    async def scenario() -> EventDispatcher:
        async with receiver.client() as client:
            dispatcher = dispatcher_for(client, clock)
            await dispatcher.dispatch("http://rp.test/events", body)
            clock.advance(timedelta(minutes=1))
            again = await dispatcher.redeliver(body["id"])
            assert again.redelivery and again.attempt == 1 and again.delivered
            return dispatcher

    run(scenario)
    assert [raw for raw, _ in receiver.requests] == [events.encode(body)] * 2
