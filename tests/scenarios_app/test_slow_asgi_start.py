"""An in-process (``asgi``) app whose lifespan startup is slow (it loads data, runs migrations)
is given the profile's ``[app] timeout``, on the worker's app host as on a server of its own:
one that outlasts it is an app that could not start, saying where to give it more time, and
its startup is cancelled, not left running beside the next scenario's app."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest
from sample_apps import SECTIONS

from scenarios.app import parse_profile
from scenarios.app.host import AppHost
from scenarios.app.process import AppStartError
from scenarios.app.servers import AppServer, hosted_address, plan_address

SLOW_APP = '''\
import asyncio

CANCELLED = []


def create(launch):
    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            await receive()
            try:
                await asyncio.Event().wait()  # a startup that never ends
            except asyncio.CancelledError:
                CANCELLED.append(launch.base_url)
                raise
            return
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"up"})
    return app
'''


@pytest.fixture
def slow_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, "slow_startup_app", raising=False)
    (tmp_path / "slow_startup_app.py").write_text(SLOW_APP, encoding="utf-8")
    profile = tmp_path / "app.toml"
    profile.write_text('[app]\nasgi = "slow_startup_app:create"\ntimeout = 0.5\n' + SECTIONS,
                       encoding="utf-8")
    return profile


def _error(server: AppServer) -> str:
    with pytest.raises(AppStartError) as caught:
        server.start({})
    return caught.value.message


def _hint(profile: Path) -> str:
    return ("the app's lifespan startup did not finish within 0.5 s; the app may only be slow "
            f"to start: give it more time with [app] timeout (now 0.5 s; {profile}:3)")


def test_on_the_app_host(slow_app: Path, tmp_path: Path) -> None:
    profile = parse_profile(slow_app.read_text(encoding="utf-8"), path=slow_app)
    with AppHost() as host:
        with AppServer(profile, hosted_address(profile, host), workdir=tmp_path,
                       host=host) as server:
            assert _error(server) == f"asgi = 'slow_startup_app:create': {_hint(slow_app)}"
        assert sys.modules["slow_startup_app"].CANCELLED == [server.base_url]
        # Nothing of it is left mounted: the host takes the next app.
        host.mount(lambda scope, receive, send: _answer(send) if scope["type"] == "http"
                   else _no_lifespan())
        assert httpx.get(f"http://127.0.0.1:{host.port}/").text == "next"
        host.unmount()


@pytest.mark.slow  # a server whose startup hangs is waited for 5 s as it stops
def test_on_a_server_of_its_own(slow_app: Path, tmp_path: Path) -> None:
    profile = parse_profile(slow_app.read_text(encoding="utf-8"), path=slow_app)
    with AppServer(profile, plan_address(profile), workdir=tmp_path) as server:
        assert _error(server).endswith(_hint(slow_app).replace(
            "the app's lifespan startup did not finish within 0.5 s",
            "the server did not start within 0.5 s"))


async def _answer(send) -> None:  # type: ignore[no-untyped-def]
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"next"})


async def _no_lifespan() -> None:
    raise RuntimeError("no lifespan")
