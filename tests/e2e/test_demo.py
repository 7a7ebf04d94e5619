"""``python -m scenarios demo``: starts, prints what to click, serves it, stops on Ctrl-C."""

from __future__ import annotations

import argparse
import contextlib
import errno
import io
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from scenarios import demo
from scenarios.__main__ import build_parser
from scenarios.live import PEOPLE, LiveStack, StackOptions, live_stack

URL = r"(http://(?:127\.0\.0\.1|localhost):\d+\S*)"


def _read_until_ready(process: subprocess.Popen[str], timeout: float = 60) -> str:
    """Everything the demo prints up to its ready line (or until it exits)."""
    lines: list[str] = []
    done = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if line.strip() == demo.READY_LINE:
                break
        done.set()

    threading.Thread(target=read, daemon=True).start()
    done.wait(timeout)
    return "".join(lines)


def _find(output: str, label: str) -> str:
    match = re.search(rf"^\s*{re.escape(label)}\s+{URL}", output, re.MULTILINE)
    assert match, f"no {label!r} URL in the demo's output:\n{output}"
    return match.group(1)


# ``python -m scenarios demo`` as a terminal starts it: Ctrl-C raises KeyboardInterrupt even
# when this test runs with SIGINT ignored (a shell's background job, whose children inherit
# that, and Python then installs no handler). It prints every thread's stack on SIGUSR1, so a
# demo that does not stop shows where it is stuck.
DEMO = ("import faulthandler, signal, sys; "
        "signal.signal(signal.SIGINT, signal.default_int_handler); "
        "faulthandler.register(signal.SIGUSR1, all_threads=True); "
        "from scenarios.__main__ import main; sys.exit(main(sys.argv[1:]))")


@dataclass
class Demo:
    process: subprocess.Popen[str]
    errors: list[str] = field(default_factory=list)
    """What it wrote to stderr, read as it comes (a full pipe would block it)."""

    def exit_code(self, timeout: float) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.send_signal(signal.SIGUSR1)
            time.sleep(1)
            raise AssertionError(f"the demo did not stop within {timeout} s; its threads:\n"
                                 + "".join(self.errors)[-6000:]) from None


@pytest.fixture
def demo_process() -> Iterator[Demo]:
    process = subprocess.Popen(
        [sys.executable, "-c", DEMO, "demo", "--idp-port", "0", "--rp-port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    running = Demo(process)

    def drain() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            running.errors.append(line)

    drainer = threading.Thread(target=drain, daemon=True)
    drainer.start()
    try:
        yield running
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        drainer.join(10)
        for pipe in (process.stdout, process.stderr):
            assert pipe is not None
            pipe.close()


@pytest.mark.slow
def test_demo_prints_working_urls_and_stops_on_ctrl_c(demo_process: Demo) -> None:
    output = _read_until_ready(demo_process.process)
    assert demo.READY_LINE in output, f"the demo did not get ready:\n{output}"

    admin = _find(output, "Admin page")
    widget, portal, kb = (_find(output, app) for app in ("widget", "portal", "kb"))
    launch = _find(output, "Partner launch")
    control = _find(output, "Control API")
    console = _find(output, "Console")
    for person in PEOPLE.values():
        assert re.search(rf"{re.escape(person.upn)}\s+{re.escape(person.password)}", output), (
            f"{person.upn} and password not listed:\n{output}")

    token = re.search(r"^\s*Admin token\s+(\S+)$", output, re.MULTILINE)
    assert token, f"no admin token in the demo's output:\n{output}"
    with httpx.Client(timeout=10) as http:
        assert http.get(admin).status_code == 401  # the sign-in form
        http.get(admin.removesuffix("/admin") + "/admin/sign-in")
        signed_in = http.post(admin.removesuffix("/admin") + "/admin/sign-in", data={
            "csrf_token": http.cookies["rp_csrf"], "admin_token": token.group(1)})
        assert signed_in.status_code == 303, signed_in.text[:300]
        page = http.get(admin)
        assert page.status_code == 200
        assert "Contoso" in page.text
        idp_base = control.removesuffix("/_mock/")
        for url in (widget, portal, kb):
            assert url.rsplit("/", 1)[1] in ("widget", "portal", "kb")
            started = http.get(url)
            assert started.status_code == 302, (url, started.status_code, started.text[:300])
            assert started.headers["location"].startswith(idp_base + "/"), started.headers
        launched = http.get(launch)
        assert launched.status_code == 302, (launch, launched.status_code, launched.text[:300])
        assert launched.headers["location"].startswith(idp_base + "/")
        take = re.search(r"^\s*curl -X POST -H 'Content-Type: application/json' -d '(.+)' "
                         rf"{URL}/update$", output, re.MULTILINE)
        assert take, f"no command to take a licence in the demo's output:\n{output}"
        taken = http.post(take.group(2) + "/update", content=take.group(1),
                          headers={"Content-Type": "application/json"})
        assert taken.status_code == 200, taken.text[:300]
        assert taken.json()["delivery"]["status"] == 200, taken.json()["delivery"]
        assert taken.json()["installation"]["unlicensed_users"], taken.json()
        assert http.get(control + "clock").json()["now"]
        shown = http.get(console)
        assert shown.status_code == 200 and "Mock provider console" in shown.text
        assert "Contoso" in shown.text and "P@ssw0rd" not in shown.text

    demo_process.process.send_signal(signal.SIGINT)
    assert demo_process.exit_code(20) == 0
    assert "Traceback" not in "".join(demo_process.errors)


def _connections(stack: LiveStack) -> list[dict[str, Any]]:
    found = httpx.get(stack.rp_url("/api/admin/connections"),
                      headers={"Authorization": f"Bearer {stack.app.values['admin_token']}"})
    found.raise_for_status()
    listed: list[dict[str, Any]] = found.json()
    return listed


def _signs_in(stack: LiveStack, *urls: str) -> None:
    """Alice, signed in at the provider, reaches the app through each of ``urls``."""
    with httpx.Client(follow_redirects=True, timeout=10) as http:
        http.post(stack.idp_url("/_mock/sessions"),
                  json={"user": stack.people["alice"].upn}).raise_for_status()
        for url in urls:
            reached = http.get(url)
            assert reached.status_code == 200, (url, reached.status_code, reached.text[:300])
            assert reached.url.path in ("/widget", "/"), (url, reached.url)


def test_demo_reuses_its_connection_from_a_kept_database(tmp_path: Path) -> None:
    ids, providers, installations = [], [], []
    for _ in range(2):  # each on its own ephemeral port: the provider moves
        with live_stack(StackOptions(connection=False), workdir=tmp_path) as stack:
            info = demo.prepare(stack)
            ids.append(info.connection_id)
            providers.append(stack.idp.base_url)
            installations.append(info.installation_id)
            connections = _connections(stack)
            assert [c["id"] for c in connections] == [info.connection_id]
            for url in ("authorization_uri", "token_url", "discovery_url",
                        "effective_discovery_url"):
                assert connections[0][url].startswith(stack.authority + "/"), connections[0]
            assert info.delivery_problem is None
            assert info.launch_url is not None
            _signs_in(stack, stack.sign_in_url("widget"), info.launch_url)
            kept = httpx.get(stack.rp_url("/api/admin/installations"), headers={
                "Authorization": f"Bearer {stack.app.values['admin_token']}"}).json()
            assert {i["installation_id"] for i in kept if i["active"]} == {installations[-1]}
    assert ids[0] == ids[1]
    assert providers[0] != providers[1]


def _reaches(stack: LiveStack, url: str) -> bool:
    """Whether alice, signed in at the provider, reaches the app through ``url``."""
    with httpx.Client(follow_redirects=True, timeout=10) as http:
        http.post(stack.idp_url("/_mock/sessions"),
                  json={"user": stack.people["alice"].upn}).raise_for_status()
        reached = http.get(url)
        return reached.status_code == 200 and reached.url.path in ("/widget", "/")


def test_after_a_reset_the_demo_makes_its_set_up_again_unless_left_out(tmp_path: Path) -> None:
    out = io.StringIO()
    with live_stack(StackOptions(connection=False), workdir=tmp_path) as stack:
        info = demo.prepare(stack)
        demo.set_up_after_reset(info, out)
        widget = stack.sign_in_url("widget")
        left_out = stack.http.post(stack.idp_url("/_mock/reset"), json={"set_up": False})
        assert left_out.json()["set_up"] == []
        assert not _reaches(stack, widget)  # its secret is gone (AADSTS7000215)
        assert out.getvalue() == ""
        # The console's Reset, its box ticked as the page has it.
        console = stack.idp_url("/_mock/console")
        token = re.search(r'name="csrf" value="([0-9a-f]+)"', stack.http.get(console).text)
        assert token
        made = stack.http.post(f"{console}/reset", data={
            "csrf": token.group(1), "clock": "on", "confirm": "on", "set_up": "on"})
        assert made.status_code == 303, made.text[:300]
        shown = stack.http.get(stack.idp_url(made.headers["location"])).text
        assert f"provider reset; {demo.SET_UP_AGAIN}" in shown
        launch = re.search(rf"Partner launch\s+{URL}", out.getvalue())
        assert launch and launch.group(1) != info.launch_url, out.getvalue()
        installation = re.search(r"\(installation (\w+),", out.getvalue())
        assert installation and installation.group(1) in shown  # the page after shows it made
        assert _reaches(stack, widget) and _reaches(stack, launch.group(1))


CHOOSE = "choose others with --idp-port/--rp-port (0: any free port)"


def test_a_taken_port_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    """The taken port alone, with its option: not "port N or 0" (0 is never taken)."""
    with live_stack(StackOptions(connection=False)) as stack:
        args = build_parser().parse_args(
            ["demo", "--idp-port", str(stack.idp.port), "--rp-port", "0"])
        assert demo.handle(args) == demo.EXIT_PORT == 1
    assert capsys.readouterr().err == (f"demo: cannot listen on port {stack.idp.port} "
                                       f"(--idp-port): Address already in use; {CHOOSE}\n")


def test_the_same_port_twice_is_reported_before_anything_starts(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo, "live_stack", None)  # nothing may start
    with contextlib.closing(demo.bind_socket("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    args = build_parser().parse_args(["demo", "--idp-port", str(port), "--rp-port", str(port)])
    assert demo.handle(args) == 1
    assert capsys.readouterr().err == (f"demo: cannot listen on port {port} (--rp-port): "
                                       f"Address already in use; {CHOOSE}\n")


def test_a_port_the_os_refuses_is_one_line_with_its_reason(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """A port below 1024 for a user without the right to it (EACCES); simulated, since the
    tests may run as root."""
    def bind(host: str, port: int) -> Any:
        if port < 1024:
            raise PermissionError(errno.EACCES, "Permission denied")
        return io.StringIO()  # the check only closes what it bound

    monkeypatch.setattr(demo, "bind_socket", bind)
    monkeypatch.setattr(demo, "live_stack", None)  # nothing may start
    args = build_parser().parse_args(["demo", "--idp-port", "8400", "--rp-port", "80"])
    assert demo.handle(args) == 1
    assert capsys.readouterr().err == (f"demo: cannot listen on port 80 (--rp-port): "
                                       f"Permission denied; {CHOOSE}\n")


def test_a_port_taken_after_the_check_names_only_the_fixed_ones(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    def taken(*_args: Any, **_kwargs: Any) -> Any:
        raise OSError(errno.EADDRINUSE, "Address already in use")

    monkeypatch.setattr(demo, "_port_problem", lambda idp_port, rp_port: None)
    monkeypatch.setattr(demo, "live_stack", taken)
    args = build_parser().parse_args(["demo", "--idp-port", "0", "--rp-port", "8500"])
    assert demo.handle(args) == 1
    assert capsys.readouterr().err == ("demo: Address already in use: port 8500 (--rp-port) "
                                       f"is taken; {CHOOSE}\n")


def test_a_workdir_it_cannot_use_is_a_usage_error_before_anything_starts(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    a_file = tmp_path / "afile"
    a_file.write_text("", encoding="utf-8")
    monkeypatch.setattr(demo, "live_stack", None)  # nothing may start
    said = {a_file: "not a directory", a_file / "sub": f"{a_file} is not a directory"}
    for workdir, why in said.items():
        args = build_parser().parse_args(["demo", "--idp-port", "0", "--rp-port", "0",
                                          "--workdir", str(workdir)])
        assert demo.handle(args) == 2
        assert capsys.readouterr().err == f"demo: --workdir {workdir}: {why}\n"


def test_a_missing_workdir_is_made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo, "_wait_forever", lambda: None)
    monkeypatch.setattr(demo, "prepare", lambda stack: None)
    monkeypatch.setattr(demo, "set_up_after_reset", lambda info, out: None)
    monkeypatch.setattr(demo, "describe", lambda info: "ready")
    started: list[Path] = []

    @contextlib.contextmanager
    def stack(_options: StackOptions, *, workdir: Path, **_ports: int) -> Iterator[None]:
        started.append(workdir)
        yield

    monkeypatch.setattr(demo, "live_stack", stack)
    workdir = tmp_path / "kept" / "rp"
    args = build_parser().parse_args(["demo", "--workdir", str(workdir),
                                      "--idp-port", "0", "--rp-port", "0"])
    assert demo.handle(args, out=io.StringIO()) == 0
    assert started == [workdir] and workdir.is_dir()


@pytest.mark.parametrize("value", ["-1", "65536", "http"])
def test_bad_ports_are_usage_errors(value: str) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["demo", "--idp-port", value])
    assert exited.value.code == 2


def test_demo_row_is_declared() -> None:
    parser = build_parser()
    args = parser.parse_args(["demo"])
    assert isinstance(args, argparse.Namespace)
    assert (args.idp_port, args.rp_port, args.workdir) == (8400, 8500, None)
    assert args.handler is demo.handle
