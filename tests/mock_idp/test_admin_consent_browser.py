"""Consent for an organization in a real browser: in a tenant whose users may not consent, a user
gets "Need admin approval" and returns to the app without consent, or hands over to an
administrator, who ticks "Consent on behalf of your organization"."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from urllib.parse import urlencode

import pytest
from idp_testkit import ADA, CLIENT_ID, ZED, guarded_organizations_config, password
from playwright.sync_api import Page, expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from mock_idp import create_app, run_in_thread
from mock_idp.config import IdpConfig
from mock_idp.signin import ids
from mock_idp.testing import bind_socket
from scenarios.drivers import EntraDriver

pytestmark = pytest.mark.browser


@pytest.fixture
def urls() -> Iterator[tuple[str, str, list[dict[str, str]]]]:
    """The provider's URL, the app's callback and the queries the callback received."""
    hits: list[dict[str, str]] = []

    async def callback(request: Request) -> HTMLResponse:
        hits.append(dict(request.query_params))
        return HTMLResponse("<!doctype html><title>Callback</title><h1>Callback</h1>")

    sock = bind_socket("127.0.0.1", 0)
    redirect = f"http://127.0.0.1:{sock.getsockname()[1]}/auth/callback"
    contoso, fabrikam = guarded_organizations_config().tenants
    apps = tuple(replace(a, redirect_uris=(redirect,)) if a.client_id == CLIENT_ID else a
                 for a in contoso.apps)
    config = IdpConfig(tenants=(replace(contoso, apps=apps), fabrikam))
    with run_in_thread(Starlette(routes=[Route("/auth/callback", callback)]), sock=sock,
                       log_level="critical"), \
            run_in_thread(create_app(config), log_level="critical") as idp:
        authorize = f"{idp.base_url}/organizations/oauth2/v2.0/authorize?" + urlencode({
            "client_id": CLIENT_ID, "response_type": "code", "redirect_uri": redirect,
            "scope": "openid profile", "state": "st", "nonce": "n"})
        yield authorize, redirect, hits


def test_a_user_returns_to_the_app_without_consent(
        page: Page, urls: tuple[str, str, list[dict[str, str]]]) -> None:
    authorize, _, hits = urls
    page.goto(authorize)
    EntraDriver().sign_in(page, ZED, password(ZED))
    expect(page.get_by_role("heading", name=ids.NEED_ADMIN_HEADING)).to_be_visible()
    page.get_by_role("button", name=ids.RETURN_WITHOUT_CONSENT).click()
    expect(page.get_by_role("heading", name="Callback")).to_be_visible()
    assert hits[-1]["error"] == "access_denied" and hits[-1]["state"] == "st"
    assert hits[-1]["error_description"].startswith("AADSTS65004")


def test_an_administrator_consents_for_the_organization(
        page: Page, urls: tuple[str, str, list[dict[str, str]]]) -> None:
    authorize, _, hits = urls
    page.goto(authorize)
    EntraDriver().sign_in(page, ZED, password(ZED))
    page.get_by_role("button", name=ids.SWITCH_TO_ADMIN).click()
    EntraDriver(accept_consent=False).sign_in(page, ADA, password(ADA))
    page.get_by_label(ids.ORGANIZATION_CONSENT_LABEL).check()
    page.locator(f"#{ids.PRIMARY_BUTTON}").click()
    expect(page.get_by_role("heading", name="Callback")).to_be_visible()
    assert "code" in hits[-1]
    # Zed, in a new browser, now signs in with no page about consent.
    page.context.clear_cookies()
    page.goto(authorize)
    EntraDriver(accept_consent=False).sign_in(page, ZED, password(ZED))
    expect(page.get_by_role("heading", name="Callback")).to_be_visible()
    assert "code" in hits[-1]
