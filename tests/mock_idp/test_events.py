"""Platform events: signatures, envelopes and at-least-once delivery on the mock clock."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import socket
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx
import loops
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from jwt.algorithms import ECAlgorithm
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mock_idp.clock import MockClock
from mock_idp.platform import ClientSecret, Installation, InstallationKey, TenantRef
from mock_idp.platform import envelope as events
from mock_idp.platform.acknowledgements import Approval
from mock_idp.platform.delivery import EventDispatcher
from mock_idp.platform.signing import (
    SIGNATURE_HEADER,
    SIGNATURE_ID_HEADER,
    EventKeyRing,
    EventSigningKey,
)

T = TypeVar("T")
START = datetime(2026, 3, 2, 9, 30, 15, tzinfo=UTC)
BASE = "http://idp.test"
TENANT = TenantRef(id="6f2c1a9e-3b7d-4e58-a1c4-92d0b7e5f318", domain="contoso.onmicrosoft.com")
APP_ID = "2b8e4f61-9c3a-4d7e-b5f2-08a6c1d9e473"
HEX32 = re.compile(r"^[0-9a-f]{32}$")


def run(factory: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await factory()

    return loops.run(main())


def verify(jwks: dict[str, Any], body: bytes, headers: httpx.Headers | dict[str, str]) -> None:
    """What a receiver does: pick the JWK named by the key-id header and check the signature."""
    jwk = next(k for k in jwks["keys"] if k["kid"] == headers[SIGNATURE_ID_HEADER])
    public_key = ECAlgorithm.from_jwk(jwk)
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    der = base64.b64decode(headers[SIGNATURE_HEADER], validate=True)
    public_key.verify(der, body, ec.ECDSA(hashes.SHA256()))


def make_installation() -> Installation:
    return Installation(
        installation_id="9514148a170c4d4aaa344a540cec08c5",
        app_id=APP_ID,
        app_version_id="970d6643b6604a9d8ec77d470a3903cf",
        app_version_name="1.0.0",
        tenant=TENANT,
        client_id=APP_ID,
        credential=ClientSecret.generate(
            now=START, lifetime=timedelta(days=180), display_name="test"
        ),
        key=InstallationKey.generate(),
        events_url="http://rp.test/events",
        installed_at=START, approval=Approval.start(START),
    )


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


# --- signatures -------------------------------------------------------------------------------


def test_jwks_publishes_p256_keys_with_exactly_the_documented_members() -> None:
    ring = EventKeyRing(MockClock(frozen_at=START))
    (jwk,) = ring.jwks()["keys"]
    assert set(jwk) == {"kty", "crv", "x", "y", "kid", "use", "alg"}
    assert (jwk["kty"], jwk["crv"], jwk["use"], jwk["alg"]) == ("EC", "P-256", "sig", "ES256")
    assert jwk["kid"] == ring.active.kid


def test_signature_verifies_with_the_published_key() -> None:
    ring = EventKeyRing(MockClock(frozen_at=START))
    body = events.encode(events.app_installed(make_installation(), base_url=BASE, now=START))
    headers = ring.signature_headers(body)
    verify(ring.jwks(), body, headers)
    der = base64.b64decode(headers[SIGNATURE_HEADER], validate=True)
    r, s = decode_dss_signature(der)  # DER, not raw r||s
    assert r > 0 and s > 0


@pytest.mark.parametrize("position", [0, 1, 17, "middle", -2, -1])
def test_signature_fails_after_any_single_byte_changes(position: int | str) -> None:
    ring = EventKeyRing(MockClock(frozen_at=START))
    body = events.encode(events.app_installed(make_installation(), base_url=BASE, now=START))
    headers = ring.signature_headers(body)
    index = len(body) // 2 if position == "middle" else int(position)
    tampered = bytearray(body)
    tampered[index] ^= 0x01
    with pytest.raises(InvalidSignature):
        verify(ring.jwks(), bytes(tampered), headers)


def test_signature_fails_with_another_key() -> None:
    ring = EventKeyRing(MockClock(frozen_at=START))
    body = b'{"id":"x"}'
    other = EventSigningKey.generate(START)
    headers = ring.signature_headers(body)
    with pytest.raises(InvalidSignature):
        verify({"keys": [{**other.jwk(), "kid": ring.active.kid}]}, body, headers)
    forged = other.signature_headers(body)
    with pytest.raises(StopIteration):  # the forger's kid is not published at all
        verify(ring.jwks(), body, forged)
    with pytest.raises(InvalidSignature):
        verify(ring.jwks(), body, {**forged, SIGNATURE_ID_HEADER: ring.active.kid})


def test_kid_is_the_rfc7638_thumbprint() -> None:
    key = EventSigningKey.generate(START)
    jwk = key.jwk()
    canonical = json.dumps({k: jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).digest()
    assert key.kid == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_rotated_key_stays_published_until_retention_ends() -> None:
    clock = MockClock(frozen_at=START)
    ring = EventKeyRing(clock, retain_for=timedelta(hours=1))
    old = ring.active
    new = ring.rotate()
    assert new.kid != old.kid
    assert [k["kid"] for k in ring.jwks()["keys"]] == [new.kid, old.kid]
    assert ring.signature_headers(b"x")[SIGNATURE_ID_HEADER] == new.kid
    clock.advance(timedelta(hours=1))
    assert [k["kid"] for k in ring.jwks()["keys"]] == [new.kid]


# --- envelopes --------------------------------------------------------------------------------


def test_app_installed_envelope() -> None:
    inst = make_installation()
    body = events.app_installed(inst, base_url=BASE, now=START)
    assert list(body) == [
        "id", "created_at", "api_version", "type", "app_id",
        "app_version_id", "app_version_name", "data", "_links",
    ]  # fmt: skip
    assert HEX32.match(body["id"])
    assert body["created_at"] == "2026-03-02T09:30:15Z"
    assert body["api_version"] == "1"
    assert body["type"] == "app.installed"
    assert body["app_id"] == APP_ID
    assert body["app_version_id"] == inst.app_version_id
    assert body["data"] == {
        "installation_id": inst.installation_id,
        "account_id": TENANT.id,
        "account_name": TENANT.domain,
        "client_id": APP_ID,
        "client_secret": inst.credential.secret_text,
        "private_key": inst.key.private_pem,
        "public_key": inst.key.public_pem,
        "key_id": inst.key.key_id,
        "key_algorithm": "ES256",
    }
    t = TENANT.id
    assert body["_links"] == {
        "root": {"href": BASE},
        "self": {"href": f"{BASE}/apps/{APP_ID}/events/{body['id']}"},
        "authorization": {"href": f"{BASE}/{t}/oauth2/v2.0/authorize"},
        "token": {"href": f"{BASE}/{t}/oauth2/v2.0/token"},
        "userinfo": {"href": f"{BASE}/users/me"},
        "openid_configuration": {"href": f"{BASE}/{t}/v2.0/.well-known/openid-configuration"},
    }


def test_credentials_rotated_and_uninstalled_envelopes() -> None:
    inst = make_installation()
    rotated = events.app_credentials_rotated(inst, base_url=BASE, now=START)
    assert rotated["type"] == "app.credentials_rotated"
    # the members docs.talkdesk.com/reference/appcredentials_rotated lists
    assert rotated["data"] == {
        "installation_id": inst.installation_id,
        "account_id": TENANT.id,
        "account_name": TENANT.domain,
        "client_id": APP_ID,
        "client_secret": inst.credential.secret_text,
        **inst.key.to_json(),
    }
    assert set(rotated["_links"]) == {"root", "self"}
    gone = events.app_uninstalled(inst, base_url=BASE, now=START)
    assert gone["type"] == "app.uninstalled"
    assert gone["data"] == {"installation_id": inst.installation_id, "account_id": TENANT.id}
    assert set(gone["_links"]) == {"root", "self"}
    for body in (rotated, gone):
        assert {"app_version_id", "app_version_name"} <= set(body)
    assert rotated["id"] != gone["id"]


def test_app_updated_envelope_names_only_what_changed() -> None:
    """docs.talkdesk.com/reference/app-updated: ``users`` (both lists) only when users changed,
    ``subscription.adding`` with only the members that changed, licences as digits."""
    inst = make_installation()
    base = {"installation_id": inst.installation_id, "account_id": TENANT.id,
            "account_name": TENANT.domain}
    users = events.app_updated(inst, adding=["u1", "u2"], base_url=BASE, now=START)
    assert list(users) == [
        "id", "created_at", "api_version", "type", "app_id",
        "app_version_id", "app_version_name", "data", "_links",
    ]  # fmt: skip
    assert users["type"] == "app.updated" and users["app_version_id"] == inst.app_version_id
    assert users["data"] == {**base, "users": {"adding": ["u1", "u2"], "removing": []}}
    assert users["_links"] == {"root": {"href": BASE},
                               "self": {"href": f"{BASE}/apps/{APP_ID}/events/{users['id']}"}}
    plan = events.app_updated(inst, licenses=10, base_url=BASE, now=START)
    assert plan["data"] == {**base, "subscription": {"adding": {"licenses": "10"}}}
    both = events.app_updated(inst, removing=["u3"], subscription_name="Paid Plus", licenses=0,
                              base_url=BASE, now=START)
    assert both["data"] == {
        **base,
        "users": {"adding": [], "removing": ["u3"]},
        "subscription": {"adding": {"name": "Paid Plus", "licenses": "0"}},
    }


def test_user_logout_envelope() -> None:
    inst = make_installation()
    oid = "4a1d7c52-8e3f-4b6a-9d20-6c5e7f8a9b10"
    body = events.user_logout(
        inst, user_id=oid, user_email="alice@contoso.onmicrosoft.com", base_url=BASE, now=START
    )
    assert set(body) == {"id", "created_at", "api_version", "type", "app_id", "data", "_links"}
    assert body["type"] == "user.logout"
    # The reference's example writes user.logout's time so, unlike the app.* events' (``Z``).
    assert body["created_at"] == "2026-03-02T09:30:15.000+00:00"
    later = events.user_logout(inst, user_id=oid, user_email="a@b.example", base_url=BASE,
                               now=START + timedelta(microseconds=987654))
    assert later["created_at"] == "2026-03-02T09:30:15.987+00:00"
    assert events.app_uninstalled(inst, base_url=BASE, now=START)["created_at"] == (
        "2026-03-02T09:30:15Z")
    assert body["data"] == {
        "account_id": TENANT.id,
        "user_id": oid,
        "user_email": "alice@contoso.onmicrosoft.com",
        "installation_id": inst.installation_id,
    }
    assert body["_links"] == {
        "root": {"href": BASE},
        "self": {"href": f"{BASE}/apps/{APP_ID}/events/{body['id']}"},
        "user": {"href": f"{BASE}/users/{oid}"},  # {root}/users/{user_id}, as the reference
        "installation": {"href": f"{BASE}/apps/{APP_ID}/installations/{inst.installation_id}"},
    }


def test_created_at_is_utc_whole_seconds_from_the_given_clock() -> None:
    instant = datetime(2026, 3, 2, 10, 30, 15, 987654, tzinfo=UTC).astimezone(
        datetime.now(UTC).astimezone().tzinfo
    )
    assert events.format_created_at(instant) == "2026-03-02T10:30:15Z"


# --- delivery ---------------------------------------------------------------------------------


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
