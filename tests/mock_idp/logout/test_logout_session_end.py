"""After sign-out the provider's session is over: every app of it needs a sign-in again and
the old cookie signs no one in, while another browser's session survives."""

from __future__ import annotations

import pytest
from asgi_client import AppClient
from idp_testkit import BOB, CLIENT_ID, TENANT, auth_params, paths, redirect_params
from logout_kit import (
    PORTAL_ID,
    PORTAL_REDIRECT,
    SIGNED_OUT,
    is_sign_in_page,
    sign_in_portal,
    sign_in_rp,
    sign_out,
)
from starlette.applications import Starlette

from mock_idp.endpoints.browser_sessions import SESSION_COOKIE


@pytest.mark.parametrize("version", ["2.0", "1.0"])
def test_after_logout_every_app_of_the_session_needs_a_sign_in(browser: AppClient,
                                                                version: str) -> None:
    sign_in_rp(browser)
    sign_in_portal(browser)
    silent = redirect_params(browser.get(paths(TENANT, "2.0")["authorize"],
                                         params=auth_params(prompt="none")))
    assert "code" in silent  # signed in: silent SSO works before logout
    sign_out(browser, version)
    for client_id, redirect_uri in ((CLIENT_ID, SIGNED_OUT), (PORTAL_ID, PORTAL_REDIRECT)):
        page = browser.get(paths(TENANT, "2.0")["authorize"], params=auth_params(
            client_id=client_id, redirect_uri=redirect_uri))
        assert is_sign_in_page(page), page.text[:300]
        values = redirect_params(browser.get(paths(TENANT, "2.0")["authorize"], params=auth_params(
            client_id=client_id, redirect_uri=redirect_uri, prompt="none", state="q")))
        assert values["error"] == "login_required"
        assert values["error_description"].startswith("AADSTS50058: ")
        assert values["state"] == "q" and "code" not in values


def test_the_old_cookie_no_longer_signs_in(browser: AppClient) -> None:
    sign_in_rp(browser)
    cookie = browser.cookies.get(SESSION_COOKIE)
    assert cookie
    sign_out(browser)
    browser.cookies.set(SESSION_COOKIE, cookie)
    values = redirect_params(browser.get(paths(TENANT, "2.0")["authorize"],
                                         params=auth_params(prompt="none")))
    assert values["error"] == "login_required"


def test_another_browsers_session_survives(idp: Starlette, browser: AppClient) -> None:
    sign_in_rp(browser)
    with AppClient(idp, follow_redirects=False) as other:
        sign_in_rp(other, upn=BOB)
        sign_out(browser)
        values = redirect_params(other.get(paths(TENANT, "2.0")["authorize"],
                                           params=auth_params(prompt="none")))
        assert "code" in values
