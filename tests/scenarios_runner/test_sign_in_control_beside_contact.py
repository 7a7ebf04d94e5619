"""``[sign_in] control`` on a sign-in page that also shows the support contact:
Flask-AppBuilder sends a failed sign-in back to its OAuth login page, so a deployment puts
the contact there, beside the provider's button. That page still waits for the click; only a
page with the contact and no such control is a failure page in place of a sign-in page."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

from scenarios.app.adapter import ProfileAdapter

from .page_server import Pages, profile_adapter, serving

pytestmark = pytest.mark.browser

CONTACT = "helpdesk@contoso.example"
CONTROL = "Sign In with azure"
LOGIN = (f'<nav><a href="/login/">Login</a></nav><a id="go" class="btn">{CONTROL}</a>'
         f"<p>Trouble signing in? Contact {CONTACT}</p>"
         '<script>document.getElementById("go").addEventListener("click", () => { '
         'window.location.href = "/login/azure"; })</script>')
PROFILE = f"""\
name = "fab"
[app]
base_url = "http://127.0.0.1:9"
[provider]
redirect_uris = "{{base_url}}/oauth-authorized/azure"
[sign_in]
urls = {{ login = "/login/", off = "/off" }}
control = "{CONTROL}"
[signed_in]
me_url = "/me"
[failure]
contact = "{CONTACT}"
"""


PAGES = {"/login/": (200, LOGIN), "/login/azure": (200, "<h1>Started</h1>"),
         "/off": (403, f"<h1>Single sign-on is off</h1><p>Contact {CONTACT}</p>")}


class _Pages(Pages):
    def page(self, path: str) -> tuple[int, str]:
        return PAGES.get(path, (401, "<h1>Unauthorized</h1>"))


@contextlib.contextmanager
def _app() -> Iterator[tuple[str, ProfileAdapter]]:
    with serving(_Pages) as origin, profile_adapter(origin, PROFILE, "fab.toml",
                                                    contact=CONTACT) as adapter:
        yield origin, adapter


def test_a_sign_in_page_showing_the_contact_beside_its_control_is_clicked_through(
        page: Page) -> None:
    with _app() as (origin, adapter):
        page.goto(f"{origin}/login/")
        assert adapter.start_sign_in(page, f"{origin}/login/") is True
        page.wait_for_url(f"{origin}/login/azure")


def test_a_page_showing_the_contact_without_the_control_is_not_clicked(page: Page) -> None:
    with _app() as (origin, adapter):
        page.goto(f"{origin}/off")
        assert adapter.start_sign_in(page, f"{origin}/off") is False
        assert page.url == f"{origin}/off"
