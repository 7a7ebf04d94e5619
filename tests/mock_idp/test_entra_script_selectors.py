"""Public scripts for login.microsoftonline.com that select Entra's pages by more than ids run
unchanged against the mock, in a real browser.

Each test repeats one kind of script's selectors and sequence, word for word, as written for
Entra: whole ``class`` attributes (Selenium Java and Python, Protractor, Serenity, Puppeteer),
``#otherTileText`` (Robot Framework, WebdriverIO, Selenium), the password input that Entra's
username view already carries off-screen (Puppeteer), and "Stay signed in?"'s ``data-bind``
(a Playwright page object). Like ``test_entra_login_script``, it imports nothing of the mock's
page contract (:mod:`mock_idp.signin.ids`), so a change to the pages that breaks such scripts
breaks these tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from idp_testkit import ALICE, CLIENT_ID, password
from playwright.sync_api import Browser, Page, expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from mock_idp import create_app, run_in_thread
from mock_idp.config import DEFAULT_TENANT_ID, IdpConfig
from mock_idp.testing import bind_socket

pytestmark = pytest.mark.browser

# Entra's class attributes, as scripts match them whole (XPath ``@class=``, CSS ``[class=]``).
USERNAME_CLASS = "form-control ltr_override input ext-input text-box ext-text-box"
PASSWORD_CLASS = "form-control input ext-input text-box ext-text-box"
PRIMARY_CLASS = "win-button button_primary button ext-button primary ext-primary"
SECONDARY_CLASS = "win-button button-secondary button ext-button secondary ext-secondary"


@dataclass(frozen=True)
class Stack:
    idp: str
    callback: str
    """The app's redirect URI, which answers with a page titled "Callback"."""

    def authorize(self, **extra: str) -> str:
        return f"{self.idp}/{DEFAULT_TENANT_ID}/oauth2/v2.0/authorize?" + urlencode({
            "client_id": CLIENT_ID, "response_type": "code", "scope": "openid",
            "redirect_uri": self.callback, "state": "st", "nonce": "n", **extra})


@pytest.fixture
def stack() -> Iterator[Stack]:
    async def callback(request: Request) -> HTMLResponse:
        return HTMLResponse("<!doctype html><title>Callback</title>")

    sock = bind_socket("127.0.0.1", 0)
    app = Starlette(routes=[Route("/auth/callback", callback)])
    with run_in_thread(app, sock=sock, log_level="critical"), \
            run_in_thread(create_app(IdpConfig.default()), log_level="critical") as idp:
        yield Stack(idp.base_url, f"http://127.0.0.1:{sock.getsockname()[1]}/auth/callback")


@contextmanager
def _signing_in(page: Page, stack: Stack) -> Iterator[None]:
    """The actions in the block end the sign-in: the browser comes to the app's redirect URI
    with a code."""
    yield
    expect(page).to_have_title("Callback")
    assert page.url.startswith(stack.callback) and "code=" in page.url, page.url


def test_a_script_finds_each_field_and_button_by_its_whole_class_attribute(
        page: Page, stack: Stack) -> None:
    """Selenium and Protractor page objects for Entra select the username, Next, the password
    and Sign in by the whole ``class`` attribute, and "Stay signed in?"'s No the same way
    (e.g. ``//input[@class='win-button button_primary button ext-button primary ext-primary']``
    in Selenium Java and Protractor login pages, ``//input[@class= 'win-button
    button-secondary button ext-button secondary ext-secondary']`` for No in a Python one)."""
    page.goto(stack.authorize())
    page.locator(f"//input[@class='{USERNAME_CLASS}']").fill(ALICE)
    page.locator(f"//input[@class='{PRIMARY_CLASS}']").click()
    page.locator(f"//input[@class='{PASSWORD_CLASS}']").fill(password(ALICE))
    page.locator(f"//input[@class='{PRIMARY_CLASS}']").click()
    with _signing_in(page, stack):
        page.locator(f"//input[@class='{SECONDARY_CLASS}']").click()  # No


def test_a_script_clicks_entras_class_names_and_reads_the_inputs_in_error(
        page: Page, stack: Stack) -> None:
    """Scripts that click ``By.CLASS_NAME("ext-primary")`` for Next, Sign in and Yes, and a
    Puppeteer script that tells a wrong address or password by the input's whole class with
    ``has-error ext-has-error``."""
    page.goto(stack.authorize())
    page.fill("#i0116", "nobody@contoso.onmicrosoft.com")
    page.locator(".ext-primary").click()
    expect(page.locator(
        f'input[class="{USERNAME_CLASS} has-error ext-has-error"]')).to_have_count(1)
    page.fill("#i0116", ALICE)
    page.locator(".ext-primary").click()
    page.fill("#i0118", "not her password")
    page.locator(".ext-primary").click()
    wrong = page.locator(f'input[class="{PASSWORD_CLASS} has-error ext-has-error"]')
    expect(wrong).to_have_count(1)
    wrong.fill(password(ALICE))
    page.locator(".ext-primary").click()
    expect(page.locator(".ext-secondary")).to_have_value("No")
    with _signing_in(page, stack):
        page.locator(".ext-primary").click()  # Yes


def test_a_script_uses_another_account_by_other_tile_text(page: Page, stack: Stack) -> None:
    """A Robot Framework suite: ``Run Keyword And Return Status  Page Should Contain Element
    //*[@id="otherTileText"]``, then ``Click Element  //*[@id="otherTileText"]`` and the
    username by ``//*[@id="i0116"]`` (WebdriverIO and Selenium scripts click the same)."""
    page.goto(stack.authorize())
    page.fill("#i0116", ALICE)
    page.click("#idSIButton9")
    page.fill("#i0118", password(ALICE))
    page.click("#idSIButton9")
    with _signing_in(page, stack):
        page.click("#idBtn_Back")

    page.goto(stack.authorize(prompt="select_account"))
    other = page.locator('xpath=//*[@id="otherTileText"]')
    expect(other).to_have_text("Use another account")
    assert page.locator('div[id="otherTileText"]').count() == 1
    other.click()
    page.locator('xpath=//*[@id="i0116"]').fill(ALICE)
    page.locator('xpath=//*[@id="idSIButton9"]').click()
    page.locator('xpath=//*[@id="i0118"]').fill(password(ALICE))
    page.locator('xpath=//*[@id="idSIButton9"]').click()
    with _signing_in(page, stack):
        page.click("#idBtn_Back")


_SHOWN = """(selector) => {
  const element = document.querySelector(selector);
  return element && !element.hasAttribute('aria-hidden');
}"""


def test_a_script_tells_the_username_step_by_the_password_inputs_aria_hidden(
        page: Page, stack: Stack) -> None:
    """A Puppeteer sign-in helper (a school portal's ``loginMicrosoft``): the password input
    carries ``aria-hidden`` while the username is asked (else it skips the username), then
    it waits for ``input[type="email"]`` and ``input[type="password"]`` without
    ``aria-hidden``, typing each and pressing Enter."""
    page.goto(stack.authorize())
    hidden = page.evaluate("(el) => el?.hasAttribute('aria-hidden')",
                           page.query_selector('input[type="password"]'))
    assert hidden is True  # the username step: do not skip it
    page.wait_for_function(_SHOWN, arg='input[type="email"]', timeout=10_000)
    page.type('input[type="email"]', ALICE)
    page.keyboard.press("Enter")
    page.wait_for_function(_SHOWN, arg='input[type="password"]', timeout=10_000)
    page.type('input[type="password"]', password(ALICE))
    page.keyboard.press("Enter")
    expect(page.locator("#KmsiDescription")).to_be_visible()


def test_the_off_screen_inputs_are_present_and_not_visible(page: Page, stack: Stack) -> None:
    """Entra's username view carries ``#i0118`` off-screen: a wait for its presence returns at
    once, a wait for it to be visible (Playwright's ``to_be_visible``, which asks for a
    non-empty box) waits for the password view; there the username input is the off-screen
    one. Back hides the password input again."""
    page.goto(stack.authorize())
    page.wait_for_selector("#i0118", state="attached", timeout=1_000)
    passwd = page.locator('input[name="passwd"]#i0118')
    expect(passwd).to_have_class("moveOffScreen")
    expect(passwd).to_have_attribute("aria-hidden", "true")
    assert not passwd.is_visible()
    page.fill("#i0116", ALICE)
    page.click("#idSIButton9")
    expect(passwd).to_be_visible()
    expect(passwd).not_to_have_attribute("aria-hidden", "true")
    expect(passwd).to_have_class(PASSWORD_CLASS)
    expect(page.locator("#i0118")).to_have_count(1)
    username = page.locator('input[name="loginfmt"]')
    expect(username).to_have_attribute("aria-hidden", "true")
    assert not username.is_visible()
    page.go_back()
    expect(username).to_be_visible()
    expect(passwd).to_have_attribute("aria-hidden", "true")
    assert not passwd.is_visible()


def test_a_password_input_found_in_the_username_view_is_gone_after_next(
        page: Page, stack: Stack) -> None:
    """Entra's password view is its own component: a script that found ``#i0118`` in the
    username view and types into it after Next gets StaleElementReferenceException
    (microsoft/EasyRepro #1086, #1122); it must find the input again. What a browser filled
    into the off-screen input is carried into the shown one, and Back replaces that one too."""
    page.goto(stack.authorize())
    early = page.query_selector("#i0118")
    assert early is not None
    early.evaluate("(el) => { el.value = 'saved by the browser'; }")
    page.fill("#i0116", ALICE)
    page.click("#idSIButton9")
    expect(page.locator("#i0118")).to_be_visible()
    assert early.evaluate("(el) => el.isConnected") is False
    assert not early.is_visible()
    expect(page.locator("#i0118")).to_have_count(1)
    expect(page.locator("#i0118")).to_have_value("saved by the browser")
    shown = page.query_selector("#i0118")
    assert shown is not None
    page.go_back()
    expect(page.locator('input[name="loginfmt"]')).to_be_visible()
    assert shown.evaluate("(el) => el.isConnected") is False
    expect(page.locator("#i0118")).to_have_count(1)
    page.go_forward()
    expect(page.locator("#i0118")).to_be_visible()
    with _signing_in(page, stack):
        page.fill("#i0118", password(ALICE))
        page.click("#idSIButton9")
        page.click("#idBtn_Back")


def test_stay_signed_in_is_found_by_its_title_binding(page: Page, stack: Stack) -> None:
    """A Playwright page object waits for
    ``[data-bind="text: str['STR_Kmsi_Title']"]`` to know "Stay signed in?" has come."""
    page.goto(stack.authorize())
    page.fill("#i0116", ALICE)
    page.click("#idSIButton9")
    page.fill("#i0118", password(ALICE))
    page.click("#idSIButton9")
    title = page.locator("[data-bind=\"text: str['STR_Kmsi_Title']\"]")
    expect(title).to_have_text("Stay signed in?")


def test_a_page_without_script_posts_the_username_alone(browser: Browser, stack: Stack) -> None:
    """Without script, Next posts the form: the off-screen password input is not posted with
    it (an empty password would be refused), so the password comes as a page."""
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(stack.authorize())
        page.fill("#i0116", ALICE)
        with page.expect_navigation():
            page.click("#idSIButton9")
        expect(page.locator("#loginHeader")).to_have_text("Enter password")
        expect(page.locator("#passwordError")).to_have_count(0)
    finally:
        context.close()
