"""The Entra driver on pages it did not open itself."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from mock_idp.config import REFERENCE_RP_CLIENT_ID
from mock_idp.signin import ids
from mock_idp.testing import MockIdp, run_in_thread
from scenarios.doctor.config import Secret
from scenarios.drivers import EntraDriver, PasswordChangeRequired, SecondFactorRequired

pytestmark = pytest.mark.browser

ALICE, ALICE_PASSWORD = "alice@contoso.onmicrosoft.com", "P@ssw0rd-alice"
CALLBACK = "http://127.0.0.1:8599/auth/callback"  # nothing listens: the request is the proof


def test_it_signs_in_from_the_password_view(page: Page) -> None:
    """A sign-in that opens on the password view (here the username was posted without the
    page's lookup, as a page without script does; Entra may skip the username for a
    ``login_hint``) is still a sign-in page to the driver, which finishes it."""
    left: list[str] = []
    page.on("request", lambda request: left.append(request.url)
            if request.url.startswith(CALLBACK) else None)

    with MockIdp() as idp:
        page.route("**/common/GetCredentialType", lambda route: route.abort())
        params = {"client_id": REFERENCE_RP_CLIENT_ID, "response_type": "code",
                  "redirect_uri": CALLBACK, "scope": "openid", "state": "s", "nonce": "n"}
        page.goto(f"{idp.authority}/oauth2/v2.0/authorize?{urlencode(params)}")
        page.fill('input[name="loginfmt"]', ALICE)
        page.click("#idSIButton9")
        page.locator('input[name="passwd"]').wait_for()

        EntraDriver().sign_in(page, ALICE, ALICE_PASSWORD)
    assert len(left) == 1 and "code=" in left[0], left


def test_it_signs_in_again_through_a_tile_and_the_password_alone(page: Page) -> None:
    """A session too old for ``max_age``, picked on "Pick an account": the provider asks only
    for its password (no username, so no lookup), on the view whose back arrow is
    ``#idBtn_Back`` too; the driver types it and answers "Stay signed in?" with No (the
    footer's ``#idBtn_Back``). The tile is found whatever the case of the username given."""
    left: list[str] = []
    lookups: list[str] = []
    page.on("request", lambda request: left.append(request.url)
            if request.url.startswith(CALLBACK) else None)
    with MockIdp() as idp:
        params = {"client_id": REFERENCE_RP_CLIENT_ID, "response_type": "code",
                  "redirect_uri": CALLBACK, "scope": "openid", "state": "s", "nonce": "n"}
        page.goto(f"{idp.authority}/oauth2/v2.0/authorize?{urlencode(params)}")
        EntraDriver().sign_in(page, ALICE, ALICE_PASSWORD)
        idp.clock.advance(timedelta(minutes=1))
        again = {**params, "prompt": "select_account", "max_age": "0"}
        page.goto(f"{idp.authority}/oauth2/v2.0/authorize?{urlencode(again)}")
        page.locator(f"#{ids.TILES}").wait_for()
        page.on("request", lambda request: lookups.append(request.url)
                if request.url.endswith("/common/GetCredentialType") else None)
        EntraDriver().sign_in(page, ALICE.upper(), ALICE_PASSWORD)
    assert len(left) == 2 and all("code=" in url for url in left), left
    assert lookups == []


def test_it_types_an_authenticator_apps_code(page: Page) -> None:
    """An account whose sign-in asks for an authenticator app's code: with the secret the
    driver types it on "Enter code"; without one it says what it lacks."""
    left: list[str] = []
    page.on("request", lambda request: left.append(request.url)
            if request.url.startswith(CALLBACK) else None)
    with MockIdp() as idp:
        registered = idp.http.put(
            f"/_mock/tenants/{idp.tenant_id}/users/{ALICE}/authenticator", json={})
        secret = registered.json()["totp_secret"]
        params = {"client_id": REFERENCE_RP_CLIENT_ID, "response_type": "code",
                  "redirect_uri": CALLBACK, "scope": "openid", "state": "s", "nonce": "n"}
        page.goto(f"{idp.authority}/oauth2/v2.0/authorize?{urlencode(params)}")
        with pytest.raises(SecondFactorRequired, match=r'"Enter code"'):
            EntraDriver().sign_in(page, ALICE, ALICE_PASSWORD)
        assert page.locator(f"#{ids.CODE_INPUT}").is_visible() and left == []
        assert "totp_secret" not in repr(EntraDriver(totp_secret=Secret(secret)))
        page.goto(f"{idp.authority}/oauth2/v2.0/authorize?{urlencode(params)}")
        EntraDriver(totp_secret=Secret(secret)).sign_in(page, ALICE, ALICE_PASSWORD)
    assert len(left) == 1 and "code=" in left[0], left


@pytest.mark.parametrize(("shown", "heading"), [
    (f'<div id="{ids.APPROVE_TITLE}" role="heading">{ids.APPROVE_HEADING}</div>'
     f'<div id="{ids.APPROVE_DESCRIPTION}">Open your Authenticator app, and enter the number '
     f'shown to sign in.</div><div id="{ids.APPROVE_NUMBER}">42</div>', ids.APPROVE_HEADING),
    (f'<div role="heading">{ids.VERIFY_HEADING}</div><div id="{ids.PROOFS}"><div role="button">'
     "Text +X XXXXXXXX42</div></div>", ids.VERIFY_HEADING),
])
def test_it_stops_at_a_second_factor_it_cannot_give(page: Page, shown: str, heading: str
                                                    ) -> None:
    """Entra's second-factor pages the mock does not show, after the password: a notification
    to approve in the Authenticator app, or a choice of method. The driver says which at once,
    instead of waiting out its timeout for a page it knows (served here with Entra's ids)."""
    password_view = (f'<form method="post" action="/second-factor"><input name="'
                     f'{ids.PASSWORD_NAME}" id="{ids.PASSWORD_INPUT}" type="password">'
                     f'<input type="submit" id="{ids.PRIMARY_BUTTON}" value="Sign in"></form>')
    page.route("http://127.0.0.1:8599/**", lambda route: route.fulfill(
        content_type="text/html",
        body=shown if route.request.url.endswith("/second-factor") else password_view))
    page.goto("http://127.0.0.1:8599/common/login")
    with pytest.raises(SecondFactorRequired, match=re.escape(f'("{heading}")')):
        EntraDriver(timeout_ms=5_000).sign_in(page, ALICE, ALICE_PASSWORD)


def test_it_stops_at_update_your_password(page: Page) -> None:
    """An account whose password must change: the driver says so instead of waiting for a page
    it knows until the timeout, and leaves the choice of a password to a person."""
    with MockIdp() as idp:
        assert idp.http.patch(f"/graph/{idp.tenant_id}/v1.0/users/{ALICE}", json={
            "passwordProfile": {"forceChangePasswordNextSignIn": True}}).status_code == 204
        params = {"client_id": REFERENCE_RP_CLIENT_ID, "response_type": "code",
                  "redirect_uri": CALLBACK, "scope": "openid", "state": "s", "nonce": "n"}
        page.goto(f"{idp.authority}/oauth2/v2.0/authorize?{urlencode(params)}")
        with pytest.raises(PasswordChangeRequired, match=r"Update your password"):
            EntraDriver(timeout_ms=5_000).sign_in(page, ALICE, ALICE_PASSWORD)
        assert page.locator(f"#{ids.NEW_PASSWORD_INPUT}").is_visible()


def test_a_page_that_is_not_the_providers_is_named(page: Page) -> None:
    """A sign-in URL that never reaches the provider (a mistyped path): the driver says what
    the browser shows instead, not which of Entra's inputs it looked for."""
    page.route("http://127.0.0.1:8599/**", lambda route: route.fulfill(
        status=404, content_type="text/html", body="<title>404</title><h1>Not Found</h1>"))
    page.goto("http://127.0.0.1:8599/sso/widgte?next=%2Fcode%3Dabc")
    with pytest.raises(AssertionError) as caught:
        EntraDriver(timeout_ms=1000).sign_in(page, ALICE, ALICE_PASSWORD)
    assert str(caught.value) == (
        "the provider's sign-in page did not appear: the browser shows HTTP 404 at "
        "http://127.0.0.1:8599/sso/widgte?… ('Not Found') instead")


def test_an_error_page_fails_at_once_not_after_the_timeout(page: Page) -> None:
    """An app whose sign-in URL answers HTTP 500 (it could not read the provider's discovery
    document, say) leaves the browser on a page no sign-in page follows: the driver says so as
    soon as that page has stayed, not after waiting out its 10 s for the provider's page."""
    page.route("http://127.0.0.1:8599/**", lambda route: route.fulfill(
        status=500, content_type="text/plain", body="Internal Server Error"))
    page.goto("http://127.0.0.1:8599/login")
    started = time.monotonic()
    with pytest.raises(AssertionError) as caught:
        EntraDriver(timeout_ms=10_000).sign_in(page, ALICE, ALICE_PASSWORD)
    assert time.monotonic() - started < 5, "the driver waited out its timeout"
    assert str(caught.value) == (
        "the provider's sign-in page did not appear: the browser shows HTTP 500 at "
        "http://127.0.0.1:8599/login instead")


def test_omniauths_failure_redirect_names_its_key(page: Page) -> None:
    """A Ruby app on OmniAuth that refused the sign-in before any sign-in page: its failure
    redirect's ``message`` and ``strategy`` are the cause, kept; its ``origin`` is not."""
    page.route("http://127.0.0.1:8599/**", lambda route: route.fulfill(
        status=401, content_type="text/html", body="<h1>Sign-in failed</h1>"))
    page.goto("http://127.0.0.1:8599/auth/failure?message=invalid_request"
              "&origin=http%3A%2F%2F127.0.0.1%3A8599%2Flogin&strategy=openid_connect")
    with pytest.raises(AssertionError) as caught:
        EntraDriver(timeout_ms=3000).sign_in(page, ALICE, ALICE_PASSWORD)
    assert str(caught.value) == (
        "the provider's sign-in page did not appear: the browser shows HTTP 401 at "
        "http://127.0.0.1:8599/auth/failure?message=invalid_request&strategy=openid_connect&… "
        "('Sign-in failed') instead")


def test_the_providers_error_leads_the_message(page: Page) -> None:
    """An error page the provider shows before any sign-in page (a client id it does not know):
    the message starts with its error text, code first, and ends with where it was, without
    the query, so the console's first 200 characters show the code and not the authorize URL."""
    with MockIdp() as idp:
        params = {"client_id": "00000000-0000-4000-8000-00000000dead", "response_type": "code",
                  "redirect_uri": CALLBACK, "scope": "openid", "state": "s", "nonce": "n"}
        authority = idp.authority
        page.goto(f"{authority}/oauth2/v2.0/authorize?{urlencode(params)}")
        with pytest.raises(AssertionError) as caught:
            EntraDriver(timeout_ms=10_000).sign_in(page, ALICE, ALICE_PASSWORD)
    message = str(caught.value)
    lead = "the provider's sign-in page did not appear: the browser shows the provider's error "
    assert message.startswith(lead + "AADSTS700016: Application with identifier "), message
    assert message.endswith(f" (HTTP 400 at {authority}/oauth2/v2.0/authorize?…, 'Sign in')"
                            " instead"), message
    assert "AADSTS700016" in message[:120]


def test_an_error_page_that_moves_on_by_itself_is_not_the_answer(page: Page) -> None:
    """A 4xx page that sends the browser on by itself (a refresh to the provider) is passed
    through: the driver waits for the sign-in page it leads to."""
    with MockIdp() as idp:
        params = {"client_id": REFERENCE_RP_CLIENT_ID, "response_type": "code",
                  "redirect_uri": CALLBACK, "scope": "openid", "state": "s", "nonce": "n"}
        authorize = f"{idp.authority}/oauth2/v2.0/authorize?{urlencode(params)}"
        page.route("http://127.0.0.1:8599/**", lambda route: route.fulfill(
            status=401, content_type="text/html",
            body=f'<meta http-equiv="refresh" content="0.2; url={authorize}">Signing in…'))
        page.goto("http://127.0.0.1:8599/login")
        EntraDriver(timeout_ms=5_000).expect_sign_in_page(page)


def test_an_app_that_does_not_answer_its_callback_is_named(page: Page) -> None:
    """Once the provider has sent the browser back to the app, an app that does not answer (a
    relying party still waiting for a slow token endpoint) makes the last click time out
    "waiting for scheduled navigations": the driver says whose answer never came, and after
    how long (the callback here answers only when the test releases it)."""
    released = threading.Event()

    async def callback(request: Request) -> Response:
        while not released.is_set():
            await asyncio.sleep(0.02)
        return PlainTextResponse("late")

    app = Starlette(routes=[Route("/auth/callback", callback)])
    with MockIdp() as idp, run_in_thread(app) as rp:
        params = {"client_id": REFERENCE_RP_CLIENT_ID, "response_type": "code",
                  "redirect_uri": rp.url("/auth/callback"), "scope": "openid", "state": "s",
                  "nonce": "n"}
        page.set_default_timeout(1500)
        page.goto(f"{idp.authority}/oauth2/v2.0/authorize?{urlencode(params)}")
        try:
            with pytest.raises(PlaywrightTimeoutError) as caught:
                EntraDriver(timeout_ms=5_000).sign_in(page, ALICE, ALICE_PASSWORD)
        finally:
            released.set()
    assert str(caught.value) == ("the app did not answer its callback in time (1.5 s): the "
                                 f"browser was still waiting for {rp.url('/auth/callback')}")
    assert isinstance(caught.value, AssertionError), "the app's hang is a FAIL, not an ERROR"
