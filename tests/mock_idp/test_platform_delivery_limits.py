"""What a receiver's answer can cost an event delivery: the attempt as a whole ends within the
delivery timeout, however slowly the receiver answers (a back-channel logout's post too), and of a
refusal only the start of its body is read, however much the receiver sends, and kept as text
any answer can carry, whatever charset the receiver names."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import loops
import pytest

from mock_idp.clock import MockClock
from mock_idp.notifications import Notification, Notifier
from mock_idp.platform.delivery import MAX_ANSWER_READ, DeliveryAttempt, EventDispatcher
from mock_idp.platform.signing import EventKeyRing

START = datetime(2026, 3, 2, 9, 30, 15, tzinfo=UTC)
TIMEOUT = 0.5
"""The delivery timeout of these tests, in seconds."""
ENVELOPE = {"id": "8b62e0c6001548d7b59f8240d79cb0d7", "type": "app.installed", "data": {}}


def deliver(url: str, client: httpx.AsyncClient | None = None) -> DeliveryAttempt:
    clock = MockClock(frozen_at=START)

    async def main() -> DeliveryAttempt:
        async with client or httpx.AsyncClient() as http:
            dispatcher = EventDispatcher(clock, http, EventKeyRing(clock), TIMEOUT)
            return await dispatcher.dispatch(url, dict(ENVELOPE))

    return loops.run(main())


@pytest.fixture
def trickling() -> Iterator[str]:
    """A loopback receiver that sends its status line, then a header line every tenth of the
    delivery timeout, for ten times the delivery timeout: each read is quick, the answer never
    whole in time."""
    stop = threading.Event()

    def answer(conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)
            try:
                conn.sendall(b"HTTP/1.1 200 OK\r\n")
                for _ in range(100):
                    if stop.wait(TIMEOUT / 10):
                        return
                    conn.sendall(b"X-Slow: 1\r\n")
                conn.sendall(b"Content-Length: 0\r\n\r\n")
            except OSError:
                return

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(4)

        def serve() -> None:
            while True:
                try:
                    conn, _ = sock.accept()
                except OSError:
                    return
                threading.Thread(target=answer, args=(conn,), daemon=True).start()

        threading.Thread(target=serve, daemon=True).start()
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/events"
        stop.set()


def test_a_receiver_that_trickles_its_answer_times_out_at_the_delivery_timeout(
    trickling: str,
) -> None:
    started = time.monotonic()
    attempt = deliver(trickling)
    assert time.monotonic() - started < 3 * TIMEOUT
    assert (attempt.status, attempt.error, attempt.outcome) == (None, "timeout", "retry_scheduled")
    assert attempt.detail == f"no whole answer within {TIMEOUT:g} seconds"


class Endless(httpx.AsyncByteStream):
    """A refusal's body of :data:`SIZE` bytes, made as it is read; counts what was read."""

    SIZE = 64 * 1024 * 1024

    def __init__(self) -> None:
        self.read = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        chunk = b"busy, try later " * 4096
        while self.read < self.SIZE:
            self.read += len(chunk)
            yield chunk


def test_only_the_start_of_a_refusals_body_is_read() -> None:
    body = Endless()

    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, stream=body, headers={"Content-Type": "text/plain"})

    attempt = deliver("http://rp.test/events",
                      httpx.AsyncClient(transport=httpx.MockTransport(refuse)))
    assert (attempt.status, attempt.error, attempt.outcome) == (503, None, "retry_scheduled")
    assert attempt.detail == ("busy, try later " * 13)[:200]
    assert body.read <= 2 * MAX_ANSWER_READ + 65536


@pytest.mark.parametrize("charset, spelled", [("utf-7", b"+2AA-"),
                                              ("unicode_escape", b"\\ud800")])
def test_a_refusal_whose_charset_spells_a_lone_surrogate_is_kept_escaped(
        charset: str, spelled: bytes) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, content=b"refused " + spelled + b" here",
                              headers={"Content-Type": f"text/plain; charset={charset}"})

    attempt = deliver("http://rp.test/events",
                      httpx.AsyncClient(transport=httpx.MockTransport(refuse)))
    assert (attempt.status, attempt.outcome) == (400, "retry_scheduled")
    assert attempt.detail == "refused \\ud800 here"
    assert attempt.detail.encode("utf-8")


def test_a_backchannel_logout_to_a_receiver_that_trickles_its_answer_times_out_too(
    trickling: str,
) -> None:
    """The provider's back-channel logout post gets the same bound: a sign-out is held for one
    timeout at most."""
    nothing: Any = None

    async def main() -> Notification:
        async with httpx.AsyncClient() as http:
            notifier = Notifier(clock=MockClock(frozen_at=START), store=nothing, keys=nothing,
                                faults=nothing, platform=nothing, http_client=http,
                                timeout=TIMEOUT)
            return await notifier._post(trickling, "a.b.c", "client", "App", {}, "test", [])

    started = time.monotonic()
    note = loops.run(main())
    assert time.monotonic() - started < 3 * TIMEOUT
    assert note.error == "timeout" and note.status is None, note
