"""The line a failure message quotes about the app's page, and its time limit."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from scenarios.app.page_summary import page_summary
from scenarios.protocol_view.collect import BrowserLog

from .page_server import Pages, serving, start_hanging_navigation

pytestmark = pytest.mark.browser


DROP = "/auth/callback-dropped"
"""A path whose request the server reads and closes without an answer."""
LOOP = "/login/loop-"
"""Paths redirecting to each other, without end."""


class _Pages(Pages):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        if self.path.startswith(DROP):
            self.close_connection = True
            return
        if self.path.startswith(LOOP):
            self.send_response(302)
            self.send_header("Location", LOOP + ("b" if self.path.startswith(LOOP + "a") else "a"))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()

    def page(self, path: str) -> tuple[int, str]:
        if path == "/branded":
            return 502, ("<header><a href='/'>Acme Notes</a> <nav>Home · Help</nav></header>"
                         "<main><h1>Sign-in failed</h1><p>We could not sign you in.</p></main>")
        if path.startswith("/auth/failure"):  # OmniAuth's failure redirect lands here
            return 401, "<h1>Sign-in failed</h1>"
        if path == "/plain":
            return 403, "Forbidden"
        if path == "/shadow":  # drawn by its script in shadow roots, as Panel's pages are
            return 200, ("<div id='app'></div><script>const outer = document.getElementById("
                         "'app').attachShadow({mode: 'open'}); outer.innerHTML = '<style>p {}"
                         "</style><div id=inner></div>'; outer.getElementById('inner')"
                         ".attachShadow({mode: 'open'}).innerHTML = '<h1>Dashboard</h1>"
                         "<p>Signed in as Alice Adams</p>';</script>")
        return 500, "<h1>Internal Server Error</h1><p>more</p>"


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    with serving(_Pages) as origin:
        yield origin


def test_the_path_status_and_first_line(browser: Browser, origin: str) -> None:
    page = browser.new_page()
    page.goto(f"{origin}/auth/callback")
    assert page_summary(page) == ("the app showed /auth/callback with HTTP 500: "
                                  "'Internal Server Error' / 'more'")
    page.close()


def test_the_heading_not_the_sites_header(browser: Browser, origin: str) -> None:
    """An app's failure page under its site's header and menu: what it says, not its name."""
    page = browser.new_page()
    page.goto(f"{origin}/branded")
    assert page_summary(page) == ("the app showed /branded with HTTP 502: 'Sign-in failed' / "
                                  "'We could not sign you in.'")
    page.goto(f"{origin}/plain")
    assert page_summary(page) == "the app showed /plain with HTTP 403: 'Forbidden'"
    page.close()


def test_omniauths_failure_key_is_shown_and_nothing_else_of_a_query(browser: Browser,
                                                                   origin: str) -> None:
    page = browser.new_page()
    page.goto(f"{origin}/auth/failure?message=invalid_request&origin=http%3A%2F%2Fx%2Flogin"
              "&strategy=azure_activedirectory_v2")
    assert page_summary(page) == (
        "the app showed /auth/failure?message=invalid_request&strategy=azure_activedirectory_v2"
        "&… with HTTP 401: 'Sign-in failed'")
    page.goto(f"{origin}/auth/failure?code=secret")
    assert page_summary(page) == "the app showed /auth/failure with HTTP 401: 'Sign-in failed'"
    page.close()


def test_a_page_drawn_in_shadow_roots_is_read_there(browser: Browser, origin: str) -> None:
    page = browser.new_page()
    page.goto(f"{origin}/shadow")
    assert page_summary(page) == ("the app showed /shadow with HTTP 200: 'Dashboard' / "
                                  "'Signed in as Alice Adams'")
    page.close()


def test_a_page_whose_navigation_never_commits_is_summarised_in_time(browser: Browser,
                                                                     origin: str) -> None:
    page = browser.new_page()
    page.goto(f"{origin}/auth/callback")
    start_hanging_navigation(page, origin)
    started = time.monotonic()
    summary = page_summary(page)
    assert time.monotonic() - started < 6
    assert summary.startswith("the app showed /auth/callback"), summary
    page.close()


def test_a_navigation_that_got_no_answer_is_said_to_have_got_none(browser: Browser,
                                                                  origin: str) -> None:
    """The app drops the connection (as one does whose call to the provider failed): the
    browser shows its own empty error page, no page of the app's with a status of 0."""
    page = browser.new_page()
    page.goto(f"{origin}/plain")
    with page.expect_event("requestfailed"):
        page.evaluate("(url) => { location.href = url; }", f"{origin}{DROP}?code=c&state=s")
    page.wait_for_load_state()
    assert page_summary(page) == (
        f"no answer from {origin}{DROP}: the connection closed without a response, or could "
        "not be opened, and the browser shows its own error page")
    page.close()


def test_a_redirect_loop_is_not_said_to_have_got_no_answer(browser: Browser,
                                                           origin: str) -> None:
    """An app whose error handler sends the browser back to a page that signs in again, where
    the provider answers the same error at once (Flask-Dance's default for an error the
    provider answers), loops until Chromium gives up: the browser's own error page, as for a
    dropped connection, but the app did answer."""
    context = browser.new_context()
    BrowserLog().watch(context)
    page = context.new_page()
    page.goto(f"{origin}/plain")
    with page.expect_event("requestfailed"):
        page.evaluate("(url) => { location.href = url; }", f"{origin}{LOOP}a?code=c")
    page.wait_for_load_state()
    summary = page_summary(page)
    assert summary.startswith(f"redirects went round in a loop (the last to {origin}{LOOP}"), \
        summary
    assert "net::ERR_TOO_MANY_REDIRECTS" in summary and "code=" not in summary, summary
    context.close()
