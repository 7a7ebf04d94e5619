""""Update your password": a password an administrator marked to change at the next sign-in
(Graph's ``forceChangePasswordNextSignIn``, ``force_change_password`` in ``idp.toml``), Entra's
password policy for the new one, AADSTS50055 from the password grant, and what a change of
password revokes."""

from __future__ import annotations

import html
import tomllib
from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx
import pytest
from asgi_client import AppClient
from idp_testkit import (
    ALICE,
    BOB,
    CLIENT_ID,
    SECRET,
    TENANT,
    auth_params,
    claims,
    ctx_of,
    get_code,
    page_kind,
    password,
    paths,
    redeem,
    redirect_params,
    shown_html,
    submit,
    tokens_for,
)

from mock_idp import totp
from mock_idp.clock import MockClock
from mock_idp.config import AppConfig, ConfigError, IdpConfig, default_tenant
from mock_idp.signin import ids, password_change
from mock_idp.signin.password_change import policy_problem

CLI_ID = "7c2e9a41-3d5b-4f68-9a0c-1e2d3c4b5a69"
NEW = "Winter-2027 sky"
ALICE_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
GRAPH = f"/graph/{TENANT}/v1.0"
AUTHORIZE = paths(TENANT, "2.0")["authorize"]


def _config(**alice: Any) -> IdpConfig:
    tenant = default_tenant()
    users = tuple(replace(u, **{"force_change_password": True, **alice}) if u.upn == ALICE
                  else u for u in tenant.users)
    cli = AppConfig(client_id=CLI_ID, name="Contoso CLI", public_client=True)
    return IdpConfig(tenants=(replace(tenant, users=users, apps=(*tenant.apps, cli)),))


pytestmark = pytest.mark.idp_config(_config())


def _to_new_password_page(client: AppClient, upn: str = ALICE,
                          secret: str | None = None) -> httpx.Response:
    page = client.get(AUTHORIZE, params=auth_params())
    assert page_kind(page) == "username", page.text[:300]
    return submit(client, page, loginfmt=upn, passwd=secret or password(upn))


def _change(client: AppClient, page: httpx.Response, current: str, new: str,
            confirm: str | None = None) -> httpx.Response:
    return submit(client, page, **{ids.CURRENT_PASSWORD_NAME: current, ids.NEW_PASSWORD_NAME: new,
                                   ids.CONFIRM_PASSWORD_NAME: new if confirm is None else confirm})


def _message(page: httpx.Response) -> str:
    start = page.text.index(f'id="{ids.PASSWORD_ERROR}"')
    return html.unescape(page.text[page.text.index(">", start) + 1:page.text.index("</", start)])


@pytest.mark.parametrize(("new", "problem"), [
    ("Sh0rt!", password_change.TOO_SHORT_OR_LONG),
    ("Aa1!" * 64 + "x", password_change.TOO_SHORT_OR_LONG),
    ("lowercaseonly", password_change.TOO_SIMPLE),
    ("lowercase and 123", None),  # lower, digits and the space (a symbol): three kinds
    ("UPPER lower", None),
    ("Upperlower", password_change.TOO_SIMPLE),
    ("Pässword-123", password_change.NOT_ALLOWED),  # no Unicode beyond ASCII
    ("Tab\tinside-1A", password_change.NOT_ALLOWED),
    (password(ALICE), password_change.SAME_AS_BEFORE),
])
def test_entras_password_policy(new: str, problem: str | None) -> None:
    assert policy_problem(new, password(ALICE)) == problem


def test_the_new_password_comes_after_the_right_one_and_before_stay_signed_in(
        client: AppClient) -> None:
    page = _to_new_password_page(client)
    assert page_kind(page) == "new_password" and page.status_code == 200
    text = shown_html(page.text)
    assert f'<meta name="{ids.PAGE_ID_META}" content="{ids.PAGE_CHANGE_PASSWORD}">' in text
    assert ids.CHANGE_PASSWORD_HEADING in text
    for input_id, name in ((ids.CURRENT_PASSWORD_INPUT, ids.CURRENT_PASSWORD_NAME),
                           (ids.NEW_PASSWORD_INPUT, ids.NEW_PASSWORD_NAME),
                           (ids.CONFIRM_PASSWORD_INPUT, ids.CONFIRM_PASSWORD_NAME)):
        assert f'name="{name}" id="{input_id}"' in text
    assert f'type="submit" id="{ids.PRIMARY_BUTTON}"' in text
    assert "Set-Cookie" not in page.headers  # no session before the new password
    stay = _change(client, page, password(ALICE), NEW)
    assert page_kind(stay) == "kmsi", stay.text[:300]
    assert "code" in redirect_params(submit(client, stay, answer="No"))
    # The new password is the one now; nothing more is asked of it.
    client.cookies.clear()
    again = _to_new_password_page(client, secret=NEW)
    assert page_kind(again) == "kmsi"
    client.cookies.clear()
    old = _to_new_password_page(client)
    assert page_kind(old) == "password" and old.status_code == 200


@pytest.mark.parametrize(("current", "new", "confirm", "message"), [
    ("not it", NEW, NEW, password_change.WRONG_CURRENT),
    (None, NEW, "Winter-2027 skY", password_change.NOT_MATCHING),
    (None, "short1A", "short1A", password_change.TOO_SHORT_OR_LONG),
    (None, "onlylowercase", "onlylowercase", password_change.TOO_SIMPLE),
    (None, None, None, password_change.SAME_AS_BEFORE),
    (None, "", "", password_change.MISSING),
    (None, "A1a-" * 64 + "b", "A1a-" * 64 + "b", password_change.TOO_SHORT_OR_LONG),
])
def test_a_refused_new_password_is_asked_again(
        client: AppClient, current: str | None, new: str | None, confirm: str | None,
        message: str) -> None:
    page = _to_new_password_page(client)
    refused = _change(client, page, current or password(ALICE), new or password(ALICE),
                      confirm or (password(ALICE) if new is None else confirm))
    assert page_kind(refused) == "new_password" and refused.status_code == 200
    assert _message(refused) == message
    assert "Set-Cookie" not in refused.headers
    assert page_kind(_change(client, refused, password(ALICE), NEW)) == "kmsi"


def test_wrong_current_passwords_lock_the_account(client: AppClient) -> None:
    client.patch(f"/_mock/tenants/{TENANT}", json={"lockout_threshold": 2})
    page = _to_new_password_page(client)
    page = _change(client, page, "wrong one", NEW)
    page = _change(client, page, "wrong two", NEW)
    assert _message(page) == ids.ACCOUNT_LOCKED
    assert _message(_change(client, page, password(ALICE), NEW)) == ids.ACCOUNT_LOCKED


@pytest.mark.idp_config(_config(totp_secret=ALICE_SECRET))
def test_with_an_authenticator_app_the_code_comes_first_and_the_session_is_mfa(
        client: AppClient, clock: MockClock) -> None:
    code_page = _to_new_password_page(client)
    assert page_kind(code_page) == "totp"
    # The code page's context cannot skip the code by posting a new password.
    skipped = client.post("/common/ChangePassword", data={
        "ctx": ctx_of(code_page.text), ids.CURRENT_PASSWORD_NAME: password(ALICE),
        ids.NEW_PASSWORD_NAME: NEW, ids.CONFIRM_PASSWORD_NAME: NEW})
    assert skipped.status_code == 400 and "AADSTS9002313" in skipped.text
    code_page = _to_new_password_page(client)
    page = submit(client, code_page, otc=totp.code_at(ALICE_SECRET, clock.now()))
    assert page_kind(page) == "new_password"
    # ... nor can the new password's page be answered with a code.
    replay = client.post("/common/SAS/ProcessAuth", data={
        "ctx": ctx_of(page.text), "otc": totp.code_at(ALICE_SECRET, clock.now())})
    assert replay.status_code == 400 and "AADSTS9002313" in replay.text
    clock.advance(timedelta(seconds=30))  # a code is taken once: the next step's
    page = submit(client, _to_new_password_page(client),
                  otc=totp.code_at(ALICE_SECRET, clock.now()))
    stay = _change(client, page, password(ALICE), NEW)
    code = redirect_params(submit(client, stay, answer="No"))["code"]
    v1 = client.post(paths(TENANT, "2.0")["token"], data={
        "grant_type": "authorization_code", "client_id": CLIENT_ID, "client_secret": SECRET,
        "code": code, "redirect_uri": auth_params()["redirect_uri"]})
    assert claims(v1.json()["access_token"])["amr"] == ["pwd", "mfa"]


@pytest.mark.parametrize("version", ["2.0", "1.0"])
def test_the_password_grant_answers_50055(client: AppClient, version: str) -> None:
    data = {"grant_type": "password", "client_id": CLI_ID, "username": ALICE,
            "password": password(ALICE), "scope": "openid User.Read",
            "resource": "https://graph.microsoft.com"}
    response = client.post(paths(TENANT, version)["token"], data=data)
    body = response.json()
    assert (response.status_code, body["error"], body["error_codes"]) == (
        400, "user_password_expired", [50055])
    assert body["error_description"].startswith("AADSTS50055: Password is expired.")
    assert body["suberror"] == "user_password_expired"
    assert body["password_change_url"] == "https://portal.microsoftonline.com/ChangePassword.aspx"
    wrong = client.post(paths(TENANT, version)["token"], data={**data, "password": "nope"})
    assert wrong.json()["error_codes"] == [50126]  # the password is checked first
    _change(client, _to_new_password_page(client), password(ALICE), NEW)
    after = client.post(paths(TENANT, version)["token"], data={**data, "password": NEW})
    assert after.status_code == 200, after.text


@pytest.mark.idp_config(IdpConfig.default())
def test_graph_marks_and_shows_a_password_that_must_change(client: AppClient) -> None:
    created = client.post(f"{GRAPH}/users", json={
        "accountEnabled": True, "displayName": "Erin", "mailNickname": "erin",
        "userPrincipalName": "erin@contoso.onmicrosoft.com",
        "passwordProfile": {"password": "Temp-Pass-1", "forceChangePasswordNextSignIn": True}})
    assert created.status_code == 201, created.text
    assert "passwordProfile" not in created.json()  # only by $select, as on Graph
    erin = f"{GRAPH}/users/{created.json()['id']}"
    assert client.get(erin, params={"$select": "passwordProfile"}).json()["passwordProfile"] == {
        "password": None, "forceChangePasswordNextSignIn": True,
        "forceChangePasswordNextSignInWithMfa": False}
    page = _to_new_password_page(client, "erin@contoso.onmicrosoft.com", "Temp-Pass-1")
    assert page_kind(page) == "new_password"
    # A flag alone marks an existing account; a password without it clears the mark.
    bob = f"{GRAPH}/users/{BOB}"
    assert client.patch(bob, json={"passwordProfile": {
        "forceChangePasswordNextSignInWithMfa": True}}).status_code == 204
    client.cookies.clear()
    assert page_kind(_to_new_password_page(client, BOB)) == "new_password"
    assert client.patch(bob, json={"passwordProfile": {"password": "Reset-Pass-2"}}
                        ).status_code == 204
    client.cookies.clear()
    assert page_kind(_to_new_password_page(client, BOB, "Reset-Pass-2")) == "kmsi"
    missing = client.patch(bob, json={"passwordProfile": {}})
    assert missing.status_code == 400
    assert missing.json()["error"]["target"] == "passwordProfile.password"


@pytest.mark.idp_config(_config(force_change_password=False))
@pytest.mark.parametrize("frozen", [False, True], ids=["clock-running", "clock-frozen"])
def test_a_users_own_change_revokes_public_clients_and_sessions_not_confidential_ones(
        client: AppClient, clock: MockClock, frozen: bool) -> None:
    """Also with the clock frozen, where the change and what it revokes share one instant."""
    if frozen:
        clock.freeze()
    confidential = tokens_for(client)["refresh_token"]
    public = client.post(paths(TENANT, "2.0")["token"], data={
        "grant_type": "password", "client_id": CLI_ID, "username": ALICE,
        "password": password(ALICE), "scope": "openid offline_access User.Read"}).json()
    browser = dict(client.cookies)
    client.cookies.clear()
    client.patch(f"{GRAPH}/users/{ALICE}", json={"passwordProfile": {
        "forceChangePasswordNextSignIn": True}})
    _change(client, _to_new_password_page(client), password(ALICE), NEW)
    refreshed = client.post(paths(TENANT, "2.0")["token"], data={
        "grant_type": "refresh_token", "client_id": CLI_ID,
        "refresh_token": public["refresh_token"]})
    assert refreshed.status_code == 400 and refreshed.json()["error_codes"] == [50173]
    kept = client.post(paths(TENANT, "2.0")["token"], data={
        "grant_type": "refresh_token", "client_id": CLIENT_ID, "client_secret": SECRET,
        "refresh_token": confidential})
    assert kept.status_code == 200, kept.text
    client.cookies.clear()
    client.cookies.update(browser)  # the other browser's session ended with the old password
    silent = redirect_params(client.get(AUTHORIZE, params=auth_params(prompt="none")))
    assert silent["error"] == "login_required"
    sessions = client.get("/_mock/sessions").json()["sessions"]
    assert sorted(s["active"] for s in sessions) == [False, True]  # the new one is active


@pytest.mark.idp_config(IdpConfig.default())
@pytest.mark.parametrize("frozen", [False, True], ids=["clock-running", "clock-frozen"])
@pytest.mark.parametrize("change", ["reset", "revoke", "delete"])
def test_an_administrators_reset_revokes_every_refresh_token_and_session(
        client: AppClient, clock: MockClock, frozen: bool, change: str) -> None:
    """A password reset, ``revokeSignInSessions``, or deleting the user (then creating one of
    the same name, who is not the same person): the refresh tokens get AADSTS50173."""
    if frozen:
        clock.freeze()
    confidential = tokens_for(client)["refresh_token"]
    if change == "reset":
        assert client.patch(f"{GRAPH}/users/{ALICE}", json={"passwordProfile": {
            "password": "Reset-Pass-3"}}).status_code == 204
    elif change == "revoke":
        assert client.post(f"{GRAPH}/users/{ALICE}/revokeSignInSessions").status_code == 200
    else:
        assert client.delete(f"{GRAPH}/users/{ALICE}").status_code == 204
        assert client.post(f"{GRAPH}/users", json={
            "accountEnabled": True, "displayName": "Alice", "mailNickname": "alice",
            "userPrincipalName": ALICE,
            "passwordProfile": {"password": password(ALICE)}}).status_code == 201
    refreshed = client.post(paths(TENANT, "2.0")["token"], data={
        "grant_type": "refresh_token", "client_id": CLIENT_ID, "client_secret": SECRET,
        "refresh_token": confidential})
    assert refreshed.status_code == 400 and refreshed.json()["error_codes"] == [50173]
    silent = redirect_params(client.get(AUTHORIZE, params=auth_params(prompt="none")))
    assert silent["error"] == "login_required"


def test_idp_toml_marks_a_user() -> None:
    toml = """
[[tenants]]
id = "11111111-2222-3333-4444-555555555555"
domain = "example.onmicrosoft.com"
name = "Example"
[[tenants.users]]
upn = "new@example.onmicrosoft.com"
name = "New Starter"
password = "Temp-Pass-1"
force_change_password = true
"""
    config = IdpConfig.from_mapping(tomllib.loads(toml))
    assert config.tenants[0].users[0].force_change_password is True
    with pytest.raises(ConfigError, match="force_change_password"):
        IdpConfig.from_mapping(tomllib.loads(toml.replace("= true", '= "yes"')))


def test_a_too_long_password_gets_graphs_message(client: AppClient) -> None:
    response = client.patch(f"{GRAPH}/users/{BOB}", json={"passwordProfile": {
        "password": "Aa1-" * 75}})
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith(
        "The specified password does not comply with password complexity requirements.")


def test_the_request_log_hides_the_passwords_and_marks_the_error(client: AppClient) -> None:
    page = _to_new_password_page(client)
    refused = _change(client, page, "Wrong-current-1", NEW)
    assert f'id="{ids.CURRENT_PASSWORD_INPUT}"' in refused.text
    current = refused.text[refused.text.index(f'id="{ids.CURRENT_PASSWORD_INPUT}"'):]
    assert ids.HAS_ERROR in current[:current.index(">")]  # the field in error is marked
    _change(client, refused, password(ALICE), NEW)
    log = client.get("/_mock/requests", params={"path": "/common/ChangePassword"}).json()
    text = str(log)
    assert NEW not in text and password(ALICE) not in text and "Wrong-current-1" not in text
    assert "AADSTS50126" in text


@pytest.mark.idp_config(IdpConfig.default())
def test_a_code_not_yet_redeemed_is_revoked_with_the_sessions(
        client: AppClient, clock: MockClock) -> None:
    """With the clock frozen the code, the revocation and the redemption share one instant;
    the code is still refused (AADSTS50173), as a refresh token is."""
    clock.freeze()
    grant = get_code(client)
    assert client.post(f"{GRAPH}/users/{ALICE}/revokeSignInSessions").status_code == 200
    redeemed = redeem(client, grant)
    assert redeemed.status_code == 400 and redeemed.json()["error_codes"] == [50173]


@pytest.mark.idp_config(IdpConfig.default())
@pytest.mark.parametrize(("change", "code"), [("revoke", 9002313), ("delete", 50057)])
def test_stay_signed_in_left_open_while_the_session_ends_goes_nowhere(
        client: AppClient, clock: MockClock, change: str, code: int) -> None:
    """"Stay signed in?" answered after the session behind it ended (its sign-ins revoked, or
    its user deleted): Entra's error page, no code, and no session cookie set."""
    clock.freeze()
    page = client.get(AUTHORIZE, params=auth_params())
    kmsi = submit(client, page, loginfmt=ALICE, passwd=password(ALICE))
    assert page_kind(kmsi) == "kmsi"
    if change == "revoke":
        client.post(f"{GRAPH}/users/{ALICE}/revokeSignInSessions")
    else:
        client.delete(f"{GRAPH}/users/{ALICE}")
    answered = submit(client, kmsi, answer="Yes")
    assert answered.status_code == 400 and f"AADSTS{code}" in answered.text
    assert "location" not in answered.headers
    assert all("Max-Age=0" in c for c in answered.headers.get_list("set-cookie"))  # none set


@pytest.mark.idp_config(IdpConfig.default())
def test_a_user_created_again_under_a_deleted_ones_name_is_someone_else(
        client: AppClient) -> None:
    before = client.get(f"{GRAPH}/users/{ALICE}").json()["id"]
    client.delete(f"{GRAPH}/users/{ALICE}")
    again = client.post(f"{GRAPH}/users", json={
        "accountEnabled": True, "displayName": "Alice", "mailNickname": "alice",
        "userPrincipalName": ALICE, "passwordProfile": {"password": password(ALICE)}})
    assert again.status_code == 201 and again.json()["id"] != before
