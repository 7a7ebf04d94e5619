"""A command app's port, found free by the harness, taken by something else before the app binds
it: the stack plans another port and registers the app's redirect URIs on it."""

from __future__ import annotations

import contextlib
import socket
from pathlib import Path

import httpx
import pytest
from sample_apps import tiny_profile

from scenarios import stack_app
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
