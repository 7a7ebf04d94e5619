"""Each example app, end to end in a real browser against the mock provider over https: the
protected page starts SSO by itself, alice signs in, the app shows her name and its ``me``
endpoint answers, then sign-out (RP-initiated, through the library; alice picks her account when
the provider asks "Pick an account", as its v2.0 endpoint does without a ``logout_hint``) ends
both sessions."""

from __future__ import annotations

import re

import pytest
from example_apps import ExampleStack
from example_browser import ALICE, ALICE_NAME, expect_provider_sign_in, sign_in
from playwright.sync_api import Page, expect

from scenarios.drivers import EntraDriver

# Each example app is a process of its own (Flask, Node), signed into through a browser: make
# test-slow runs these.
pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_me_is_401_before_sign_in(example: ExampleStack, example_page: Page) -> None:
    response = example_page.request.get(example.url(example.example.me))
    assert response.status == 401, response.text()


def test_sign_in_see_name_me_and_sign_out(example: ExampleStack, example_page: Page) -> None:
    page = example_page
    landing = sign_in(page, example)
    assert landing.signed_in, landing
    assert landing.url == example.url(example.example.protected)
    expect(page.locator("#signed-in-as")).to_have_text(ALICE_NAME)

    me = page.request.get(example.url(example.example.me))
    assert me.status == 200
    assert me.json()["name"] == ALICE_NAME
    assert me.json()["preferred_username"] == ALICE

    page.goto(example.url("/"))
    expect(page.locator("#signed-in-as")).to_have_text(ALICE_NAME)

    page.get_by_role("link", name="Sign out").click()
    EntraDriver().confirm_sign_out(page, ALICE)
    signed_out = re.escape(example.url(example.example.signed_out))
    expect(page).to_have_url(re.compile(f"^{signed_out}(\\?|$)"))
    expect(page.get_by_role("heading", name="You are signed out")).to_be_visible()
    assert page.request.get(example.url(example.example.me)).status == 401
    logouts = [r for r in example.idp.http.get("/_mock/requests").json()["requests"]
               if "/logout" in r["path"]]
    assert logouts, "the app never sent the browser to the provider's sign-out endpoint"

    # The provider's session ended too: the protected page asks for a password again.
    page.goto(example.url(example.example.protected))
    expect_provider_sign_in(page, example)
    assert example.secret not in example.app.output()


def test_sign_in_link_starts_sso(example: ExampleStack, example_page: Page) -> None:
    landing = sign_in(example_page, example, start=example.example.sign_in)
    assert landing.signed_in, landing
    expect(example_page.locator("#signed-in-as")).to_have_text(ALICE_NAME)
