"""Starting signed in at the company: the provider session a scenario starts through
``POST /_mock/sessions`` signs the browser in without a page, and a provider that still asks
(``prompt=login``) has its pages answered."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import Page, Route

from scenarios.flows import (
    NavigationLog,
    first_login_at_company,
    follow_signed_in_at_company,
    sign_in_at_company,
    sign_in_by_redirects,
    sign_in_if_asked,
)
from scenarios.live import LiveStack

pytestmark = pytest.mark.browser


def _authorize_url(stack: LiveStack, **extra: str) -> str:
    params = {"client_id": stack.client_id, "response_type": "code",
              "redirect_uri": stack.app.redirect_uri, "scope": "openid profile",
              "state": "company-state", "nonce": "company-nonce", **extra}
    return f"{stack.authority}/oauth2/v2.0/authorize?{urlencode(params)}"


def _code_in(page: Page) -> list[str]:
    page.wait_for_url(lambda url: "code=" in url)
    return parse_qs(urlsplit(page.url).query)["code"]


def test_the_app_is_reached_without_a_page(sso_stack: LiveStack, sso_page: Page) -> None:
    alice = sso_stack.people["alice"]
    log = NavigationLog(sso_page)
    first_login_at_company(sso_page, sso_stack, alice)
    log.expect_no_page_between(sso_stack.idp.base_url)
    sessions = sso_stack.http.get(sso_stack.idp_url("/_mock/sessions")).json()["sessions"]
    assert [s["user"] for s in sessions] == [alice.upn]
    assert list(sessions[0]["apps"]) == [sso_stack.client_id]


def test_a_provider_that_still_asks_gets_its_pages_answered(sso_stack: LiveStack,
                                                             sso_page: Page) -> None:
    alice = sso_stack.people["alice"]
    sign_in_at_company(sso_page, sso_stack, alice)
    log = NavigationLog(sso_page)
    sso_page.goto(_authorize_url(sso_stack, prompt="login"))
    sign_in_if_asked(sso_page, sso_stack, alice)
    assert _code_in(sso_page)
    shown = log.pages_shown_from(sso_stack.idp.base_url)
    assert len(shown) >= 2, f"prompt=login showed no sign-in pages: {log.documents}"


def test_without_the_session_the_provider_asks(sso_stack: LiveStack, sso_page: Page) -> None:
    log = NavigationLog(sso_page)
    sso_page.goto(_authorize_url(sso_stack))
    sign_in_if_asked(sso_page, sso_stack, sso_stack.people["alice"])
    assert _code_in(sso_page)
    assert log.pages_shown_from(sso_stack.idp.base_url), log.documents


def test_a_sign_in_its_page_script_starts_gets_the_providers_pages_answered(
        sso_stack: LiveStack, sso_page: Page) -> None:
    """Streamlit's ``st.login()`` runs in the page's script, after the page has loaded and its
    websocket has answered, and asks ``prompt=select_account``: "Pick an account" comes after
    the sign-in URL's page, and is answered, not taken for a provider that asked nothing."""
    alice = sso_stack.people["alice"]
    start = sso_stack.app.url("/scripted-sign-in")
    target = json.dumps(_authorize_url(sso_stack, prompt="select_account"))
    sso_page.route(start, lambda route: route.fulfill(
        content_type="text/html",
        body=f"<p>Loading</p><script>setTimeout(() => {{ location.href = {target}; }}, 600)"
             "</script>"))
    log = NavigationLog(sso_page)
    follow_signed_in_at_company(sso_page, sso_stack, alice, url=start)
    assert _code_in(sso_page)
    shown = log.pages_shown_from(sso_stack.idp.base_url)
    assert shown, f"select_account showed no page at the provider: {log.documents}"


def _asking_select_account(stack: LiveStack, page: Page) -> str:
    """The app's sign-in URL, its redirect to the provider made to ask prompt=select_account
    (Streamlit's st.login does): the provider then shows "Pick an account" whatever session the
    browser holds."""
    start = stack.app.sign_in_url()

    def add_prompt(route: Route) -> None:
        answer = route.fetch(max_redirects=0)
        location = answer.headers["location"]
        assert "/authorize?" in location, location
        route.fulfill(response=answer,
                      headers={**answer.headers, "location": f"{location}&prompt=select_account"})

    page.route(start, add_prompt)
    return start


def test_a_sign_in_by_redirects_that_the_app_prompts_fails_naming_the_prompt(
        sso_stack: LiveStack, sso_page: Page) -> None:
    alice = sso_stack.people["alice"]
    sign_in_at_company(sso_page, sso_stack, alice)
    start = _asking_select_account(sso_stack, sso_page)
    with pytest.raises(AssertionError) as failed:
        sign_in_by_redirects(sso_page, sso_stack, alice, start, path=sso_stack.app.lands_on())
    cause = str(failed.value).splitlines()[1]  # under the verdict, before Playwright's log
    assert cause.startswith("the app's authorization request asked prompt=select_account"), (
        str(failed.value))


def test_a_prompt_the_app_asks_is_answered_where_single_sign_on_is_not_the_subject(
        sso_stack: LiveStack, sso_page: Page) -> None:
    alice = sso_stack.people["alice"]
    sign_in_at_company(sso_page, sso_stack, alice)
    start = _asking_select_account(sso_stack, sso_page)
    log = sign_in_by_redirects(sso_page, sso_stack, alice, start,
                               path=sso_stack.app.lands_on(), answer_prompt=True)
    assert log.pages_shown_from(sso_stack.idp.base_url), log.documents
