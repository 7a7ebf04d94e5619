"""A command app's port, found free by the harness, taken by something else before the app binds
it (before its command starts, or while it starts): the stack plans another port and registers
the app's redirect URIs on it."""

from __future__ import annotations

import contextlib
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from sample_apps import answering, tiny_profile

from scenarios import stack_app
from scenarios.app import servers
from scenarios.app.profile import AppProfile
from scenarios.app.servers import AppAddress, AppStartError, port_in_use
from scenarios.live import StackOptions, live_stack


@pytest.fixture
def thief() -> socket.socket:
    """A socket bound to a port, as another program's would be, without listening on it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


def _plans(monkeypatch: pytest.MonkeyPatch, *, first: int = 0) -> list[int]:
    """Record the ports the stack plans for its app, the first one ``first`` if given."""
    real = stack_app.plan_address
    planned: list[int] = []

    def plan(profile: AppProfile, *, port: int = 0) -> AppAddress:
        address = real(profile, port=port or (first if not planned else 0))
        planned.append(address.port)
        return address

    monkeypatch.setattr(stack_app, "plan_address", plan)
    return planned


def test_a_port_taken_before_the_app_binds_it_is_planned_again(
        tmp_path: Path, thief: socket.socket, monkeypatch: pytest.MonkeyPatch) -> None:
    stolen = int(thief.getsockname()[1])
    planned = _plans(monkeypatch, first=stolen)
    with contextlib.closing(thief), live_stack(StackOptions(app=tiny_profile(tmp_path))) as stack:
        assert planned[0] == stolen and stack.server.address.port == planned[-1] != stolen
        registered = stack.graph("GET", f"applications(appId='{stack.client_id}')")
        assert registered["web"]["redirectUris"] == [f"{stack.server.base_url}/callback"]
        assert httpx.get(f"{stack.server.base_url}/account").status_code in (200, 302, 303)


@pytest.fixture
def taken_as_started(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Another server takes the first app's port just as its command starts (after the
    harness found nothing there), and answers its readiness probe; yields that port."""
    real = servers.start_command
    taken: list[int] = []

    with contextlib.ExitStack() as others:
        def start(command: object, **kwargs: object) -> object:
            if not taken:
                port = urlsplit(str(kwargs["ready_url"])).port or 0
                taken.append(others.enter_context(answering(port)))
            return real(command, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(servers, "start_command", start)
        yield taken


@pytest.mark.skipif(sys.platform != "linux", reason="whose listener it is is read from /proc")
def test_a_port_taken_while_the_app_starts_is_planned_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, taken_as_started: list[int]) -> None:
    """The other server's answer is not the app being ready (its command, still loading, would
    exit with "address already in use" once a scenario had begun)."""
    planned = _plans(monkeypatch)
    with live_stack(StackOptions(app=tiny_profile(tmp_path))) as stack:
        assert taken_as_started == planned[:1] and len(planned) == 2
        assert stack.server.address.port == planned[-1]
        assert stack.server.process is not None and stack.server.process.running()
        assert httpx.get(f"{stack.server.base_url}/account").status_code in (200, 302, 303)


def test_an_app_that_fails_on_a_free_port_is_not_started_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    planned = _plans(monkeypatch)
    profile = tiny_profile(tmp_path)
    broken = profile.read_text(encoding="utf-8").replace('"--port", ', '"--no-such-option", ')
    profile.write_text(broken, encoding="utf-8")
    with pytest.raises(AppStartError) as caught, live_stack(StackOptions(app=profile)):
        pass
    assert "exited with code 2" in str(caught.value) and len(planned) == 1


def test_port_in_use_tells_a_held_port_from_a_free_one(thief: socket.socket) -> None:
    with contextlib.closing(thief):
        held = int(thief.getsockname()[1])
        assert port_in_use("127.0.0.1", held)
    assert not port_in_use("127.0.0.1", held)


def test_an_app_not_ready_in_time_is_not_started_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its port is free once it is stopped, whatever TIME_WAIT connections the readiness probes
    left on it."""
    planned = _plans(monkeypatch)
    profile = tiny_profile(tmp_path)
    # 3 s: the app must be up and answering 404 before the wait ends, on a loaded machine too
    # (with 1 s, a busy host's app was not yet listening, and no probe reached it).
    text = profile.read_text(encoding="utf-8").replace("timeout = 20\n",
                                                       'timeout = 3\nready_url = "/nope"\n')
    profile.write_text(text, encoding="utf-8")
    with pytest.raises(AppStartError) as caught, live_stack(StackOptions(app=profile)):
        pass
    assert "HTTP 404" in str(caught.value) and len(planned) == 1
