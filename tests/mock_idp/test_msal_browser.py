"""@azure/msal-browser (MSAL.js) in a real browser against the provider over HTTPS.

``msal_browser/`` is a single-page app as MSAL.js documents it: ``loginRedirect``, then
``handleRedirectPromise`` on the way back, then ``acquireTokenSilent``; it writes what MSAL.js
returned (or threw) as JSON into ``#result``. The ``node_package`` fixture installs the package
and a small server on ``http://localhost`` (a secure context, so WebCrypto makes the PKCE pair)
serves the page, its script and MSAL's UMD bundle (``lib/msal-browser.js``, which defines
``window.msal``). The provider runs over HTTPS, since MSAL.js refuses an http authority; the
browser context accepts its certificate. Without Node.js, the package or a Chromium the tests
are skipped with the reason.

What it proves:

- with the page's URL registered as a single-page-application redirect URI, the browser
  redeems the code cross-origin and MSAL.js signs Alice in; a silent call is then served from
  MSAL's cache without reaching the token endpoint, and a forced refresh redeems the refresh
  token from the browser;
- with the same URL registered only as a web redirect URI, the redemption is refused as Entra
  refuses it (``AADSTS9002326``), and MSAL.js can read that answer and report it;
- ``ssoSilent`` signs in through a hidden frame (``prompt=none``) with the provider's session
  cookie, which a cross-site frame is sent only as ``SameSite=None; Secure`` (Entra's), and
  answers ``login_required`` in a browser without that session;
- once the user must give an authenticator app's code, MSAL.js's silent refresh and
  ``ssoSilent`` both end in ``InteractionRequiredAuthError`` (AADSTS50076).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from idp_testkit import ALICE, CLIENT_ID, password, record_token_requests, token_requests
from playwright.sync_api import Browser, Page, Request, expect
from starlette.applications import Starlette
from starlette.requests import Request as HttpRequest
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from mock_idp.testing import MockIdp, bind_socket, run_in_thread
from scenarios.drivers import EntraDriver

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # npm, Chromium and an HTTPS provider

HERE = Path(__file__).parent / "msal_browser"
BUNDLE = Path("node_modules/@azure/msal-browser/lib/msal-browser.js")
BRIDGE = Path("node_modules/@azure/msal-browser/lib/redirect-bridge/msal-redirect-bridge.js")
BRIDGE_PAGE = """<!doctype html><title>MSAL.js redirect bridge</title>
<script src="msal-redirect-bridge.js"></script>
<script>msalRedirectBridge.broadcastResponseToMainFrame();</script>"""
"""The redirect URI of silent requests, as MSAL.js 5 wants it: a page without the app, that
hands the answer the frame landed with to MSAL.js in the parent."""
SCOPES = ["User.Read"]
TIMEOUT_MS = 10_000


@pytest.fixture(scope="module")
def msal_browser(node_package: Callable[..., Path]) -> Path:
    return node_package(HERE, module="@azure/msal-browser")


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    from scenarios.browser import BrowserUnavailable, launch, resolve
    from scenarios.playwright_driver import playwright_driver

    try:
        choice = resolve()
    except BrowserUnavailable as exc:
        pytest.skip(f"no Chromium for MSAL.js: {exc}")
    with playwright_driver() as playwright:
        browser = launch(playwright, choice)
        yield browser
        browser.close()


@pytest.fixture
def idp(tmp_path: Path) -> Iterator[MockIdp]:
    with MockIdp(https=True, tls_dir=tmp_path / "tls") as running:
        yield running


@dataclass
class Spa:
    """The single-page app's URL (also its redirect URI), and the token requests the browser
    sent to the provider."""

    url: str
    token_requests: list[Request] = field(default_factory=list)

    @property
    def origin(self) -> str:
        return self.url.rstrip("/")


def spa_app(root: Path, config: dict[str, Any]) -> Starlette:
    files = {"/": root / "index.html", "/app.js": root / "app.js",
             "/msal-browser.js": root / BUNDLE, "/msal-redirect-bridge.js": root / BRIDGE}

    async def static(request: HttpRequest) -> Response:
        return FileResponse(files[request.url.path], headers={"Cache-Control": "no-store"})

    async def settings(request: HttpRequest) -> Response:
        return JSONResponse(config, headers={"Cache-Control": "no-store"})

    async def bridge(request: HttpRequest) -> Response:
        return Response(BRIDGE_PAGE, media_type="text/html")

    return Starlette(routes=[*(Route(path, static) for path in files),
                             Route("/config.json", settings), Route("/bridge.html", bridge)])


@pytest.fixture
def spa(msal_browser: Path, idp: MockIdp) -> Iterator[Spa]:
    sock = bind_socket("127.0.0.1", 0)
    url = f"http://localhost:{sock.getsockname()[1]}/"
    config = {"clientId": CLIENT_ID, "authority": idp.authority,
              "knownAuthorities": [urlsplit(idp.url).netloc], "redirectUri": url,
              "scopes": SCOPES, "timeoutMs": TIMEOUT_MS}
    with run_in_thread(spa_app(msal_browser, config), sock=sock, log_level="critical"):
        yield Spa(url)


@pytest.fixture
def page(chromium: Browser, spa: Spa, idp: MockIdp) -> Iterator[Page]:
    context = chromium.new_context(ignore_https_errors=True)
    context.set_default_timeout(TIMEOUT_MS)
    record_token_requests(context, idp, spa.token_requests)
    yield context.new_page()
    context.close()


def register(idp: MockIdp, *, spa: list[str] | None = None, web: list[str] | None = None
             ) -> None:
    body: dict[str, Any] = {}
    if spa is not None:
        body["spa"] = {"redirectUris": spa}
    if web is not None:
        body["web"] = {"redirectUris": web}
    idp.graph("PATCH", f"applications(appId='{CLIENT_ID}')", json=body)


def result(page: Page) -> dict[str, Any]:
    shown = page.locator("#result")
    expect(shown).not_to_be_empty(timeout=TIMEOUT_MS)
    out: dict[str, Any] = json.loads(shown.text_content() or "")
    return out


def sign_in(page: Page, spa: Spa) -> dict[str, Any]:
    """Open the app, press Sign in, answer the provider's pages as Alice; return what
    ``handleRedirectPromise`` gave the app on the way back."""
    page.goto(spa.url)
    assert result(page) == {"signedIn": False}
    page.get_by_role("button", name="Sign in").click()
    EntraDriver(timeout_ms=TIMEOUT_MS).sign_in(page, ALICE, password(ALICE))
    expect(page).to_have_url(re.compile("^" + re.escape(spa.url)), timeout=TIMEOUT_MS)
    return result(page)


def silent(page: Page, **options: object) -> dict[str, Any]:
    out: dict[str, Any] = page.evaluate("([options, ms]) => window.spa.silent(options, ms)",
                                        [options, TIMEOUT_MS])
    return out


def grant_type(request: Request) -> str:
    return parse_qs(request.post_data or "").get("grant_type", [""])[0]


def test_login_redirect_with_a_spa_redirect_uri(idp: MockIdp, spa: Spa, page: Page) -> None:
    register(idp, spa=[spa.url])
    signed_in = sign_in(page, spa)
    assert "error" not in signed_in, signed_in["error"]
    assert signed_in["username"] == ALICE
    assert signed_in["fromCache"] is False
    [redemption] = spa.token_requests
    assert grant_type(redemption) == "authorization_code"
    assert redemption.all_headers().get("origin") == spa.origin

    before = token_requests(idp)
    cached = silent(page)
    assert "error" not in cached, cached["error"]
    assert cached["fromCache"] is True
    assert cached["accessToken"] == signed_in["accessToken"]
    assert token_requests(idp) == before, "a cached token needs no token request"

    refreshed = silent(page, forceRefresh=True)
    assert "error" not in refreshed, refreshed["error"]
    assert refreshed["fromCache"] is False and refreshed["username"] == ALICE
    assert refreshed["accessToken"] != signed_in["accessToken"]
    assert token_requests(idp) == before + 1
    assert [grant_type(r) for r in spa.token_requests] == ["authorization_code", "refresh_token"]
    assert spa.token_requests[-1].all_headers().get("origin") == spa.origin


def test_a_web_redirect_uri_is_refused_to_msal_js(idp: MockIdp, spa: Spa, page: Page) -> None:
    register(idp, web=[spa.url])
    refused = sign_in(page, spa)
    assert "error" in refused, f"MSAL.js signed in with a web redirect URI: {refused}"
    assert refused["error"]["errorCode"] == "invalid_request", refused["error"]
    assert "AADSTS9002326" in refused["error"]["errorMessage"], refused["error"]
    [redemption] = spa.token_requests
    assert grant_type(redemption) == "authorization_code"
    answer = redemption.response()
    assert answer is not None and answer.status == 400
    assert answer.all_headers().get("access-control-allow-origin") in ("*", spa.origin)


def test_sso_silent_signs_in_through_a_hidden_frame_with_the_providers_session(
        idp: MockIdp, spa: Spa, page: Page, chromium: Browser) -> None:
    bridge = spa.url + "bridge.html"
    register(idp, spa=[spa.url, bridge])
    assert "error" not in sign_in(page, spa)
    page.evaluate("() => window.spa.forget()")  # MSAL's cache gone, the provider's cookie kept
    silent = "([hint, uri, ms]) => window.spa.ssoSilent({loginHint: hint, redirectUri: uri}, ms)"
    silent_sign_in: dict[str, Any] = page.evaluate(silent, [ALICE, bridge, TIMEOUT_MS])
    assert "error" not in silent_sign_in, silent_sign_in["error"]["message"]
    assert silent_sign_in["username"] == ALICE and silent_sign_in["fromCache"] is False

    stranger = chromium.new_context(ignore_https_errors=True)
    try:
        other = stranger.new_page()
        other.goto(spa.url)
        assert result(other) == {"signedIn": False}
        refused: dict[str, Any] = other.evaluate(silent, [ALICE, bridge, TIMEOUT_MS])
        assert refused["error"]["errorCode"] == "login_required", refused["error"]
    finally:
        stranger.close()


def test_once_the_user_must_give_a_code_msal_js_is_told_to_interact(
        idp: MockIdp, spa: Spa, page: Page) -> None:
    """Alice signed in with her password alone; then she got an authenticator app (MFA is
    required of her now). MSAL.js's silent calls fail with ``InteractionRequiredAuthError``,
    its cue to sign her in interactively: the refresh (``invalid_grant`` + ``basic_action``,
    AADSTS50076) and ``ssoSilent`` through the hidden frame (``interaction_required``)."""
    bridge = spa.url + "bridge.html"
    register(idp, spa=[spa.url, bridge])
    assert "error" not in sign_in(page, spa)
    idp.add_authenticator(ALICE)
    refreshed = silent(page, forceRefresh=True)
    assert refreshed["error"]["name"] == "InteractionRequiredAuthError", refreshed["error"]
    assert (refreshed["error"]["errorCode"], refreshed["error"]["subError"]) == (
        "invalid_grant", "basic_action")
    assert "AADSTS50076" in refreshed["error"]["errorMessage"]
    page.evaluate("() => window.spa.forget()")
    silent_sign_in: dict[str, Any] = page.evaluate(
        "([hint, uri, ms]) => window.spa.ssoSilent({loginHint: hint, redirectUri: uri}, ms)",
        [ALICE, bridge, TIMEOUT_MS])
    assert silent_sign_in["error"]["name"] == "InteractionRequiredAuthError", silent_sign_in
    assert silent_sign_in["error"]["errorCode"] == "interaction_required"
