"""What a receiver's answer can cost an event delivery: the attempt as a whole ends within the
delivery timeout, however slowly the receiver answers."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import loops
import pytest

from mock_idp.clock import MockClock
from mock_idp.platform.delivery import DeliveryAttempt, EventDispatcher
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
