"""The drivers' sign-out confirmation against the mock's end-session endpoints, called while
the app's sign-out has not left the app yet, or once it is back. For the form driver the
account's tile on "Pick an account" is the control it is told to click (by its accessible
name, as it finds any button)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from playwright.sync_api import Page, Route, expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route as Path

from mock_idp.config import REFERENCE_RP_CLIENT_ID
from mock_idp.signin import ids
from mock_idp.testing import MockIdp, RunningServer, run_in_thread
from scenarios.drivers import EntraDriver, FormDriver
from scenarios.navigation_log import NavigationLog
from scenarios.real_idp_scenarios import _answer_sign_out

pytestmark = pytest.mark.browser

ALICE, ALICE_PASSWORD = "alice@contoso.onmicrosoft.com", "P@ssw0rd-alice"
DRIVER = FormDriver(sign_out_button=f"Sign out {ALICE}")
"""The tile's accessible name on the sign-out picker is "Sign out <upn>"."""
SIGNED_OUT = "Signed out of the app"


@dataclass
class _App:
    """An app whose **Sign out** sends the browser to ``logout``: by script a moment after the
    click (as an app that first ends its own session with a call of its API does), so that the
    click returns with the browser still on the app's page; or, not ``scripted``, at once, so
    that the click returns once the browser is on the page the sign-out leads to."""

    logout: str = ""
    scripted: bool = True
    signing_out_page: bool = False
    """Sign out through a "Signing out…" page of the app's own first, which goes on to
    ``logout`` by itself."""
    own_logout_to: str = ""
    """Where the app's own ``/oauth2/logout`` (django-auth-adfs's sign-out URL, Entra's v1
    end-session path) redirects."""
    server: RunningServer = field(init=False)

    def starlette(self) -> Starlette:
        async def signed_in(request: Request) -> Response:
            target = "/signing-out" if self.signing_out_page else self.logout
            go = f"location.assign({json.dumps(target)})"
            click = f"setTimeout(() => {go}, 200)" if self.scripted else go
            return HTMLResponse(f"<h1>Signed in</h1><button onclick='{click}'>Sign out</button>")

        async def signing_out(request: Request) -> Response:
            go = f"location.assign({json.dumps(self.logout)})"
            return HTMLResponse(f"<h1>Signing out…</h1><script>setTimeout(() => {go}, 300)"
                                "</script>")

        async def signed_out(request: Request) -> Response:
            return HTMLResponse(f"<h1>{SIGNED_OUT}</h1>")

        async def front_channel(request: Request) -> Response:
            await asyncio.sleep(1)  # the provider's signed-out page shows till this loads
            return HTMLResponse("")

        async def own_logout(request: Request) -> Response:
            return Response(status_code=302, headers={"location": self.own_logout_to})

        return Starlette(routes=[Path("/auth/callback", signed_in),
                                 Path("/oauth2/logout", own_logout),
                                 Path("/signing-out", signing_out),
                                 Path("/signed-out", signed_out),
                                 Path("/front-channel-logout", front_channel)])


@pytest.fixture
def idp() -> Iterator[MockIdp]:
    with MockIdp() as running:
        yield running


@pytest.fixture
def app() -> Iterator[_App]:
    made = _App()
    with run_in_thread(made.starlette()) as server:
        made.server = server
        yield made


def _signed_in(page: Page, idp: MockIdp, app: _App, *, client_id: str = REFERENCE_RP_CLIENT_ID
               ) -> None:
    params = {"client_id": client_id, "response_type": "code",
              "redirect_uri": app.server.url("/auth/callback"), "scope": "openid", "state": "s",
              "nonce": "n"}
    page.goto(f"{idp.authority}/oauth2/v2.0/authorize?{urlencode(params)}")
    EntraDriver().sign_in(page, ALICE, ALICE_PASSWORD)
    expect(page.get_by_role("heading", name="Signed in")).to_be_visible()


V2, V1 = "oauth2/v2.0/logout", "oauth2/logout"
"""The end-session endpoints: v2.0 asks "Pick an account" with no ``logout_hint``, v1 signs
the browser's only account out without a page."""


def _logout(idp: MockIdp, app: _App, endpoint: str, client_id: str = REFERENCE_RP_CLIENT_ID
            ) -> str:
    return f"{idp.authority}/{endpoint}?" + urlencode({
        "client_id": client_id, "post_logout_redirect_uri": app.server.url("/signed-out")})


def _tiles_shown_by_script(route: Route) -> None:
    """The end-session page with its account tiles shown by script a moment after it loads,
    as Entra's pages build what they show in the browser (the mock sends it in the HTML)."""
    if route.request.method != "GET":
        route.continue_()
        return
    response = route.fetch()
    html = response.text().replace(f'<div id="{ids.TILES}"',
                                   f'<div id="{ids.TILES}" style="visibility: hidden"', 1)
    reveal = (f"<script>setTimeout(() => {{ document.getElementById({ids.TILES!r})"
              ".style.visibility = 'visible'; }, 300);</script>")
    route.fulfill(response=response, body=html.replace("</body>", reveal + "</body>", 1))


@pytest.mark.parametrize("told", [False, True], ids=["provider guessed", "end_session given"])
def test_called_before_the_apps_sign_out_has_left_it_it_answers_the_picker(
        page: Page, idp: MockIdp, app: _App, told: bool) -> None:
    """The v2.0 endpoint asks "Pick an account": the form driver, called while the app's page
    still shows, waits for the provider's page and picks the tile once it shows, though the
    provider's page has committed without it."""
    app.logout = _logout(idp, app, V2)
    _signed_in(page, idp, app)
    page.route(lambda url: urlsplit(url).path.endswith("/oauth2/v2.0/logout"),
               _tiles_shown_by_script)
    page.get_by_role("button", name="Sign out").click()
    assert page.url.startswith(app.server.url("/auth/callback")), page.url

    DRIVER.confirm_sign_out(page, ALICE, end_session=f"{idp.authority}/{V2}" if told else None)
    expect(page.get_by_role("heading", name=SIGNED_OUT)).to_be_visible()


def test_a_signing_out_page_of_the_apps_own_on_the_way_is_waited_through(
        page: Page, idp: MockIdp, app: _App) -> None:
    """The app shows "Signing out…" before it sends the browser to the v2.0 endpoint: told
    the endpoint, the form driver does not take that page of the app's for the end of the
    sign-out, and picks the tile once the provider asks."""
    app.logout, app.signing_out_page = _logout(idp, app, V2), True
    _signed_in(page, idp, app)
    page.get_by_role("button", name="Sign out").click()
    DRIVER.confirm_sign_out(page, ALICE, end_session=f"{idp.authority}/{V2}")
    expect(page.get_by_role("heading", name=SIGNED_OUT)).to_be_visible()


@pytest.mark.parametrize("scripted", [False, True], ids=["back from the click", "before"])
def test_an_apps_own_oauth2_logout_on_the_way_is_not_taken_for_the_providers_endpoint(
        page: Page, idp: MockIdp, app: _App, scripted: bool) -> None:
    """The app signs out at its own /oauth2/logout (Entra's v1 end-session path), which
    redirects to the v2.0 endpoint: the Entra driver does not take that hop for the provider
    having signed the account out without a page, and picks the tile."""
    app.logout, app.scripted = app.server.url("/oauth2/logout"), scripted
    app.own_logout_to = _logout(idp, app, V2)
    _signed_in(page, idp, app)
    page.get_by_role("button", name="Sign out").click()
    EntraDriver().confirm_sign_out(page, ALICE)
    expect(page.get_by_role("heading", name=SIGNED_OUT)).to_be_visible()


@pytest.mark.parametrize("told", [False, True], ids=["provider guessed", "end_session given"])
def test_a_provider_that_asks_nothing_is_not_waited_for(
        page: Page, idp: MockIdp, app: _App, told: bool) -> None:
    """The v1 endpoint redirects straight back to the app: the form driver, called on the
    app's page before the sign-out left it, returns once the browser is back, not after its
    ten seconds of looking for a control."""
    app.logout = _logout(idp, app, V1)
    _signed_in(page, idp, app)
    page.get_by_role("button", name="Sign out").click()
    started = time.monotonic()
    DRIVER.confirm_sign_out(page, ALICE, end_session=f"{idp.authority}/{V1}" if told else None)
    assert time.monotonic() - started < 5
    # Back: the app's page has committed (its heading may be parsed a moment later).
    assert urlsplit(page.url).path == "/signed-out", page.url
    expect(page.get_by_role("heading", name=SIGNED_OUT)).to_be_visible()


def test_called_on_the_providers_page_it_returns_once_the_browser_leaves_it(
        page: Page, idp: MockIdp, app: _App) -> None:
    """The signed-out page of a provider that asks nothing loads the app's front-channel
    logout URL, then sends the browser to the app: told the end-session endpoint, the form
    driver called on that page returns once the browser is at the app."""
    registered = idp.add_app("Front-channel app", redirect_uris=[
        app.server.url("/auth/callback"), app.server.url("/signed-out")],
        logout_url=app.server.url("/front-channel-logout"))
    _signed_in(page, idp, app, client_id=registered.client_id)
    page.goto(_logout(idp, app, V1, registered.client_id), wait_until="domcontentloaded")
    expect(page.get_by_role("heading", name=ids.SIGNED_OUT_HEADING)).to_be_visible()
    started = time.monotonic()
    DRIVER.confirm_sign_out(page, ALICE, end_session=f"{idp.authority}/{V1}")
    assert time.monotonic() - started < 5
    # Back: the app's page has committed (its heading may be parsed a moment later).
    assert urlsplit(page.url).path == "/signed-out", page.url
    expect(page.get_by_role("heading", name=SIGNED_OUT)).to_be_visible()


def test_called_once_the_providers_page_has_sent_the_browser_back_it_returns_at_once(
        page: Page, idp: MockIdp, app: _App) -> None:
    """The v1 endpoint, for an app with a front-channel logout URL, shows a page that loads it
    and then sends the browser to the app by its script, not by a redirect: the Entra driver,
    called once the app's signed-out page shows, returns at once, not after its ten seconds of
    looking for "Pick an account" (every sign-out scenario against the reference RP waited them
    whenever the browser was back before the driver looked)."""
    registered = idp.add_app("Front-channel app", redirect_uris=[
        app.server.url("/auth/callback"), app.server.url("/signed-out")],
        logout_url=app.server.url("/front-channel-logout"))
    _signed_in(page, idp, app, client_id=registered.client_id)
    page.goto(_logout(idp, app, V1, registered.client_id))
    expect(page.get_by_role("heading", name=SIGNED_OUT)).to_be_visible()
    started = time.monotonic()
    EntraDriver().confirm_sign_out(page, ALICE)
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("driver", ["entra", "form"])
def test_called_once_the_browser_is_back_at_the_app_it_returns_at_once(
        page: Page, idp: MockIdp, app: _App, driver: str) -> None:
    """The click waits until the browser is on the page the sign-out leads to: back at the app,
    redirected through the v1 endpoint, which asked nothing. The sign-out is over; the driver
    does not wait its ten seconds for a page to move on."""
    app.logout, app.scripted = _logout(idp, app, V1), False
    _signed_in(page, idp, app)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name=SIGNED_OUT)).to_be_visible()
    started = time.monotonic()
    if driver == "entra":
        EntraDriver().confirm_sign_out(page, ALICE)
    else:
        DRIVER.confirm_sign_out(page, ALICE, end_session=f"{idp.authority}/{V1}")
    assert time.monotonic() - started < 5


def _idp_stack(app: _App) -> Any:
    """What ``run --idp``'s sign-out step reads of its stack: the driver, the user, the app's
    base URL and its signed-out page (the reference RP's profile tells it by its path)."""
    return SimpleNamespace(driver=DRIVER, user=SimpleNamespace(username=ALICE),
                           app=SimpleNamespace(base_url=app.server.base_url,
                                               shows_sign_out_page=lambda page: urlsplit(
                                                   page.url).path == "/signed-out"))


def test_in_run_idp_an_app_signing_out_locally_only_fails_at_once_saying_so(
        page: Page, idp: MockIdp, app: _App) -> None:
    """The app's sign-out ends its own session and shows its signed-out page, never sending the
    browser to the provider: ``run --idp``'s sign-out step says so as soon as that page shows,
    not after the form driver's ten seconds of waiting through the app's pages for the
    provider's."""
    app.logout = "/signed-out"
    _signed_in(page, idp, app)
    log = NavigationLog(page)
    page.get_by_role("button", name="Sign out").click()
    started = time.monotonic()
    with pytest.raises(AssertionError, match="the app signed out locally only") as failed:
        _answer_sign_out(page, _idp_stack(app), log, f"{idp.authority}/{V2}")
    assert time.monotonic() - started < 3
    assert f"{ALICE} is still signed in at the provider" in str(failed.value)
    assert str(failed.value).endswith("/signed-out"), failed.value


def test_in_run_idp_the_providers_sign_out_page_is_still_answered(
        page: Page, idp: MockIdp, app: _App) -> None:
    """The app's sign-out goes on to the v2.0 endpoint, which asks "Pick an account": the
    step leaves it to the driver, which picks the tile, and the browser is back at the app."""
    app.logout = _logout(idp, app, V2)
    _signed_in(page, idp, app)
    log = NavigationLog(page)
    page.get_by_role("button", name="Sign out").click()
    _answer_sign_out(page, _idp_stack(app), log, f"{idp.authority}/{V2}")
    expect(page.get_by_role("heading", name=SIGNED_OUT)).to_be_visible()
