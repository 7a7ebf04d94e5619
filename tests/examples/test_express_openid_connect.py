"""The express-openid-connect example, end to end in a real browser against the mock provider
over https, by the library's defaults: it asks the authorization endpoint for an ID token alone,
posted to its callback (``response_type=id_token``, ``response_mode=form_post``, with a nonce),
which the app registration must allow (Entra's "ID tokens" box); it keeps the sign-in in an
encrypted cookie and signs out through the provider's end-session endpoint with an
``id_token_hint``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs

import pytest
from example_apps import EXPRESS_OPENID_CONNECT, ExampleStack, example_stack
from example_browser import ALICE, ALICE_NAME, Navigations, expect_provider_sign_in, sign_in
from playwright.sync_api import BrowserContext, Page, expect

from scenarios.drivers import EntraDriver

# A Node process of its own, signed into through a browser: make test-slow runs these.
pytestmark = [pytest.mark.browser, pytest.mark.slow]

SESSION_COOKIE = "appSession"
"""The library's session cookie (``session.name``'s default)."""


@pytest.fixture(scope="module")
def eoc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExampleStack]:
    app = EXPRESS_OPENID_CONNECT
    with example_stack(app, tmp_path_factory.mktemp(app.name)) as stack:
        yield stack


@pytest.fixture
def eoc_page(example_context: BrowserContext, eoc: ExampleStack) -> Iterator[Page]:
    yield example_context.new_page()
    eoc.clear_faults()


def _authorize_requests(stack: ExampleStack) -> list[dict[str, list[str]]]:
    requests = stack.idp.http.get("/_mock/requests").json()["requests"]
    return [parse_qs(r["query"]) for r in requests
            if r["path"].endswith("/oauth2/v2.0/authorize") and "client_id=" in r["query"]]


def test_me_is_401_before_sign_in(eoc: ExampleStack, eoc_page: Page) -> None:
    response = eoc_page.request.get(eoc.url("/me"))
    assert response.status == 401, response.text()


def test_the_library_asks_for_an_id_token_posted_to_its_callback(
        eoc: ExampleStack, eoc_page: Page) -> None:
    """Its default authorization request, as the provider logged it, and the provider's
    answer: a form the browser posts to the callback, which signs alice in with no code."""
    navigations = Navigations(eoc_page)
    landing = sign_in(eoc_page, eoc, start="/login")
    assert landing.signed_in and landing.url == eoc.url("/"), landing
    sent = _authorize_requests(eoc)[-1]
    assert sent["response_type"] == ["id_token"] and sent["response_mode"] == ["form_post"], sent
    assert sent["scope"] == ["openid profile email"], sent
    assert "nonce" in sent and "state" in sent and "code_challenge" not in sent, sent
    posted = [r for r in navigations.requests if r.url == eoc.url("/callback")]
    assert [r.method for r in posted] == ["POST"], [r.url for r in navigations.requests]
    assert "id_token=" in (posted[0].post_data or "")
    tokens = [r for r in eoc.idp.http.get("/_mock/requests").json()["requests"]
              if r["path"].endswith("/token")]
    assert tokens == [], "the app redeemed a code"


def test_sign_in_see_name_me_and_sign_out(eoc: ExampleStack, eoc_page: Page) -> None:
    page = eoc_page
    landing = sign_in(page, eoc)
    assert landing.signed_in and landing.url == eoc.url("/account"), landing
    expect(page.locator("#signed-in-as")).to_have_text(ALICE_NAME)
    me = page.request.get(eoc.url("/me")).json()
    assert (me["name"], me["preferred_username"]) == (ALICE_NAME, ALICE), me
    cookies = {c["name"]: c for c in page.context.cookies(eoc.url("/"))}
    assert ALICE not in cookies[SESSION_COOKIE]["value"], "the session cookie is not encrypted"
    assert cookies[SESSION_COOKIE]["httpOnly"]

    page.get_by_role("link", name="Sign out").click()
    EntraDriver().confirm_sign_out(page, ALICE)
    expect(page).to_have_url(re.compile("^" + re.escape(eoc.url("/signed-out")) + r"(\?|$)"))
    expect(page.get_by_role("heading", name="You are signed out")).to_be_visible()
    assert page.request.get(eoc.url("/me")).status == 401
    logouts = [parse_qs(r["query"]) for r in eoc.idp.http.get("/_mock/requests").json()["requests"]
               if r["path"].endswith("/oauth2/v2.0/logout") and r["method"] == "GET"]
    assert logouts and "id_token_hint" in logouts[0], logouts
    assert logouts[0]["post_logout_redirect_uri"] == [eoc.url("/signed-out")], logouts

    # The provider's session ended too: the protected page asks for a password again.
    page.goto(eoc.url("/account"))
    expect_provider_sign_in(page, eoc)
    assert eoc.secret not in eoc.app.output()
