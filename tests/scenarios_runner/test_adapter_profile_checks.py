"""The adapter's checks of what a profile says (``[signed_in]`` selector and ``me_json``,
``[sign_out] control``) and the flows that expect the provider's pages: a wrong key or an app
that never reaches the provider fails with a message naming what is missing, never with
Playwright's own error."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import httpx
import pytest
from playwright.sync_api import Browser, Page

from scenarios import flows
from scenarios.app import parse_profile
from scenarios.app.adapter import ProfileAdapter, SignedInElsewhere
from scenarios.app.servers import AppServer
from scenarios.catalogue.failures import expect_provider_error
from scenarios.drivers import EntraDriver
from scenarios.live import LiveStack
from scenarios.people import PEOPLE
from scenarios.runner import expect_timeout

from .page_server import Pages, serving

pytestmark = pytest.mark.browser

ALICE = PEOPLE["alice"]
ALICE_MAIL = "alice.adams@contoso.example"
ACCOUNT = ('<h1>Account</h1><p id="signed-in-as">Signed in as Alice Adams</p>'
           '<a href="/logout">Log out</a>')
PROFILE = """\
name = "helpdesk"
[app]
base_url = "http://127.0.0.1:9"
[provider]
redirect_uris = "{{base_url}}/cb"
[sign_in]
urls = {{ login = {{ url = "/login", lands_on = "/account" }} }}
[signed_in]
me_url = "{me_url}"
selector = "{selector}"
text = "Signed in as {{name}}"
[signed_in.me_json]
email = "{email_path}"
name = "{name_path}"
[sign_out]
control = "Sign out"
"""


class _Pages(Pages):
    def page(self, path: str) -> tuple[int, str]:
        if path.startswith("/me"):
            name = "Bob Brown" if path == "/me-bob" else ALICE.name
            email = {"/me-unvouched": None, "/me-mail": ALICE_MAIL,
                     "/me-stranger": "mallory@fabrikam.example"}.get(path, ALICE.upn)
            if path == "/me-moved":  # her address under another member than the path
                return 200, json.dumps({"upn": None, "email": ALICE.upn, "name": name})
            return 200, json.dumps({"email": email, "name": name})
        if path == "/account":
            return 200, ACCOUNT
        if path.startswith("/cb"):
            return 502, "<h1>Sign-in failed</h1><p>Contact help@helpdesk.example</p>"
        return 200, "<h1>Welcome to the helpdesk</h1><p>Sign in to continue.</p>"


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    with serving(_Pages) as origin:
        yield origin


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client() as client:
        yield client


def _adapter(origin: str, http: httpx.Client, *, me_url: str = "/me",
             selector: str = "#signed-in-as", name_path: str | None = "name", extra: str = "",
             email_path: str = "email") -> ProfileAdapter:
    text = PROFILE.format(me_url=me_url, selector=selector, name_path=name_path,
                          email_path=email_path) + extra
    if name_path is None:  # [signed_in.me_json] email alone
        text = text.replace('name = "None"\n', "")
    server = cast(AppServer, SimpleNamespace(base_url=origin))
    return ProfileAdapter(parse_profile(text, path=Path("helpdesk.toml")), server, {}, http)


def _signed_in_failure(page: Page, adapter: ProfileAdapter) -> AssertionError:
    with expect_timeout(300), pytest.raises(AssertionError) as caught:
        adapter.expect_signed_in(page, ALICE, lands_on="/account")
    return caught.value


def test_me_json_name_is_compared_with_the_person_s_name(page: Page, origin: str,
                                                         http: httpx.Client) -> None:
    page.goto(f"{origin}/account")
    _adapter(origin, http).expect_signed_in(page, ALICE, lands_on="/account")
    error = _signed_in_failure(page, _adapter(origin, http, me_url="/me-bob"))
    assert isinstance(error, SignedInElsewhere)
    assert str(error) == "signed in as 'Bob Brown', expected Alice Adams (name 'name')"


def test_an_app_that_holds_no_address_for_the_user_is_told_who_signed_in_by_the_name(
        page: Page, origin: str, http: httpx.Client) -> None:
    """An app that keeps only an address the provider vouches for (the reference RP:
    ``xms_edov``) holds none for a user whose registration or domain vouches for none."""
    page.goto(f"{origin}/account")
    adapter = _adapter(origin, http, me_url="/me-unvouched")
    adapter.expect_signed_in(page, ALICE, lands_on="/account")
    assert adapter.addressless == {ALICE.upn}  # what run --app notes
    holding = _adapter(origin, http)
    holding.expect_signed_in(page, ALICE, lands_on="/account")
    assert holding.addressless == set()


def test_an_address_held_beside_a_null_email_path_is_not_noted_as_none(
        page: Page, origin: str, http: httpx.Client) -> None:
    """A null at the profile's ``email`` path beside a member holding her address (flask-oidc
    after a token refresh: ``preferred_username`` gone, ``email`` kept) is an app that holds
    an address; ``run --app`` must not note it as holding none, nor advise optional claims."""
    page.goto(f"{origin}/account")
    adapter = _adapter(origin, http, me_url="/me-moved", email_path="upn")
    adapter.expect_signed_in(page, ALICE, lands_on="/account")
    assert adapter.addressless == set()


def test_an_app_that_holds_no_address_and_no_name_names_the_optional_claims(
        page: Page, origin: str, http: httpx.Client) -> None:
    page.goto(f"{origin}/account")
    error = _signed_in_failure(page, _adapter(origin, http, me_url="/me-unvouched",
                                              name_path=None))
    assert not isinstance(error, SignedInElsewhere)
    assert str(error).startswith(
        f"{origin}/me-unvouched holds no e-mail address for {ALICE.upn} (email 'email' is "
        "null)"), str(error)
    assert "email and xms_edov optional claims" in str(error)


def test_a_misspelt_email_path_is_not_taken_for_an_app_without_an_address(
        page: Page, origin: str, http: httpx.Client) -> None:
    """A ``null`` address passes where the name is checked; a path that finds no member at
    all (``emial``, or a claim the app does not have) is someone signed in, not as the
    profile says."""
    page.goto(f"{origin}/account")
    adapter = _adapter(origin, http, me_url="/me-unvouched")
    text = PROFILE.format(me_url="/me-unvouched", selector="#signed-in-as", name_path="name",
                          email_path="email")
    misspelt = ProfileAdapter(parse_profile(text.replace('email = "email"', 'email = "emial"'),
                                            path=Path("helpdesk.toml")), adapter.server, {}, http)
    error = _signed_in_failure(page, misspelt)
    assert isinstance(error, SignedInElsewhere)
    assert str(error) == (f"signed in as None, expected {ALICE.upn} (nothing at "
                          f"[signed_in.me_json] email = 'emial' of {origin}/me-unvouched)")


def test_an_app_holds_no_address_only_where_its_address_is_null(
        page: Page, origin: str, http: httpx.Client) -> None:
    """What ``run --idp`` notes: a ``null`` address, not a missing member (a misspelt path),
    an address, a ``me_url`` that failed or a profile that reads no address."""
    page.goto(f"{origin}/account")
    assert _adapter(origin, http, me_url="/me-unvouched").holds_no_address(page)
    assert not _adapter(origin, http).holds_no_address(page)
    text = PROFILE.format(me_url="/me-unvouched", selector="#signed-in-as", name_path="name",
                          email_path="email")
    for profile in (text.replace('email = "email"', 'email = "emial"'),
                    text.replace('email = "email"\n', ""), text.replace("/me-unvouched", "/cb")):
        adapter = ProfileAdapter(parse_profile(profile, path=Path("helpdesk.toml")),
                                 cast(AppServer, SimpleNamespace(base_url=origin)), {}, http)
        assert not adapter.holds_no_address(page), profile


def test_the_address_may_be_the_person_s_mail_rather_than_the_upn(
        page: Page, origin: str, http: httpx.Client) -> None:
    page.goto(f"{origin}/account")
    _adapter(origin, http, me_url="/me-mail").expect_signed_in(
        page, replace(ALICE, email=ALICE_MAIL), lands_on="/account")
    error = _signed_in_failure(page, _adapter(origin, http, me_url="/me-stranger"))
    assert isinstance(error, SignedInElsewhere)
    assert str(error) == ("signed in as 'mallory@fabrikam.example', expected "
                          f"{ALICE.upn} (email 'email')")


def test_a_me_json_path_that_finds_nothing_is_named(page: Page, origin: str,
                                                    http: httpx.Client) -> None:
    page.goto(f"{origin}/account")
    error = _signed_in_failure(page, _adapter(origin, http, name_path="nmae"))
    assert str(error) == (f"signed in as None, expected Alice Adams (nothing at "
                          f"[signed_in.me_json] name = 'nmae' of {origin}/me)")


def test_a_selector_that_matches_nothing_is_named(page: Page, origin: str,
                                                  http: httpx.Client) -> None:
    page.goto(f"{origin}/account")
    error = _signed_in_failure(page, _adapter(origin, http, selector="#signed-in"))
    assert isinstance(error, SignedInElsewhere)
    assert str(error).startswith(
        f"{origin}/me answered HTTP 200; the signed-in page does not show 'Signed in as Alice "
        "Adams': no element matches [signed_in] selector '#signed-in'; the app showed /account "
        "with HTTP 200: 'Account' / 'Signed in as Alice Adams'\n")


def test_a_person_the_app_signed_in_is_not_called_signed_out(page: Page, origin: str,
                                                             http: httpx.Client) -> None:
    page.goto(f"{origin}/account")
    stack = cast(LiveStack, SimpleNamespace(app=_adapter(origin, http, selector="#signed-in")))
    with expect_timeout(300), pytest.raises(AssertionError) as caught:
        flows.expect_signed_in(page, stack, ALICE, path="/account")
    message = str(caught.value)
    assert message.startswith(f"{ALICE.upn} is signed in, but not as the profile says: the "
                              f"page at {origin}/account shows"), message
    assert "is not signed in" not in message
    assert "no element matches [signed_in] selector '#signed-in'" in message


def test_a_sign_in_that_ends_on_the_failure_page_fails_without_waiting_it_out(
        page: Page, origin: str, http: httpx.Client) -> None:
    """Once the page has settled on the app's failure page, the sign-in is known to have
    failed: the check says so at once, not after its whole timeout."""
    adapter = _adapter(origin, http, me_url="/cb-me",
                       extra='[failure]\ncontact = "help@helpdesk.example"\n'
                             'text = "Sign-in failed"\n')
    page.goto(f"{origin}/cb?code=x")
    started = time.monotonic()
    with expect_timeout(15_000), pytest.raises(AssertionError) as caught:
        adapter.expect_signed_in(page, ALICE, lands_on="/account")
    assert time.monotonic() - started < 8
    assert str(caught.value) == (f"the sign-in did not end at {origin}/account: the app showed "
                                 "its failure page; the app showed /cb with HTTP 502: 'Sign-in "
                                 "failed' / 'Contact help@helpdesk.example'")


def test_a_missing_sign_out_control_is_named(page: Page, origin: str,
                                             http: httpx.Client) -> None:
    page.goto(f"{origin}/account")
    with expect_timeout(300), pytest.raises(AssertionError) as caught:
        _adapter(origin, http).sign_out(page)
    assert str(caught.value) == ("no button or link named [sign_out] control 'Sign out'; the "
                                 "app showed /account with HTTP 200: 'Account' / 'Signed in as "
                                 "Alice Adams'")


def test_an_app_page_instead_of_the_provider_s_sign_in(page: Page, origin: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(flows, "EntraDriver", lambda: EntraDriver(timeout_ms=300))
    page.goto(f"{origin}/login")
    with pytest.raises(AssertionError) as caught:
        flows.up_to_stay_signed_in(page, ALICE.upn, ALICE.password)
    assert str(caught.value) == (
        f"the provider's sign-in page did not appear: the browser shows HTTP 200 at "
        f"{origin}/login ('Welcome to the helpdesk') instead")


def test_an_app_page_instead_of_the_provider_s_error(page: Page, origin: str) -> None:
    page.goto(f"{origin}/login")
    with expect_timeout(300), pytest.raises(AssertionError) as caught:
        expect_provider_error(page, "50011")
    assert str(caught.value) == (
        f"the provider's error page (AADSTS50011) did not appear: the page at {origin}/login "
        "shows, heading 'Welcome to the helpdesk': 'Sign in to continue.'")


def test_a_landing_page_without_the_text_is_no_sign_out_when_the_profiles_page_shows_it(
        browser: Browser, origin: str, http: httpx.Client) -> None:
    """Without ``me_url`` the profile's ``page`` tells whether anyone is signed in: Panel's
    sign-in lands on its index of apps, and only the app's own page shows who it is."""
    text = PROFILE.format(me_url="", selector="#signed-in-as", name_path="name",
                          email_path="email")
    text = text.replace('me_url = ""\n', 'page = "/account"\n').split("[signed_in.me_json]")[0]
    adapter = ProfileAdapter(parse_profile(text + "[sign_out]\ncontrol = \"Sign out\"\n",
                                           path=Path("helpdesk.toml")),
                             cast(AppServer, SimpleNamespace(base_url=origin)), {}, http)
    context = browser.new_context()  # the page in a context of its own, as a run's
    page = context.new_page()
    page.goto(f"{origin}/index")
    with expect_timeout(300), pytest.raises(AssertionError) as caught:
        adapter.expect_signed_in(page, ALICE, lands_on="/index")
    assert isinstance(caught.value, SignedInElsewhere), str(caught.value)
    assert str(caught.value).startswith(f"{origin}/account shows someone signed in; ")
    with pytest.raises(AssertionError, match=f"^{ALICE.upn} is signed in, but not as the "
                                             "profile says"):
        flows.expect_signed_in(page, cast(LiveStack, SimpleNamespace(app=adapter)), ALICE,
                               path="/index")
    context.close()
