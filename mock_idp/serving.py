"""Serving an ASGI app in a thread: a real server on an ephemeral port for tests and tools.

:func:`run_in_thread` (uvicorn in a daemon thread, bounded start and stop), with the socket and
URL helpers it rests on. :mod:`mock_idp.testing` re-exports it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import uvicorn
from starlette.types import ASGIApp

from .tls import TlsFiles

__all__ = ["LISTEN_BACKLOG", "DrainingServer", "RunningServer", "ThreadedServer", "bind_socket",
           "run_in_thread", "server_config", "url_host"]

LISTEN_BACKLOG = 128


def _nothing() -> None:
    return None


@dataclass(frozen=True)
class RunningServer:
    base_url: str
    port: int
    stop: Callable[[], None] = field(default=_nothing, compare=False, repr=False)
    """Ask the server to stop without waiting for it (the context manager's exit waits);
    several servers told first stop side by side."""

    def url(self, path: str = "/") -> str:
        return self.base_url + "/" + path.lstrip("/")


def bind_socket(host: str, port: int, *, listen: bool = True) -> socket.socket:
    """A listening socket bound before the server starts, so the port is known and kept
    (``listen=False``: bound only; call ``listen(LISTEN_BACKLOG)`` on it to serve it)."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        if listen:
            sock.listen(LISTEN_BACKLOG)
    except OSError:
        sock.close()
        raise
    return sock


def url_host(host: str) -> str:
    """The host as it appears in a URL: unspecified addresses become loopback, IPv6 bracketed."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return host
    return f"[{address}]" if address.version == 6 else str(address)


def server_config(app: ASGIApp, *, ssl: TlsFiles | None, log_level: str,
                  access_log: bool = False, graceful_shutdown: int | None = None
                  ) -> uvicorn.Config:
    """uvicorn settings; an app that dates its own responses (the mock provider, from its
    clock) is served without uvicorn's ``Date`` header. ``graceful_shutdown``: seconds a stop
    waits for open connections before closing them (``None``: as long as they last).

    No ``Server`` header either: Entra's answers carry none (raw captures of its token,
    device-code, authorize and GetCredentialType answers, 2019-2026, list every header and no
    ``Server``), and a server that names its software tells clients something they should not
    depend on.

    An idle connection is kept :data:`KEEP_ALIVE_SECONDS`, not uvicorn's 5 s: a client's pool
    keeps one 5 s too (httpx's default) and sends its next request on it at the instant the
    server closes it, which fails with a read error, not an answer (seen on a loaded machine as
    an app's token request that "could not reach the identity provider"). The server keeping
    it longer than the clients do leaves the closing to them."""
    own_date = bool(getattr(getattr(app, "state", None), "serves_date_header", False))
    return uvicorn.Config(
        app, lifespan="on", log_level=log_level, access_log=access_log,
        ssl_certfile=str(ssl.cert) if ssl else None, ssl_keyfile=str(ssl.key) if ssl else None,
        date_header=not own_date, server_header=False,
        timeout_graceful_shutdown=graceful_shutdown, timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )


KEEP_ALIVE_SECONDS = 120
"""How long an idle connection is kept open: longer than HTTP clients keep theirs in a pool
(httpx and Node's undici 4-5 s, Go's 90 s), so the client closes it first."""

DRAIN_POLL = 0.005
"""Seconds between two looks at a stopping server's open connections and requests."""


def _delivering(transport: asyncio.Transport | None) -> bool:
    """A connection that may still deliver something: not yet closing (its response is being
    written, after which it closes), or closing with data still to send."""
    if transport is None:
        return False
    if not transport.is_closing():
        return True
    return transport.get_write_buffer_size() > 0


class DrainingServer(uvicorn.Server):
    """uvicorn's server whose :meth:`shutdown` waits for what is still open, not for fixed
    tenths of a second (the command line's server, and :class:`ThreadedServer`'s)."""

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's shutdown (0.54: stop listening, ask each connection to close once its
        response is out, wait for connections and requests within the graceful timeout, then
        the lifespan's shutdown) without its fixed waits: uvicorn sleeps a tenth of a second
        after asking connections to close, and then polls them every tenth of a second. Most
        stops have no connection left; each still cost a tenth of a second, about 11 s
        summed over ``make test``. Here the connections and requests are polled every
        :data:`DRAIN_POLL` seconds, and connections with nothing left to deliver are not
        waited for (see :meth:`_drained`)."""
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        _release_held(self.config.app)
        state = self.server_state
        for connection in list(state.connections):
            connection.shutdown()
        try:
            await asyncio.wait_for(self._drained(), self.config.timeout_graceful_shutdown)
        except TimeoutError:  # requests still running when the graceful time is up
            for task in state.tasks:
                task.cancel()
        if not self.force_exit:
            await self.lifespan.shutdown()

    async def _drained(self) -> None:
        state = self.server_state
        while not self.force_exit and (state.tasks or any(
                _delivering(connection.transport) for connection in state.connections)):
            await asyncio.sleep(DRAIN_POLL)
        # Every request has its answer and every answer is out: a connection still open waits
        # only for its peer. Over TLS that is the peer's close_notify, which a browser's (or
        # an HTTP client's) pooled connection sends only when it next looks at the socket, so
        # uvicorn would hold the stop for the whole graceful time (2 s for every scenario
        # whose provider is on https). Such connections are dropped.
        for connection in list(state.connections):
            if connection.transport is not None:
                connection.transport.abort()
        for server in self.servers:
            await server.wait_closed()


def _release_held(app: object) -> None:
    """An app that holds requests on purpose (the mock provider's ``hang`` and ``latency``
    faults) lets them go when its server stops, through ``app.state.release_held``: they are
    answered within the stop rather than cancelled at its end."""
    release = getattr(getattr(app, "state", None), "release_held", None)
    if callable(release):
        release()


class ThreadedServer(DrainingServer):
    """uvicorn's server, with a :meth:`stop` that another thread can call.

    uvicorn checks ``should_exit`` on a 0.1 s tick; :meth:`stop` also wakes that tick, so a
    test's teardown does not wait up to a tick for nothing. Otherwise the loop is uvicorn's own.
    """

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def main_loop(self) -> None:
        self._wake = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + 1) % 864000
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.1)
            should_exit = await self.on_tick(counter)

    def stop(self) -> None:
        self.should_exit = True
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already closed
                loop.call_soon_threadsafe(wake.set)


@contextmanager
def run_in_thread(app: ASGIApp, *, host: str = "127.0.0.1", port: int = 0,
                  ssl: TlsFiles | None = None, startup_timeout: float = 5.0,
                  shutdown_timeout: float = 5.0, log_level: str = "warning",
                  sock: socket.socket | None = None) -> Iterator[RunningServer]:
    """Serve ``app`` with uvicorn in a daemon thread until the block ends.

    Pass ``sock`` (from :func:`bind_socket`) when the app must know its own URL before it is
    built; ``host`` and ``port`` are then ignored.
    """
    if sock is not None:
        host = sock.getsockname()[0]
    else:
        sock = bind_socket(host, port)
    bound_port: int = sock.getsockname()[1]
    # Half the stop's time goes to letting requests still running finish and their answers
    # go out; then what is left is cancelled and closed.
    server = ThreadedServer(server_config(app, ssl=ssl, log_level=log_level,
                                          graceful_shutdown=max(1, int(shutdown_timeout / 2))))
    exit_codes: list[object] = []

    def serve() -> None:
        try:
            server.run(sockets=[sock])
        except SystemExit as exc:  # uvicorn's way of reporting a failed startup
            exit_codes.append(exc.code)

    thread = threading.Thread(target=serve, daemon=True, name=f"mock-idp-server-{bound_port}")
    thread.start()
    failed = False
    try:
        deadline = time.monotonic() + startup_timeout
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError(f"the server stopped during startup (exit {exit_codes})")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the server did not start within {startup_timeout} s")
            time.sleep(0.005)
        scheme = "https" if ssl else "http"
        yield RunningServer(base_url=f"{scheme}://{url_host(host)}:{bound_port}",
                            port=bound_port, stop=server.stop)
    except BaseException:
        failed = True  # what went wrong (a startup still hanging, say) is what is raised
        raise
    finally:
        server.stop()
        thread.join(shutdown_timeout)
        sock.close()
        if thread.is_alive() and not failed:
            raise TimeoutError(f"the server did not stop within {shutdown_timeout} s")
