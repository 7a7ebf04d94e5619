"""The sign-out scenarios' last check, that the next visit asks for a sign-in at the provider
(:mod:`scenarios.sign_in_asked`): for an app whose protected URL stops on its own sign-in page
with a button (an OmniAuth app: its sign-in starts only by a POST), for a single-page app whose
script leaves for the provider a moment after the page loaded (MSAL.js's ``loginRedirect``),
which must not be raced by a second sign-in, and for an app that shows neither."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from playwright.sync_api import Page, Route

from scenarios.sign_in_asked import expect_sign_in_asked
from scenarios.worker_pool import expect_timeout

pytestmark = pytest.mark.browser

APP = "http://127.0.0.1:8597"
IDP = "http://127.0.0.1:8596"
AUTHORIZE = f"{IDP}/tenant/oauth2/v2.0/authorize"
BUTTON = "Sign in with Microsoft"
FORM = f'<form method="post" action="{AUTHORIZE}"><button>{BUTTON}</button></form>'


class _App:
    base_url = APP

    def __init__(self, control: str | None) -> None:
        self.profile = SimpleNamespace(sign_in=SimpleNamespace(control=control))

    def protected_urls(self) -> tuple[str, ...]:
        return (f"{APP}/account",)

    def sign_in_url(self) -> str:
        return f"{APP}/login"

    def start_sign_in(self, page: Page, url: str) -> bool:
        """As the profile adapter does: the control is clicked on a sign-in URL's page only."""
        if url != self.sign_in_url() or self.profile.sign_in.control is None:
            return False
        page.get_by_role("button", name=BUTTON).click()
        return True


def _serve(page: Page, account: str, *, control: str | None = BUTTON, login: str = FORM
           ) -> tuple[SimpleNamespace, list[str]]:
    """``/account`` answers ``account``, ``/login`` ``login`` (the sign-in page with its button:
    Playwright routes no request a redirect makes, so none is used); the provider its sign-in
    page. The app's URLs the browser asked for are listed."""
    asked: list[str] = []

    def app(route: Route) -> None:
        asked.append(route.request.url)
        body = login if route.request.url.endswith("/login") else account
        route.fulfill(content_type="text/html", body=body)

    page.route(f"{APP}/**", app)
    page.route(f"{IDP}/**", lambda route: route.fulfill(
        content_type="text/html", body="<h1>Sign in</h1><input aria-label='Email'>"))
    stack = SimpleNamespace(app=_App(control), idp=SimpleNamespace(base_url=IDP),
                            sign_in_started=0.0)
    return stack, asked


def test_a_protected_url_that_stops_on_the_apps_sign_in_button(page: Page) -> None:
    stack, asked = _serve(page, FORM)
    expect_sign_in_asked(page, stack)  # type: ignore[arg-type]
    assert page.url == AUTHORIZE
    assert asked == [f"{APP}/account", f"{APP}/login"]


def test_a_sign_in_button_named_like_sign_in_without_a_control_in_the_profile(
        page: Page) -> None:
    """What ``app check`` points out, a "Sign in" link, is followed by the sign-in URL too."""
    stack, asked = _serve(page, f'<a href="{AUTHORIZE}">Sign in</a>', control=None,
                          login=f'<meta http-equiv="refresh" content="0;url={AUTHORIZE}">')
    expect_sign_in_asked(page, stack)  # type: ignore[arg-type]
    assert page.url == AUTHORIZE
    assert asked == [f"{APP}/account", f"{APP}/login"]


def test_a_script_on_its_way_to_the_provider_is_not_raced(page: Page) -> None:
    """The page shows its sign-in button while its script fetches what it needs and then
    leaves for the provider (MSAL.js): opening the sign-in URL meanwhile would start a second
    sign-in, whose state the first one's answer does not match."""
    stack, asked = _serve(page, FORM + (
        "<script>fetch('/config').then(() => setTimeout(() => "
        f"location.assign('{AUTHORIZE}?from=script'), 400));</script>"))
    expect_sign_in_asked(page, stack)  # type: ignore[arg-type]
    assert page.url == f"{AUTHORIZE}?from=script"
    assert f"{APP}/login" not in asked, asked


def test_a_page_with_no_way_to_the_provider_is_said_as_it_is(page: Page) -> None:
    stack, _ = _serve(page, "<h1>Welcome back, Alice</h1>")
    with expect_timeout(300), pytest.raises(AssertionError) as failed:
        expect_sign_in_asked(page, stack)  # type: ignore[arg-type]
    message = str(failed.value)
    assert message.startswith(
        "after the sign-out, the next visit to the app (http://127.0.0.1:8597/account) did not "
        "ask for a sign-in at the provider: "), message
    assert "Welcome back, Alice" in message, message
