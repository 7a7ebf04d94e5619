"""A login script written for login.microsoftonline.com runs unchanged against the mock.

``EntraLoginScript`` below is written the way public scripts for Entra are (MSAL.js's end-to-end
helpers, aws-azure-login's page states, Selenium and Playwright helpers): only from the selectors
and texts of Entra's pages. It deliberately imports neither :mod:`mock_idp.signin.ids` nor the
harness's own driver, so a change to the mock's pages that breaks such scripts breaks this test.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

import httpx
import jwt
import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from mock_idp import create_app, run_in_thread
from mock_idp.config import (
    DEFAULT_TENANT_ID,
    REFERENCE_RP_CLIENT_ID,
    REFERENCE_RP_SECRET,
    IdpConfig,
    default_tenant,
)
from mock_idp.testing import bind_socket

pytestmark = pytest.mark.browser

TENANT = DEFAULT_TENANT_ID
ALICE, ALICE_PASSWORD = "alice@contoso.onmicrosoft.com", "P@ssw0rd-alice"
BOB, BOB_PASSWORD = "bob@contoso.onmicrosoft.com", "P@ssw0rd-bob"


class EntraLoginScript:
    """Signs in on Entra's pages by their selectors, as scripts for Entra do."""

    USERNAME = 'input[name="loginfmt"]:not(.moveOffScreen)'
    PASSWORD = 'input[name="passwd"]:not(.moveOffScreen)'
    SUBMIT = "#idSIButton9"
    BACK = "#idBtn_Back"

    def __init__(self, page: Page) -> None:
        self.page = page

    def enter_credentials(self, username: str, password: str, *, stay_signed_in: bool) -> None:
        page = self.page
        page.wait_for_selector(self.USERNAME)
        page.fill(self.USERNAME, username)
        page.click('input[type=submit][value="Next"]')
        page.wait_for_selector("#idA_PWD_ForgotPassword")
        assert page.locator('input[name="loginfmt"].moveOffScreen').count() == 1
        self.enter_password(password, stay_signed_in=stay_signed_in)

    def enter_password(self, password: str, *, stay_signed_in: bool) -> None:
        self.page.fill("#i0118", password)
        self.page.click('input[type="submit"][value="Sign in"]')
        self.answer_stay_signed_in(stay_signed_in)

    def answer_stay_signed_in(self, stay: bool, *, dont_show_again: bool = False) -> None:
        self.page.wait_for_selector("#KmsiDescription")
        if dont_show_again:
            self.page.check('input[name="DontShowAgain"]')
        self.page.click(self.SUBMIT if stay else self.BACK)

    def pick_account(self, upn: str) -> None:
        self.page.wait_for_selector("#tilesHolder")
        # The attribute is the address lowercased, as public scripts select it.
        self.page.click(f'#tilesHolder div.table[data-test-id="{upn.lower()}"]')

    def use_another_account(self) -> None:
        self.page.wait_for_selector("#tilesHolder")
        self.page.click("#otherTile")

    def service_exception(self) -> str:
        return self.page.inner_text("#service_exception_message")


@dataclass
class App:
    """The app's redirect URIs: each records its hit and shows a titled page."""

    hits: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def asgi(self) -> Starlette:
        async def record(request: Request) -> HTMLResponse:
            self.hits.append((request.url.path, dict(request.query_params)))
            title = {"/auth/callback": "Callback", "/signed-out": "Signed out"}[request.url.path]
            return HTMLResponse(f"<!doctype html><title>{title}</title><h1>{title}</h1>")

        return Starlette(routes=[Route(p, record) for p in ("/auth/callback", "/signed-out")])


@dataclass(frozen=True)
class Stack:
    idp: str
    app_url: str
    app: App

    def authorize(self, **extra: str) -> str:
        params = {"client_id": REFERENCE_RP_CLIENT_ID, "response_type": "code",
                  "redirect_uri": f"{self.app_url}/auth/callback", "scope": "openid profile",
                  "state": str(time.monotonic_ns()), "nonce": "n", **extra}
        return f"{self.idp}/{TENANT}/oauth2/v2.0/authorize?{urlencode(params)}"

    def expect_signed_in(self, page: Page, upn: str) -> None:
        expect(page).to_have_title("Callback")
        assert self.signed_in_user() == upn

    def signed_in_user(self) -> str:
        """The user of the last authorization code the app received."""
        callback = [q for path, q in self.app.hits if path == "/auth/callback"][-1]
        assert "code" in callback, callback
        response = httpx.post(f"{self.idp}/{TENANT}/oauth2/v2.0/token", timeout=10, data={
            "grant_type": "authorization_code", "client_id": REFERENCE_RP_CLIENT_ID,
            "client_secret": REFERENCE_RP_SECRET, "code": callback["code"],
            "redirect_uri": f"{self.app_url}/auth/callback"})
        assert response.status_code == 200, response.text
        upn: str = jwt.decode(response.json()["id_token"],
                              options={"verify_signature": False})["preferred_username"]
        return upn


@pytest.fixture
def stack() -> Iterator[Stack]:
    app = App()
    sock = bind_socket("127.0.0.1", 0)
    app_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    tenant = default_tenant()
    bob_assigned = replace(tenant.apps[0], assigned=(ALICE, BOB))
    config = IdpConfig(tenants=(replace(tenant, apps=(bob_assigned,)),))
    with run_in_thread(app.asgi(), sock=sock, log_level="critical"), \
            run_in_thread(create_app(config), log_level="critical") as idp:
        yield Stack(idp=idp.base_url, app_url=app_url, app=app)


def _idp_cookies(page: Page, stack: Stack) -> dict[str, float]:
    return {c["name"]: c["expires"] for c in page.context.cookies(stack.idp)}


@pytest.mark.slow
def test_sign_in_pick_an_account_stay_signed_in_and_sign_out(page: Page, stack: Stack) -> None:
    script = EntraLoginScript(page)

    # Alice signs in and answers "Stay signed in?" with Yes: a persistent session cookie.
    page.goto(stack.authorize())
    script.enter_credentials(ALICE, ALICE_PASSWORD, stay_signed_in=True)
    stack.expect_signed_in(page, ALICE)
    assert any(expires > 0 for expires in _idp_cookies(page, stack).values())

    # Bob signs in too, through "Use another account", and answers No.
    page.goto(stack.authorize(prompt="select_account"))
    script.use_another_account()
    script.enter_credentials(BOB, BOB_PASSWORD, stay_signed_in=False)
    stack.expect_signed_in(page, BOB)

    # Two accounts have sessions: the next sign-in asks which one.
    page.goto(stack.authorize())
    expect(page.locator("#tilesHolder [data-test-id]")).to_have_count(2)
    script.pick_account(ALICE)
    stack.expect_signed_in(page, ALICE)

    # Signing out with two accounts asks which one, then says so.
    page.goto(f"{stack.idp}/{TENANT}/oauth2/v2.0/logout")
    script.pick_account(ALICE)
    expect(page.get_by_role("heading", name="You signed out of your account")).to_be_visible()

    # Bob is still signed in; Alice must sign in again.
    page.goto(stack.authorize(prompt="none"))
    stack.expect_signed_in(page, BOB)
    page.goto(stack.authorize(login_hint=ALICE))  # a known user's hint: her password
    page.wait_for_selector(script.PASSWORD)
    expect(page.locator("#displayName")).to_have_text(ALICE)


def test_the_errors_scripts_read(page: Page, stack: Stack) -> None:
    script = EntraLoginScript(page)
    page.goto(stack.authorize())
    page.click(script.SUBMIT)  # nothing typed
    expect(page.locator("#usernameError")).to_have_text(
        "Enter a valid email address, phone number, or Skype name.")
    page.fill(script.USERNAME, "nobody@contoso.onmicrosoft.com")
    page.click(script.SUBMIT)
    expect(page.locator("#usernameError")).to_have_text(
        "This username may be incorrect. Make sure you typed it correctly. Otherwise, contact "
        "your admin.")
    expect(page.locator('input[name="loginfmt"].has-error')).to_have_count(1)

    page.fill(script.USERNAME, ALICE)
    page.click(script.SUBMIT)
    page.fill(script.PASSWORD, "wrong")
    page.click(script.SUBMIT)
    expect(page.locator("#passwordError")).to_have_text(
        "Your account or password is incorrect. If you don't remember your password, reset it "
        "now.", use_inner_text=True)

    # Entra's error page (a public Playwright snapshot): the heading "Sign in", then its
    # message with a typographic apostrophe, and an ISO 8601 timestamp.
    page.goto(stack.authorize(redirect_uri="https://elsewhere.example/cb"))
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
    expect(page.get_by_text("Sorry, but we’re having trouble signing you in.")).to_be_visible()
    expect(page.locator("#timestamp")).to_have_text(
        re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"))
    assert script.service_exception().startswith("AADSTS50011: ")


def test_next_shows_the_password_in_the_same_document(page: Page, stack: Stack) -> None:
    """As on Entra, Next asks GetCredentialType and swaps the password view in place: a script
    that waited for a new document here would hang on login.microsoftonline.com. The swap is a
    history entry of the same document, which MSAL.js's end-to-end helpers wait for."""
    script = EntraLoginScript(page)
    lookups: list[dict[str, object]] = []
    page.on("request", lambda r: lookups.append(r.post_data_json)
            if r.url.endswith("/common/GetCredentialType") else None)
    page.goto(stack.authorize())
    page.evaluate("() => { window.sameDocument = true; }")

    page.fill(script.USERNAME, "nobody@contoso.onmicrosoft.com")
    page.click(script.SUBMIT)
    expect(page.locator("#usernameError")).to_be_visible()
    expect(page.locator('input[name="loginfmt"].has-error')).to_have_count(1)

    page.fill(script.USERNAME, ALICE)
    with page.expect_navigation(timeout=5_000) as navigation:
        page.click('input[type=submit][value="Next"]')
    assert navigation.value is None  # a same-document navigation has no response
    expect(page.locator(script.PASSWORD)).to_be_focused()
    assert page.evaluate("() => window.sameDocument") is True
    expect(page.locator("#loginHeader")).to_have_text("Enter password")
    expect(page.locator("#displayName")).to_have_text(ALICE)
    expect(page.locator("#usernameError")).to_have_count(0)
    expect(page.locator('input[name="loginfmt"].moveOffScreen')).to_have_value(ALICE)
    assert [lookup["username"] for lookup in lookups] == [
        "nobody@contoso.onmicrosoft.com", ALICE]
    assert all(lookup["originalRequest"] for lookup in lookups)

    script.enter_password(ALICE_PASSWORD, stay_signed_in=False)
    stack.expect_signed_in(page, ALICE)


def test_a_recorded_script_signs_in(page: Page, stack: Stack) -> None:
    """The locators Playwright's code generator records on Entra's pages: the username by its
    placeholder or its accessible name, the password by its placeholder, the buttons by role."""
    page.goto(stack.authorize())
    page.get_by_placeholder("Email, phone, or Skype").click()
    page.get_by_role("textbox", name="Enter your email, phone, or Skype.").fill(BOB)
    page.get_by_role("button", name="Next").click()
    page.get_by_placeholder("Password").click()
    page.get_by_role("textbox", name="Enter the password for").fill(BOB_PASSWORD)
    expect(page.get_by_role("textbox", name=f"Enter the password for {BOB}")).to_have_class(
        re.compile(r"\bform-control\b"))  # what a public Selenium script waits on
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#KmsiDescription")).to_have_text(
        "Do this to reduce the number of times you are asked to sign in.")
    page.get_by_role("button", name="No").click()
    stack.expect_signed_in(page, BOB)


def test_each_page_has_one_submit_button(page: Page, stack: Stack) -> None:
    """As on Entra, whose secondary buttons (No, Cancel) are ``input[type=button]``: a script
    that clicks the page's ``input[type=submit]`` (Cypress's ``cy.get(...).click()`` wants one
    element) answers Next, Sign in and then Yes."""
    submit = page.locator('input[type="submit"]')  # strict: fails on two
    page.goto(stack.authorize())
    page.locator('input[type="email"]').fill(ALICE)
    submit.click()
    page.locator('input[type="password"]').fill(ALICE_PASSWORD)
    submit.click()
    page.locator("#KmsiDescription").wait_for()
    expect(submit).to_have_value("Yes")
    submit.click()
    stack.expect_signed_in(page, ALICE)
    assert any(expires > 0 for expires in _idp_cookies(page, stack).values())  # Yes: it lasts


def test_back_from_the_password_shows_the_username_again(page: Page, stack: Stack) -> None:
    """Back on the password view returns to the username view of the same document (with what
    was typed, and without the error of an earlier try); Forward shows the password again."""
    script = EntraLoginScript(page)
    page.goto(stack.authorize())
    page.evaluate("() => { window.sameDocument = true; }")
    page.fill(script.USERNAME, "nobody@contoso.onmicrosoft.com")
    page.click(script.SUBMIT)
    expect(page.locator("#usernameError")).to_be_visible()
    page.fill(script.USERNAME, BOB)
    page.click(script.SUBMIT)
    expect(page.locator(script.PASSWORD)).to_be_visible()

    page.go_back()
    expect(page.locator(script.USERNAME)).to_be_focused()
    expect(page.locator(script.USERNAME)).to_have_value(BOB)
    expect(page.locator("#loginHeader")).to_have_text("Sign in")
    expect(page.locator(script.SUBMIT)).to_have_value("Next")
    # The password input waits off-screen again, empty, as in Entra's username view.
    expect(page.locator('input[name="passwd"]')).to_have_attribute("aria-hidden", "true")
    expect(page.locator('input[name="passwd"]')).to_have_value("")
    expect(page.locator('input[name="passwd"]')).not_to_be_visible()
    expect(page.locator("#usernameError")).to_have_count(0)
    assert page.evaluate("() => window.sameDocument") is True

    page.go_forward()
    expect(page.locator(script.PASSWORD)).to_be_visible()
    expect(page.locator("#displayName")).to_have_text(BOB)
    page.go_back()
    page.fill(script.USERNAME, ALICE)
    page.click(script.SUBMIT)
    expect(page.locator("#displayName")).to_have_text(ALICE)
    script.enter_password(ALICE_PASSWORD, stay_signed_in=False)
    stack.expect_signed_in(page, ALICE)
    assert page.evaluate("() => window.sameDocument") is None


def test_a_puppeteer_script_waits_for_the_back_arrow_and_answers_no_by_its_row(
        page: Page, stack: Stack) -> None:
    """Puppeteer scripts for Office 365: type the username and press Enter, wait for the
    password view's back arrow ``#idBtn_Back``, type the password and press Enter on the
    focused ``#idSIButton9``, then answer "Stay signed in?" with ``.row #idBtn_Back`` (No).
    The arrow itself goes back to the username, as Entra's does."""
    page.goto(stack.authorize())
    page.keyboard.type(BOB)  # the username has the focus as the page loads
    expect(page.locator("#i0116")).to_have_value(BOB)
    page.keyboard.press("Enter")
    page.wait_for_selector("#idBtn_Back", timeout=5_000)
    back = page.get_by_role("button", name="Back", exact=True)
    expect(back).to_be_visible()
    expect(page.locator(".row #idBtn_Back")).to_have_count(0)
    back.click()
    expect(page.locator('input[name="loginfmt"]:not(.moveOffScreen)')).to_be_focused()
    expect(page.locator("#idBtn_Back")).to_have_count(0)
    page.keyboard.press("Enter")
    page.wait_for_selector("#idBtn_Back", timeout=5_000)

    page.type('input[name="passwd"]', BOB_PASSWORD)
    page.focus("#idSIButton9")
    page.keyboard.press("Enter")
    page.wait_for_selector(".row #idBtn_Back", timeout=5_000)
    expect(page.locator("#KmsiDescription")).to_be_visible()
    page.click(".row #idBtn_Back")
    stack.expect_signed_in(page, BOB)
    assert all(expires < 0 for expires in _idp_cookies(page, stack).values())  # No


def test_reloading_the_page_of_a_wrong_password_shows_entras_error_page(
        page: Page, stack: Stack) -> None:
    """The page a wrong password's post answered, reloaded (a GET of the form's address, as
    its script made its history entry): Entra's error page with AADSTS900561."""
    script = EntraLoginScript(page)
    page.goto(stack.authorize())
    page.fill(script.USERNAME, ALICE)
    page.click(script.SUBMIT)
    page.fill(script.PASSWORD, "wrong")
    page.click(script.SUBMIT)
    expect(page.locator("#passwordError")).to_be_visible()
    response = page.reload()
    assert response is not None and response.request.method == "GET"
    expect(page.get_by_text("Sorry, but we’re having trouble signing you in.")).to_be_visible()
    assert script.service_exception() == (
        "AADSTS900561: The endpoint only accepts POST requests. Received a GET request.")


def test_a_known_users_hint_opens_on_the_password_and_back_shows_the_username(
        page: Page, stack: Stack) -> None:
    """Entra skips the username for a known user's ``login_hint`` (MSAL.js issue 4970); Back
    returns to the username view of the same document, where another user may sign in."""
    script = EntraLoginScript(page)
    page.goto(stack.authorize(login_hint=BOB))
    page.evaluate("() => { window.sameDocument = true; }")
    expect(page.locator(script.PASSWORD)).to_be_focused()
    expect(page.locator("#displayName")).to_have_text(BOB)
    expect(page.locator('input[name="loginfmt"].moveOffScreen')).to_have_value(BOB)

    page.go_back()
    expect(page.locator(script.USERNAME)).to_have_value(BOB)
    expect(page.locator("#loginHeader")).to_have_text("Sign in")
    # The password input waits off-screen again, empty, as in Entra's username view.
    expect(page.locator('input[name="passwd"]')).to_have_attribute("aria-hidden", "true")
    expect(page.locator('input[name="passwd"]')).to_have_value("")
    expect(page.locator('input[name="passwd"]')).not_to_be_visible()
    assert page.evaluate("() => window.sameDocument") is True
    page.go_forward()
    expect(page.locator("#displayName")).to_have_text(BOB)
    page.go_back()
    page.fill(script.USERNAME, ALICE)
    page.click(script.SUBMIT)
    expect(page.locator("#displayName")).to_have_text(ALICE)
    script.enter_password(ALICE_PASSWORD, stay_signed_in=False)
    stack.expect_signed_in(page, ALICE)

    page.goto(stack.authorize(prompt="login", login_hint="nobody@contoso.onmicrosoft.com"))
    expect(page.locator(script.USERNAME)).to_have_value("nobody@contoso.onmicrosoft.com")


def test_msal4j_signs_a_device_in(page: Page, stack: Stack) -> None:
    """msal4j's DeviceCodeIT.runAutomatedDeviceCodeFlow and SeleniumExtensions.performADLogin:
    the code in #otc, #idSIButton9, the username, the password, then "Are you trying to sign in
    to …?" answered with #idSIButton9 and, if it comes within 3 s, "Stay signed in?" with
    #idBtn_Back. MSAL.js's approveRemoteConnect finds #remoteConnectDescription on the
    confirmation."""
    started = httpx.post(f"{stack.idp}/{TENANT}/oauth2/v2.0/devicecode", timeout=10, data={
        "client_id": REFERENCE_RP_CLIENT_ID, "scope": "openid profile"}).json()
    page.goto(started["verification_uri"])
    page.locator("#otc").fill(started["user_code"])
    page.click("#idSIButton9")
    page.fill("#i0116", ALICE)
    page.click("#idSIButton9")
    page.fill("#i0118", ALICE_PASSWORD)
    page.click("#idSIButton9")
    page.wait_for_selector("#remoteConnectDescription")
    expect(page.locator("#loginHeader")).to_have_text(
        "Are you trying to sign in to Reference relying party?")
    page.click("#idSIButton9", timeout=3_000)
    try:
        page.click("#idBtn_Back", timeout=3_000)
    except PlaywrightTimeoutError:
        pass  # no "Stay signed in?" here, as msal4j allows
    expect(page.locator("#message")).to_have_text(
        "You have signed in to the Reference relying party application on your device. You "
        "may now close this window.")
    tokens = httpx.post(f"{stack.idp}/{TENANT}/oauth2/v2.0/token", timeout=10, data={
        "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
        "client_id": REFERENCE_RP_CLIENT_ID, "client_secret": REFERENCE_RP_SECRET,
        "device_code": started["device_code"]})
    assert tokens.status_code == 200, tokens.text


def test_msal_js_approves_a_device_sign_in(page: Page, stack: Stack) -> None:
    """MSAL.js's e2eTestUtils: enterDeviceCode (``#otc``, ``#idSIButton9``), the credentials,
    then approveRemoteConnect, which waits for the confirmation's description and clicks
    ``#remoteConnectSubmit, input[name='remoteConnectSubmit']`` (its HtmlSelectors), then
    waits for the next page."""
    description = "#remoteConnectDescription, input[name='remoteConnectDescription']"
    submit = "#remoteConnectSubmit, input[name='remoteConnectSubmit']"
    started = httpx.post(f"{stack.idp}/{TENANT}/oauth2/v2.0/devicecode", timeout=10, data={
        "client_id": REFERENCE_RP_CLIENT_ID, "scope": "openid profile"}).json()
    page.goto(started["verification_uri"])
    page.fill("#otc, input[name='otc']", started["user_code"])
    page.click("#idSIButton9, input[name='idSIButton9']")
    page.fill("#i0116, input[name='i0116']", ALICE)
    page.click("#idSIButton9, input[name='idSIButton9']")
    page.wait_for_selector("#idA_PWD_ForgotPassword, input[name='idA_PWD_ForgotPassword']")
    page.fill("#i0118, input[name='i0118']", ALICE_PASSWORD)
    page.click("#idSIButton9, input[name='idSIButton9']")
    page.wait_for_selector(description)
    page.wait_for_selector(submit)
    assert page.locator(submit).count() == 1
    with page.expect_navigation():
        page.click(submit)
    expect(page.locator("#message")).to_contain_text(
        "You have signed in to the Reference relying party application on your device.")
    tokens = httpx.post(f"{stack.idp}/{TENANT}/oauth2/v2.0/token", timeout=10, data={
        "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
        "client_id": REFERENCE_RP_CLIENT_ID, "client_secret": REFERENCE_RP_SECRET,
        "device_code": started["device_code"]})
    assert tokens.status_code == 200, tokens.text


def test_without_the_lookup_next_posts_the_form(page: Page, stack: Stack) -> None:
    """When GetCredentialType cannot be reached, the page still signs in: the form posts the
    username and the password view comes as a page of its own."""
    script = EntraLoginScript(page)
    page.route("**/common/GetCredentialType", lambda route: route.abort())
    page.goto(stack.authorize())
    page.evaluate("() => { window.sameDocument = true; }")
    page.fill(script.USERNAME, BOB)
    page.click(script.SUBMIT)
    expect(page.locator(script.PASSWORD)).to_be_visible()
    assert page.evaluate("() => window.sameDocument") is None
    expect(page.locator('input[name="loginfmt"].moveOffScreen')).to_have_value(BOB)
    script.enter_password(BOB_PASSWORD, stay_signed_in=False)
    stack.expect_signed_in(page, BOB)
