"""Starting the app under test: what a failed start says (a ready URL that answers, but not as
a ready app does; what the app printed, its secrets masked) and where an ``asgi`` module is
imported from."""

from __future__ import annotations

import socket
import sys
import textwrap
from pathlib import Path

import httpx
import pytest
from leaks import unclosed
from sample_apps import SECTIONS

from scenarios.app import parse_profile
from scenarios.app.process import AppStartError, start_command
from scenarios.app.servers import AppServer, plan_address

SECRET = "s3cret~Value.of-the.client_0123"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_ready_url_that_answers_404_is_said_to_answer_it(tmp_path: Path) -> None:
    port = _free_port()
    with pytest.raises(AppStartError) as caught:
        start_command([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
                      env={}, cwd=tmp_path, log=tmp_path / "o.log",
                      ready_url=f"http://127.0.0.1:{port}/health", timeout=1.5)
    assert caught.value.message == (
        f"the app was not ready within 1.5 s: http://127.0.0.1:{port}/health answered HTTP 404 "
        "(ready is 2xx, 3xx or 400-403: is [app] ready_url a page the app serves?)")


def test_what_an_app_printed_before_it_failed_is_masked(tmp_path: Path) -> None:
    """The client secret the app was given, under a name or under none, as ``run`` masks it."""
    profile = parse_profile(textwrap.dedent("""\
        [app]
        command = "echo OIDC_CLIENT_SECRET=$S >&2; echo given $S and $T; exit 3"
        [app.env]
        S = "{client_secret}"
        T = "{admin_token}"
        """) + SECTIONS, path=tmp_path / "app.toml")
    token = "admin-Token_0123456789abcdefghij"
    with AppServer(profile, plan_address(profile), workdir=tmp_path) as server, \
            pytest.raises(AppStartError) as caught:
        server.start({"client_secret": SECRET, "admin_token": token,
                      "base_url": server.base_url})
    printed = str(caught.value)
    assert "OIDC_CLIENT_SECRET=[redacted]" in printed, printed
    assert "given [redacted] and [redacted]" in printed, printed
    assert SECRET not in printed and token not in printed


def test_an_app_that_stops_on_a_known_cause_is_told_its_fix_in_a_run_too(
        tmp_path: Path) -> None:
    """A Go app on go-oidc that does not trust the mock's CA stops as it starts, with Go's
    words: the error a run's scenarios report carries the hint ``app check`` gives under the
    output, once (app check's own hint is not added to it again)."""
    from scenarios.app.output_causes import explained

    said = "Get https://localhost:1/t/v2.0: x509: certificate signed by unknown authority"
    profile = parse_profile(f'[app]\ncommand = "echo {said}; exit 1"\n' + SECTIONS,
                            path=tmp_path / "app.toml")
    with AppServer(profile, plan_address(profile), workdir=tmp_path) as server, \
            pytest.raises(AppStartError) as caught:
        server.start({"base_url": server.base_url})
    printed = str(caught.value)
    last = printed.splitlines()[-1]
    assert last.startswith("hint: the app does not trust the mock's certificate"), printed
    assert "x509: certificate signed by unknown authority" in printed, printed
    assert explained(printed, caught.value.output, profile).count("hint:") == 1


APP_BESIDE = """\
def create(launch):
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    async def hello(request):
        import beside_helper  # imported late, from beside the profile too

        return PlainTextResponse(beside_helper.GREETING)

    return Starlette(routes=[Route("/", hello)])
"""


def test_an_asgi_module_beside_the_profile_is_imported_from_there(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    for name in ("beside_app", "beside_helper"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    (tmp_path / "beside_app.py").write_text(APP_BESIDE, encoding="utf-8")
    (tmp_path / "beside_helper.py").write_text('GREETING = "hello from beside"\n',
                                               encoding="utf-8")
    profile = parse_profile('[app]\nasgi = "beside_app:create"\n' + SECTIONS,
                            path=tmp_path / "app.toml")
    with AppServer(profile, plan_address(profile), workdir=tmp_path) as server:
        server.start({"base_url": server.base_url})
        assert httpx.get(server.base_url).text == "hello from beside"
    assert sys.path[-1] == str(tmp_path)


def test_an_asgi_module_found_nowhere_says_where_it_was_looked_for(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    (tmp_path / "needs_more.py").write_text("import no_such_dependency\n", encoding="utf-8")
    for module, says in (
            ("nowhere_app", "No module named 'nowhere_app' (looked in Python's import path, "
                            f"then in the profile's directory {tmp_path})"),
            ("needs_more", "No module named 'no_such_dependency'")):
        monkeypatch.delitem(sys.modules, module, raising=False)
        profile = parse_profile(f'[app]\nasgi = "{module}:create"\n' + SECTIONS,
                                path=tmp_path / "app.toml")
        with AppServer(profile, plan_address(profile), workdir=tmp_path) as server, \
                pytest.raises(AppStartError) as caught:
            server.start({"base_url": server.base_url})
        assert str(caught.value) == f"cannot import {module} for asgi = '{module}:create': {says}"


def test_a_socket_planned_for_an_app_that_never_started_is_closed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    profile = parse_profile('[app]\nasgi = "nowhere_app:create"\n' + SECTIONS,
                            path=tmp_path / "app.toml")
    with unclosed() as left:
        address = plan_address(profile)
        assert address.sock is not None
        with AppServer(profile, address, workdir=tmp_path) as server, \
                pytest.raises(AppStartError):
            server.start({"base_url": server.base_url})
        assert address.sock.fileno() == -1
        del address, server
    assert left == []


APP_OBJECTS = """\
from starlette.applications import Starlette

app = Starlette()


def needs_two(launch, more):
    return app


def broken(launch):
    raise RuntimeError("no APP_SECRET in " + launch.env["APP_SECRET"])
"""


@pytest.mark.parametrize(("name", "says"), [
    ("app", "asgi = 'objects_app:app' must name a factory called with one argument, the "
            "AppLaunch (base_url, env, workdir, clock), that returns the app; app takes other "
            "arguments (it is an ASGI app itself): write `def create_app(launch): return app` "
            "beside it and name that"),
    ("needs_two", "asgi = 'objects_app:needs_two' must name a factory called with one "
                  "argument"),
    ("broken", "asgi = 'objects_app:broken': the factory raised RuntimeError: no APP_SECRET in "
               "[redacted]"),
])
def test_an_asgi_spec_that_names_no_factory_says_what_to_write(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, says: str) -> None:
    """uvicorn's habit, ``module:app``, names the app itself; a factory that raises is named
    with where it raised, the run's secrets masked."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, "objects_app", raising=False)
    (tmp_path / "objects_app.py").write_text(APP_OBJECTS, encoding="utf-8")
    profile = parse_profile(f'[app]\nasgi = "objects_app:{name}"\n'
                            '[app.env]\nAPP_SECRET = "{client_secret}"\n' + SECTIONS,
                            path=tmp_path / "app.toml")
    with AppServer(profile, plan_address(profile), workdir=tmp_path) as server, \
            pytest.raises(AppStartError) as caught:
        server.start({"base_url": server.base_url, "client_secret": SECRET})
    assert str(caught.value).startswith(says), str(caught.value)
    assert SECRET not in str(caught.value)
    if name == "broken":
        assert "objects_app.py:11" in str(caught.value)


def test_an_app_still_starting_when_its_timeout_is_up_is_told_where_to_give_it_more_time(
        tmp_path: Path) -> None:
    """Its command still runs, its ready URL never answers, or answers 503 as a health URL
    does while the app loads (RFC 9110 15.6.4: a temporary state, not a wrong ready_url): the
    error names [app] timeout, where the profile sets it; a command that exits before its
    ready URL answered does not."""
    def start(command: str, timeout: str) -> AppStartError:
        profile_file = tmp_path / "app.toml"
        profile_file.write_text(f"[app]\ncommand = {command!r}\n{timeout}" + SECTIONS,
                                encoding="utf-8")
        profile = parse_profile(profile_file.read_text(encoding="utf-8"), path=profile_file)
        with (pytest.raises(AppStartError) as caught,
              AppServer(profile, plan_address(profile), workdir=tmp_path) as server):
            server.start({})
        return caught.value

    hint = ("; its command was still running, so the app may only be slow to start: give it "
            f"more time with [app] timeout (now 0.5 s; {tmp_path / 'app.toml'}:3)")
    slow = f"exec {sys.executable} -c 'import time; time.sleep(60)' {{port}}"
    error = start(slow, "timeout = 0.5\n")
    assert error.message.endswith(
        f" within 0.5 s (last: cannot connect (connection refused)){hint}"), error.message
    (tmp_path / "warming.py").write_text(WARMING_UP, encoding="utf-8")
    error = start(f"exec {sys.executable} {tmp_path / 'warming.py'} {{port}}", "timeout = 0.5\n")
    assert error.message.endswith(" still answered HTTP 503" + hint), error.message
    assert "[app] timeout" not in start("exit 4 # {port}", "timeout = 0.5\n").message


WARMING_UP = """\
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class Warming(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(503)  # as a health URL answers while the app loads
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Warming).serve_forever()
"""
