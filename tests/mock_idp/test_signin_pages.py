"""The sign-in pages have Entra's structure: username, then password, then "Stay signed in?",
"Pick an account" for several accounts, consent, the error page; each test would fail against
the mock's former one-step form (one page with both fields and a Cancel button)."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest
from asgi_client import AppClient
from idp_testkit import (
    ALICE,
    BOB,
    CAROL,
    CLIENT_ID,
    DOMAIN,
    TENANT,
    auth_params,
    claims,
    consent,
    ctx_of,
    get_code,
    login_action,
    page_kind,
    password,
    paths,
    redirect_params,
    shown_html,
    sign_in,
    submit,
    tokens_for,
)
from starlette.applications import Starlette

from mock_idp.clock import MockClock
from mock_idp.config import AppConfig, IdpConfig, TenantConfig, UserConfig, default_tenant
from mock_idp.endpoints.browser_sessions import KMSI_COOKIE, PERSISTENT_COOKIE, SESSION_COOKIE
from mock_idp.signin import ids

V2 = paths(TENANT, "2.0")["authorize"]
GRAPH = f"/graph/{TENANT}/v1.0"


def _element(html: str, element_id: str) -> str:
    """The start tag of the element with ``element_id``."""
    match = re.search(rf'<[^>]*\bid="{re.escape(element_id)}"[^>]*>', html)
    assert match, f"no element #{element_id} in {html[:800]}"
    return match.group(0)


def _text_of(html: str, element_id: str) -> str:
    match = re.search(rf'id="{re.escape(element_id)}"[^>]*>(.*?)</', html, re.S)
    assert match, f"no #{element_id}"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def _set_cookies(response: httpx.Response) -> dict[str, str]:
    out = {}
    for header in response.headers.get_list("set-cookie"):
        name = header.split("=", 1)[0]
        out[name] = header
    return out


def _password_page(client: AppClient, upn: str = ALICE, **params: str) -> httpx.Response:
    page = client.get(V2, params=auth_params(**params))
    assert page_kind(page) == "username"
    response = submit(client, page, loginfmt=upn)
    assert page_kind(response) == "password", response.text[:500]
    return response


# -- username page -------------------------------------------------------------------------------


def test_the_username_page_asks_only_for_the_username(client: AppClient) -> None:
    html = client.get(V2, params=auth_params()).text
    username = _element(html, ids.USERNAME_INPUT)
    assert f'name="{ids.USERNAME_NAME}"' in username and 'type="email"' in username
    assert ids.OFF_SCREEN not in username
    assert f'<label for="{ids.USERNAME_INPUT}">Email, phone, or Skype</label>' in html
    assert f'placeholder="{ids.USERNAME_PLACEHOLDER}"' in username
    assert f'aria-label="{ids.USERNAME_LABEL}"' in username
    button = _element(html, ids.PRIMARY_BUTTON)
    assert 'type="submit"' in button and 'value="Next"' in button
    assert f'class="{ids.USERNAME_CLASS}"' in username  # Entra's, matched whole by scripts
    assert f'class="{ids.PRIMARY_CLASS}"' in button
    assert _text_of(html, ids.HEADER) == "Sign in"
    assert "Cancel" not in html
    # Entra's password input waits off-screen, hidden from assistive technology (and, until
    # the page's script runs, from a form posted without script).
    passwd = _element(shown_html(html), ids.PASSWORD_INPUT)
    assert f'name="{ids.PASSWORD_NAME}"' in passwd and f'class="{ids.OFF_SCREEN}"' in passwd
    assert 'aria-hidden="true"' in passwd and "disabled" in passwd


def test_next_leads_to_the_password_page_keeping_the_username_off_screen(
        client: AppClient) -> None:
    html = _password_page(client).text
    username = _element(html, ids.USERNAME_INPUT)
    assert ids.OFF_SCREEN in username and f'value="{ALICE}"' in username
    assert 'aria-hidden="true"' in username and 'tabindex="-1"' in username
    passwd = _element(html, ids.PASSWORD_INPUT)
    assert f'name="{ids.PASSWORD_NAME}"' in passwd and 'type="password"' in passwd
    # Entra's accessible name and class (Playwright's codegen, Selenium scripts).
    assert f'aria-label="Enter the password for {ALICE}"' in passwd
    assert f'<label for="{ids.PASSWORD_INPUT}">Password</label>' in html  # seen, not its name
    assert f'class="{ids.PASSWORD_CLASS}"' in passwd and ids.INPUT_CLASS in ids.PASSWORD_CLASS
    assert "aria-hidden" not in passwd
    assert 'value="Sign in"' in _element(html, ids.PRIMARY_BUTTON)
    assert "Forgot my password" in html and _element(html, ids.FORGOT_PASSWORD)
    assert _text_of(html, ids.HEADER) == "Enter password"


def test_the_username_input_is_focused_when_the_page_loads(client: AppClient) -> None:
    """As on Entra, typing right after the page loads fills the username; on the password
    page the username's off-screen copy does not take the focus from the password."""
    assert "autofocus" in _element(client.get(V2, params=auth_params()).text,
                                   ids.USERNAME_INPUT)
    html = _password_page(client).text
    assert "autofocus" not in _element(html, ids.USERNAME_INPUT)
    assert "autofocus" in _element(html, ids.PASSWORD_INPUT)


def test_the_password_view_has_entras_back_arrow(client: AppClient) -> None:
    """Entra's password view has a back arrow ``button#idBtn_Back.backButton`` named "Back"
    before the user's name (Puppeteer scripts for Office 365 wait for ``#idBtn_Back`` once the
    username is answered); the footer's ``#idBtn_Back`` ("Stay signed in?"'s No) sits in a
    ``.row``, which such scripts select it by."""
    assert f'id="{ids.SECONDARY_BUTTON}"' not in shown_html(
        client.get(V2, params=auth_params()).text)
    html = shown_html(_password_page(client).text)
    back = _element(html, ids.SECONDARY_BUTTON)
    assert back.startswith("<button") and 'type="button"' in back
    assert f'class="{ids.BACK_BUTTON_CLASS}"' in back
    assert f'aria-label="{ids.BACK_LABEL}"' in back
    assert html.index(back) < html.index('id="displayName"')
    assert _text_of(html, "displayName") == ALICE
    kmsi = _kmsi_page(client, BOB).text
    assert re.search(rf'<div class="[^"]*\b{ids.BUTTON_ROW}\b[^"]*">\s*<input type="button" '
                     rf'id="{ids.SECONDARY_BUTTON}"', kmsi)


def test_an_unknown_user_is_told_on_the_username_page_50034(client: AppClient) -> None:
    page = client.get(V2, params=auth_params())
    response = submit(client, page, loginfmt="nobody@contoso.onmicrosoft.com")
    assert response.status_code == 200 and page_kind(response) == "username"
    error = _element(response.text, ids.USERNAME_ERROR)
    assert ids.ALERT_ERROR in error and 'role="alert"' in error
    assert "AADSTS50034" in response.text
    assert ids.HAS_ERROR in _element(response.text, ids.USERNAME_INPUT)
    assert 'value="nobody@contoso.onmicrosoft.com"' in response.text
    # Entra's words, which Playwright and Cucumber suites against Entra assert.
    assert _text_of(response.text, ids.USERNAME_ERROR) == (
        "This username may be incorrect. Make sure you typed it correctly. Otherwise, contact "
        "your admin.")
    retry = submit(client, response, loginfmt=ALICE)
    assert page_kind(retry) == "password"


def test_an_empty_username_is_asked_again(client: AppClient) -> None:
    page = client.get(V2, params=auth_params())
    response = submit(client, page, loginfmt="  ")
    assert response.status_code == 200 and _element(response.text, ids.USERNAME_ERROR)
    assert _text_of(response.text, ids.USERNAME_ERROR) == (
        "Enter a valid email address, phone number, or Skype name.")
    # The page's script shows the same words without asking the server.
    assert f'data-empty="{ids.USERNAME_EMPTY}"' in response.text
    assert f'data-not-found="{ids.USERNAME_NOT_FOUND}"' in response.text


def test_a_hint_naming_a_known_user_opens_on_the_password(client: AppClient,
                                                          idp_app: Starlette) -> None:
    # Entra skips the username for a known user's hint (MSAL.js issue 4970): the password view,
    # the username kept off screen, and the username view in a <template> for Back.
    page = client.get(V2, params=auth_params(login_hint=BOB.upper()))
    assert page.status_code == 200 and page_kind(page) == "password", page.text[:300]
    username = _element(page.text, ids.USERNAME_INPUT)
    assert ids.OFF_SCREEN in username and f'value="{BOB}"' in username
    assert f'aria-label="{ids.PASSWORD_LABEL}{BOB}"' in _element(page.text, ids.PASSWORD_INPUT)
    assert '<template id="usernameView">' in page.text
    assert page_kind(submit(client, page, loginfmt=BOB, passwd=password(BOB))) == "kmsi"
    # By object id (the mock's own reading of a hint): the username page, Bob's UPN typed.
    bob = idp_app.state.idp.store.tenants[TENANT].find_user(BOB)
    by_id = client.get(V2, params=auth_params(login_hint=bob.id, prompt="login"))
    assert page_kind(by_id) == "username" and f'value="{BOB}"' in by_id.text


def test_a_hint_naming_no_known_user_is_typed_in_the_username(client: AppClient) -> None:
    page = client.get(V2, params=auth_params(login_hint="nobody@contoso.onmicrosoft.com"))
    assert page_kind(page) == "username"
    assert 'value="nobody@contoso.onmicrosoft.com"' in _element(page.text, ids.USERNAME_INPUT)


# -- GetCredentialType: Next asks it, and the page swaps in the password ------------------------

LOOKUP = "/common/GetCredentialType"
FABRIKAM = TenantConfig(id="0c9d8e7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f",
                        domain="fabrikam.onmicrosoft.com", name="Fabrikam",
                        users=(UserConfig(upn="zed@fabrikam.onmicrosoft.com", name="Zed",
                                          password="Zed-pass-1"),))


def test_get_credential_type_tells_whether_the_user_exists(client: AppClient) -> None:
    known = client.post(LOOKUP, json={"username": ALICE, "isOtherIdpSupported": True,
                                      "checkPhones": False})
    assert known.status_code == 200 and known.headers["cache-control"] == "no-store"
    # Scripts match the compact text, the member after it included.
    assert '"IfExistsResult":0,' in known.text and '"ThrottleStatus":0,' in known.text
    answer = known.json()
    assert answer["Username"] == ALICE and answer["Display"] == ALICE
    assert answer["Credentials"]["PrefCredential"] == 1
    assert answer["EstsProperties"]["DomainType"] == 3
    # As scripts post it: "Username", and no JSON content type.
    unknown = client.post(LOOKUP, content=b'{"Username":"nobody@contoso.onmicrosoft.com"}')
    assert unknown.status_code == 200 and '"IfExistsResult":1,' in unknown.text
    assert client.post(LOOKUP, json={"username": f" {ALICE.upper()} "}).json()[
        "IfExistsResult"] == 0


@pytest.mark.idp_config(IdpConfig(tenants=(default_tenant(), FABRIKAM)))
def test_a_user_of_another_tenant_is_asked_for_a_password_then_refused_50020(
        client: AppClient) -> None:
    # Entra finds the account wherever it lives; the app's tenant does not know it, which
    # the user learns after the password, on the error page (never back at the app).
    page = client.get(V2, params=auth_params())
    ctx = ctx_of(page.text)
    zed = FABRIKAM.users[0].upn
    for body in ({"username": zed, "originalRequest": ctx}, {"username": zed}):
        assert client.post(LOOKUP, json=body).json()["IfExistsResult"] == 0
    asked = submit(client, page, loginfmt=zed)
    assert page_kind(asked) == "password"
    wrong = submit(client, asked, loginfmt=zed, passwd="not-it")  # as for anyone: 50126
    assert page_kind(wrong) == "password" and "AADSTS50126" in html.unescape(wrong.text)
    refused = submit(client, wrong, loginfmt=zed, passwd="Zed-pass-1")
    assert refused.status_code == 400 and "location" not in refused.headers
    text = html.unescape(refused.text)
    assert (f"AADSTS50020: User account '{zed}' from identity provider "
            f"'https://sts.windows.net/{FABRIKAM.id}/' does not exist in tenant "
            f"'{default_tenant().name}' and cannot access the application "
            f"'{CLIENT_ID}'(Reference relying party) in that tenant.") in text
    # Contoso's own users sign in as before.
    page = client.get(V2, params=auth_params())
    assert page_kind(submit(client, page, loginfmt=ALICE, passwd=password(ALICE))) == "kmsi"


@pytest.mark.parametrize(("body", "field", "status"), [
    (b"not json", "body", 400),
    (b"", "body", 400),
    (b'["a"]', "body", 400),
    (b"{}", "username", 400),
    (b'{"Username": 5}', "Username", 400),
    (b'{"username": "   "}', "username", 400),
    (b'{"username": "' + b"a" * 300 + b'"}', "username", 400),
    (b'{"username": "a@b.c", "originalRequest": ["x"]}', "originalRequest", 400),
    (b'{"username": "\\ud800"}', "username", 400),
    (b'{"a":' * 40 + b"1" + b"}" * 40, "a" + ".a" * 31, 400),
    (b'{"username": "' + b"a" * 20_000 + b'"}', "body", 413),
])
def test_get_credential_type_refusals_name_the_field(client: AppClient, body: bytes, field: str,
                                                     status: int) -> None:
    response = client.post(LOOKUP, content=body, headers={"content-type": "application/json"})
    assert response.status_code == status, response.text
    assert response.json()["error"]["field"] == field


def test_the_username_page_carries_the_password_view_for_after_next(client: AppClient) -> None:
    html = client.get(V2, params=auth_params()).text
    form = _element(html, "credentials")
    assert f'data-lookup="{LOOKUP}"' in form
    view = re.search(r'<template id="passwordView">(.*?)</template>', html, re.S)
    assert view, html[:800]
    assert f'id="{ids.PASSWORD_INPUT}"' in view.group(1)
    assert f'id="{ids.FORGOT_PASSWORD}"' in view.group(1)
    assert _text_of(view.group(1), ids.HEADER) == "Enter password"


# -- password page --------------------------------------------------------------------------------


def test_a_wrong_password_shows_entras_message_and_allows_a_retry(client: AppClient) -> None:
    page = _password_page(client)
    response = submit(client, page, loginfmt=ALICE, passwd="not-the-password")
    assert response.status_code == 200 and page_kind(response) == "password"
    assert _text_of(response.text, ids.PASSWORD_ERROR) == ids.PASSWORD_INCORRECT
    assert "AADSTS50126" in response.text
    assert ids.OFF_SCREEN in _element(response.text, ids.USERNAME_INPUT)
    assert "code" in redirect_params(sign_in(client, response, ALICE))


def test_an_unknown_user_posting_a_password_at_once_is_50126(client: AppClient) -> None:
    page = client.get(V2, params=auth_params())
    response = submit(client, page, loginfmt="nobody@contoso.onmicrosoft.com", passwd="x")
    assert response.status_code == 200 and "AADSTS50126" in response.text


def test_username_and_password_in_one_post_still_work(client: AppClient) -> None:
    page = client.get(V2, params=auth_params())
    kmsi = submit(client, page, loginfmt=ALICE, passwd=password(ALICE))
    assert page_kind(kmsi) == "kmsi"


def test_a_disabled_account_gets_the_error_page_50057(client: AppClient) -> None:
    page = _password_page(client, CAROL)
    response = submit(client, page, loginfmt=CAROL, passwd=password(CAROL))
    assert response.status_code == 400 and "location" not in response.headers
    assert ids.ERROR_MESSAGE in response.text
    message = _text_of(response.text, ids.SERVICE_EXCEPTION)
    assert message.startswith("AADSTS50057: ") and "disabled" in message


def test_the_error_page_names_request_correlation_timestamp_and_message(
        client: AppClient) -> None:
    response = client.get(V2, params=auth_params(redirect_uri="https://evil.example/cb"),
                          headers={"client-request-id": "5fd4118f-0000-4000-8000-000000000001"})
    html = response.text
    # Entra's: the heading "Sign in", then "Sorry, but we’re …" (a typographic apostrophe) as a
    # paragraph, and an ISO 8601 timestamp (a public Playwright snapshot of Entra's page).
    assert f'<h1 id="{ids.HEADER}">Sign in</h1>' in html
    assert "<p id=\"errorMessage\">Sorry, but we’re having trouble signing you in.</p>" in html
    text = re.sub(r"<[^>]+>", " ", html)
    assert re.search(r"Request Id:\s+" + re.escape(response.headers["x-ms-request-id"]), text)
    assert re.search(r"Correlation Id:\s+5fd4118f-0000-4000-8000-000000000001", text)
    assert re.search(r"Timestamp:\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", text)
    assert re.search(r"Message:\s+AADSTS50011: ", text)
    assert _text_of(html, ids.SERVICE_EXCEPTION).startswith("AADSTS50011: The redirect URI")


@pytest.mark.parametrize("path", [f"/{TENANT}/login", "/common/login", "/kmsi",
                                  "/common/SAS/ProcessAuth", "/common/ChangePassword"])
@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_a_form_address_opened_without_a_post_is_entras_error_page_900561(
        client: AppClient, path: str, method: str) -> None:
    """A reload of a page a form's post answered (the page's script made its history entry a
    GET), or Back then Forward onto it: Entra's error page, not the API's JSON 405."""
    response = client.request(method, path)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert _page_id(response) == ids.PAGE_ERROR and ids.ERROR_MESSAGE in response.text
    assert _text_of(response.text, ids.SERVICE_EXCEPTION) == (
        f"AADSTS900561: The endpoint only accepts POST requests. Received a {method} request.")


def test_reloading_a_wrong_password_page_is_the_error_page_900561(client: AppClient) -> None:
    page = _password_page(client)
    wrong = submit(client, page, loginfmt=ALICE, passwd="not-the-password")
    reloaded = client.get(login_action(wrong.text))
    assert reloaded.status_code == 400 and _page_id(reloaded) == ids.PAGE_ERROR
    assert "AADSTS900561" in _text_of(reloaded.text, ids.SERVICE_EXCEPTION)


def _page_id(response: httpx.Response) -> str | None:
    found = re.findall(rf'<meta name="{ids.PAGE_ID_META}" content="([^"]*)">', response.text)
    assert len(found) <= 1
    return found[0] if found else None


def test_each_page_names_itself_as_entras_do(client: AppClient) -> None:
    """Login scripts tell Entra's pages apart by ``<meta name="PageID">``."""
    username = client.get(V2, params=auth_params())
    password_page = submit(client, username, loginfmt=ALICE)
    wrong = submit(client, password_page, loginfmt=ALICE, passwd="not it")
    kmsi = submit(client, wrong, loginfmt=ALICE, passwd=password(ALICE))
    assert [page_kind(p) for p in (username, password_page, wrong, kmsi)] == [
        "username", "password", "password", "kmsi"]
    assert [_page_id(p) for p in (username, password_page, wrong, kmsi)] == [
        ids.PAGE_SIGN_IN, ids.PAGE_SIGN_IN, ids.PAGE_SIGN_IN, ids.PAGE_KMSI]
    submit(client, kmsi, answer="No")
    get_code(client, upn=BOB, prompt="login")
    picker = client.get(V2, params=auth_params(prompt="select_account"))
    assert page_kind(picker) == "picker" and _page_id(picker) == ids.PAGE_SIGN_IN
    error = client.get(V2, params=auth_params(redirect_uri="https://evil.example/cb"))
    assert _page_id(error) == ids.PAGE_ERROR
    sign_out_picker = client.get(f"/{TENANT}/oauth2/v2.0/logout")
    assert page_kind(sign_out_picker) == "picker" and _page_id(sign_out_picker) is None


def test_a_page_context_is_single_use(client: AppClient) -> None:
    page = client.get(V2, params=auth_params())
    submit(client, page, loginfmt=ALICE)
    replay = client.post(f"/{TENANT}/login", data={"ctx": ctx_of(page.text),
                                                   "loginfmt": ALICE})
    assert replay.status_code == 400 and "AADSTS9002313" in replay.text


def test_forgot_my_password_leads_to_a_page(client: AppClient) -> None:
    page = _password_page(client)
    href = re.search(r'id="idA_PWD_ForgotPassword" href="([^"]+)"', page.text)
    assert href
    answer = client.get(href.group(1))
    assert answer.status_code == 200 and "passwordProfile" in answer.text


@pytest.mark.parametrize(("segment", "status", "shown"), [
    (DOMAIN, 200, "passwordProfile"),
    ("common", 200, "passwordProfile"),
    ("nowhere.onmicrosoft.com", 400, "AADSTS90002"),
    ("00000000-0000-0000-0000-0000000000aa", 400, "AADSTS90002"),
    ("not a tenant", 400, "AADSTS900023"),
])
def test_the_password_reset_page_of_an_unknown_tenant_is_entras_error_page(
        client: AppClient, segment: str, status: int, shown: str) -> None:
    answer = client.get(f"/{segment}/passwordreset")
    assert answer.status_code == status and shown in answer.text, answer.text[:300]


# -- "Stay signed in?" ----------------------------------------------------------------------------


def _kmsi_page(client: AppClient, upn: str = ALICE, **params: str) -> httpx.Response:
    page = _password_page(client, upn, **params)
    response = submit(client, page, loginfmt=upn, passwd=password(upn))
    assert page_kind(response) == "kmsi", response.text[:500]
    return response


def test_stay_signed_in_is_asked_after_the_password(client: AppClient) -> None:
    html = _kmsi_page(client).text
    assert _text_of(html, ids.HEADER) == ids.KMSI_HEADING
    # Entra's words, on which a public Selenium script waits.
    assert _text_of(html, ids.KMSI_DESCRIPTION) == (
        "Do this to reduce the number of times you are asked to sign in.")
    checkbox = _element(html, ids.KMSI_CHECKBOX)
    assert f'name="{ids.KMSI_CHECKBOX_NAME}"' in checkbox and 'type="checkbox"' in checkbox
    assert f'<label for="{ids.KMSI_CHECKBOX}">' in html
    assert 'value="Yes"' in _element(html, ids.PRIMARY_BUTTON)
    assert 'value="No"' in _element(html, ids.SECONDARY_BUTTON)


def test_yes_sets_a_persistent_session_cookie(client: AppClient) -> None:
    response = submit(client, _kmsi_page(client), answer="Yes")
    assert "code" in redirect_params(response)
    cookies = _set_cookies(response)
    # The persistent window, 90 days (:mod:`mock_idp.signin.session_window`).
    assert re.search(r"Max-Age=7776000\b", cookies[PERSISTENT_COOKIE], re.I)
    assert client.cookies.get(PERSISTENT_COOKIE) and not client.cookies.get(SESSION_COOKIE)


def test_no_sets_a_browser_session_cookie(client: AppClient) -> None:
    response = submit(client, _kmsi_page(client), answer="No")
    assert "code" in redirect_params(response)
    cookie = _set_cookies(response)[SESSION_COOKIE]
    assert "max-age" not in cookie.lower() and "expires" not in cookie.lower()
    assert client.cookies.get(SESSION_COOKIE) and not client.cookies.get(PERSISTENT_COOKIE)
    assert client.get(V2, params=auth_params(state="again")).status_code == 302


def test_dont_show_again_keeps_the_answer_for_the_next_sign_in(client: AppClient) -> None:
    response = submit(client, _kmsi_page(client), answer="Yes", DontShowAgain="true")
    assert client.cookies.get(KMSI_COOKIE) == "yes" and "code" in redirect_params(response)
    page = _password_page(client, BOB, prompt="login")
    answer = submit(client, page, loginfmt=BOB, passwd=password(BOB))
    assert "code" in redirect_params(answer)
    assert PERSISTENT_COOKIE in _set_cookies(answer)


def test_a_missing_answer_to_stay_signed_in_is_refused(client: AppClient) -> None:
    response = submit(client, _kmsi_page(client), answer="Maybe")
    assert response.status_code == 400 and "AADSTS900144" in response.text


@pytest.mark.idp_config(IdpConfig(tenants=(replace(default_tenant(),
                                                   show_keep_me_signed_in=False),)))
def test_a_tenant_can_turn_stay_signed_in_off(client: AppClient) -> None:
    page = _password_page(client)
    response = submit(client, page, loginfmt=ALICE, passwd=password(ALICE))
    assert "code" in redirect_params(response)
    assert "max-age" not in _set_cookies(response)[SESSION_COOKIE].lower()


def test_the_test_control_api_turns_stay_signed_in_off_and_on(client: AppClient) -> None:
    off = client.patch(f"/_mock/tenants/{DOMAIN}", json={"show_keep_me_signed_in": False})
    assert off.status_code == 200 and off.json()["show_keep_me_signed_in"] is False
    page = _password_page(client)
    assert "code" in redirect_params(submit(client, page, loginfmt=ALICE,
                                            passwd=password(ALICE)))
    client.patch(f"/_mock/tenants/{TENANT}", json={"show_keep_me_signed_in": True})
    _kmsi_page(client, BOB, prompt="login")


@pytest.mark.parametrize("body, field", [({"show_keep_me_signed_in": "no"},
                                          "show_keep_me_signed_in"), ({"other": 1}, "other")])
def test_tenant_settings_are_validated(client: AppClient, body: dict[str, object],
                                       field: str) -> None:
    response = client.patch(f"/_mock/tenants/{TENANT}", json=body)
    assert response.status_code == 400 and response.json()["error"]["field"] == field
    missing = client.patch("/_mock/tenants/nowhere.example", json={})
    assert missing.status_code == 404


# -- several accounts: "Pick an account" -----------------------------------------------------------


def _two_accounts(client: AppClient) -> None:
    get_code(client, upn=ALICE)
    get_code(client, upn=BOB, prompt="login")


def test_with_two_accounts_signed_in_the_user_picks_one(client: AppClient) -> None:
    _two_accounts(client)
    page = client.get(V2, params=auth_params())
    assert page_kind(page) == "picker"
    assert _text_of(page.text, ids.HEADER) == ids.PICKER_HEADING
    tiles = re.findall(rf'{ids.TILE_ATTRIBUTE}="([^"]+)"', page.text)
    assert tiles == [BOB, ALICE]
    assert ids.USE_ANOTHER_ACCOUNT in page.text and _element(page.text, ids.OTHER_TILE)
    alice = client.get(f"{GRAPH}/users/{ALICE}").json()["id"]
    values = redirect_params(submit(client, page, account=alice))
    assert _id_token_user(client, values) == ALICE


def test_a_tile_names_its_account_lowercased_as_entras_do(client: AppClient) -> None:
    """Entra's tile carries the address lowercased in ``data-test-id`` (scripts select
    ``[data-test-id="${email.toLowerCase()}"]``), on both pickers; it shows it as it is."""
    upn = f"Bob.Brown@{DOMAIN}"
    renamed = client.patch(f"{GRAPH}/users/{BOB}", json={"userPrincipalName": upn})
    assert renamed.status_code == 204, renamed.text
    get_code(client, upn=ALICE)
    page = client.get(V2, params=auth_params(prompt="login"))
    assert "code" in redirect_params(sign_in(client, page, upn, password(BOB)))
    for picker in (client.get(V2, params=auth_params()),
                   client.get(f"/{TENANT}/oauth2/v2.0/logout")):
        assert page_kind(picker) == "picker"
        assert re.findall(rf'{ids.TILE_ATTRIBUTE}="([^"]+)"', picker.text) == [upn.lower(),
                                                                               ALICE]
        assert f'<div class="tile-upn">{upn}</div>' in picker.text
        assert re.search(rf'aria-label="(Sign in with|Sign out) {re.escape(upn)}"', picker.text)


def test_an_old_session_asks_only_for_its_password(client: AppClient, clock: MockClock
                                                  ) -> None:
    """``max_age`` older than the session: the password of the remembered account, not the
    username (MicrosoftDocs/azure-docs#51307), also after its tile is picked."""
    get_code(client, upn=ALICE)
    clock.advance(timedelta(minutes=1))
    again = client.get(V2, params=auth_params(max_age="0"))
    assert page_kind(again) == "password" and _text_of(again.text, "displayName") == ALICE
    picker = client.get(V2, params=auth_params(prompt="select_account", max_age="0"))
    assert page_kind(picker) == "picker"
    alice = client.get(f"{GRAPH}/users/{ALICE}").json()["id"]
    picked = submit(client, picker, account=alice)
    assert page_kind(picked) == "password" and _text_of(picked.text, "displayName") == ALICE
    assert "code" in redirect_params(sign_in(client, picked, ALICE))
    assert page_kind(client.get(V2, params=auth_params(prompt="login", max_age="0"))) == (
        "username")


def test_use_another_account_leads_to_the_username_page(client: AppClient) -> None:
    _two_accounts(client)
    page = client.get(V2, params=auth_params())
    other = submit(client, page, account="other")
    assert page_kind(other) == "username"


def test_select_account_shows_the_picker_for_one_account(client: AppClient) -> None:
    get_code(client)
    page = client.get(V2, params=auth_params(prompt="select_account"))
    assert page_kind(page) == "picker"
    assert re.findall(rf'{ids.TILE_ATTRIBUTE}="([^"]+)"', page.text) == [ALICE]
    alice = client.get(f"{GRAPH}/users/{ALICE}").json()["id"]
    assert "code" in redirect_params(submit(client, page, account=alice))


def test_select_account_with_a_login_hint_shows_the_picker(client: AppClient) -> None:
    # MSAL.NET's interactive sign-in sends both by default; Entra shows the picker.
    get_code(client)
    page = client.get(V2, params=auth_params(prompt="select_account", login_hint=BOB))
    assert page_kind(page) == "picker"
    other = submit(client, page, account="other")
    assert page_kind(other) == "username" and f'value="{BOB}"' in other.text
    fresh = AppClient(client.app)  # no session: Bob's password (Entra skips the username)
    first = fresh.get(V2, params=auth_params(prompt="select_account", login_hint=BOB))
    assert page_kind(first) == "password" and f'value="{BOB}"' in first.text


def test_prompt_none_with_two_accounts_is_16000(client: AppClient) -> None:
    _two_accounts(client)
    values = redirect_params(client.get(V2, params=auth_params(prompt="none")))
    assert values["error"] == "interaction_required"
    assert values["error_description"].startswith(
        "AADSTS16000: Either multiple user identities are available for the current request or "
        "selected account is not supported for the scenario.")


def test_a_login_hint_picks_among_the_accounts_silently(client: AppClient) -> None:
    _two_accounts(client)
    assert client.get(V2, params=auth_params(login_hint=ALICE)).status_code == 302


def test_silent_sso_names_the_account_by_sid_or_by_the_login_hint_claim(
        client: AppClient) -> None:
    # MSAL's silent SSO sends the id token's sid, or its login_hint claim's value, instead of a
    # username ("Single sign-on with MSAL.js"); with two accounts either picks one, silently.
    client.patch(f"/graph/{TENANT}/v1.0/applications(appId='{CLIENT_ID}')",
                 json={"optionalClaims": {"idToken": [{"name": "login_hint"}]}})
    alice = claims(tokens_for(client, upn=ALICE)["id_token"])
    tokens_for(client, upn=BOB, prompt="login")
    for named in ({"sid": alice["sid"]}, {"login_hint": alice["login_hint"]}):
        values = redirect_params(client.get(V2, params={**auth_params(prompt="none"), **named}))
        assert "code" in values, (named, values)
        assert _id_token_user(client, values) == ALICE
    gone = redirect_params(client.get(V2, params={**auth_params(prompt="none"),
                                                  "sid": "00000000-0000-0000-0000-000000000000"}))
    assert gone["error_description"].startswith("AADSTS50058: ")


def test_a_sid_posted_to_authorize_names_the_account_too(client: AppClient) -> None:
    alice = claims(tokens_for(client, upn=ALICE)["id_token"])
    tokens_for(client, upn=BOB, prompt="login")
    answer = client.post(V2, data={**auth_params(prompt="none"), "sid": alice["sid"]})
    values = redirect_params(answer)
    assert "code" in values and _id_token_user(client, values) == ALICE


def test_prompt_none_for_a_hint_no_one_signed_in_matches_says_so(client: AppClient) -> None:
    get_code(client)  # Alice is signed in; Bob is asked for
    values = redirect_params(client.get(V2, params=auth_params(prompt="none", login_hint=BOB)))
    assert values["error"] == "login_required"
    assert values["error_description"].startswith(
        "AADSTS50058: A silent sign-in request was sent but none of the currently signed in "
        "user(s) match the requested login hint.")
    fresh = AppClient(client.app, follow_redirects=False)  # no one signed in: the usual words
    alone = redirect_params(fresh.get(V2, params=auth_params(prompt="none", login_hint=BOB)))
    assert alone["error_description"].startswith(
        "AADSTS50058: A silent sign-in request was sent but no user is signed in.")


# -- consent --------------------------------------------------------------------------------------


def _assignment_not_required(client: AppClient) -> None:
    """Users may consent to the reference RP's app for themselves only once it admits everyone:
    an app that requires assignment needs an administrator's consent (Entra's "Configure how
    users consent to applications")."""
    changed = client.patch(f"{GRAPH}/servicePrincipals(appId='{CLIENT_ID}')",
                           json={"appRoleAssignmentRequired": False})
    assert changed.status_code == 204


def _revoke_consent(client: AppClient, *, users_may_consent: bool = True) -> None:
    if users_may_consent:
        _assignment_not_required(client)
    principal = client.get(f"{GRAPH}/servicePrincipals(appId='{CLIENT_ID}')").json()
    grants = client.get(f"{GRAPH}/oauth2PermissionGrants",
                        params={"$filter": f"clientId eq '{principal['id']}'"}).json()["value"]
    assert [g["consentType"] for g in grants] == ["AllPrincipals"]
    for grant in grants:
        assert client.delete(f"{GRAPH}/oauth2PermissionGrants/{grant['id']}").status_code == 204


def test_an_app_without_consent_asks_for_it_after_the_sign_in(client: AppClient) -> None:
    _revoke_consent(client)
    page = sign_in(client, client.get(V2, params=auth_params()))
    assert page_kind(page) == "consent"
    assert _text_of(page.text, ids.HEADER) == ids.CONSENT_HEADING
    assert 'value="Accept"' in _element(page.text, ids.PRIMARY_BUTTON)
    assert 'value="Cancel"' in _element(page.text, ids.SECONDARY_BUTTON)
    assert "code" in redirect_params(consent(client, page))
    grants = client.get(f"{GRAPH}/oauth2PermissionGrants").json()["value"]
    alice = client.get(f"{GRAPH}/users/{ALICE}").json()["id"]
    assert [(g["consentType"], g["principalId"]) for g in grants] == [("Principal", alice)]
    assert client.get(V2, params=auth_params(state="again")).status_code == 302


ORDERS_ID = "5d2b8f1e-6a4c-4e3b-9f7d-1a2c3e4b5d6f"


@pytest.mark.idp_config(IdpConfig(tenants=(replace(default_tenant(), apps=(
    *default_tenant().apps, AppConfig(client_id=ORDERS_ID, name="Orders API",
                                      identifier_uris=("api://orders",)))),)))
def test_consent_is_recorded_for_each_resource_asked(client: AppClient) -> None:
    _revoke_consent(client)
    scope = "openid offline_access User.Read api://orders/Orders.Read"
    page = sign_in(client, client.get(V2, params=auth_params(scope=scope)))
    assert "code" in redirect_params(consent(client, page))
    principals = {client.get(f"{GRAPH}/servicePrincipals(appId='{app_id}')").json()["id"]: name
                  for app_id, name in (("00000003-0000-0000-c000-000000000000", "graph"),
                                       (ORDERS_ID, "orders"))}
    grants = client.get(f"{GRAPH}/oauth2PermissionGrants").json()["value"]
    assert {principals[g["resourceId"]]: g["scope"] for g in grants} == {
        "graph": "openid offline_access User.Read", "orders": "Orders.Read"}


def test_a_permission_asked_later_asks_for_consent_again(client: AppClient) -> None:
    # Incremental consent: the user consented to the sign-in's permissions; a later sign-in
    # asking for more shows the consent page again, and prompt=none is consent_required.
    _revoke_consent(client)
    first = "openid profile offline_access User.Read"
    page = sign_in(client, client.get(V2, params=auth_params(scope=first)))
    assert "code" in redirect_params(consent(client, page))
    assert "code" in redirect_params(client.get(V2, params=auth_params(scope=first)))
    more = f"{first} Mail.Read"
    silent = redirect_params(client.get(V2, params=auth_params(scope=more, prompt="none")))
    assert silent["error"] == "consent_required"
    assert silent["error_description"].startswith("AADSTS65001: ")
    page = client.get(V2, params=auth_params(scope=more))
    assert page_kind(page) == "consent"
    assert "code" in redirect_params(consent(client, page))
    grants = client.get(f"{GRAPH}/oauth2PermissionGrants").json()["value"]
    assert [g["scope"] for g in grants] == [f"{first} Mail.Read"]
    assert "code" in redirect_params(client.get(V2, params=auth_params(scope=more,
                                                                        prompt="none")))
    # Permission names match in any case, as Entra's do.
    assert "code" in redirect_params(client.get(V2, params=auth_params(
        scope="openid mail.read user.read", prompt="none")))


def test_cancel_on_consent_is_access_denied_65004(client: AppClient) -> None:
    _revoke_consent(client)
    page = sign_in(client, client.get(V2, params=auth_params()))
    values = redirect_params(consent(client, page, "Cancel"))
    assert values["error"] == "access_denied"
    assert values["error_description"].startswith(
        "AADSTS65004: User declined to consent to access the app.")
    assert values["state"] == "st-1"


@pytest.mark.parametrize("way_out", ["Cancel", ids.RETURN_ANSWER])
def test_a_cancel_on_a_page_says_error_subcode_cancel(client: AppClient, way_out: str) -> None:
    # Entra: error=access_denied&error_subcode=cancel&error_description=AADSTS65004…; MSAL.NET's
    # AuthorizationResult.FromUri reads error_subcode=cancel as the user's cancel. The same for
    # "Return to the application without granting consent" on "Need admin approval".
    _revoke_consent(client, users_may_consent=way_out == "Cancel")
    page = sign_in(client, client.get(V2, params=auth_params()))
    values = redirect_params(submit(client, page, answer=way_out))
    assert (values["error"], values.get("error_subcode")) == ("access_denied", "cancel")
    assert list(values)[:3] == ["error", "error_subcode", "error_description"]


def test_prompt_none_without_consent_is_65001(client: AppClient) -> None:
    get_code(client)
    _revoke_consent(client)
    values = redirect_params(client.get(V2, params=auth_params(prompt="none")))
    assert values["error"] == "consent_required"
    assert values["error_description"].startswith("AADSTS65001: ")
    assert CLIENT_ID in values["error_description"]


def test_an_app_that_requires_assignment_needs_an_administrators_consent(
        client: AppClient) -> None:
    _revoke_consent(client, users_may_consent=False)
    page = sign_in(client, client.get(V2, params=auth_params()))
    assert page_kind(page) == "need_admin" and "AADSTS90094" in page.text
    assert page_kind(client.get(V2, params=auth_params(prompt="consent"))) == "need_admin"


def test_prompt_consent_asks_even_when_consented(client: AppClient) -> None:
    _assignment_not_required(client)
    get_code(client)
    page = client.get(V2, params=auth_params(prompt="consent"))
    assert page_kind(page) == "consent"
    assert "code" in redirect_params(consent(client, page))
    assert len(client.get(f"{GRAPH}/oauth2PermissionGrants").json()["value"]) == 1


@pytest.mark.idp_config(IdpConfig(tenants=(replace(default_tenant(), apps=(
    replace(default_tenant().apps[0], admin_consented=False, assignment_required=False),)),)))
def test_an_app_configured_without_admin_consent_asks_each_user(client: AppClient) -> None:
    assert client.get(f"{GRAPH}/oauth2PermissionGrants").json()["value"] == []
    page = sign_in(client, client.get(V2, params=auth_params()))
    assert page_kind(page) == "consent"


def test_graph_grants_an_administrators_consent_back(client: AppClient) -> None:
    _revoke_consent(client)
    app = client.get(f"{GRAPH}/servicePrincipals(appId='{CLIENT_ID}')").json()
    graph = client.get(f"{GRAPH}/servicePrincipals(appId='00000003-0000-0000-c000-"
                       "000000000000')").json()
    created = client.post(f"{GRAPH}/oauth2PermissionGrants", json={
        "clientId": app["id"], "consentType": "AllPrincipals", "resourceId": graph["id"],
        "scope": "openid profile User.Read"})
    assert created.status_code == 201, created.text
    assert created.json()["principalId"] is None
    assert client.get(f"{GRAPH}/oauth2PermissionGrants/{created.json()['id']}").status_code == 200
    assert "code" in redirect_params(sign_in(client, client.get(V2, params=auth_params())))


@pytest.mark.parametrize("patch, field", [
    ({"clientId": "not-a-guid"}, "clientId"),
    ({"clientId": "11111111-2222-3333-4444-555555555555"}, "clientId"),
    ({"consentType": "Everyone"}, "consentType"),
    ({"consentType": "Principal"}, "principalId"),
    ({"principalId": "11111111-2222-3333-4444-555555555555"}, "principalId"),
    ({"resourceId": "11111111-2222-3333-4444-555555555555"}, "resourceId"),
    ({"scope": 7}, "scope"),
    ({"extra": True}, "extra"),
])
def test_graph_grant_requests_are_validated(client: AppClient, patch: dict[str, object],
                                            field: str) -> None:
    app = client.get(f"{GRAPH}/servicePrincipals(appId='{CLIENT_ID}')").json()
    graph = client.get(f"{GRAPH}/servicePrincipals(appId='00000003-0000-0000-c000-"
                       "000000000000')").json()
    body = {"clientId": app["id"], "consentType": "AllPrincipals", "resourceId": graph["id"],
            **patch}
    response = client.post(f"{GRAPH}/oauth2PermissionGrants", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["target"] == field
    assert len(client.get(f"{GRAPH}/oauth2PermissionGrants").json()["value"]) == 1


def test_an_app_registered_through_graph_starts_consented(client: AppClient) -> None:
    created = client.post(f"{GRAPH}/applications", json={"displayName": "New app"}).json()
    principal = client.get(f"{GRAPH}/servicePrincipals(appId='{created['appId']}')").json()
    assert principal["displayName"] == "New app"
    listed = client.get(f"{GRAPH}/oauth2PermissionGrants",
                        params={"$filter": f"clientId eq '{principal['id']}'"}).json()["value"]
    assert [g["consentType"] for g in listed] == ["AllPrincipals"]
    assert client.delete(f"{GRAPH}/applications(appId='{created['appId']}')").status_code == 204
    assert client.get(f"{GRAPH}/oauth2PermissionGrants",
                      params={"$filter": f"clientId eq '{principal['id']}'"}).json()["value"] == []


def test_unknown_service_principals_and_grants_are_404(client: AppClient) -> None:
    assert client.get(f"{GRAPH}/servicePrincipals(appId='11111111-2222-3333-4444-"
                      "555555555555')").status_code == 404
    assert client.delete(f"{GRAPH}/oauth2PermissionGrants/nope").status_code == 404


# -- sign-out ---------------------------------------------------------------------------------


def _id_token_user(client: AppClient, values: dict[str, str]) -> str:
    import jwt

    token = client.post(paths(TENANT, "2.0")["token"], data={
        "grant_type": "authorization_code", "client_id": CLIENT_ID,
        "client_secret": "rp7Q~Reference.Relying.Party.Secret-Value01", "code": values["code"],
        "redirect_uri": auth_params()["redirect_uri"]}).json()
    upn: str = jwt.decode(token["id_token"], options={"verify_signature": False})[
        "preferred_username"]
    return upn


def test_signing_out_with_two_accounts_asks_which_one(client: AppClient) -> None:
    _two_accounts(client)
    logout = f"/{TENANT}/oauth2/v2.0/logout"
    page = client.get(logout)
    assert page.status_code == 200 and page_kind(page) == "picker"
    assert _text_of(page.text, ids.HEADER) == ids.PICKER_HEADING
    assert "Which account do you want to sign out of?" in page.text
    assert re.findall(rf'{ids.TILE_ATTRIBUTE}="([^"]+)"', page.text) == [BOB, ALICE]
    assert f'id="{ids.OTHER_TILE}"' not in page.text
    alice = client.get(f"{GRAPH}/users/{ALICE}").json()["id"]
    done = client.post(logout, data={"ctx": ctx_of(page.text), "account": alice})
    assert done.status_code == 200 and ids.SIGNED_OUT_HEADING in done.text
    values = redirect_params(client.get(V2, params=auth_params(prompt="none")))
    assert _id_token_user(client, values) == BOB  # the other account is still signed in
    again = client.get(V2, params=auth_params(login_hint=ALICE))
    assert page_kind(again) == "password"


def test_a_logout_hint_names_the_account_without_asking(client: AppClient) -> None:
    import base64

    _two_accounts(client)
    alice = client.get(f"{GRAPH}/users/{ALICE}").json()["id"]
    hint = base64.urlsafe_b64encode(f"O.{alice}.{TENANT}".encode()).decode().rstrip("=")
    done = client.get(f"/{TENANT}/oauth2/v2.0/logout", params={"logout_hint": hint})
    assert ids.SIGNED_OUT_HEADING in done.text
    values = redirect_params(client.get(V2, params=auth_params(prompt="none")))
    assert _id_token_user(client, values) == BOB


def test_a_stale_sign_out_picker_is_refused(client: AppClient) -> None:
    _two_accounts(client)
    page = client.get(f"/{TENANT}/oauth2/v2.0/logout")
    client.post(f"/{TENANT}/oauth2/v2.0/logout", data={"ctx": ctx_of(page.text),
                                                       "account": "other"})
    replay = client.post(f"/{TENANT}/oauth2/v2.0/logout", data={"ctx": ctx_of(page.text),
                                                                "account": "x"})
    assert replay.status_code == 400 and "AADSTS9002313" in replay.text
