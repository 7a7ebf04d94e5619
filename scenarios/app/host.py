"""One server for a worker's in-process apps: each scenario's app instance is mounted on it in
turn, so starting the app under test costs building it, not starting and stopping a server.

Starting and stopping a uvicorn server costs a fixed 0.1 s sleep in its shutdown, paid by every
scenario that starts its own. :class:`AppHost` serves one address for the whole worker; its
ASGI app forwards each request to the instance :meth:`AppHost.mount` put there, after running
that instance's lifespan startup in the server's event loop, and :meth:`AppHost.unmount` runs
its lifespan shutdown. Between two instances the host answers 503. Every instance is a new
object built from scratch (its own database, secrets and settings), so nothing of one
scenario's app reaches the next; only the listening socket is shared.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_idp.testing import RunningServer, run_in_thread
from scenarios.app.port_reservation import held_listener

__all__ = ["AppHost", "BlockedLoop", "HostError", "SlowStartup", "StartupFailed"]

LIFESPAN_TIMEOUT = 10.0
LOOP_ANSWER = 1.0
"""How long the host's event loop is given to run a callback before it counts as blocked."""


class HostError(RuntimeError):
    """The host was used wrong (an app mounted while another is: a fault of the harness), or
    an app's startup failed (:class:`StartupFailed`)."""


class StartupFailed(HostError):
    """An app's lifespan startup failed: the app's fault, not the host's."""


class SlowStartup(StartupFailed):
    """An app's lifespan startup did not finish within its time, and was cancelled."""


class BlockedLoop(StartupFailed):
    """An app's lifespan startup holds the host's event loop (it runs blocking code, a ``def``
    startup handler doing blocking I/O or ``time.sleep``): nothing can be served on the host,
    nor the startup cancelled, until it returns. Starlette took synchronous startup handlers
    (its docs/events.md) and its default lifespan calls one that is not async directly, on
    the loop, before 1.0 dropped ``on_startup``."""


@dataclass(eq=False)
class _Lifespan:
    """An app's lifespan, driven by hand: startup now, shutdown later."""

    app: ASGIApp
    state: dict[str, Any] = field(default_factory=dict)
    _inbox: asyncio.Queue[Message] = field(default_factory=asyncio.Queue)
    _outbox: asyncio.Queue[Message] = field(default_factory=asyncio.Queue)
    _task: asyncio.Task[None] | None = None

    async def startup(self) -> None:
        scope: Scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": self.state}
        self._task = asyncio.get_running_loop().create_task(self._run(scope))
        await self._inbox.put({"type": "lifespan.startup"})
        reply = await self._outbox.get()
        if reply["type"] != "lifespan.startup.complete":
            raise StartupFailed(
                f"the app's startup failed: {reply.get('message', reply['type'])}")

    async def _run(self, scope: Scope) -> None:
        try:
            await self.app(scope, self._inbox.get, self._outbox.put)
        except BaseException:  # an app without a lifespan raises on it; that is allowed
            await self._outbox.put({"type": "lifespan.startup.complete"})
            await self._outbox.put({"type": "lifespan.shutdown.complete"})

    async def abandon(self) -> None:
        """Cancel a startup that took too long (the app's lifespan task with it)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task

    async def shutdown(self) -> None:
        if self._task is None or self._task.done():
            return
        await self._inbox.put({"type": "lifespan.shutdown"})
        await self._outbox.get()
        with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(self._task, LIFESPAN_TIMEOUT)


class AppHost:
    """Serves the mounted app on one address, from a server started once."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._host = host
        self._current: _Lifespan | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._blocked: str | None = None
        """Why the loop does not answer: the startup that blocked it (:class:`BlockedLoop`)."""
        self._running = contextlib.ExitStack()
        self.server: RunningServer | None = None

    @property
    def port(self) -> int:
        assert self.server is not None, "the host is not started"
        return self.server.port

    def __enter__(self) -> AppHost:
        # On a port no other worker has planned for its app, reserved while it serves.
        sock = self._running.enter_context(held_listener(self._host))
        self.server = self._running.enter_context(run_in_thread(self, sock=sock))
        return self

    def __exit__(self, *exc: object) -> None:
        self.unmount()
        if self._blocked is None or self._answers():
            self._running.close()
            return
        # The server cannot stop while a startup holds its loop: its thread (a daemon) is left
        # to it, after the server's own shutdown timeout, and the socket is closed.
        with contextlib.suppress(TimeoutError):
            self._running.close()

    @contextlib.contextmanager
    def mounted(self, app: ASGIApp, *, timeout: float = LIFESPAN_TIMEOUT) -> Iterator[None]:
        self.mount(app, timeout=timeout)
        try:
            yield
        finally:
            self.unmount()

    def mount(self, app: ASGIApp, *, timeout: float = LIFESPAN_TIMEOUT) -> None:
        """Start ``app``'s lifespan and send every request to it from now on. A startup not
        done within ``timeout`` seconds (the profile's ``[app] timeout``) is cancelled, and
        is a :class:`SlowStartup`: the startup of an app that loads data or runs migrations may
        take longer than the host's own :data:`LIFESPAN_TIMEOUT`."""
        if self._current is not None:
            raise HostError("an app is mounted already; unmount it first")
        if self._blocked is not None and not self._answers():
            raise BlockedLoop(f"{self._blocked} (it still does)")
        self._blocked = None
        lifespan = _Lifespan(app)
        try:
            self._call(lifespan.startup(), timeout)
        except TimeoutError:
            if not self._answers():
                self._blocked = (
                    f"the app's lifespan startup blocked the event loop the harness serves "
                    f"in-process apps on for more than {timeout:g} s ([app] timeout): a "
                    "blocking startup (a def handler, blocking I/O, time.sleep) must not run "
                    "on the loop (make it async, or hand the blocking work to a thread with "
                    "asyncio.to_thread), or run the app as a command ([app] command)")
                # Cancelled when the loop is free again, not left running beside the next app.
                asyncio.run_coroutine_threadsafe(lifespan.abandon(), self._event_loop())
                raise BlockedLoop(self._blocked) from None
            with contextlib.suppress(TimeoutError):  # a startup deaf to its cancelling
                self._call(lifespan.abandon())
            raise SlowStartup(f"the app's lifespan startup did not finish within {timeout:g} s"
                              ) from None
        self._current = lifespan

    def unmount(self) -> None:
        """Stop sending requests to the mounted app and run its lifespan shutdown."""
        current, self._current = self._current, None
        if current is not None:
            self._call(current.shutdown())

    def _event_loop(self) -> asyncio.AbstractEventLoop:
        assert self._loop is not None, "the host's server is not running"
        return self._loop

    def _answers(self) -> bool:
        """Whether the host's event loop runs a callback within :data:`LOOP_ANSWER` seconds."""
        answered = threading.Event()
        self._event_loop().call_soon_threadsafe(answered.set)
        return answered.wait(LOOP_ANSWER)

    def _call(self, coroutine: Any, timeout: float = LIFESPAN_TIMEOUT) -> None:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._event_loop())
        try:
            future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The host's own ASGI app: the mounted app's, or 503 between two."""
        if scope["type"] == "lifespan":
            self._loop = asyncio.get_running_loop()
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            if self._current is not None:
                await self._current.shutdown()
            await send({"type": "lifespan.shutdown.complete"})
            return
        current = self._current
        if current is None:
            await _unavailable(scope, send)
            return
        await current.app({**scope, "state": dict(current.state)}, receive, send)


async def _unavailable(scope: Scope, send: Send) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 503,
                "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
    await send({"type": "http.response.body", "body": b"no app is mounted between scenarios"})
