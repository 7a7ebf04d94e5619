"""The pages a user types into forbid framing, as Entra's do (``X-Frame-Options: DENY`` and
``frame-ancestors 'none'``): MSAL.js's silent iframe on the sign-in page fails to load (MSAL.js
#494, #1459, #7458, #8211; ADAL.js #79). Redirects, the ``form_post`` page and the signed-out page
(which frames the apps' logout URLs) carry neither.
"""

from __future__ import annotations

import httpx
from asgi_client import AppClient
from idp_testkit import TENANT, auth_params, get_code, logout_hint, page_kind, paths, submit

AUTHORIZE = paths(TENANT, "2.0")["authorize"]
LOGOUT = AUTHORIZE.replace("authorize", "logout")


def _not_framed(response: httpx.Response) -> None:
    assert response.headers.get("x-frame-options") == "DENY", response.headers
    assert response.headers.get("content-security-policy") == "frame-ancestors 'none'"


def _framable(response: httpx.Response) -> None:
    assert "x-frame-options" not in response.headers, response.headers
    assert "frame-ancestors" not in response.headers.get("content-security-policy", "")


def test_the_sign_in_pages_are_not_framed(client: AppClient) -> None:
    page = client.get(AUTHORIZE, params=auth_params())
    assert page_kind(page) == "username"
    _not_framed(page)
    password = submit(client, page, loginfmt="alice@contoso.onmicrosoft.com")
    assert page_kind(password) == "password"
    _not_framed(password)


def test_the_device_code_page_is_not_framed(client: AppClient) -> None:
    _not_framed(client.get("/devicelogin"))


def test_the_error_page_is_not_framed(client: AppClient) -> None:
    page = client.get(AUTHORIZE, params=auth_params(client_id="not-an-app"))
    assert page.status_code == 400 and "AADSTS" in page.text
    _not_framed(page)


def test_redirects_form_post_and_the_signed_out_page_can_be_framed(client: AppClient) -> None:
    grant = get_code(client)
    assert grant.response.status_code in (302, 303)
    _framable(grant.response)
    form_post = client.get(AUTHORIZE, params=auth_params(response_mode="form_post"))
    assert form_post.status_code == 200 and "<form" in form_post.text
    _framable(form_post)
    signed_out = client.get(LOGOUT, params={"logout_hint": logout_hint(client)})
    assert signed_out.status_code == 200, signed_out.text[:300]
    _framable(signed_out)


def test_the_sign_out_picker_is_not_framed(client: AppClient) -> None:
    get_code(client)
    picker = client.get(LOGOUT)
    assert page_kind(picker) == "picker"
    _not_framed(picker)
