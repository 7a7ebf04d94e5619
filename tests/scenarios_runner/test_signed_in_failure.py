"""When ``flows.expect_signed_in`` fails, its message says what the page shows instead: the
provider's error (the ids of Entra's pages), else the page's URL, heading and first lines."""

from __future__ import annotations

import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import cast

import pytest
from playwright.sync_api import Page, expect

from mock_idp.signin import ids
from scenarios import flows
from scenarios.live import LiveStack
from scenarios.people import PEOPLE

from .page_server import Pages, serving, start_hanging_navigation

pytestmark = pytest.mark.browser

ALICE = PEOPLE["alice"]
FAILURE_PAGE = """<nav><a href="/">Home</a> <a href="/widget">Widget</a></nav>
<main><h1>Sign-in failed</h1>
<p>Single sign-on is not set up correctly. Please contact support.</p>
<p>Identity provider error code: AADSTS7000215</p><p>Reference: RP-0123456789</p></main>"""


class _App:
    """An app adapter's check as the reference relying party's profile makes it."""

    def expect_signed_in(self, page: Page, person: object, *, lands_on: str | None = None
                         ) -> None:
        expect(page.locator("#signed-in-as")).to_contain_text("Signed in as", timeout=300)


STACK = cast(LiveStack, SimpleNamespace(app=_App()))


class _Pages(Pages):
    def page(self, path: str) -> tuple[int, str]:
        return 502, FAILURE_PAGE


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    with serving(_Pages) as origin:
        yield origin


def failure(page: Page) -> AssertionError:
    with pytest.raises(AssertionError) as caught:
        flows.expect_signed_in(page, STACK, ALICE)
    return caught.value


@pytest.mark.parametrize(("element", "text"), [
    (ids.PASSWORD_ERROR, ids.PASSWORD_INCORRECT),
    (ids.CODE_ERROR, ids.CODE_WRONG),
    (ids.USERNAME_ERROR, ids.USERNAME_NOT_FOUND),
    (ids.SERVICE_EXCEPTION, "AADSTS50020: User account from identity provider does not exist."),
])
def test_the_message_names_the_provider_s_error(page: Page, element: str, text: str) -> None:
    page.set_content(f'<h1 id="{ids.HEADER}">Enter password</h1>'
                     f'<div id="{element}" class="{ids.ALERT_ERROR}" role="alert">{text}</div>')
    error = failure(page)
    first, *rest = str(error).splitlines()
    assert first == (f"{ALICE.upn} is not signed in: the provider shows an error: {text!r} "
                     f"(#{element}, at about:blank)")
    assert "Locator expected to contain text 'Signed in as'" in rest[0]
    assert isinstance(error.__cause__, AssertionError)


def test_otherwise_the_page_s_url_heading_and_first_lines(page: Page, origin: str) -> None:
    page.goto(f"{origin}/auth/callback?code=1.secret-code&state=s")
    page.evaluate(f"""() => document.body.insertAdjacentHTML("beforeend",
        '<div id="{ids.PASSWORD_ERROR}" style="display: none">hidden, not shown</div>')""")
    message = str(failure(page))
    assert message.splitlines()[0] == (
        f"{ALICE.upn} is not signed in: the page at {origin}/auth/callback?… shows, heading "
        "'Sign-in failed': 'Single sign-on is not set up correctly. Please contact support. / "
        "Identity provider error code: AADSTS7000215 / Reference: RP-0123456789'")
    assert "secret-code" not in message and "hidden" not in message


def test_a_long_text_is_cut_short(page: Page) -> None:
    page.set_content(f"<p>{'word ' * 100}</p>")
    first = str(failure(page)).splitlines()[0]
    assert first.endswith("word word…'") and len(first) < 300


def test_a_page_whose_navigation_never_commits_still_gets_a_message(
        page: Page, origin: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(flows, "READ_MS", 500)
    page.goto(f"{origin}/auth/callback")
    start_hanging_navigation(page, origin)
    started = time.monotonic()
    message = str(failure(page))
    assert time.monotonic() - started < 5
    assert message.startswith(f"{ALICE.upn} is not signed in: the page at {origin}/auth/callback "
                              "could not be read (TimeoutError)"), message


def test_a_passing_check_reads_nothing_more(page: Page, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    def unexpected(page: Page) -> str:
        raise AssertionError("the page was read on the passing path")

    monkeypatch.setattr(flows, "page_shows", unexpected)
    page.set_content('<p id="signed-in-as">Signed in as Alice Adams</p>')
    flows.expect_signed_in(page, STACK, ALICE)


@pytest.mark.parametrize(("html", "shows"), [
    ("<h1>Sign-in failed</h1>", "shows only the heading 'Sign-in failed'"),
    ("", "shows no text"),
])
def test_a_page_with_little_on_it(page: Page, html: str, shows: str) -> None:
    page.set_content(html)
    assert str(failure(page)).splitlines()[0].endswith(f"the page at about:blank {shows}")
