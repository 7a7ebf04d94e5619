"""Continuous access evaluation in process: a client declaring CP1 gets a day-long Microsoft
Graph token carrying ``xms_cc``; Graph answers it with a claims challenge after each critical
event, and the token request carrying the challenge fails or succeeds as the event dictates.
A token without CP1 stays ordinary."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx
import pytest
from asgi_client import AppClient
from idp_testkit import (
    ALICE,
    ALICE_SECRET,
    CLIENT_ID,
    FABRIKAM_ID,
    SECRET,
    TENANT,
    ZED,
    alice_with_authenticator,
    auth_params,
    claims,
    get_code,
    page_kind,
    password,
    paths,
    redeem,
    redirect_params,
    submit,
    tokens_for,
    two_organizations_config,
)

from mock_idp import totp
from mock_idp.clock import MockClock
from mock_idp.config import IdpConfig, UserConfig, default_tenant
from mock_idp.protocol.claims import access_token_issued
from mock_idp.signin import ids

GRAPH = f"/graph/{TENANT}/v1.0"
CP1 = json.dumps({"access_token": {"xms_cc": {"values": ["CP1"]}}})
TOKEN = paths(TENANT, "2.0")["token"]


def _me(client: AppClient, token: str) -> httpx.Response:
    return client.get(f"{GRAPH}/me", headers={"Authorization": f"Bearer {token}"})


def _challenge(response: httpx.Response) -> dict[str, Any]:
    """The claims request a 401's claims challenge carries, decoded."""
    assert response.status_code == 401, response.text
    header = response.headers["www-authenticate"]
    assert header.startswith(
        'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/'
        'authorize", client_id="00000003-0000-0000-c000-000000000000", '
        'error="insufficient_claims", claims="'), header
    match = re.search(r'claims="([^"]+)"', header)
    assert match is not None
    body = response.json()["error"]
    assert body["code"] == "InvalidAuthenticationToken"
    assert body["message"].startswith("Continuous access evaluation resulted in challenge")
    decoded: dict[str, Any] = json.loads(base64.b64decode(match.group(1)))
    return decoded


def _refresh_with(client: AppClient, refresh_token: str, challenge: dict[str, Any]
                  ) -> httpx.Response:
    """What MSAL sends for ``claims_challenge``: the challenge merged with the capabilities."""
    asked = {"access_token": {**challenge["access_token"], "xms_cc": {"values": ["CP1"]}}}
    return client.post(TOKEN, data={
        "grant_type": "refresh_token", "client_id": CLIENT_ID, "client_secret": SECRET,
        "refresh_token": refresh_token, "scope": "User.Read offline_access",
        "claims": json.dumps(asked)})


@pytest.mark.parametrize("declared", ["CP1", "cp1"])
def test_a_cp1_clients_graph_token_carries_xms_cc_and_lives_up_to_28_hours(
        client: AppClient, declared: str) -> None:
    body = tokens_for(client, claims=json.dumps(
        {"access_token": {"xms_cc": {"values": [declared]}}}))
    token = claims(body["access_token"])
    assert token["xms_cc"] == [declared]
    assert 24 * 3600 <= body["expires_in"] <= 28 * 3600
    lifetime = token["exp"] - access_token_issued(token["iat"])
    assert lifetime == body["expires_in"] == body["ext_expires_in"]
    assert _me(client, body["access_token"]).status_code == 200


def _revoke(client: AppClient) -> None:
    assert client.post(f"{GRAPH}/users/{ALICE}/revokeSignInSessions").status_code == 200


def _reset(client: AppClient) -> None:
    assert client.patch(f"{GRAPH}/users/{ALICE}", json={"passwordProfile": {
        "password": "Reset-Pass-3"}}).status_code == 204


def _disable(client: AppClient) -> None:
    assert client.patch(f"{GRAPH}/users/{ALICE}", json={
        "accountEnabled": False}).status_code == 204


def _delete(client: AppClient) -> None:
    assert client.delete(f"{GRAPH}/users/{ALICE}").status_code == 204


def _authenticator(client: AppClient) -> None:
    assert client.put(f"/_mock/tenants/{TENANT}/users/{ALICE}/authenticator",
                      json={}).status_code == 200


@pytest.mark.parametrize(("event", "refused_with"), [
    (_revoke, 50173), (_reset, 50173), (_delete, 50173), (_disable, 50057),
    (_authenticator, 50076)], ids=["revoked", "reset", "deleted", "disabled", "mfa-enabled"])
def test_after_a_critical_event_graph_challenges_and_the_refresh_is_refused(
        client: AppClient, clock: MockClock, event: Any, refused_with: int) -> None:
    body = tokens_for(client, claims=CP1)
    clock.advance(timedelta(minutes=5))
    event(client)
    challenge = _challenge(_me(client, body["access_token"]))
    nbf = challenge["access_token"]["nbf"]
    assert nbf["essential"] is True and int(nbf["value"]) > claims(body["access_token"])["iat"]
    refused = _refresh_with(client, body["refresh_token"], challenge)
    assert refused.status_code == 400 and refused.json()["error_codes"] == [refused_with]


@pytest.mark.parametrize("event", [_revoke, _disable, _authenticator],
                         ids=["revoked", "disabled", "mfa-enabled"])
def test_a_token_without_cp1_is_not_challenged(client: AppClient, clock: MockClock,
                                               event: Any) -> None:
    token = tokens_for(client)["access_token"]
    clock.advance(timedelta(minutes=5))
    event(client)
    assert _me(client, token).status_code == 200


def test_after_the_users_own_password_change_the_refresh_with_the_challenge_succeeds(
        client: AppClient, clock: MockClock) -> None:
    """A user's own change revokes only public clients' refresh tokens: the confidential
    client's refresh with the challenge gets a new token, which Graph takes."""
    body = tokens_for(client, claims=CP1)
    clock.advance(timedelta(minutes=5))
    client.cookies.clear()
    client.patch(f"{GRAPH}/users/{ALICE}", json={"passwordProfile": {
        "forceChangePasswordNextSignIn": True}})
    page = submit(client, client.get(paths(TENANT, "2.0")["authorize"], params=auth_params()),
                  loginfmt=ALICE, passwd=password(ALICE))
    assert page_kind(page) == "new_password", page.text[:300]
    submit(client, page, **{ids.CURRENT_PASSWORD_NAME: password(ALICE),
                            ids.NEW_PASSWORD_NAME: "Winter-2027 sky",
                            ids.CONFIRM_PASSWORD_NAME: "Winter-2027 sky"})
    challenge = _challenge(_me(client, body["access_token"]))
    renewed = _refresh_with(client, body["refresh_token"], challenge)
    assert renewed.status_code == 200, renewed.text
    fresh = renewed.json()["access_token"]
    assert claims(fresh)["xms_cc"] == ["CP1"]
    assert _me(client, fresh).status_code == 200



def _asking_mfa_at_sign_in(asked: bool, *, authenticator: bool) -> IdpConfig:
    (tenant,) = (alice_with_authenticator() if authenticator
                 else IdpConfig(tenants=(default_tenant(),))).tenants
    return IdpConfig(tenants=(replace(tenant, mfa_at_sign_in=asked),))


def _cae_tokens(client: AppClient, clock: MockClock) -> dict[str, Any]:
    """Alice's CP1 tokens from a browser sign-in, with her code where the sign-in asks it."""
    page = client.get(paths(TENANT, "2.0")["authorize"], params=auth_params(claims=CP1))
    page = submit(client, submit(client, page, loginfmt=ALICE), loginfmt=ALICE,
                  passwd=password(ALICE))
    if page_kind(page) == "totp":
        page = submit(client, page, otc=totp.code_at(ALICE_SECRET, clock.now()))
    if page_kind(page) == "kmsi":
        page = submit(client, page, answer="No")
    redeemed = client.post(TOKEN, data={
        "grant_type": "authorization_code", "client_id": CLIENT_ID, "client_secret": SECRET,
        "code": redirect_params(page)["code"], "redirect_uri": auth_params()["redirect_uri"]})
    assert redeemed.status_code == 200, redeemed.text
    body: dict[str, Any] = redeemed.json()
    return body



def _each_mfa_at_sign_in(*, authenticator: bool) -> pytest.MarkDecorator:
    """Run a test with a tenant asking the code at every sign-in and one asking it only where
    a context needs it (``mfa_at_sign_in``)."""
    return pytest.mark.parametrize("mfa_at_sign_in", [
        pytest.param(asked, id="mfa-always" if asked else "mfa-by-context", marks=
                     pytest.mark.idp_config(_asking_mfa_at_sign_in(asked,
                                                                   authenticator=authenticator)))
        for asked in (False, True)])


@_each_mfa_at_sign_in(authenticator=True)
def test_a_user_who_had_an_authenticator_before_signing_in_is_never_challenged(
        client: AppClient, clock: MockClock, mfa_at_sign_in: bool) -> None:
    """Registering an authenticator is an event: a token issued after it passes, one without
    ``mfa`` too where the tenant asks no code at sign-in."""
    body = _cae_tokens(client, clock)
    assert ("mfa" in claims(body["access_token"])["amr"]) is mfa_at_sign_in
    assert _me(client, body["access_token"]).status_code == 200
    clock.advance(timedelta(hours=2))
    assert _me(client, body["access_token"]).status_code == 200


@_each_mfa_at_sign_in(authenticator=False)
def test_registering_an_authenticator_challenges_only_the_tokens_issued_before_it(
        client: AppClient, clock: MockClock, mfa_at_sign_in: bool) -> None:
    """The refresh with the challenge is refused where every sign-in owes the code (the
    refresh token's sign-in gave none), and served where none is asked; the new token passes."""
    body = _cae_tokens(client, clock)
    clock.advance(timedelta(minutes=5))
    registered = int(clock.freeze().timestamp())  # the challenge names the second it happened
    _authenticator(client)
    challenge = _challenge(_me(client, body["access_token"]))
    assert int(challenge["access_token"]["nbf"]["value"]) == registered
    renewed = _refresh_with(client, body["refresh_token"], challenge)
    if mfa_at_sign_in:
        assert renewed.status_code == 400 and renewed.json()["error_codes"] == [50076]
        return
    assert renewed.status_code == 200, renewed.text
    fresh = renewed.json()["access_token"]
    assert "mfa" not in claims(fresh)["amr"]
    assert _me(client, fresh).status_code == 200
    clock.advance(timedelta(hours=2))
    assert _me(client, fresh).status_code == 200


GUEST = "zed_fabrikam.onmicrosoft.com#EXT#@contoso.onmicrosoft.com"


def _guest_config() -> IdpConfig:
    """Contoso with Zed of Fabrikam as a guest assigned to the reference app."""
    contoso, fabrikam = two_organizations_config("AzureADMyOrg").tenants
    guest = UserConfig(upn=GUEST, name="Zed (guest)", password="", user_type="Guest", home=ZED)
    apps = tuple(replace(a, assigned=(*a.assigned, GUEST)) if a.client_id == CLIENT_ID else a
                 for a in contoso.apps)
    return IdpConfig(tenants=(replace(contoso, users=(*contoso.users, guest), apps=apps),
                              fabrikam))


@pytest.mark.idp_config.with_args(_guest_config)
def test_an_authenticator_registered_for_a_guests_home_account_challenges_its_tokens(
        client: AppClient, clock: MockClock) -> None:
    response = redeem(client, get_code(client, upn=ZED, claims=CP1))
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    assert _me(client, token).status_code == 200
    clock.advance(timedelta(minutes=5))
    assert client.put(f"/_mock/tenants/{FABRIKAM_ID}/users/{ZED}/authenticator",
                      json={}).status_code == 200
    _challenge(_me(client, token))


def test_an_app_only_token_declaring_cp1_stays_an_ordinary_token(client: AppClient) -> None:
    """Entra's CAE for workload identities needs a premium licence and a policy the mock does
    not model: an app-only token never carries ``xms_cc`` nor lives a day."""
    response = client.post(TOKEN, data={
        "grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": SECRET,
        "scope": "https://graph.microsoft.com/.default", "claims": CP1})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["expires_in"] == 3599 and "xms_cc" not in claims(body["access_token"])
