"""Waits for a success state (signed in, the sign-out control, the signed-out page, a sign-in
form, the provider's sign-out page) end as soon as the app shows an error page that stays,
with the message the timeout would have given; a page that moves on by itself (a script, a
refresh, a single-page app served with a 404 that renders once its fetch ends) is still
waited for."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import ClassVar, cast

import httpx
import pytest
from playwright.sync_api import Page

from scenarios.app import parse_profile
from scenarios.app.adapter import ProfileAdapter
from scenarios.app.servers import AppServer
from scenarios.drivers import EntraDriver, FormDriver
from scenarios.people import PEOPLE
from scenarios.runner import expect_timeout

from .page_server import Pages, serving

pytestmark = pytest.mark.browser

ALICE = PEOPLE["alice"]
TIMEOUT_MS = 10_000
QUICK_S = 5
"""Well under :data:`TIMEOUT_MS`: the wait did not wait it out."""
SIGNED_IN = '<h1>Account</h1><p id="signed-in-as">Signed in as Alice Adams</p>'
ERROR = ("<h1>Internal Server Error</h1><p>The server encountered an internal error</p>")
SHOWN_ERROR = ("with HTTP 500: 'Internal Server Error' / 'The server encountered an internal "
               "error'")
PROFILE = """\
name = "helpdesk"
[app]
base_url = "http://127.0.0.1:9"
[provider]
redirect_uris = "{base_url}/cb"
[sign_in]
protected_urls = ["/account"]
[signed_in]
me_url = "/me"
selector = "#signed-in-as"
text = "Signed in as {name}"
[sign_out]
control = "Sign out"
lands_on = "/signed-out"
"""


class _Pages(Pages):
    def page(self, path: str) -> tuple[int, str]:
        if path == "/me":
            return 401, "{}"
        if path == "/account":
            return 200, SIGNED_IN
        if path == "/slow-settings":
            time.sleep(1.5)
            return 200, "{}"
        if path == "/cb-script":  # a 500 the app's script leaves at once
            return 500, ERROR + '<script>setTimeout(() => location.replace("/account"), 200)'\
                                '</script>'
        if path == "/cb-refresh":  # a 401 that refreshes after a while
            return 401, '<meta http-equiv="refresh" content="2; url=/account">Signing in'
        if path == "/spa":  # a single-page app behind a host's 404 fallback
            return 404, ('<div id="app">Loading…</div><script>fetch("/slow-settings").then(() '
                         '=> { document.getElementById("app").innerHTML = '
                         f"'{SIGNED_IN}'; }});</script>")
        return 500, ERROR


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    with serving(_Pages) as origin:
        yield origin


def _adapter(origin: str, http: httpx.Client, profile: str = PROFILE) -> ProfileAdapter:
    server = cast(AppServer, SimpleNamespace(base_url=origin))
    return ProfileAdapter(parse_profile(profile, path=Path("helpdesk.toml")), server, {}, http)


@pytest.fixture
def adapter(origin: str) -> Iterator[ProfileAdapter]:
    """The app's adapter; its ``me_url`` says no one is signed in."""
    with httpx.Client() as http:
        yield _adapter(origin, http)


def _fails_quickly(call: object) -> str:
    assert callable(call)
    started = time.monotonic()
    with expect_timeout(TIMEOUT_MS), pytest.raises(AssertionError) as caught:
        call()
    assert time.monotonic() - started < QUICK_S, "the wait waited out its timeout"
    return str(caught.value)


def test_a_callback_that_answers_500_is_not_waited_out(page: Page, origin: str,
                                                       adapter: ProfileAdapter) -> None:
    """The Authlib example's v1 sign-in: its callback raises, Flask shows its 500 page."""
    page.goto(f"{origin}/cb?code=x")
    message = _fails_quickly(lambda: adapter.expect_signed_in(page, ALICE, lands_on="/account"))
    assert message == (f"the sign-in did not end at {origin}/account; the app showed /cb "
                       f"{SHOWN_ERROR}")


def test_a_500_where_the_signed_in_page_is_awaited_is_not_waited_out(
        page: Page, origin: str, adapter: ProfileAdapter) -> None:
    page.goto(f"{origin}/account-broken")
    message = _fails_quickly(lambda: adapter.expect_signed_in(page, ALICE))
    assert message.startswith(
        "the signed-in page does not show 'Signed in as Alice Adams': no element matches "
        f"[signed_in] selector '#signed-in-as'; the app showed /account-broken {SHOWN_ERROR}\n"
    ), message


@pytest.mark.parametrize("path", ["/cb-script", "/cb-refresh", "/spa"])
def test_a_page_that_moves_on_by_itself_is_still_waited_for(page: Page, origin: str,
                                                            path: str) -> None:
    """A 500 a script leaves, a 401 whose refresh comes after the page has settled, a 404 page
    whose script shows the signed-in page once a 1.5 s fetch ends."""
    page.goto(origin + path)
    lands_on = "/spa" if path == "/spa" else "/account"
    with httpx.Client() as http, expect_timeout(TIMEOUT_MS):
        adapter = _adapter(origin, http, PROFILE.replace('me_url = "/me"\n', ""))
        adapter.expect_signed_in(page, ALICE, lands_on=lands_on)


def test_a_sign_out_control_is_not_awaited_on_an_error_page(page: Page, origin: str,
                                                            adapter: ProfileAdapter) -> None:
    page.goto(f"{origin}/account-broken")
    message = _fails_quickly(lambda: adapter.sign_out(page))
    assert message == ("no button or link named [sign_out] control 'Sign out'; the app showed "
                       f"/account-broken {SHOWN_ERROR}")


def test_a_signed_out_page_is_not_awaited_on_an_error_page(page: Page, origin: str,
                                                           adapter: ProfileAdapter) -> None:
    page.goto(f"{origin}/logout")
    message = _fails_quickly(lambda: adapter.expect_sign_out_page(page))
    assert message == (f"sign-out did not end at [sign_out] lands_on '/signed-out' "
                       f"({origin}/signed-out); the app showed /logout {SHOWN_ERROR}")


def test_a_sign_in_form_is_not_awaited_on_an_error_page(page: Page, origin: str) -> None:
    page.goto(f"{origin}/login")
    message = _fails_quickly(lambda: FormDriver().expect_sign_in_page(page))
    assert "Username" in message and "shows an error page" in message, message
    assert f"{origin}/login" in message and "Locator" not in message, message


@pytest.mark.parametrize("driver", [EntraDriver(), FormDriver(sign_out_button="Sign out")],
                         ids=["entra", "form"])
def test_a_sign_out_that_ends_on_an_error_page_asks_nothing(page: Page, origin: str,
                                                            driver: EntraDriver | FormDriver
                                                            ) -> None:
    """An app whose sign-out URL answers HTTP 500 never reaches the provider: the driver does
    not wait its 10 s for a page to answer there."""
    page.goto(f"{origin}/logout")
    started = time.monotonic()
    driver.confirm_sign_out(page, ALICE.upn)
    assert time.monotonic() - started < QUICK_S, "the driver waited out its timeout"


class _Redirects(Pages):
    """Redirects each path of :attr:`hops` to its URL; shows the app signed in elsewhere."""

    hops: ClassVar[dict[str, str]] = {}

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        if self.path in self.hops:
            self.send_response(302)
            self.send_header("Location", self.hops[self.path])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()

    def page(self, path: str) -> tuple[int, str]:
        return 200, "<h1>Widget</h1><p>Signed in as user 1</p>"


def test_a_sign_in_form_is_not_awaited_once_the_browser_is_back_at_the_app(page: Page) -> None:
    """A provider that signs in without a form sends the browser straight back to the app: the
    form driver says so at once, with what the app shows, instead of waiting out its timeout
    for a username field that never comes."""
    with serving(_Redirects) as app, serving(_Redirects) as provider:
        _Redirects.hops = {"/login": f"{provider}/authorize?state=s",
                           "/authorize?state=s": f"{app}/callback?code=c",
                           "/callback?code=c": f"{app}/widget"}
        page.goto(f"{app}/login")
        message = _fails_quickly(lambda: FormDriver().expect_sign_in_page(page))
    assert message.startswith("the provider's sign-in form did not appear: the browser is back "
                              "at the app"), message
    assert "[driver]" in message and "'Signed in as user 1'" in message, message
    assert f"{app}/widget" in message, message


def test_a_sign_in_form_that_is_not_found_names_the_driver_key(page: Page) -> None:
    """A form whose username field has another label: the failure names the [driver] key and
    what the page shows, not Playwright's locator."""
    page.route("http://127.0.0.2:8596/login", lambda route: route.fulfill(
        content_type="text/html", body="<h1>Sign-in</h1><p>Enter your account</p><label>"
        "Email <input name=login></label><label>Password <input type=password></label>"))
    page.goto("http://127.0.0.2:8596/login")
    with expect_timeout(1000):
        with pytest.raises(AssertionError) as caught:
            FormDriver().expect_sign_in_page(page)
    message = str(caught.value)
    assert message.startswith("the provider's sign-in form did not appear: no field labelled "
                              "'Username' (the page shows fields labelled 'Email', 'Password'; "
                              "check [driver] username_field"), message
    assert "http://127.0.0.2:8596/login" in message and "'Sign-in'" in message, message
    assert "Locator" not in message, message
