"""The mozilla-django-oidc example, end to end in a real browser against the mock provider over
https, by the library's defaults: the authorization code flow with a ``state`` and a nonce kept
in the Django session and no PKCE; the code redeemed with the client secret, the ID token's
RS256 signature checked against the key set fetched at each sign-in, the person's claims asked
of UserInfo; the logout view takes POST only (the pages' "Sign out" button) and sends the
browser on to the provider's end-session endpoint through the app's
``OIDC_OP_LOGOUT_URL_METHOD``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest
from example_apps import DJANGO_OIDC, ExampleStack, example_stack
from example_browser import ALICE, ALICE_NAME, expect_provider_sign_in, sign_in
from playwright.sync_api import BrowserContext, Page, expect

from scenarios.drivers import EntraDriver

# A Django process of its own, signed into through a browser: make test-slow runs these.
pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def django_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExampleStack]:
    app = DJANGO_OIDC
    with example_stack(app, tmp_path_factory.mktemp(app.name)) as stack:
        yield stack


@pytest.fixture
def django_page(example_context: BrowserContext, django_app: ExampleStack) -> Iterator[Page]:
    yield example_context.new_page()
    django_app.clear_faults()


def _requests(stack: ExampleStack) -> list[dict[str, Any]]:
    logged: list[dict[str, Any]] = stack.idp.http.get("/_mock/requests").json()["requests"]
    return logged


def test_me_is_401_before_sign_in(django_app: ExampleStack, django_page: Page) -> None:
    response = django_page.request.get(django_app.url("/me"))
    assert response.status == 401, response.text()


def test_the_library_redeems_a_code_checks_the_signature_and_asks_userinfo(
        django_app: ExampleStack, django_page: Page) -> None:
    """Its default authorization request, as the provider logged it, and the calls the sign-in
    made: the token endpoint, the key set and UserInfo, each once."""
    django_app.idp.http.delete("/_mock/requests").raise_for_status()
    landing = sign_in(django_page, django_app, start=DJANGO_OIDC.sign_in)
    assert landing.signed_in and landing.url == django_app.url("/account"), landing
    logged = _requests(django_app)
    sent = [parse_qs(r["query"]) for r in logged
            if r["path"].endswith("/oauth2/v2.0/authorize") and "client_id=" in r["query"]][-1]
    assert sent["response_type"] == ["code"] and sent["scope"] == ["openid email profile"], sent
    assert sent["redirect_uri"] == [django_app.url("/oidc/callback/")], sent
    assert "nonce" in sent and "state" in sent and "code_challenge" not in sent, sent
    paths = [r["path"] for r in logged]
    assert sum(p.endswith("/oauth2/v2.0/token") for p in paths) == 1, paths
    assert sum(p.endswith("/discovery/v2.0/keys") for p in paths) == 1, paths
    assert sum(p.endswith("/oidc/userinfo") for p in paths) == 1, paths


def test_sign_in_see_name_me_and_sign_out(django_app: ExampleStack, django_page: Page) -> None:
    page = django_page
    landing = sign_in(page, django_app)
    assert landing.signed_in and landing.url == django_app.url("/account"), landing
    expect(page.locator("#signed-in-as")).to_have_text(ALICE_NAME)
    me = page.request.get(django_app.url("/me")).json()
    assert me == {"name": ALICE_NAME, "email": ALICE}, me

    page.get_by_role("button", name="Sign out").click()
    EntraDriver().confirm_sign_out(page, ALICE)  # "Pick an account": no hint is sent
    expect(page).to_have_url(re.compile("^" + re.escape(django_app.url("/signed-out"))
                                        + r"(\?|$)"))
    expect(page.get_by_role("heading", name="You are signed out")).to_be_visible()
    assert page.request.get(django_app.url("/me")).status == 401
    logouts = [parse_qs(r["query"]) for r in _requests(django_app)
               if r["path"].endswith("/oauth2/v2.0/logout") and r["method"] == "GET"]
    assert logouts and logouts[-1] == {
        "client_id": [django_app.registration.client_id],
        "post_logout_redirect_uri": [django_app.url("/signed-out")]}, logouts

    # The provider's session ended too: the protected page asks for a password again.
    page.goto(django_app.url("/account"))
    expect_provider_sign_in(page, django_app)
    assert django_app.secret not in django_app.app.output()


def test_the_logout_view_refuses_get(django_app: ExampleStack, django_page: Page) -> None:
    """The library's default (``ALLOW_LOGOUT_GET_METHOD`` off): a link or an image pointing at
    the logout URL signs nobody out."""
    assert sign_in(django_page, django_app).signed_in
    response = django_page.request.get(django_app.url(DJANGO_OIDC.sign_out), max_redirects=0)
    assert response.status == 405, response.status
    assert django_page.request.get(django_app.url("/me")).status == 200
