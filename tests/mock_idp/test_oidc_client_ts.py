"""oidc-client-ts in a real browser against the provider over HTTPS: silent renew.

``oidc_client_ts/`` is a single-page app as oidc-client-ts documents it: ``signinRedirect``,
``signinRedirectCallback`` on the way back, then ``signinSilent``. Unlike MSAL.js
(``test_msal_browser``), oidc-client-ts renews by the refresh token when it holds one and
otherwise (or with ``forceIframeAuth``) by ``prompt=none`` in a hidden frame that lands on its
``silent_redirect_uri`` (``silent.html``, which hands the answer to the page with
``signinSilentCallback``); it sends no ``login_hint`` unless asked. The ``node_package``
fixture installs the package; a small server on ``http://localhost`` serves the pages and its
browser bundle (``dist/browser/oidc-client-ts.js``, which defines ``window.oidc``). Without
Node.js, the package or a Chromium the tests are skipped with the reason.

What it proves, as Entra answers a silent request ("Microsoft identity platform and OAuth 2.0
authorization code flow", ``prompt=none``; "Single sign-on with MSAL.js", *Without user hint*,
for AADSTS16000; the AADSTS error-code reference):

- both renewals work with the page's two URLs registered as single-page-application redirect
  URIs: the refresh token redeemed from the browser, and the frame's code (the provider's
  session cookie is sent to the cross-site frame) redeemed cross-origin with PKCE;
- in a browser without the provider's session the frame comes back with ``login_required``
  (AADSTS50058), which oidc-client-ts reports at once instead of waiting for its timeout;
- with two accounts signed in in the browser and no hint, ``interaction_required``
  (AADSTS16000); a ``login_hint`` naming one of them renews it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from idp_testkit import ALICE, BOB, CLIENT_ID, password, record_token_requests
from playwright.sync_api import Browser, Page, Request, expect
from starlette.applications import Starlette
from starlette.requests import Request as HttpRequest
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from mock_idp.testing import MockIdp, bind_socket, run_in_thread
from scenarios.drivers import EntraDriver

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # npm, Chromium and an HTTPS provider

HERE = Path(__file__).parent / "oidc_client_ts"
BUNDLE = Path("node_modules/oidc-client-ts/dist/browser/oidc-client-ts.js")
TIMEOUT_MS = 10_000


@pytest.fixture(scope="module")
def oidc_client_ts(node_package: Callable[..., Path]) -> Path:
    return node_package(HERE, module="oidc-client-ts")


@dataclass
class Spa:
    """The app's page (also its redirect URI), its silent redirect URI, and the token
    requests the browser sent to the provider."""

    url: str
    token_requests: list[Request] = field(default_factory=list)

    @property
    def silent_url(self) -> str:
        return self.url + "silent.html"


def spa_app(root: Path, config: dict[str, Any]) -> Starlette:
    files = {"/": root / "index.html", "/app.js": root / "app.js",
             "/silent.html": root / "silent.html", "/oidc-client-ts.js": root / BUNDLE}

    async def static(request: HttpRequest) -> Response:
        return FileResponse(files[request.url.path], headers={"Cache-Control": "no-store"})

    async def settings(request: HttpRequest) -> Response:
        return JSONResponse(config, headers={"Cache-Control": "no-store"})

    return Starlette(routes=[*(Route(path, static) for path in files),
                             Route("/config.json", settings)])


@pytest.fixture
def idp(tmp_path: Path) -> Iterator[MockIdp]:
    with MockIdp(https=True, tls_dir=tmp_path / "tls") as running:
        yield running


@pytest.fixture
def spa(oidc_client_ts: Path, idp: MockIdp) -> Iterator[Spa]:
    sock = bind_socket("127.0.0.1", 0)
    url = f"http://localhost:{sock.getsockname()[1]}/"
    config = {"authority": f"{idp.authority}/v2.0", "clientId": CLIENT_ID, "redirectUri": url,
              "silentRedirectUri": url + "silent.html", "scope": "openid profile offline_access",
              "timeoutSeconds": TIMEOUT_MS // 1000}
    with run_in_thread(spa_app(oidc_client_ts, config), sock=sock, log_level="critical"):
        running = Spa(url)
        idp.graph("PATCH", f"applications(appId='{CLIENT_ID}')",
                  json={"spa": {"redirectUris": [running.url, running.silent_url]}})
        yield running


@pytest.fixture
def page(browser: Browser, spa: Spa, idp: MockIdp) -> Iterator[Page]:
    context = browser.new_context(ignore_https_errors=True)
    context.set_default_timeout(TIMEOUT_MS)
    record_token_requests(context, idp, spa.token_requests)
    yield context.new_page()
    context.close()


def result(page: Page) -> dict[str, Any]:
    shown = page.locator("#result")
    expect(shown).not_to_be_empty(timeout=TIMEOUT_MS)
    out: dict[str, Any] = json.loads(shown.text_content() or "")
    return out


def sign_in(page: Page, spa: Spa, upn: str, **args: str) -> dict[str, Any]:
    """Start ``signinRedirect`` (with ``args``), answer the provider's pages as ``upn``;
    return what ``signinRedirectCallback`` gave the app on the way back."""
    page.goto(spa.url)
    result(page)
    page.evaluate("(args) => { window.spa.signInArgs = args; }", args)
    page.get_by_role("button", name="Sign in").click()
    EntraDriver(timeout_ms=TIMEOUT_MS).sign_in(page, upn, password(upn))
    expect(page).to_have_url(re.compile("^" + re.escape(spa.url)), timeout=TIMEOUT_MS)
    return result(page)


def silent(page: Page, **options: object) -> dict[str, Any]:
    out: dict[str, Any] = page.evaluate("(options) => window.spa.silent(options)", options)
    return out


def grant_type(request: Request) -> str:
    return parse_qs(request.post_data or "").get("grant_type", [""])[0]


def test_silent_renew_by_refresh_token_and_by_a_hidden_frame(
        idp: MockIdp, spa: Spa, page: Page) -> None:
    signed_in = sign_in(page, spa, ALICE)
    assert "error" not in signed_in, signed_in["error"]
    assert signed_in["username"] == ALICE and signed_in["hasRefreshToken"]

    refreshed = silent(page)
    assert "error" not in refreshed, refreshed["error"]
    assert refreshed["sub"] == signed_in["sub"]
    assert refreshed["accessToken"] != signed_in["accessToken"]

    framed = silent(page, forceIframeAuth=True)
    assert "error" not in framed, framed["error"]
    assert framed["sub"] == signed_in["sub"]
    assert [grant_type(r) for r in spa.token_requests] == [
        "authorization_code", "refresh_token", "authorization_code"]
    redemption = spa.token_requests[-1]
    assert redemption.all_headers().get("origin") == spa.url.rstrip("/")
    assert parse_qs(redemption.post_data or "")["redirect_uri"] == [spa.silent_url]


def test_a_browser_without_the_providers_session_is_told_login_required(
        idp: MockIdp, spa: Spa, page: Page) -> None:
    page.goto(spa.url)
    assert result(page) == {"signedIn": False}
    refused = silent(page, forceIframeAuth=True)
    assert refused["error"]["error"] == "login_required", refused["error"]
    assert "AADSTS50058" in refused["error"]["description"]
    assert spa.token_requests == []


def test_two_accounts_need_a_hint_to_renew_silently(
        idp: MockIdp, spa: Spa, page: Page) -> None:
    assert "error" not in sign_in(page, spa, ALICE)
    bob = sign_in(page, spa, BOB, prompt="login")
    assert bob.get("username") == BOB, bob
    refused = silent(page, forceIframeAuth=True)
    assert refused["error"]["error"] == "interaction_required", refused["error"]
    assert "AADSTS16000" in refused["error"]["description"]
    renewed = silent(page, forceIframeAuth=True, login_hint=BOB)
    assert "error" not in renewed, renewed["error"]
    assert renewed["username"] == BOB
