"""An app that takes seconds for every answer (3-8 s on a loaded machine) is slow, not down:
started by its command it becomes ready once its ready URL answers, and one already running is
used, where probes that waited 1 s for each answer never saw either answer."""

from __future__ import annotations

import socket
import sys
import textwrap
from pathlib import Path

from scenarios.app import parse_profile
from scenarios.app.process import start_command
from scenarios.app.servers import AppServer, plan_address

SLOW_SERVER = """\
import sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class Slow(BaseHTTPRequestHandler):
    def do_GET(self):
        time.sleep(1.5)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
    def log_message(self, *args):
        pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Slow).serve_forever()
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_app_that_answers_in_seconds_becomes_ready(tmp_path: Path) -> None:
    script = tmp_path / "slow.py"
    script.write_text(SLOW_SERVER, encoding="utf-8")
    port = _free_port()
    started = start_command([sys.executable, str(script), str(port)], env={}, cwd=tmp_path,
                            log=tmp_path / "o.log", ready_url=f"http://127.0.0.1:{port}/",
                            timeout=8)
    try:
        assert started.process.poll() is None
    finally:
        started.stop()
    # ... and the same app, already running, is used rather than called down.
    script_port = _free_port()
    running = start_command([sys.executable, str(script), str(script_port)], env={},
                            cwd=tmp_path, log=tmp_path / "r.log",
                            ready_url=f"http://127.0.0.1:{script_port}/", timeout=8)
    try:
        profile = parse_profile(textwrap.dedent(f"""\
            [app]
            base_url = "http://127.0.0.1:{script_port}"
            [provider]
            redirect_uris = "{{base_url}}/cb"
            [sign_in]
            urls = {{ login = "/login" }}
            [signed_in]
            me_url = "/me"
            """), path=tmp_path / "app.toml")
        with AppServer(profile, plan_address(profile), workdir=tmp_path) as server:
            server.start({})
            assert server.reused
    finally:
        running.stop()
