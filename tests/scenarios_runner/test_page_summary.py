"""The line a failure message quotes about the app's page, and its time limit."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Browser

from scenarios.app.page_summary import page_summary
from scenarios.browser import launched

pytestmark = pytest.mark.browser


class _Pages(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        if self.path == "/hang":
            time.sleep(30)  # never answers within the test: the navigation never commits
            return
        body = b"<h1>Internal Server Error</h1><p>more</p>"
        self.send_response(500)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launched() as browser:
        yield browser


def test_the_path_status_and_first_line(browser: Browser, origin: str) -> None:
    page = browser.new_page()
    page.goto(f"{origin}/auth/callback")
    assert page_summary(page) == ("the app showed /auth/callback with HTTP 500: "
                                  "'Internal Server Error'")
    page.close()


def test_a_page_whose_navigation_never_commits_is_summarised_in_time(browser: Browser,
                                                                     origin: str) -> None:
    page = browser.new_page()
    page.goto(f"{origin}/auth/callback")
    page.evaluate(f"() => {{ location.href = '{origin}/hang'; }}")
    started = time.monotonic()
    summary = page_summary(page)
    assert time.monotonic() - started < 6
    assert summary.startswith("the app showed /auth/callback"), summary
    page.close()
