"""A wait for a page that will not come ends as soon as the browser shows its own error page
(``chrome-error://``: a redirect loop Chromium gave up on, a connection closed without an
answer), not at the end of its timeout; a redirect chain on its way to the page is still
waited through."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import cast
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from scenarios.conformance.browser_rows import back_at
from scenarios.drivers import EntraDriver, FormDriver
from scenarios.flows import page_shows
from scenarios.protocol_view.collect import BrowserLog
from scenarios.real_idp import RealIdpStack
from scenarios.real_idp_scenarios import _expect_back_signed_out
from scenarios.real_idp_signin import expect_signed_in as real_idp_expect_signed_in
from scenarios.runner import expect_timeout
from scenarios.settled_error import settled_error, until_unless_settled_error

from .page_server import Pages, serving

pytestmark = pytest.mark.browser

TIMEOUT_MS = 10_000
"""The wait's timeout: it must end well before it."""
LOOP = "/callback-loop"
"""Redirects to itself, without end."""
DROP = "/callback-drop"
"""Read and closed without an answer."""
SLOW_CHAIN = "/chain-"
"""Redirects through slow hops to the signed-in page."""


class _Pages(Pages):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        if self.path.startswith(DROP):
            self.close_connection = True
            return
        if self.path.startswith((LOOP, SLOW_CHAIN)):
            if self.path.startswith(SLOW_CHAIN):
                time.sleep(0.4)  # each hop longer than a look between two checks
                hop = int(self.path[len(SLOW_CHAIN):])
                where = f"{SLOW_CHAIN}{hop + 1}" if hop < 4 else "/account"
            else:
                where = self.path
            self.send_response(302)
            self.send_header("Location", where)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()

    def page(self, path: str) -> tuple[int, str]:
        if path == "/account":
            return 200, "<h1>Account</h1><p>Signed in as Alice</p>"
        return 200, "<h1>Tiny app</h1><p>Sign in</p>"


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    with serving(_Pages) as origin:
        yield origin


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    BrowserLog().watch(context)  # keeps why a navigation failed, for the message
    yield context.new_page()
    context.close()


def _wait_for_signed_in(page: Page) -> None:
    until_unless_settled_error(page, lambda timeout: expect(
        page.get_by_text("Signed in as Alice")).to_be_visible(timeout=timeout), TIMEOUT_MS)


def _send(page: Page, url: str) -> None:
    """Start a navigation of ``page`` to ``url`` (a form's post or a script's), not waited for."""
    page.evaluate("(url) => { setTimeout(() => { location.href = url; }, 100); }", url)


@pytest.mark.parametrize(("path", "says"), [
    (LOOP, "redirects went round in a loop (the last to {origin}/callback-loop)"),
    (DROP, "no answer from {origin}/callback-drop: the connection closed"),
], ids=["loop", "drop"])
def test_the_browsers_error_page_ends_the_wait_and_says_why(page: Page, origin: str, path: str,
                                                            says: str) -> None:
    page.goto(f"{origin}/")
    _send(page, f"{origin}{path}?code=c")
    started = time.monotonic()
    with pytest.raises(AssertionError):
        _wait_for_signed_in(page)
    waited = time.monotonic() - started
    assert waited < TIMEOUT_MS / 1000 / 2, f"{waited:.1f} s: the wait ran out its timeout"
    assert settled_error(page), "the browser's own error page is where the navigation ended"
    shown = page_shows(page)
    assert shown.startswith(says.format(origin=origin)), shown
    assert "code=" not in shown, shown


def test_a_redirect_chain_on_its_way_is_waited_through(page: Page, origin: str) -> None:
    """Its hops never become the page's document: the wait ends at the page they lead to."""
    page.goto(f"{origin}/")
    _send(page, f"{origin}{SLOW_CHAIN}0")
    _wait_for_signed_in(page)
    assert page.url == f"{origin}/account"


def test_a_conformance_row_waiting_to_be_back_at_the_app_ends_at_the_error_page(
        page: Page, origin: str) -> None:
    """The row waits for a page of the RP's host (here ``127.0.0.1``, the page before on
    another name of the same server): a loop that ended before the wait began (a wait that
    sees the navigation fail ends with its error) leaves the browser's own error page, which
    ends that wait too."""
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(origin.replace("127.0.0.1", "localhost") + "/")
    _send(page, f"{origin}{LOOP}")
    page.wait_for_function("() => location.protocol === 'chrome-error:'")
    started = time.monotonic()
    back_at(page, urlsplit(origin).netloc)
    waited = time.monotonic() - started
    assert waited < TIMEOUT_MS / 1000 / 2, f"{waited:.1f} s: the wait ran out its timeout"
    assert page.url.startswith("chrome-error://"), page.url


@pytest.mark.parametrize("driver", [EntraDriver(timeout_ms=TIMEOUT_MS), FormDriver()],
                         ids=["entra", "form"])
def test_a_wait_for_the_providers_sign_in_page_ends_at_the_error_page(
        page: Page, origin: str, driver: EntraDriver | FormDriver) -> None:
    """The provider's sign-in page never comes after a navigation that got no answer (an app
    posting its authorization request to a provider that is down): the driver says so."""
    page.goto(f"{origin}/")
    _send(page, f"{origin}{DROP}")
    started = time.monotonic()
    with expect_timeout(TIMEOUT_MS), pytest.raises(AssertionError) as caught:
        driver.expect_sign_in_page(page)
    waited = time.monotonic() - started
    assert waited < TIMEOUT_MS / 1000 / 2, f"{waited:.1f} s: the wait ran out its timeout"
    assert f"no answer from {origin}{DROP}: the connection closed" in str(caught.value), \
        caught.value


def _real_idp_stack(origin: str) -> RealIdpStack:
    """What ``run --idp``'s waits read of their stack when no page of theirs comes."""
    return cast(RealIdpStack, SimpleNamespace(
        user=SimpleNamespace(username="alice@contoso.example", display_name="Alice"),
        rp=SimpleNamespace(base_url=origin), idp_origin="http://idp.invalid"))


@pytest.mark.parametrize(("wait", "says"), [
    (lambda page, stack: real_idp_expect_signed_in(page, stack, "kb"),
     "alice@contoso.example is not signed in: redirects went round in a loop"),
    (_expect_back_signed_out, "sign-out did not come back to the app's signed-out page: "
                              "redirects went round in a loop"),
], ids=["signed-in", "signed-out"])
def test_run_idp_waits_for_the_apps_pages_end_at_the_error_page(
        page: Page, origin: str, wait: Callable[[Page, RealIdpStack], None], says: str) -> None:
    """``run --idp``: the reference RP's signed-in page after the provider's sign-in, its
    signed-out page after the provider's sign-out."""
    page.goto(f"{origin}/")
    _send(page, f"{origin}{LOOP}")
    started = time.monotonic()
    with expect_timeout(TIMEOUT_MS), pytest.raises(AssertionError) as caught:
        wait(page, _real_idp_stack(origin))
    waited = time.monotonic() - started
    assert waited < TIMEOUT_MS / 1000 / 2, f"{waited:.1f} s: the wait ran out its timeout"
    assert str(caught.value).startswith(says), caught.value
