"""What the app adapter's failed checks say the browser shows: the app's page by its path,
status and first line; a page still at the provider by its URL and the provider's error, never
as the app's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

from mock_idp.signin import ids
from scenarios.app.adapter import ProfileAdapter
from scenarios.people import PEOPLE
from scenarios.runner import expect_timeout

from .page_server import Pages, profile_adapter, serving

pytestmark = pytest.mark.browser

DISABLED = "AADSTS50057: The user account is disabled."
PROVIDER_PAGE = (f"<title>Sign in to your account</title><div>Mock identity platform</div>"
                 f'<h1 id="{ids.HEADER}">Enter password</h1>'
                 f'<div id="{ids.SERVICE_EXCEPTION}" role="alert">{DISABLED}</div>')
PROFILE = """\
name = "helpdesk"
[app]
base_url = "http://127.0.0.1:9"
[provider]
redirect_uris = "{base_url}/cb"
[sign_in]
urls = { login = "/login" }
[signed_in]
me_url = "/me"
[failure]
contact = "support@helpdesk.example"
text = "Sign-in failed"
[sign_out]
url = "/logout"
lands_on = "/signed-out"
text = "You are signed out"
"""


class _Pages(Pages):
    def page(self, path: str) -> tuple[int, str]:
        if path.endswith("/login"):
            return 400, PROVIDER_PAGE
        if path in ("/signed-out", "/goodbye"):
            return 200, "<h1>Goodbye for now</h1>"
        return 500, "<h1>Internal Server Error</h1>"


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    with serving(_Pages) as origin:
        yield origin


@pytest.fixture
def adapter(origin: str) -> Iterator[ProfileAdapter]:
    """The app at ``http://127.0.0.1:PORT``; its provider at ``http://localhost:PORT``."""
    with profile_adapter(origin, PROFILE, "helpdesk.toml") as adapter:
        yield adapter


def _at_the_provider(page: Page, origin: str) -> str:
    provider = origin.replace("127.0.0.1", "localhost")
    page.goto(f"{provider}/contoso/login")
    return provider


def test_the_app_s_own_page_is_the_app_s(page: Page, origin: str,
                                         adapter: ProfileAdapter) -> None:
    page.goto(f"{origin}/auth/callback")
    assert adapter.showing(page) == ("the app showed /auth/callback with HTTP 500: "
                                     "'Internal Server Error'")


def test_a_page_at_the_provider_is_the_provider_s(page: Page, origin: str,
                                                  adapter: ProfileAdapter) -> None:
    provider = _at_the_provider(page, origin)
    assert adapter.showing(page) == (f"the provider shows an error: {DISABLED!r} "
                                     f"(#{ids.SERVICE_EXCEPTION}, at {provider}/contoso/login)")


def test_a_sign_in_stuck_at_the_provider_names_its_error(page: Page, origin: str,
                                                         adapter: ProfileAdapter) -> None:
    provider = _at_the_provider(page, origin)
    with expect_timeout(300), pytest.raises(AssertionError) as signed_in:
        adapter.expect_signed_in(page, PEOPLE["alice"])
    assert str(signed_in.value) == (
        f"the sign-in did not end at {origin}; the provider shows an error: {DISABLED!r} "
        f"(#{ids.SERVICE_EXCEPTION}, at {provider}/contoso/login)")
    with pytest.raises(AssertionError) as failed:
        adapter.expect_failure(page)
    assert str(failed.value).startswith(
        f"the failure page did not appear: no 'Sign-in failed'; the provider shows an error: "
        f"{DISABLED!r}"), failed.value
    assert "the app showed" not in str(failed.value)


def test_a_sign_out_page_that_differs_names_the_profile_key(page: Page, origin: str,
                                                            adapter: ProfileAdapter) -> None:
    """Not Playwright's "Locator expected to contain text": the key to check, what it says,
    and what the page shows instead."""
    page.goto(f"{origin}/signed-out")
    with expect_timeout(300), pytest.raises(AssertionError) as text:
        adapter.expect_sign_out_page(page)
    assert str(text.value) == (
        "the page sign-out ended on does not show [sign_out] text 'You are signed out'; the app "
        "showed /signed-out with HTTP 200: 'Goodbye for now'")
    page.goto(f"{origin}/goodbye")
    with expect_timeout(300), pytest.raises(AssertionError) as lands_on:
        adapter.expect_sign_out_page(page)
    assert str(lands_on.value) == (
        f"sign-out did not end at [sign_out] lands_on '/signed-out' ({origin}/signed-out); the "
        "app showed /goodbye with HTTP 200: 'Goodbye for now'")
