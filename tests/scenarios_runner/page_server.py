"""A small HTTP server of test pages, one of which never answers within a test."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from scenarios.app.adapter import ProfileAdapter

HANG = "/hang"
"""A path the server never answers within a test: a navigation to it never commits."""


class Pages(BaseHTTPRequestHandler):
    """Answers ``GET`` with :meth:`page`'s status and HTML, except :data:`HANG`."""

    def page(self, path: str) -> tuple[int, str]:
        raise NotImplementedError

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        if self.path == HANG:
            time.sleep(30)
            return
        status, html = self.page(self.path)
        body = html.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def serving(pages: type[Pages]) -> Iterator[str]:
    """The origin of a server of ``pages`` for the block."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), pages)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def start_hanging_navigation(page: Page, origin: str) -> None:
    """Send ``page`` to :data:`HANG` on ``origin``, and return once the browser has asked for it:
    from then on the navigation is pending, and it never commits. (Setting ``location.href``
    only starts it: a read sent right after could still be answered by the page it leaves.)"""
    with page.expect_request(f"{origin}{HANG}"):
        page.evaluate("(url) => { location.href = url; }", f"{origin}{HANG}")


@contextlib.contextmanager
def profile_adapter(origin: str, profile: str, name: str, *,
                    contact: str | None = None) -> Iterator[ProfileAdapter]:
    """The adapter of the profile text ``profile`` (its file ``name``) for an app at
    ``origin``, with an HTTP client of its own for the block."""
    from types import SimpleNamespace
    from typing import cast

    import httpx

    from scenarios.app import parse_profile
    from scenarios.app.adapter import ProfileAdapter
    from scenarios.app.servers import AppServer

    server = cast(AppServer, SimpleNamespace(base_url=origin))
    with httpx.Client() as http:
        yield ProfileAdapter(parse_profile(profile, path=Path(name)), server, {}, http,
                             contact=contact)
