"""An in-process (``asgi``) app whose lifespan startup blocks (a ``def`` handler doing blocking
I/O, ``time.sleep``) holds the event loop of the worker's app host, on which the harness can
neither serve it nor cancel it. The app could not start, and its error says so and what to do
about it, within ``[app] timeout`` rather than after the host's own wait for a cancelled startup
(an empty ``TimeoutError`` once, ten seconds later); the next start on that host is refused at
once while the loop stays blocked, and once it is free the blocked startup is cancelled and the
host serves the next app."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import httpx
import pytest
from sample_apps import SECTIONS

from scenarios.app import host as app_host
from scenarios.app import parse_profile
from scenarios.app.host import AppHost, HostError
from scenarios.app.process import AppStartError
from scenarios.app.servers import AppServer, hosted_address

BLOCKING_APP = '''\
import asyncio
import threading

RELEASE = threading.Event()
CANCELLED = []


def create(launch):
    async def app(scope, receive, send):
        assert scope["type"] == "lifespan"  # never served: it is never mounted
        await receive()
        RELEASE.wait(30)  # blocking, on the loop, as a def startup handler's I/O is
        try:
            await send({"type": "lifespan.startup.complete"})
            await receive()
        except asyncio.CancelledError:  # once the loop is free
            CANCELLED.append(launch.base_url)
            raise
    return app
'''

BLOCKED = ("asgi = 'blocking_startup_app:create': the app's lifespan startup blocked the event "
           "loop the harness serves in-process apps on for more than 0.5 s ([app] timeout): a "
           "blocking startup (a def handler, blocking I/O, time.sleep) must not run on the loop "
           "(make it async, or hand the blocking work to a thread with asyncio.to_thread), or "
           "run the app as a command ([app] command)")


@pytest.fixture
def blocking_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, "blocking_startup_app", raising=False)
    monkeypatch.setattr(app_host, "LOOP_ANSWER", 0.2)  # a free loop answers in microseconds
    (tmp_path / "blocking_startup_app.py").write_text(BLOCKING_APP, encoding="utf-8")
    profile = tmp_path / "app.toml"
    profile.write_text('[app]\nasgi = "blocking_startup_app:create"\ntimeout = 0.5\n' + SECTIONS,
                       encoding="utf-8")
    return profile


def test_blocked_loop_is_named_and_the_host_goes_on(blocking_app: Path, tmp_path: Path) -> None:
    profile = parse_profile(blocking_app.read_text(encoding="utf-8"), path=blocking_app)
    with AppHost() as host:
        try:
            started = time.monotonic()
            with AppServer(profile, hosted_address(profile, host), workdir=tmp_path,
                           host=host) as server:
                with pytest.raises(AppStartError) as caught:
                    server.start({})
                assert caught.value.message == BLOCKED
                assert time.monotonic() - started < 5  # not the host's 10 s wait on top
                with pytest.raises(AppStartError) as again:  # the loop is still held
                    server.restart({})
                assert again.value.message == f"{BLOCKED} (it still does)"
        finally:
            sys.modules["blocking_startup_app"].RELEASE.set()
        host.mount(_next_app)
        try:
            assert httpx.get(f"http://127.0.0.1:{host.port}/").text == "next"
        finally:
            host.unmount()
        assert sys.modules["blocking_startup_app"].CANCELLED == [server.base_url]


async def _next_app(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
    if scope["type"] == "lifespan":
        raise RuntimeError("no lifespan")
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"next"})


def test_a_host_fault_is_not_the_apps(blocking_app: Path, tmp_path: Path) -> None:
    """The host refusing a second app while one is mounted is a fault of the harness: it is
    raised as it is, not reported as an app that could not start."""
    profile = parse_profile(blocking_app.read_text(encoding="utf-8"), path=blocking_app)
    with AppHost() as host, host.mounted(_next_app):
        with AppServer(profile, hosted_address(profile, host), workdir=tmp_path,
                       host=host) as server:
            with pytest.raises(HostError, match="an app is mounted already"):
                server.start({})


def test_an_apps_failed_startup_is_still_the_apps(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "path", [str(tmp_path), *sys.path])
    monkeypatch.delitem(sys.modules, "failing_startup_app", raising=False)
    (tmp_path / "failing_startup_app.py").write_text(
        "def create(launch):\n"
        "    async def app(scope, receive, send):\n"
        "        await receive()\n"
        "        await send({'type': 'lifespan.startup.failed', 'message': 'no database'})\n"
        "    return app\n", encoding="utf-8")
    profile = parse_profile('[app]\nasgi = "failing_startup_app:create"\n' + SECTIONS)
    with AppHost() as host:
        with AppServer(profile, hosted_address(profile, host), workdir=tmp_path,
                       host=host) as server:
            with pytest.raises(AppStartError) as caught:
                server.start({})
    assert caught.value.message == ("asgi = 'failing_startup_app:create': the app's startup "
                                    "failed: no database")
