"""Small apps under test for the app-profile tests, and their profiles."""

from __future__ import annotations

import contextlib
import http.server
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scenarios.pytest_plugin import ScenarioRunner

TINY_RP = Path(__file__).with_name("tiny_rp.py")
FAILING_APP = Path(__file__).with_name("failing_app.py")
SECTIONS = """\
[provider]
redirect_uris = "{base_url}/cb"
[sign_in]
urls = { login = "/login" }
[signed_in]
me_url = "/me"
"""
"""The sections a profile needs besides ``[app]``, at their least."""


def tiny_profile(directory: Path, *, authority: str = "{authority}", extra: str = "",
                 env: str = "") -> Path:
    """A profile for :mod:`tests.apps.tiny_rp`, started by the harness as a command; ``extra``
    goes in its ``[failure]`` section, ``env`` in ``[app.env]``."""
    path = directory / "tiny.toml"
    path.write_text(f"""\
name = "tiny sloppy app"

[app]
command = ["{sys.executable}", "{TINY_RP}", "--port", "{{port}}"]
timeout = 20

[app.env]
OIDC_AUTHORITY = "{authority}"
OIDC_CLIENT_ID = "{{client_id}}"
OIDC_CLIENT_SECRET = "{{client_secret}}"
OIDC_REDIRECT_URI = "{{redirect_uri}}"
{env}
[provider]
redirect_uris = ["{{base_url}}/callback"]

[sign_in]
urls = {{ login = {{ url = "/login", lands_on = "/account" }} }}
protected_urls = ["/account"]

[signed_in]
me_url = "/me"
text = "Signed in as {{name}}"

[signed_in.me_json]
email = "email"

[failure]
contact = "help@tiny.example"
text = "Sign-in failed"
{extra}""", encoding="utf-8")
    return path


def tiny_fails(runner: ScenarioRunner, directory: Path, scenario: str, *, env: str = "") -> str:
    """The message of ``scenario`` run against the tiny app (``env`` in its ``[app.env]``),
    which must fail it."""
    result = runner(scenario, app=str(tiny_profile(directory, env=env)))
    assert result.status == "failed", result
    return result.message or ""


def failing_profile(directory: Path, mode: str) -> Path:
    """A profile for :mod:`tests.sample_apps.failing_app` in ``mode`` (``500``, ``exit``,
    ``later`` or ``killed``), started by the harness as a command."""
    path = directory / f"failing-{mode}.toml"
    path.write_text(f"""\
[app]
command = ["{sys.executable}", "{FAILING_APP}", "{{port}}", "{mode}"]
ready_url = "/ready"
[app.env]
OIDC_CLIENT_SECRET = "{{client_secret}}"
{SECTIONS}""", encoding="utf-8")
    return path


class _Ok(http.server.BaseHTTPRequestHandler):
    seen: Callable[[], None] = staticmethod(lambda: None)

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.seen()
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def answering(port: int = 0, *, seen: Callable[[], None] | None = None) -> Iterator[int]:
    """An HTTP server of this process's on ``port`` (0: one the system picks), answering every
    GET with 200 (as another server that took an app's port would answer its readiness probe)
    after calling ``seen``; yields its port."""
    handler = _Ok if seen is None else type("Seeing", (_Ok,), {"seen": staticmethod(seen)})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
