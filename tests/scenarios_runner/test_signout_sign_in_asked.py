"""The sign-out scenarios' last check, that the next visit asks for a sign-in at the provider,
for an app whose protected URL leads to its own sign-in page with a button (an OmniAuth app:
its sign-in starts only by a POST) rather than to the provider."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from playwright.sync_api import Page, Route

from scenarios.catalogue.signout import _expect_sign_in_asked

pytestmark = pytest.mark.browser

APP = "http://127.0.0.1:8597"
IDP = "http://127.0.0.1:8596"
BUTTON = "Sign in with Microsoft"


class _App:
    base_url = APP

    def protected_urls(self) -> tuple[str, ...]:
        return (f"{APP}/account",)

    def sign_in_url(self) -> str:
        return f"{APP}/login"

    def start_sign_in(self, page: Page, url: str) -> bool:
        """As the profile adapter does: the control is clicked on a sign-in URL's page only."""
        if url != self.sign_in_url():
            return False
        page.get_by_role("button", name=BUTTON).click()
        return True


def _app(route: Route) -> None:
    """``/account`` and ``/login`` alike show the sign-in page (Playwright routes no request a
    redirect makes, so none is used); its button posts straight on towards the provider."""
    route.fulfill(content_type="text/html", body=(
        f'<form method="post" action="{IDP}/tenant/oauth2/v2.0/authorize">'
        f"<button>{BUTTON}</button></form>"))


def test_a_protected_url_that_stops_on_the_apps_sign_in_page(page: Page) -> None:
    page.route(f"{APP}/**", _app)
    page.route(f"{IDP}/**", lambda route: route.fulfill(
        content_type="text/html", body="<h1>Sign in</h1><input aria-label='Email'>"))
    stack = SimpleNamespace(app=_App(), sign_in_started=0.0)
    _expect_sign_in_asked(page, stack)  # type: ignore[arg-type]
    assert page.url.startswith(f"{IDP}/tenant/oauth2/v2.0/authorize")
