"""Single sign-out in a real browser: the mock provider and a tiny relying party on real ports;
sign in through the provider's page, sign out (picking the account on "Pick an account", which
the v2.0 endpoint shows without a ``logout_hint``), and watch the front-channel iframe load and
the browser land on the registered post-logout redirect URI with its state."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt
import pytest
from playwright.sync_api import Browser, Page, expect
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
from scenarios.drivers import EntraDriver
from scenarios.pages.idp import IdpUsernamePage

pytestmark = pytest.mark.browser

ALICE = "alice@contoso.onmicrosoft.com"
TENANT = DEFAULT_TENANT_ID


@dataclass
class RelyingParty:
    """Callback, front-channel logout and signed-out pages that record every hit."""

    hits: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def app(self) -> Starlette:
        async def record(request: Request) -> HTMLResponse:
            query = dict(request.query_params)
            self.hits.append((request.url.path, query))
            title = {"/auth/callback": "Callback", "/signed-out": "Signed out of the app",
                     "/auth/frontchannel-logout": "Front-channel logout"}[request.url.path]
            return HTMLResponse(f"<!doctype html><title>{title}</title><h1>{title}</h1>",
                                headers={"Cache-Control": "no-store"})

        paths = ("/auth/callback", "/signed-out", "/auth/frontchannel-logout")
        return Starlette(routes=[Route(p, record, methods=["GET"]) for p in paths])

    def visits(self, path: str) -> list[dict[str, str]]:
        return [query for hit_path, query in self.hits if hit_path == path]


@dataclass(frozen=True)
class Stack:
    idp: str
    rp: str
    relying_party: RelyingParty


@pytest.fixture
def stack() -> Iterator[Stack]:
    relying_party = RelyingParty()
    rp_sock = bind_socket("127.0.0.1", 0)
    rp = f"http://127.0.0.1:{rp_sock.getsockname()[1]}"
    tenant = default_tenant()
    app = replace(tenant.apps[0], logout_url=f"{rp}/auth/frontchannel-logout")
    config = IdpConfig(tenants=(replace(tenant, apps=(app,)),))
    with run_in_thread(relying_party.app(), sock=rp_sock, log_level="critical"), \
            run_in_thread(create_app(config), log_level="critical") as idp:
        yield Stack(idp=idp.base_url, rp=rp, relying_party=relying_party)


def authorize_url(stack: Stack, **extra: str) -> str:
    params = {"client_id": REFERENCE_RP_CLIENT_ID, "response_type": "code",
              "redirect_uri": f"{stack.rp}/auth/callback", "scope": "openid profile",
              "state": "login-state", "nonce": "login-nonce", **extra}
    return f"{stack.idp}/{TENANT}/oauth2/v2.0/authorize?{urlencode(params)}"


def sign_in(page: Page, stack: Stack) -> str:
    """Sign Alice in through the provider's page; redeem the code; return the ID token."""
    page.goto(authorize_url(stack))
    EntraDriver().sign_in(page, ALICE, "P@ssw0rd-alice")
    expect(page.get_by_role("heading", name="Callback")).to_be_visible()
    [callback] = stack.relying_party.visits("/auth/callback")
    response = httpx.post(f"{stack.idp}/{TENANT}/oauth2/v2.0/token", data={
        "grant_type": "authorization_code", "client_id": REFERENCE_RP_CLIENT_ID,
        "client_secret": REFERENCE_RP_SECRET, "code": callback["code"],
        "redirect_uri": f"{stack.rp}/auth/callback"}, timeout=10)
    assert response.status_code == 200, response.text
    token: str = response.json()["id_token"]
    return token


def test_sign_out_loads_the_front_channel_iframe_then_returns_with_state(
    page: Page, stack: Stack
) -> None:
    id_token = sign_in(page, stack)
    sid = jwt.decode(id_token, options={"verify_signature": False})["sid"]

    logout = f"{stack.idp}/{TENANT}/oauth2/v2.0/logout?" + urlencode({
        "id_token_hint": id_token, "post_logout_redirect_uri": f"{stack.rp}/signed-out",
        "state": "bye state"})
    page.goto(logout)
    expect(page.get_by_role("heading", name="Pick an account")).to_be_visible()
    EntraDriver().confirm_sign_out(page, ALICE)
    expect(page.get_by_role("heading", name="Signed out of the app")).to_be_visible()

    parts = urlsplit(page.url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{stack.rp}/signed-out"
    assert parse_qs(parts.query) == {"state": ["bye state"]}
    assert stack.relying_party.visits("/auth/frontchannel-logout") == [{"sid": sid}]
    assert stack.relying_party.visits("/signed-out") == [{"state": "bye state"}]

    notes = httpx.get(f"{stack.idp}/_mock/notifications",
                      params={"kind": "frontchannel"}, timeout=10).json()["notifications"]
    assert len(notes) == 1
    assert notes[0]["url"] == f"{stack.rp}/auth/frontchannel-logout?sid={sid}"
    assert notes[0]["loaded_at"] is not None


def test_after_sign_out_the_browser_must_sign_in_again(page: Page, stack: Stack) -> None:
    sign_in(page, stack)
    page.goto(f"{stack.idp}/{TENANT}/oauth2/v2.0/logout")
    EntraDriver().confirm_sign_out(page, ALICE)
    expect(page.get_by_role("heading", name="You signed out of your account")).to_be_visible()
    deadline = time.monotonic() + 10
    while not stack.relying_party.visits("/auth/frontchannel-logout"):
        assert time.monotonic() < deadline, "the front-channel iframe never loaded"
        page.wait_for_timeout(50)

    page.goto(authorize_url(stack, prompt="none", state="silent"))
    expect(page.get_by_role("heading", name="Callback")).to_be_visible()
    silent = stack.relying_party.visits("/auth/callback")[-1]
    assert silent["error"] == "login_required" and silent["state"] == "silent"
    assert silent["error_description"].startswith("AADSTS50058")

    page.goto(authorize_url(stack))
    expect(IdpUsernamePage(page).heading).to_be_visible()


def test_with_a_logout_hint_the_driver_finds_no_picker_to_answer(page: Page, stack: Stack) -> None:
    hint = jwt.decode(sign_in(page, stack), options={"verify_signature": False})["login_hint"]
    page.goto(f"{stack.idp}/{TENANT}/oauth2/v2.0/logout?" + urlencode({"logout_hint": hint}))
    EntraDriver(timeout_ms=2_000).confirm_sign_out(page, ALICE)
    expect(page.get_by_role("heading", name="You signed out of your account")).to_be_visible()


def test_a_sign_out_form_posted_from_another_site_over_http_ends_the_session(
    page: Page, stack: Stack
) -> None:
    """The app's page (``http://localhost``) posts its sign-out form to the provider
    (``http://127.0.0.1``): another site, whose ``SameSite=Lax`` cookies a browser does not send
    on a cross-site POST. The provider's cookies are ``SameSite=None; Secure`` on a loopback
    host, as Entra's are, so the post finds the session and ends it."""
    sign_in(page, stack)
    rp_port = urlsplit(stack.rp).port
    app_page = f"http://localhost:{rp_port}/account"
    logout = f"{stack.idp}/{TENANT}/oauth2/v2.0/logout"
    page.route(app_page, lambda route: route.fulfill(content_type="text/html", body=(
        f'<!doctype html><title>Account</title><form method="post" action="{logout}">'
        f'<input type="hidden" name="post_logout_redirect_uri" value="{stack.rp}/signed-out">'
        '<input type="hidden" name="state" value="posted"><button>Sign out</button></form>')))
    page.goto(app_page)
    page.get_by_role("button", name="Sign out").click()

    expect(page.get_by_role("heading", name="Pick an account")).to_be_visible()
    EntraDriver().confirm_sign_out(page, ALICE)
    expect(page.get_by_role("heading", name="Signed out of the app")).to_be_visible()
    assert stack.relying_party.visits("/signed-out") == [{"state": "posted"}]
    sessions = httpx.get(f"{stack.idp}/_mock/sessions", timeout=10).json()["sessions"]
    assert [s["active"] for s in sessions] in ([], [False])
    page.goto(authorize_url(stack, prompt="none", state="after"))
    expect(page.get_by_role("heading", name="Callback")).to_be_visible()
    assert stack.relying_party.visits("/auth/callback")[-1]["error"] == "login_required"


@pytest.mark.parametrize("how", ["GET", "cross-site POST"])
def test_another_browser_that_never_signed_in_signs_out_without_a_note(
    page: Page, browser: Browser, stack: Stack, how: str
) -> None:
    """Alice is signed in in one browser; another, that never signed in, opens the sign-out
    URL, or posts an app's sign-out form from another site. It holds none of the provider's
    cookies (a top-level navigation carries whichever it holds, and Chromium keeps the
    ``SameSite=None; Secure`` ones on a loopback host, which a cross-site post carries too), so
    it ends nothing, Alice's session included, and that is no app's mistake: the request log
    gets no "no provider cookies" note the protocol view would show as wrong."""
    sign_in(page, stack)
    logout = f"{stack.idp}/{TENANT}/oauth2/v2.0/logout"
    other = browser.new_context()
    try:
        other_page = other.new_page()
        if how == "GET":
            other_page.goto(f"{logout}?" + urlencode(
                {"post_logout_redirect_uri": f"{stack.rp}/signed-out"}))
        else:
            app_page = f"http://localhost:{urlsplit(stack.rp).port}/account"
            other_page.route(app_page, lambda route: route.fulfill(
                content_type="text/html", body=(
                    f'<!doctype html><title>Account</title><form method="post" '
                    f'action="{logout}"><button>Sign out</button></form>')))
            other_page.goto(app_page)
            other_page.get_by_role("button", name="Sign out").click()
        expect(other_page.get_by_role(
            "heading", name="You signed out of your account")).to_be_visible()
    finally:
        other.close()
    entries = httpx.get(f"{stack.idp}/_mock/requests", timeout=10).json()["requests"]
    logouts = [e for e in entries if e["path"].endswith("/logout")]
    assert len(logouts) == 1 and not logouts[0].get("notes"), logouts
    page.goto(authorize_url(stack, prompt="none", state="still"))
    expect(page.get_by_role("heading", name="Callback")).to_be_visible()
    assert "code" in stack.relying_party.visits("/auth/callback")[-1]
