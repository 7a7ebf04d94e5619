"""Starting apps from profiles: commands in their own process group, in-process ASGI apps,
apps already running; readiness, output on failure, and a stop that leaves nothing behind."""

from __future__ import annotations

import http.server
import os
import signal
import sys
import textwrap
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from scenarios.app import parse_profile
from scenarios.app.process import (
    AppStartError,
    answers,
    interrupted_by,
    probe,
    start_command,
    stop_starting,
)
from scenarios.app.servers import AppLaunch, AppServer, plan_address

SERVER = textwrap.dedent("""\
    import http.server, os, subprocess, sys
    print("starting on", sys.argv[1], flush=True)
    if os.environ.get("SPAWN_CHILD"):
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        open(os.environ["SPAWN_CHILD"], "w").write(str(child.pid))
    if os.environ.get("FAIL"):
        print("configuration error: " + os.environ["FAIL"], flush=True)
        sys.exit(3)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = os.environ.get("GREETING", "hello").encode()
            self.send_response(200)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
    """)


def _profile(tmp_path: Path, app: str) -> str:
    (tmp_path / "server.py").write_text(SERVER, encoding="utf-8")
    return textwrap.dedent(app) + textwrap.dedent("""\
        [provider]
        redirect_uris = "{base_url}/cb"
        [sign_in]
        urls = { login = "/login" }
        [signed_in]
        me_url = "/me"
        """)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped by its parent) counts as gone
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_command_app_starts_with_its_env_and_stops_with_its_children(tmp_path: Path) -> None:
    child_file = tmp_path / "child.pid"
    profile = parse_profile(_profile(tmp_path, f"""\
        [app]
        command = ["{sys.executable}", "server.py", "{{port}}"]
        [app.env]
        GREETING = "hello from {{client_id}}"
        SPAWN_CHILD = "{child_file}"
        """), path=tmp_path / "app.toml")
    address = plan_address(profile)
    assert address.base_url == f"http://127.0.0.1:{address.port}"
    with AppServer(profile, address, workdir=tmp_path) as server:
        server.start({"client_id": "abc", "base_url": address.base_url})
        assert httpx.get(address.base_url).text == "hello from abc"
        assert server.process is not None and server.process.running()
        assert f"starting on {address.port}" in server.output()
        child = int(child_file.read_text())
        assert _alive(child)
    assert not answers(address.base_url)
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child), "the command's child outlived the stop"


def test_a_command_that_exits_shows_its_output(tmp_path: Path) -> None:
    (tmp_path / "server.py").write_text(SERVER, encoding="utf-8")
    with pytest.raises(AppStartError) as caught:
        start_command([sys.executable, str(tmp_path / "server.py"), "0"],
                      env={"FAIL": "OIDC_AUTHORITY is not set"}, cwd=tmp_path,
                      log=tmp_path / "out.log", ready_url="http://127.0.0.1:9/", timeout=20)
    message = str(caught.value)
    assert "exited with code 3 before http://127.0.0.1:9/ answered" in message
    assert "configuration error: OIDC_AUTHORITY is not set" in message


def test_a_command_s_output_comes_without_its_terminal_colours(tmp_path: Path) -> None:
    """Flask's and Werkzeug's loggers colour their lines (a 500's request line in magenta):
    what a message quotes of the app's output is its text, as the report's logs keep it, not
    escaped control sequences (``\\x1b[35m``) that ``app check`` would print."""
    script = ("import sys; print('\\x1b[31m\\x1b[1mWARNING: a development server\\x1b[0m'); "
              "sys.exit(3)")
    with pytest.raises(AppStartError) as caught:
        start_command([sys.executable, "-c", script], env={}, cwd=None,
                      log=tmp_path / "out.log", ready_url="http://127.0.0.1:9/", timeout=20)
    assert caught.value.output.splitlines()[-1] == "WARNING: a development server"
    assert "\x1b" not in str(caught.value)


def test_a_command_that_never_answers_times_out_and_is_stopped(tmp_path: Path) -> None:
    marker = tmp_path / "pid"
    script = f"import os, time; open({str(marker)!r}, 'w').write(str(os.getpid())); " \
             "print('listening nowhere', flush=True); time.sleep(60)"
    started = time.monotonic()
    with pytest.raises(AppStartError) as caught:
        start_command([sys.executable, "-c", script], env={}, cwd=None, log=tmp_path / "o.log",
                      ready_url="http://127.0.0.1:9/", timeout=1)
    assert time.monotonic() - started < 10
    assert "did not answer http://127.0.0.1:9/ within 1 s (last: cannot connect" in str(
        caught.value)
    assert "listening nowhere" in str(caught.value)
    assert not _alive(int(marker.read_text()))


def test_a_shell_command_line(tmp_path: Path) -> None:
    profile = parse_profile(_profile(tmp_path, f"""\
        [app]
        command = "exec {sys.executable} server.py {{port}}"
        ready_url = "/health"
        """), path=tmp_path / "app.toml")
    with AppServer(profile, plan_address(profile), workdir=tmp_path) as server:
        server.start({"base_url": server.base_url})
        assert httpx.get(server.base_url).status_code == 200


def test_a_running_app_is_used_and_a_down_one_is_named(tmp_path: Path) -> None:
    profile = parse_profile(_profile(tmp_path, """\
        [app]
        base_url = "http://127.0.0.1:9"
        """))
    server = AppServer(profile, plan_address(profile), workdir=tmp_path)
    with pytest.raises(AppStartError, match=r"the app at http://127.0.0.1:9 is down: "
                       r"http://127.0.0.1:9: cannot connect \(connection refused\)"):
        server.start({"base_url": server.base_url})


def test_reuse_existing_leaves_the_running_app_alone(tmp_path: Path) -> None:
    text = _profile(tmp_path, f"""\
        [app]
        command = ["{sys.executable}", "server.py", "{{port}}"]
        reuse_existing = true
        """)
    first = parse_profile(text, path=tmp_path / "app.toml")
    address = plan_address(first)
    with AppServer(first, address, workdir=tmp_path) as running:
        running.start({"base_url": address.base_url})
        with AppServer(first, address, workdir=tmp_path / "2") as second:
            second.start({"base_url": address.base_url})
            assert second.reused and second.process is None
        assert answers(address.base_url), "stopping the reusing server stopped the app"


def make_app(launch: AppLaunch) -> Starlette:
    async def hello(request: Request) -> PlainTextResponse:
        now = launch.clock.now().year if launch.clock is not None else "no clock"
        return PlainTextResponse(f"{launch.env['WHO']} at {launch.base_url}, {now}")

    return Starlette(routes=[Route("/", hello)])


class FixedClock:
    def now(self) -> datetime:
        return datetime(2031, 1, 1, tzinfo=UTC)


def test_an_asgi_app_is_served_in_process_and_restarted(tmp_path: Path) -> None:
    profile = parse_profile(_profile(tmp_path, """\
        [app]
        asgi = "scenarios_app.test_process:make_app"
        clock = "shared"
        [app.env]
        WHO = "{client_id}"
        """))
    address = plan_address(profile)
    assert address.sock is not None
    with AppServer(profile, address, workdir=tmp_path, clock=FixedClock()) as server:
        server.start({"client_id": "one", "base_url": address.base_url})
        assert httpx.get(address.base_url).text == f"one at {address.base_url}, 2031"
        server.restart({"client_id": "two", "base_url": address.base_url})
        assert httpx.get(address.base_url).text == f"two at {address.base_url}, 2031"
    assert isinstance(probe(address.base_url), str)


def test_a_missing_factory_is_named(tmp_path: Path) -> None:
    profile = parse_profile(_profile(tmp_path, """\
        [app]
        asgi = "scenarios_app.test_process:no_such_factory"
        """))
    with AppServer(profile, plan_address(profile), workdir=tmp_path) as server:
        with pytest.raises(AppStartError, match="has no function no_such_factory"):
            server.start({})


def test_stop_signals_the_group_first_with_sigterm(tmp_path: Path) -> None:
    log = tmp_path / "term.log"
    script = SERVER.replace("class Handler", f"""\
import signal
def bye(*a):
    open({str(log)!r}, "w").write("got SIGTERM")
    sys.exit(0)
signal.signal(signal.SIGTERM, bye)

class Handler""")
    profile = parse_profile(_profile(tmp_path, f"""\
        [app]
        command = ["{sys.executable}", "term.py", "{{port}}"]
        """), path=tmp_path / "app.toml")
    (tmp_path / "term.py").write_text(script, encoding="utf-8")
    with AppServer(profile, plan_address(profile), workdir=tmp_path) as server:
        server.start({"base_url": server.base_url})
        assert server.process is not None
        pid = server.process.pid
    assert log.read_text() == "got SIGTERM"
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)


def test_a_command_is_not_started_where_something_else_answers(tmp_path: Path) -> None:
    first = parse_profile(_profile(tmp_path, f"""\
        [app]
        command = ["{sys.executable}", "server.py", "{{port}}"]
        """), path=tmp_path / "app.toml")
    address = plan_address(first)
    (tmp_path / "2").mkdir()
    path = tmp_path / "2" / "taken.toml"
    path.write_text(_profile(tmp_path / "2", f"""\
        name = "same port"
        [app]
        command = ["{sys.executable}", "server.py", "{address.port}"]
        base_url = "{address.base_url}"
        """), encoding="utf-8")
    taken = parse_profile(path.read_text(encoding="utf-8"), path=path)
    with AppServer(first, address, workdir=tmp_path) as running:
        running.start({"base_url": address.base_url})
        second = AppServer(taken, plan_address(taken), workdir=tmp_path / "2")
        with pytest.raises(AppStartError) as caught:
            second.start({"base_url": address.base_url})
        assert second.process is None and not (tmp_path / "2" / "app-output.log").exists()
    message = str(caught.value)
    assert message.startswith(f"{path}:4: [app] base_url: {address.base_url} "), message
    assert f"answers before the app's command has started: something else is serving port " \
           f"{address.port}" in message
    assert "set [app] reuse_existing = true" in message


class _SlowReady(http.server.BaseHTTPRequestHandler):
    """Answers after 0.5 s; ``arrived`` (a file) is made as the request comes in, so that a
    command waiting for it exits while the answer is awaited, however loaded the machine."""

    arrived: Path

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.arrived.touch()
        time.sleep(0.5)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_a_command_that_exits_while_another_server_answers_is_not_ready(tmp_path: Path) -> None:
    arrived = tmp_path / "arrived"
    handler = type("Handler", (_SlowReady,), {"arrived": arrived})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    ready_url = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        with pytest.raises(AppStartError) as caught:  # exits while the first answer is awaited
            start_command(f"echo cannot bind; while [ ! -e '{arrived}' ]; do sleep 0.02; done; "
                          "exit 4", env={}, cwd=None, log=tmp_path / "o.log",
                          ready_url=ready_url, timeout=10)
    finally:
        server.shutdown()
        server.server_close()
    message = str(caught.value)
    assert f"had exited with code 4 when {ready_url} answered" in message, message
    assert "cannot bind" in message


def test_a_start_interrupted_while_waiting_stops_the_command(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C (or SIGTERM, see below) while the app starts: the command runs in a session of
    its own, which the terminal's Ctrl-C does not reach, so the harness stops it."""
    marker = tmp_path / "pid"
    script = f"import os, time; open({str(marker)!r}, 'w').write(str(os.getpid())); " \
             "time.sleep(60)"

    def interrupted(url: str, *, verify: bool | str = True,
                    answer_within: float | None = None) -> bool:
        if marker.exists() and marker.read_text():
            raise KeyboardInterrupt
        return False

    monkeypatch.setattr("scenarios.app.process.answers", interrupted)
    with pytest.raises(KeyboardInterrupt):
        start_command([sys.executable, "-c", script], env={}, cwd=None,
                      log=tmp_path / "o.log", ready_url="http://127.0.0.1:9/", timeout=20)
    assert not _alive(int(marker.read_text()))


def test_an_interrupted_run_stops_an_app_still_starting_beside_it(tmp_path: Path) -> None:
    """The worker waits for the app's start on another thread; once interrupted it must not
    wait out the start's whole timeout."""
    marker = tmp_path / "pid"
    script = f"import os, time; open({str(marker)!r}, 'w').write(str(os.getpid())); " \
             "time.sleep(60)"
    caught: list[BaseException] = []

    def start() -> None:
        try:
            start_command([sys.executable, "-c", script], env={}, cwd=None,
                          log=tmp_path / "o.log", ready_url="http://127.0.0.1:9/", timeout=60)
        except BaseException as exc:
            caught.append(exc)

    starting = threading.Thread(target=start)
    starting.start()
    deadline = time.monotonic() + 10
    while not (marker.exists() and marker.read_text()) and time.monotonic() < deadline:
        time.sleep(0.02)
    stopped = time.monotonic()
    stop_starting()
    starting.join(10)
    assert time.monotonic() - stopped < 5
    assert isinstance(caught[0], AppStartError) and "interrupted" in str(caught[0])
    assert not _alive(int(marker.read_text()))


def _on_the_main_thread() -> None:
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals reach only the main thread")


def test_sigterm_is_an_interrupt_once_then_ignored_until_the_block_ends() -> None:
    _on_the_main_thread()
    before = signal.getsignal(signal.SIGTERM)
    with interrupted_by():
        assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, signal.SIG_IGN)
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGTERM)
        signal.raise_signal(signal.SIGTERM)  # the teardown the first one started goes on
    assert signal.getsignal(signal.SIGTERM) == before


def test_a_signal_handler_of_someone_elses_is_kept() -> None:
    _on_the_main_thread()
    calls: list[int] = []

    def theirs(signum: int, frame: object) -> None:
        calls.append(signum)

    before = signal.signal(signal.SIGUSR1, theirs)
    try:
        with interrupted_by(signal.SIGUSR1):
            signal.raise_signal(signal.SIGUSR1)
        assert calls == [signal.SIGUSR1]
    finally:
        signal.signal(signal.SIGUSR1, before)
