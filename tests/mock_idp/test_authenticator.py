"""An authenticator app's code after the password ("Enter code"), the ``amr`` it puts in v1
tokens, the password grant it blocks, the control route that registers one, and TOTP itself
against RFC 6238's test vectors."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from asgi_client import AppClient
from idp_testkit import (
    ALICE,
    ALICE_SECRET,
    BOB,
    CLIENT_ID,
    GRAPH_APP_ID,
    SECRET,
    TENANT,
    alice_with_authenticator,
    auth_params,
    claims,
    config_of,
    ctx_of,
    page_kind,
    password,
    paths,
    pkce_pair,
    redirect_params,
    shown_html,
    submit,
)

from mock_idp import totp
from mock_idp.clock import MockClock
from mock_idp.config import ConfigError, IdpConfig
from mock_idp.signin import ids

# RFC 6238 Appendix B's key, "12345678901234567890", in base32.
RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
AUTHENTICATOR = f"/_mock/tenants/{TENANT}/users/{ALICE}/authenticator"


pytestmark = pytest.mark.idp_config(alice_with_authenticator())


@pytest.mark.parametrize(("seconds", "code"), [
    (59, "94287082"), (1111111109, "07081804"), (1111111111, "14050471"),
    (1234567890, "89005924"), (2000000000, "69279037"), (20000000000, "65353130"),
])
def test_totp_matches_rfc_6238(seconds: int, code: str) -> None:
    instant = datetime.fromtimestamp(seconds, UTC)
    assert totp.code_at(RFC_SECRET, instant, digits=8) == code
    assert totp.code_at(RFC_SECRET, instant) == code[-6:]


def test_a_code_is_good_for_its_step_and_the_ones_either_side() -> None:
    now = datetime(2027, 1, 1, 12, 0, 10, tzinfo=UTC)
    for drift, accepted in ((-60, False), (-30, True), (0, True), (30, True), (60, False)):
        assert totp.verify(RFC_SECRET, totp.code_at(RFC_SECRET, now + timedelta(seconds=drift)),
                           now) is accepted, drift
    assert not totp.verify(RFC_SECRET, "12345", now)
    assert not totp.verify(RFC_SECRET, "１２３４５６", now)  # full-width digits


@pytest.mark.parametrize("secret", ["", "short", "not base32!", "A" * 129,
                                    "ＪＢＳＷＹ３ＤＰＥＨＰＫ３ＰＸＰ", "jbswy3dṗehpk3pxp"])
def test_bad_secrets_are_refused(secret: str) -> None:
    with pytest.raises(ValueError, match=r"^a TOTP secret "):
        totp.decode_secret(secret)


def test_a_secret_in_other_letters_is_not_read_as_capitals() -> None:
    # "ı" (dotless i) and "ſ" (long s) turn into I and S in capitals: JBSWY3DPEHPK3PXP is
    # not what was typed.
    with pytest.raises(ValueError, match=r"must be base32"):
        totp.normalised("JBſWY3DPEHPK3PXP")
    with pytest.raises(ValueError, match=r"must be base32"):
        totp.normalised("ıBSWY3DPEHPK3PXP")


def _to_code_page(client: AppClient, upn: str = ALICE, **params: str) -> httpx.Response:
    page = client.get(paths(TENANT, "2.0")["authorize"], params=auth_params(**params))
    assert page_kind(page) == "username", page.text[:300]
    return submit(client, page, loginfmt=upn, passwd=password(upn))


def test_the_code_comes_after_the_password_and_before_stay_signed_in(
        client: AppClient, clock: MockClock) -> None:
    page = _to_code_page(client)
    assert page_kind(page) == "totp" and page.status_code == 200
    assert ids.CODE_HEADING in page.text and f'id="{ids.CODE_SUBMIT}"' in page.text
    assert f'<meta name="{ids.PAGE_ID_META}" content="{ids.PAGE_CODE}">' in page.text
    assert "Set-Cookie" not in page.headers  # no session before the second factor
    wrong = submit(client, page, otc="000000" if totp.code_at(
        ALICE_SECRET, clock.now()) != "000000" else "111111")
    assert page_kind(wrong) == "totp" and f'id="{ids.CODE_ERROR}"' in wrong.text
    assert ids.CODE_WRONG in html.unescape(shown_html(wrong.text))
    stay = submit(client, wrong, otc=totp.code_at(ALICE_SECRET, clock.now()))
    assert page_kind(stay) == "kmsi", stay.text[:300]
    assert "code" in redirect_params(submit(client, stay, answer="No"))


def test_enter_code_has_the_description_and_the_checkbox_scripts_read(
        client: AppClient, clock: MockClock) -> None:
    # aws-azure-login reads #idDiv_SAOTCC_Description whenever the page shows; TOTP scripts tick
    # #idChkBx_SAOTCC_TD ("Don't ask again"), named as $Config.sTrustedDeviceCheckboxName.
    page = _to_code_page(client)
    assert re.search(rf'<p id="{ids.CODE_DESCRIPTION}">[^<]+</p>', page.text)
    checkbox = re.search(rf'<input type="checkbox" id="{ids.CODE_REMEMBER}"[^>]*>', page.text)
    assert checkbox and 'name="rememberMFA"' in checkbox.group(0)
    assert config_of(page.text)["sTrustedDeviceCheckboxName"] == "rememberMFA"
    ticked = submit(client, page, otc=totp.code_at(ALICE_SECRET, clock.now()), rememberMFA="true")
    assert page_kind(ticked) == "kmsi", ticked.text[:300]


def test_a_code_from_a_minute_ago_is_not_taken(client: AppClient, clock: MockClock) -> None:
    page = _to_code_page(client)
    old = totp.code_at(ALICE_SECRET, clock.now())
    clock.advance(timedelta(seconds=61))
    if old == totp.code_at(ALICE_SECRET, clock.now()):  # one chance in a million
        pytest.skip("the two codes happen to be equal")
    assert page_kind(submit(client, page, otc=old)) == "totp"


def test_a_user_without_an_authenticator_app_is_not_asked(client: AppClient) -> None:
    assert page_kind(_to_code_page(client, BOB)) == "kmsi"


def _sign_in_with_code(client: AppClient, clock: MockClock, version: str) -> dict[str, Any]:
    verifier, challenge = pkce_pair()
    page = client.get(paths(TENANT, version)["authorize"], params=auth_params(
        code_challenge=challenge, code_challenge_method="S256"))
    if page.status_code == 200:
        page = submit(client, page, loginfmt=ALICE, passwd=password(ALICE))
        page = submit(client, page, otc=totp.code_at(ALICE_SECRET, clock.now()))
        page = submit(client, page, answer="No")
    code = redirect_params(page)["code"]
    redeemed = client.post(paths(TENANT, version)["token"], data={
        "grant_type": "authorization_code", "client_id": CLIENT_ID, "client_secret": SECRET,
        "code": code, "redirect_uri": auth_params()["redirect_uri"], "code_verifier": verifier,
        **({"resource": GRAPH_APP_ID} if version == "1.0" else {})})
    assert redeemed.status_code == 200, redeemed.text
    body: dict[str, Any] = redeemed.json()
    return body


def test_v1_tokens_say_the_sign_in_took_a_second_factor(
        client: AppClient, clock: MockClock) -> None:
    v1 = _sign_in_with_code(client, clock, "1.0")
    assert claims(v1["id_token"])["amr"] == ["pwd", "mfa"]
    assert claims(v1["access_token"])["amr"] == ["pwd", "mfa"]  # Graph's, a v1 token
    refreshed = client.post(paths(TENANT, "1.0")["token"], data={
        "grant_type": "refresh_token", "client_id": CLIENT_ID, "client_secret": SECRET,
        "refresh_token": v1["refresh_token"], "resource": "https://graph.microsoft.com"})
    assert claims(refreshed.json()["access_token"])["amr"] == ["pwd", "mfa"]
    # The session remembers it: a second sign-in by redirects alone, no code asked.
    v2 = _sign_in_with_code(client, clock, "2.0")
    assert "amr" not in claims(v2["id_token"])  # v2 ID tokens carry no amr
    assert claims(v2["access_token"])["amr"] == ["pwd", "mfa"]


@pytest.mark.idp_config(IdpConfig.default())
def test_a_password_sign_in_alone_is_pwd(client: AppClient, clock: MockClock) -> None:
    client.put(AUTHENTICATOR, json={"totp_secret": ALICE_SECRET})
    client.delete(AUTHENTICATOR)
    assert claims(_sign_in_with_code_plain(client)["id_token"])["amr"] == ["pwd"]


def _sign_in_with_code_plain(client: AppClient) -> dict[str, Any]:
    page = client.get(paths(TENANT, "1.0")["authorize"], params=auth_params())
    page = submit(client, page, loginfmt=ALICE, passwd=password(ALICE))
    code = redirect_params(submit(client, page, answer="No"))["code"]
    redeemed = client.post(paths(TENANT, "1.0")["token"], data={
        "grant_type": "authorization_code", "client_id": CLIENT_ID, "client_secret": SECRET,
        "code": code, "redirect_uri": auth_params()["redirect_uri"], "resource": GRAPH_APP_ID})
    body: dict[str, Any] = redeemed.json()
    return body


@pytest.mark.parametrize(("version", "error"), [("2.0", "invalid_grant"),
                                                ("1.0", "interaction_required")])
def test_the_password_grant_is_blocked_for_a_user_with_an_authenticator_app(
        client: AppClient, version: str, error: str) -> None:
    data = {"grant_type": "password", "client_id": CLIENT_ID, "client_secret": SECRET,
            "username": ALICE, "password": password(ALICE), "scope": "openid",
            "resource": "https://graph.microsoft.com"}
    response = client.post(paths(TENANT, version)["token"], data=data)
    body = response.json()
    assert (response.status_code, body["error"], body["error_codes"]) == (400, error, [50076])
    if version == "2.0":
        assert body["suberror"] == "basic_action"
    bob = client.post(paths(TENANT, version)["token"],
                      data={**data, "username": BOB, "password": password(BOB)})
    assert bob.status_code == 200, bob.text


@pytest.mark.idp_config(IdpConfig.default())
def test_the_control_route_registers_shows_and_removes_one(client: AppClient) -> None:
    assert client.get(AUTHENTICATOR).json()["totp_secret"] is None
    made = client.put(AUTHENTICATOR, json={})
    assert made.status_code == 200
    secret = made.json()["totp_secret"]
    assert len(totp.decode_secret(secret)) == 20
    uri = urlsplit(made.json()["otpauth_uri"])
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert parse_qs(uri.query)["secret"] == [secret]
    assert page_kind(_to_code_page(client)) == "totp"
    assert client.put(AUTHENTICATOR, json={"totp_secret": "jbsw y3dp ehpk 3pxp"}).json()[
        "totp_secret"] == "JBSWY3DPEHPK3PXP"
    assert client.delete(AUTHENTICATOR).status_code == 204
    assert page_kind(_to_code_page(client)) == "kmsi"


@pytest.mark.idp_config(IdpConfig.default())
@pytest.mark.parametrize(("body", "field", "status"), [
    ({"totp_secret": "not base32!"}, "totp_secret", 400),
    ({"totp_secret": "ABCD"}, "totp_secret", 400),
    ({"totp_secret": "ＪＢＳＷＹ３ＤＰＥＨＰＫ３ＰＸＰ"}, "totp_secret", 400),
    ({"totp_secret": 7}, "totp_secret", 400),
    ({"secret": ALICE_SECRET}, "secret", 400),
])
def test_bad_registrations_are_refused_naming_the_field(
        client: AppClient, body: dict[str, Any], field: str, status: int) -> None:
    response = client.put(AUTHENTICATOR, json=body)
    assert response.status_code == status and response.json()["error"]["field"] == field
    if isinstance(body.get("totp_secret"), str):
        assert response.json()["error"]["message"].startswith("a TOTP secret "), response.text
    assert client.get(AUTHENTICATOR).json()["totp_secret"] is None
    nobody = client.put(f"/_mock/tenants/{TENANT}/users/nobody@x.test/authenticator", json={})
    assert nobody.status_code == 404


def test_idp_toml_takes_a_secret_and_refuses_a_bad_one() -> None:
    user = {"upn": "u@contoso.onmicrosoft.com", "name": "U", "password": "pw"}
    tenant = {"id": TENANT, "domain": "contoso.onmicrosoft.com"}
    config = IdpConfig.from_mapping({"tenants": [{**tenant, "users": [
        {**user, "totp_secret": ALICE_SECRET}]}]})
    assert config.tenants[0].users[0].totp_secret == ALICE_SECRET
    with pytest.raises(ConfigError, match=r"tenants\[0\]\.users\[0\]\.totp_secret"):
        IdpConfig.from_mapping({"tenants": [{**tenant, "users": [
            {**user, "totp_secret": "nope"}]}]})


GRAPH_USER = f"/graph/{TENANT}/v1.0/users/{ALICE}/authentication"


def test_graph_lists_the_methods_and_deletes_the_authenticator_app(client: AppClient) -> None:
    methods = client.get(f"{GRAPH_USER}/methods").json()["value"]
    assert [m["@odata.type"] for m in methods] == [
        "#microsoft.graph.passwordAuthenticationMethod",
        "#microsoft.graph.softwareOathAuthenticationMethod"]
    password_id, oath_id = (m["id"] for m in methods)
    assert password_id == "28c10230-6103-485e-b985-444c60001490"
    assert methods[1]["secretKey"] is None and ALICE_SECRET not in str(methods)
    assert client.get(f"{GRAPH_USER}/passwordMethods/{password_id}").json()["id"] == password_id
    oath = client.get(f"{GRAPH_USER}/softwareOathMethods").json()["value"]
    assert [m["id"] for m in oath] == [oath_id]
    assert client.delete(f"{GRAPH_USER}/softwareOathMethods/{password_id}").status_code == 404
    assert client.delete(f"{GRAPH_USER}/softwareOathMethods/{oath_id}").status_code == 204
    assert client.get(f"{GRAPH_USER}/softwareOathMethods").json()["value"] == []
    assert client.get(f"{GRAPH_USER}/softwareOathMethods/{oath_id}").status_code == 404
    assert page_kind(_to_code_page(client)) == "kmsi"  # no code asked any more
    bob = client.get(f"/graph/{TENANT}/v1.0/users/{BOB}/authentication/methods").json()
    assert [m["id"] for m in bob["value"]] == [password_id]
    assert client.get(f"/graph/{TENANT}/v1.0/users/nobody@x.test/authentication/methods"
                      ).status_code == 404


def test_a_code_posted_without_its_page_is_refused(client: AppClient, clock: MockClock) -> None:
    username = client.get(paths(TENANT, "2.0")["authorize"], params=auth_params())
    stray = _post_code(client, username, totp.code_at(ALICE_SECRET, clock.now()))
    assert stray.status_code == 400 and "AADSTS9002313" in stray.text  # no password given yet
    page = _to_code_page(client)
    first = submit(client, page, otc="12")  # too short: asked again
    assert page_kind(first) == "totp"
    again = submit(client, page, otc=totp.code_at(ALICE_SECRET, clock.now()))  # a used ctx
    assert again.status_code == 400 and "AADSTS9002313" in again.text


def _post_code(client: AppClient, page: httpx.Response, code: str) -> httpx.Response:
    return client.post("/common/SAS/ProcessAuth", data={"ctx": ctx_of(page.text), "otc": code})


@pytest.mark.idp_config(IdpConfig.default())
def test_a_session_from_before_the_app_is_asked_for_the_code_before_it_answers(
        client: AppClient, clock: MockClock) -> None:
    """Alice signed in with her password alone, then got an authenticator app: her session no
    longer answers silently. ``prompt=none`` gets ``interaction_required`` (AADSTS50076); an
    interactive request shows "Enter code" (no password), after which the session is an MFA
    one and answers silently again."""
    assert claims(_sign_in_with_code_plain(client)["id_token"])["amr"] == ["pwd"]
    client.put(AUTHENTICATOR, json={"totp_secret": ALICE_SECRET})
    silent = redirect_params(client.get(paths(TENANT, "2.0")["authorize"],
                                        params=auth_params(prompt="none")))
    assert silent["error"] == "interaction_required"
    assert silent["error_description"].startswith("AADSTS50076: ")
    page = client.get(paths(TENANT, "1.0")["authorize"], params=auth_params())
    assert page_kind(page) == "totp", page.text[:300]
    page = submit(client, page, otc="000000" if totp.code_at(
        ALICE_SECRET, clock.now()) != "000000" else "111111")
    assert page_kind(page) == "totp" and f'id="{ids.CODE_ERROR}"' in page.text
    answered = submit(client, page, otc=totp.code_at(ALICE_SECRET, clock.now()))
    code = redirect_params(answered)["code"]
    assert "Set-Cookie" not in answered.headers  # the same session, now with MFA
    redeemed = client.post(paths(TENANT, "1.0")["token"], data={
        "grant_type": "authorization_code", "client_id": CLIENT_ID, "client_secret": SECRET,
        "code": code, "redirect_uri": auth_params()["redirect_uri"], "resource": GRAPH_APP_ID})
    assert claims(redeemed.json()["id_token"])["amr"] == ["pwd", "mfa"]
    again = client.get(paths(TENANT, "2.0")["authorize"], params=auth_params(prompt="none"))
    assert "code" in redirect_params(again)


@pytest.mark.idp_config(IdpConfig.default())
@pytest.mark.parametrize(("version", "error"), [("2.0", "invalid_grant"),
                                                ("1.0", "interaction_required")])
def test_a_refresh_token_from_before_the_app_is_refused_50076(
        client: AppClient, version: str, error: str) -> None:
    old = _sign_in_with_code_plain(client)["refresh_token"]
    client.put(AUTHENTICATOR, json={"totp_secret": ALICE_SECRET})
    refreshed = client.post(paths(TENANT, version)["token"], data={
        "grant_type": "refresh_token", "client_id": CLIENT_ID, "client_secret": SECRET,
        "refresh_token": old, "resource": "https://graph.microsoft.com"})
    body = refreshed.json()
    assert (refreshed.status_code, body["error"], body["error_codes"]) == (400, error, [50076])
    assert "00000003-0000-0000-c000-000000000000" in body["error_description"]
    if version == "2.0":
        assert body["suberror"] == "basic_action"
    client.delete(AUTHENTICATOR)
    assert client.post(paths(TENANT, version)["token"], data={
        "grant_type": "refresh_token", "client_id": CLIENT_ID, "client_secret": SECRET,
        "refresh_token": old, "resource": "https://graph.microsoft.com"}).status_code == 200


@pytest.mark.idp_config(IdpConfig.default())
def test_a_session_ended_while_its_code_was_typed_signs_no_one_in(
        client: AppClient, clock: MockClock) -> None:
    """The code asked of an existing session is no sign-in of its own: once the session has
    ended (here its sign-ins revoked), the right code leads to the username page."""
    _sign_in_with_code_plain(client)
    client.put(AUTHENTICATOR, json={"totp_secret": ALICE_SECRET})
    page = client.get(paths(TENANT, "2.0")["authorize"], params=auth_params())
    assert page_kind(page) == "totp"
    assert client.post(f"/graph/{TENANT}/v1.0/users/{ALICE}/revokeSignInSessions").status_code \
        == 200
    answered = submit(client, page, otc=totp.code_at(ALICE_SECRET, clock.now()))
    assert page_kind(answered) == "username", answered.text[:300]
    assert "location" not in answered.headers



@pytest.mark.idp_config(IdpConfig.default())
@pytest.mark.parametrize("path", ["/kmsi", f"/{TENANT}/Consent/Set", f"/{TENANT}/login"])
def test_the_code_page_of_a_session_cannot_be_answered_elsewhere(
        client: AppClient, path: str) -> None:
    """The page that asks an existing session for its code holds no session until the code
    is given: posting its context to "Stay signed in?", consent or the password form (with
    another user's password, even) goes nowhere."""
    _sign_in_with_code_plain(client)
    client.put(AUTHENTICATOR, json={"totp_secret": ALICE_SECRET})
    client.put(f"/_mock/tenants/{TENANT}/users/{BOB}/authenticator", json={})
    page = client.get(paths(TENANT, "2.0")["authorize"], params=auth_params())
    assert page_kind(page) == "totp"
    answer = client.post(path, data={"ctx": ctx_of(page.text), "answer": "Yes",
                                      "loginfmt": BOB, "passwd": password(BOB)})
    assert answer.status_code == 400 and "AADSTS9002313" in answer.text
    assert "location" not in answer.headers


@pytest.mark.idp_config(IdpConfig.default())
def test_a_wrong_code_is_asked_again_with_the_code_fingerprinted_in_the_log(
        client: AppClient, clock: MockClock) -> None:
    page = _to_code_page_after_registering(client)
    wrong_code = "000000" if totp.code_at(ALICE_SECRET, clock.now()) != "000000" else "111111"
    wrong = submit(client, page, otc=wrong_code)
    assert wrong.status_code == 200 and page_kind(wrong) == "totp"  # Entra's pages are 200
    log = client.get("/_mock/requests", params={"path": "/common/SAS"}).json()
    assert f"'otc': '{wrong_code}'" not in str(log) and "otc" in str(log)


def _to_code_page_after_registering(client: AppClient) -> httpx.Response:
    client.put(AUTHENTICATOR, json={"totp_secret": ALICE_SECRET})
    return _to_code_page(client)


@pytest.mark.idp_config(IdpConfig.default())
def test_a_step_up_whose_session_ended_asks_its_user_not_another_account(
        client: AppClient, clock: MockClock) -> None:
    """Alice and Bob signed in; Alice, who now has an app, is asked her code; her session is
    revoked meanwhile: her code leads to the username page with her name, never to Bob's
    session."""
    _sign_in_with_code_plain(client)
    page = client.get(paths(TENANT, "2.0")["authorize"], params=auth_params(prompt="login"))
    kmsi = submit(client, submit(client, page, loginfmt=BOB), loginfmt=BOB, passwd=password(BOB))
    submit(client, kmsi, answer="No")
    client.put(AUTHENTICATOR, json={"totp_secret": ALICE_SECRET})
    picker = client.get(paths(TENANT, "2.0")["authorize"], params=auth_params())
    alice = client.get(f"/graph/{TENANT}/v1.0/users/{ALICE}").json()["id"]
    code_page = submit(client, picker, account=alice)
    assert page_kind(code_page) == "totp"
    client.post(f"/graph/{TENANT}/v1.0/users/{ALICE}/revokeSignInSessions")
    answered = submit(client, code_page, otc=totp.code_at(ALICE_SECRET, clock.now()))
    assert page_kind(answered) == "username" and "location" not in answered.headers
    assert ALICE in answered.text


@pytest.mark.idp_config(IdpConfig.default())
def test_an_app_removed_while_its_code_is_asked_lets_the_sign_in_go_on(
        client: AppClient) -> None:
    page = _to_code_page_after_registering(client)
    client.delete(AUTHENTICATOR)
    assert page_kind(submit(client, page, otc="whatever")) == "kmsi"
