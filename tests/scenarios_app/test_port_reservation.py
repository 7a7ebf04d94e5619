"""Two workers of a run never plan one port for their apps: each planned port is reserved
across the harness's processes while its app may run, and planning skips a reserved one; nor
do the harness's own servers (the mock provider, the app host, an in-process app's) take one."""

from __future__ import annotations

import contextlib
import socket
import statistics
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sample_apps import SECTIONS

from mock_idp.config import REFERENCE_RP_CLIENT_ID, REFERENCE_RP_SECRET
from mock_idp.testing import MockIdp
from scenarios.__main__ import build_parser
from scenarios.app import parse_profile
from scenarios.app.host import AppHost
from scenarios.app.port_reservation import reserve
from scenarios.app.profile import AppProfile
from scenarios.app.servers import AppServer, plan_address
from scenarios.conformance.setup import from_flags
from scenarios.real_idp import load_idp_config, real_idp_stack
from scenarios.shared_servers import start_provider

ROOT = Path(__file__).resolve().parents[2]


def _profile(tmp_path: Path) -> AppProfile:
    return parse_profile(textwrap.dedent(f"""\
        [app]
        command = ["{sys.executable}", "-m", "http.server", "{{port}}"]
        """) + SECTIONS, path=tmp_path / "app.toml")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _system_hands(monkeypatch: pytest.MonkeyPatch, ports: list[int]) -> None:
    """Make the system hand out ``ports``, one by one, for the next binds to port 0 (as it may
    hand one port to two processes that each bind port 0 and let it go)."""
    real = socket.socket

    class Handing(real):  # type: ignore[misc, valid-type]
        def bind(self, address: object) -> None:
            if isinstance(address, tuple) and address[1] == 0 and ports:
                address = (address[0], ports.pop(0), *address[2:])
            super().bind(address)

    monkeypatch.setattr(socket, "socket", Handing)


def test_two_plans_handed_one_port_by_the_system_get_two_ports(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    profile = _profile(tmp_path)
    port = _free_port()
    _system_hands(monkeypatch, [port, port])
    first = plan_address(profile)
    second = plan_address(profile)  # another worker's, planned while the first app may run
    try:
        assert first.port == port and second.port != port
        assert second.base_url == f"http://127.0.0.1:{second.port}"
    finally:
        for address in (first, second):
            AppServer(profile, address, workdir=tmp_path).stop()


def test_a_port_is_planned_again_once_its_app_has_stopped(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    profile = _profile(tmp_path)
    port = _free_port()
    _system_hands(monkeypatch, [port, port])
    with AppServer(profile, plan_address(profile), workdir=tmp_path) as server:
        assert server.address.reservation is not None and server.address.reservation.held
    assert not server.address.reservation.held
    again = plan_address(profile)
    assert again.port == port
    AppServer(profile, again, workdir=tmp_path).stop()


def test_a_port_another_process_reserved_is_refused_until_that_process_ends() -> None:
    port = _free_port()
    with subprocess.Popen(
            [sys.executable, "-c", "import sys\nfrom scenarios.app.port_reservation import "
             f"reserve\nheld = reserve({port})\nprint(held is not None and held.held, "
             "flush=True)\nsys.stdin.read()"],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as other:
        assert other.stdout is not None and other.stdout.readline().strip() == "True"
        assert reserve(port) is None
        other.communicate(timeout=10)  # its stdin closed: it ends
    mine = reserve(port)  # the system let go of it as the process ended
    assert mine is not None and mine.held
    mine.release()


@pytest.mark.parametrize("way", ["abstract name", "lock file"])
def test_a_reservation_excludes_another_until_released(way: str, tmp_path: Path) -> None:
    directory = tmp_path / "ports" if way == "lock file" else None
    port = _free_port()
    first = reserve(port, directory=directory)
    assert first is not None and first.held
    assert reserve(port, directory=directory) is None
    first.release()
    first.release()  # again: nothing
    second = reserve(port, directory=directory)
    assert second is not None and second.held
    second.release()


def test_planning_a_port_stays_well_under_a_millisecond(tmp_path: Path) -> None:
    """It is on the way of every start of a command app (measured about 0.05 ms)."""
    profile = _profile(tmp_path)
    times = []
    for _ in range(50):
        began = time.perf_counter()
        address = plan_address(profile)
        times.append(time.perf_counter() - began)
        assert address.reservation is not None
        address.reservation.release()
    assert statistics.median(times) < 0.001, times


def test_a_restarted_app_keeps_its_port_reserved(tmp_path: Path) -> None:
    profile = _profile(tmp_path)
    with AppServer(profile, plan_address(profile), workdir=tmp_path) as server:
        server.start({})
        server.restart({})  # a renewed secret: the same port, never free for another worker
        assert server.address.reservation is not None and server.address.reservation.held
        assert reserve(server.address.port) is None
    assert not server.address.reservation.held



@contextlib.contextmanager
def _provider(_: Path) -> Iterator[int]:
    with start_provider() as provider:
        yield provider.server.port


@contextlib.contextmanager
def _app_host(_: Path) -> Iterator[int]:
    with AppHost() as host:
        yield host.port


@contextlib.contextmanager
def _asgi_app(tmp_path: Path) -> Iterator[int]:
    """An in-process app's own server (no host): its socket is bound as its address is planned,
    before the app is built."""
    profile = parse_profile('[app]\nasgi = "unbuilt_app:create"\n' + SECTIONS,
                            path=tmp_path / "asgi.toml")
    with AppServer(profile, plan_address(profile), workdir=tmp_path) as server:
        yield server.address.port


@contextlib.contextmanager
def _conformance_provider(_: Path) -> Iterator[int]:
    """The mock ``conformance --rp`` starts itself (no ``--idp``)."""
    args = build_parser().parse_args(["conformance", "--rp", "http://127.0.0.1:9"])
    with contextlib.ExitStack() as stack:
        target = from_flags(args, stack, say=lambda _: None)
        yield int(urlsplit(target.options.idp).port or 0)


@contextlib.contextmanager
def _real_idp_relying_party(tmp_path: Path) -> Iterator[int]:
    """The reference RP ``run --idp`` starts (here with the mock, on a port of its own, as the
    provider it connects to)."""
    config = tmp_path / "idp.toml"
    config.write_text(textwrap.dedent("""\
        [provider]
        authority = "{authority}"
        client_id = "{client_id}"
        client_secret_env = "RESERVATION_TEST_SECRET"
        [user]
        username = "alice@contoso.onmicrosoft.com"
        password_env = "RESERVATION_TEST_PASSWORD"
        """), encoding="utf-8")
    with pytest.MonkeyPatch.context() as env, MockIdp(port=_free_port()) as provider:
        env.setenv("RESERVATION_TEST_SECRET", REFERENCE_RP_SECRET)
        env.setenv("RESERVATION_TEST_PASSWORD", "P@ssw0rd-alice")
        config.write_text(config.read_text().format(authority=provider.authority,
                                                    client_id=REFERENCE_RP_CLIENT_ID))
        with real_idp_stack(load_idp_config(config), workdir=tmp_path) as stack:
            yield stack.rp.port


LISTENERS: dict[str, Callable[[Path], contextlib.AbstractContextManager[int]]] = {
    "mock provider": _provider, "app host": _app_host, "in-process app's server": _asgi_app,
    "conformance's mock provider": _conformance_provider,
    "run --idp's relying party": _real_idp_relying_party}


@pytest.mark.parametrize("listener", LISTENERS)
def test_a_listener_of_the_harness_skips_a_port_another_worker_planned_and_reserves_its_own(
        listener: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One worker plans a port for its command app (found free, let go, reserved); the system
    hands the same port to another worker's own server, which must take another, or the app
    would find its port taken (or the browser reach the wrong server)."""
    command_app = _profile(tmp_path)
    port = _free_port()
    _system_hands(monkeypatch, [port, port])
    planned = plan_address(command_app)  # the first worker's
    assert planned.port == port
    try:
        with LISTENERS[listener](tmp_path) as served:  # the second worker's
            assert served != port
            assert reserve(served) is None  # no third worker plans its app on it
        again = reserve(served)
        assert again is not None and again.held  # let go with its server
        again.release()
    finally:
        AppServer(command_app, planned, workdir=tmp_path).stop()
