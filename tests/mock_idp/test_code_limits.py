"""What stands between a password and a session for a user with an authenticator app: a code
is taken once, wrong codes are bounded, and a password reset or revocation ends the sign-ins
waiting past the password. Through the page's own post and through the SAS calls scripts make."""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Any

import httpx
import pytest
from asgi_client import AppClient
from idp_testkit import (
    ALICE,
    ALICE_SECRET,
    BOB,
    TENANT,
    alice_with_authenticator,
    auth_params,
    config_of,
    page_kind,
    password,
    paths,
    redirect_params,
    submit,
)

from mock_idp import totp
from mock_idp.clock import MockClock
from mock_idp.signin.flow import MAX_WRONG_CODES

pytestmark = pytest.mark.idp_config(alice_with_authenticator())


def _code_page(client: AppClient) -> httpx.Response:
    page = client.get(paths(TENANT, "2.0")["authorize"], params=auth_params(prompt="login"))
    code_page = submit(client, page, loginfmt=ALICE, passwd=password(ALICE))
    assert page_kind(code_page) == "totp", code_page.text[:300]
    return code_page


def _wrong(clock: MockClock) -> str:
    return "000000" if totp.code_at(ALICE_SECRET, clock.now()) != "000000" else "111111"


def _end_auth(client: AppClient, config: dict[str, Any], code: str) -> dict[str, Any]:
    body: dict[str, Any] = client.post(config["urlEndAuth"], json={
        "AuthMethodId": "PhoneAppOTP", "Method": "EndAuth", "Ctx": config["sCtx"],
        "FlowToken": config["sFT"], "AdditionalAuthData": code}).json()
    return body


def test_a_code_is_taken_once(client: AppClient, clock: MockClock) -> None:
    code = totp.code_at(ALICE_SECRET, clock.now())
    stay = submit(client, _code_page(client), otc=code)
    assert page_kind(stay) == "kmsi"
    again = submit(client, _code_page(client), otc=code)
    assert page_kind(again) == "totp"  # the same code, a second sign-in: refused
    by_script = _end_auth(client, config_of(_code_page(client).text), code)
    assert (by_script["Success"], by_script["ResultValue"]) == (False, "OathCodeIncorrect")
    clock.advance(timedelta(seconds=30))
    fresh = submit(client, again, otc=totp.code_at(ALICE_SECRET, clock.now()))
    assert page_kind(fresh) == "kmsi"


def test_wrong_codes_on_the_page_end_the_sign_in(client: AppClient, clock: MockClock) -> None:
    page = _code_page(client)
    for _ in range(MAX_WRONG_CODES - 1):
        page = submit(client, page, otc=_wrong(clock))
        assert page_kind(page) == "totp"
    ended = submit(client, page, otc=_wrong(clock))
    assert ended.status_code == 400 and "AADSTS500121" in ended.text
    assert "location" not in ended.headers


def test_wrong_codes_through_end_auth_end_the_sign_in(client: AppClient,
                                                      clock: MockClock) -> None:
    config = config_of(_code_page(client).text)
    for _ in range(MAX_WRONG_CODES - 1):
        answer = _end_auth(client, config, _wrong(clock))
        assert (answer["Success"], answer["ErrCode"]) == (False, 0)
    last = _end_auth(client, config, _wrong(clock))
    assert (last["ResultValue"], last["ErrCode"], last["FlowToken"]) == (
        "OathCodeIncorrect", 500121, None)
    right = _end_auth(client, config, totp.code_at(ALICE_SECRET, clock.now()))
    assert (right["Success"], right["ResultValue"], right["ErrCode"]) == (
        False, "InvalidSession", 9002313)


@pytest.mark.parametrize("action", ["revokeSignInSessions", "reset"])
def test_a_reset_or_revocation_ends_a_sign_in_waiting_for_its_code(
        client: AppClient, clock: MockClock, action: str) -> None:
    page = _code_page(client)
    config = config_of(page.text)
    if action == "reset":
        assert client.patch(f"/graph/{TENANT}/v1.0/users/{ALICE}", json={
            "passwordProfile": {"password": "Winter-2027 sky"}}).status_code == 204
    else:
        assert client.post(
            f"/graph/{TENANT}/v1.0/users/{ALICE}/{action}").status_code == 200
    answered = submit(client, page, otc=totp.code_at(ALICE_SECRET, clock.now()))
    assert answered.status_code == 400 and "AADSTS9002313" in answered.text
    assert _end_auth(client, config, totp.code_at(ALICE_SECRET, clock.now()))[
        "ErrCode"] == 9002313


def test_another_users_revocation_leaves_the_sign_in_alone(client: AppClient,
                                                           clock: MockClock) -> None:
    page = _code_page(client)
    client.post(f"/graph/{TENANT}/v1.0/users/{BOB}/revokeSignInSessions")
    stay = submit(client, page, otc=totp.code_at(ALICE_SECRET, clock.now()))
    assert page_kind(stay) == "kmsi"
    assert "code" in redirect_params(submit(client, stay, answer="No"))


def test_a_flood_of_first_pages_leaves_a_sign_in_past_the_password(
        client: AppClient, clock: MockClock) -> None:
    from mock_idp.endpoints.pages import MAX_PENDING, keep
    from mock_idp.signin.flow import Transaction

    page = _code_page(client)
    state = client.app.state.idp  # type: ignore[attr-defined]
    for _ in range(MAX_PENDING + 50):  # what as many anonymous first pages would keep
        keep(state, Transaction(kind="authorize", tenant_id=TENANT, created=clock.now()))
    stay = submit(client, page, otc=totp.code_at(ALICE_SECRET, clock.now()))
    assert page_kind(stay) == "kmsi"


def test_the_code_pages_post_url_is_absolute(client: AppClient) -> None:
    """saml2aws posts "Enter code"'s urlPost as it is, without joining it to the page's URL."""
    config = config_of(_code_page(client).text)
    assert config["urlPost"] == "http://testserver/common/SAS/ProcessAuth"


def test_a_script_may_post_the_username_as_login_alone(client: AppClient) -> None:
    page = client.get(paths(TENANT, "2.0")["authorize"], params=auth_params(prompt="login"))
    config = config_of(page.text)
    answered = client.post(config["urlPost"], data={
        "login": BOB, "passwd": password(BOB), "ctx": config["sCtx"], "flowToken": config["sFT"]})
    assert config_of(answered.text)["pgid"] == "KmsiInterrupt"


@pytest.mark.parametrize("value", ["2", "", "01"])
def test_a_bad_login_options_is_named(client: AppClient, value: str) -> None:
    page = client.get(paths(TENANT, "2.0")["authorize"], params=auth_params(prompt="login"))
    stay = submit(client, page, loginfmt=BOB, passwd=password(BOB))
    config = config_of(stay.text)
    answer = client.post(config["urlPost"], data={
        "LoginOptions": value, "ctx": config["sCtx"], "flowToken": config["sFT"]})
    assert answer.status_code == 400 and "'LoginOptions'" in html.unescape(answer.text)
