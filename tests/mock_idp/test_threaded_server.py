"""``ThreadedServer``: run_in_thread's uvicorn server stops at once when told from a thread,
waits for what is still open rather than for fixed tenths of a second, and still lets a request
in flight finish (or cancels it when the graceful time is up)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import loops
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from mock_idp.serving import bind_socket, server_config
from mock_idp.testing import ThreadedServer, run_in_thread
from mock_idp.tls import TlsFiles, ensure_tls_files

TICK = 0.1
"""uvicorn's main-loop tick, and its shutdown's fixed wait."""


def test_an_idle_connection_outlives_an_http_clients_pooled_one() -> None:
    """As the reference RP's server: the client closes its pooled connection first, never the
    server at the instant the client sends a token request on it (a read error, no answer)."""
    pooled = httpx.Limits().keepalive_expiry  # httpx's default pool
    assert pooled is not None
    config = server_config(Starlette(), ssl=None, log_level="warning")
    assert config.timeout_keep_alive > pooled


def _server() -> ThreadedServer:
    config = uvicorn.Config(Starlette(), lifespan="off", log_level="warning")
    config.load()
    return ThreadedServer(config)


def test_stop_from_another_thread_ends_the_main_loop_before_the_next_tick(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The loop's 0.1 s tick is stretched to a minute: the loop ends in time only if the stop
    # wakes it (no wall-clock bound that a loaded machine could miss).
    wait_for = asyncio.wait_for

    def long_ticks(awaitable: Any, timeout: float | None) -> Any:
        return wait_for(awaitable, 60 if timeout == TICK else timeout)

    monkeypatch.setattr(asyncio, "wait_for", long_ticks)
    server = _server()

    async def scenario() -> None:
        loop_done = asyncio.create_task(server.main_loop())
        await asyncio.sleep(0.01)  # the loop is waiting on its tick
        threading.Thread(target=server.stop).start()
        await wait_for(loop_done, 10)

    loops.run(scenario())
    assert server.should_exit


def test_stop_before_the_server_runs_only_asks_it_to_exit() -> None:
    server = _server()
    server.stop()
    assert server.should_exit


def test_run_in_thread_serves_and_stops() -> None:
    with run_in_thread(Starlette()) as running:
        assert running.port > 0


def _stopped_in(running: contextlib.AbstractContextManager[object]) -> float:
    started = time.monotonic()
    running.__exit__(None, None, None)
    return time.monotonic() - started


def test_a_stop_with_nothing_open_does_not_wait_a_fixed_tenth_of_a_second(
        monkeypatch: pytest.MonkeyPatch) -> None:
    running = run_in_thread(Starlette())
    running.__enter__()
    sleep, slept = asyncio.sleep, []

    async def recorded(delay: float, *args: Any) -> Any:
        slept.append(delay)
        return await sleep(delay, *args)

    monkeypatch.setattr(asyncio, "sleep", recorded)
    _stopped_in(running)
    assert [d for d in slept if d >= TICK] == []  # uvicorn's own shutdown sleeps 0.1 s first


@contextlib.contextmanager
def _serving(server: ThreadedServer) -> Iterator[int]:
    """Run ``server`` in a thread on an ephemeral port (its port); wait for it to end after."""
    sock = bind_socket("127.0.0.1", 0)
    serving = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    serving.start()
    while not server.started:
        time.sleep(0.005)
    try:
        yield sock.getsockname()[1]
    finally:
        server.stop()
        serving.join(5)
        sock.close()
        assert not serving.is_alive()


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return ensure_tls_files(tmp_path_factory.mktemp("tls"))


def test_a_kept_alive_idle_connection_is_closed_at_once() -> None:
    running = run_in_thread(Starlette(routes=[Route("/", lambda _: PlainTextResponse("hi"))]))
    server = running.__enter__()
    with httpx.Client() as client:
        assert client.get(server.url("/")).text == "hi"  # the connection stays open
        assert _stopped_in(running) < 0.09  # uvicorn's own polls it every 0.1 s


def test_an_idle_tls_connection_does_not_hold_the_stop_for_the_graceful_time(
        tls: TlsFiles) -> None:
    # A pooled client connection answers the server's close_notify only when it next uses the
    # socket; uvicorn's own stop waits for it until its graceful time is up (2 s here).
    app = Starlette(routes=[Route("/", lambda _: PlainTextResponse("hi"))])
    server = ThreadedServer(server_config(app, ssl=tls, log_level="critical",
                                          graceful_shutdown=2))
    with httpx.Client(verify=tls.client_context()) as client:
        with _serving(server) as port:
            assert client.get(f"https://127.0.0.1:{port}/").text == "hi"
            assert len(server.server_state.connections) == 1  # kept alive, idle
            started = time.monotonic()
        assert time.monotonic() - started < 1.0
        assert not server.server_state.connections  # closed, not left behind


def test_an_answer_still_in_the_send_buffer_is_delivered_in_full() -> None:
    size = 32 * 1024 * 1024  # more than the loopback socket's buffers hold
    answered = threading.Event()

    async def big(_: Request) -> Response:
        answered.set()
        return Response(b"x" * size, media_type="application/octet-stream")

    server = ThreadedServer(server_config(Starlette(routes=[Route("/big", big)]), ssl=None,
                                          log_level="critical", graceful_shutdown=5))
    received = bytearray()
    with _serving(server) as port, socket.create_connection(("127.0.0.1", port)) as client:
        client.sendall(b"GET /big HTTP/1.1\r\nHost: test\r\n\r\n")
        assert answered.wait(5)
        while server.server_state.tasks:  # the answer is written; the client has read none
            time.sleep(0.005)
        server.stop()
        while chunk := client.recv(1 << 20):
            received += chunk
    assert received.endswith(b"x" * 1024) and len(received.split(b"\r\n\r\n", 1)[1]) == size


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_request_in_flight_is_answered_before_the_server_stops(
        scheme: str, tls: TlsFiles) -> None:
    release, entered = threading.Event(), threading.Event()

    async def slow(_: Request) -> PlainTextResponse:
        entered.set()
        while not release.is_set():
            await asyncio.sleep(0.005)
        return PlainTextResponse("finished")

    answers: list[httpx.Response] = []
    over_tls = scheme == "https"
    running = run_in_thread(Starlette(routes=[Route("/slow", slow)]),
                            ssl=tls if over_tls else None)
    server = running.__enter__()
    verify = tls.client_context() if over_tls else True
    asking = threading.Thread(
        target=lambda: answers.append(httpx.get(server.url("/slow"), verify=verify)))
    asking.start()
    stopping = threading.Thread(target=lambda: running.__exit__(None, None, None))
    assert entered.wait(5)
    stopping.start()
    stopping.join(0.2)
    assert stopping.is_alive()  # waiting for the request
    release.set()
    stopping.join(5)
    asking.join(5)
    assert not stopping.is_alive()
    assert [a.text for a in answers] == ["finished"]


def test_a_request_past_the_graceful_time_is_cancelled_and_the_server_stops() -> None:
    cancelled = threading.Event()
    entered = threading.Event()

    async def endless(_: Request) -> PlainTextResponse:
        entered.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return PlainTextResponse("never")

    config = uvicorn.Config(Starlette(routes=[Route("/", endless)]), lifespan="off",
                            log_level="critical", timeout_graceful_shutdown=0)
    server = ThreadedServer(config)
    with _serving(server) as port:
        asking = threading.Thread(target=lambda: _ignore_errors(f"http://127.0.0.1:{port}/"),
                                  daemon=True)
        asking.start()
        assert entered.wait(5)
    assert cancelled.is_set()


def _ignore_errors(url: str) -> None:
    with contextlib.suppress(httpx.HTTPError):
        httpx.get(url, timeout=5)
