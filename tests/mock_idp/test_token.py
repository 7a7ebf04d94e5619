"""The token endpoint: token shapes, grants and client authentication."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote_plus

import httpx
import jwt
import pytest
from asgi_client import AppClient
from cryptography.hazmat.primitives import serialization
from idp_testkit import (
    ALICE,
    BASE,
    BOB,
    CLIENT_ID,
    DOMAIN,
    GRAPH_DEFAULT,
    SECRET,
    TENANT,
    Certificate,
    auth_params,
    claims,
    get_code,
    multi_tenant_config,
    paths,
    pkce_pair,
    redeem,
    redirect_params,
    shared_certificate,
    sign_in,
    tokens_for,
    verified,
)
from starlette.applications import Starlette

from mock_idp.clock import MockClock
from mock_idp.config import (
    SUPPORT_AGENTS_GROUP_ID,
    AppConfig,
    CertificateConfig,
    IdpConfig,
    SecretConfig,
    default_tenant,
)

TOKEN = paths(TENANT, "2.0")["token"]
TOKEN_V1 = paths(TENANT, "1.0")["token"]


def client_cert() -> Certificate:
    return shared_certificate("token client")


def other_cert() -> Certificate:
    return shared_certificate("another")

ODD_SECRET = "a+b:c/d%e&f=g ~h"
SECOND_SECRET = "sec8Q~Second.Secret.Value-abcdefghijklmno"
SHORT_SECRET = "sho8Q~Short.Lived.Secret.Value-abcdefghij"
SHORT_KEY_ID = "0d6c4c1e-7f1a-4b1e-9a59-3e1f1c9a7b01"


def _config(app_changes: dict[str, Any]) -> IdpConfig:
    tenant = default_tenant()
    rp = replace(tenant.apps[0], **app_changes)
    return IdpConfig(tenants=(replace(tenant, apps=(rp,)),))


SECRETS_CONFIG = _config({"secrets": (
    SecretConfig(value=SECRET),
    SecretConfig(value=SECOND_SECRET),
    SecretConfig(value=SHORT_SECRET, key_id=SHORT_KEY_ID, expires_in=timedelta(days=1)),
    SecretConfig(value=ODD_SECRET),
)})


def cert_config() -> IdpConfig:
    return _config({"certificates": (CertificateConfig(pem=client_cert().pem),)})


def _header(token: str) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    return out


def _cc(client: AppClient, **data: str) -> httpx.Response:
    form = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": SECRET,
            "scope": GRAPH_DEFAULT, **data}
    return client.post(TOKEN, data={k: v for k, v in form.items() if v})


def _error(response: httpx.Response, code: int, status: int = 400) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["error_codes"] == [code], body
    assert body["error_description"].startswith(f"AADSTS{code}: ")
    return body


# --- token shapes -----------------------------------------------------------------------------

def test_v2_response_and_id_token(client: AppClient, idp_app: Starlette) -> None:
    grant = get_code(client, nonce="n-1", client_info="1")
    response = redeem(client, grant, client_info="1")
    assert response.status_code == 200
    assert "no-store" in response.headers["cache-control"]
    assert response.headers["pragma"] == "no-cache"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert isinstance(body["expires_in"], int) and isinstance(body["ext_expires_in"], int)
    assert "expires_on" not in body and "resource" not in body
    assert body["refresh_token"]
    assert body["scope"] == "User.Read profile openid email"
    alice = idp_app.state.idp.store.tenants[TENANT].find_user(ALICE)
    info = json.loads(base64.urlsafe_b64decode(body["client_info"] + "=="))
    assert info == {"uid": alice.id, "utid": TENANT}

    token = body["id_token"]
    assert _header(token) == {"alg": "RS256", "kid": _header(token)["kid"], "typ": "JWT"}
    idt = verified(client, token, audience=CLIENT_ID)
    assert idt["iss"] == f"{BASE}/{TENANT}/v2.0"
    # an hour from its issue, dated five minutes before it, as Entra's (TOKEN_BACKDATE)
    assert idt["exp"] - idt["iat"] == 3900 and idt["nbf"] == idt["iat"]
    assert idt["oid"] == alice.id and idt["tid"] == TENANT and idt["ver"] == "2.0"
    assert len(idt["sub"]) == 43 and len(idt["uti"]) == 22
    assert idt["preferred_username"] == ALICE and idt["name"] == "Alice Adams"
    assert idt["email"] == ALICE
    assert idt["nonce"] == "n-1"
    assert idt["sid"] == redirect_params(grant.response)["session_state"]
    assert idt["roles"] == ["Agent"] and idt["groups"] == [SUPPORT_AGENTS_GROUP_ID]
    assert "upn" not in idt and "unique_name" not in idt
    assert "c_hash" not in idt and "at_hash" not in idt


def test_uti_is_unique_per_token(client: AppClient) -> None:
    first = claims(tokens_for(client)["id_token"])["uti"]
    second = claims(tokens_for(client)["id_token"])["uti"]
    assert first != second


def test_sub_is_pairwise_and_oid_is_not(client: AppClient, idp_app: Starlette) -> None:
    from mock_idp.protocol.claims import pairwise_sub

    idt = claims(tokens_for(client)["id_token"])
    assert idt["sub"] == pairwise_sub(idt["oid"], CLIENT_ID)
    assert idt["sub"] != pairwise_sub(idt["oid"], "another-app")


def test_nonce_is_echoed_verbatim(client: AppClient) -> None:
    nonce = "𝔫 +/=?&#%20é<>\"' \t end"
    assert claims(tokens_for(client, nonce=nonce)["id_token"])["nonce"] == nonce


def test_email_and_profile_claims_follow_the_scopes(client: AppClient) -> None:
    # (the default registration asks for the ``email`` optional claim: a registration without)
    assert client.patch(f"/graph/{TENANT}/v1.0/applications(appId='{CLIENT_ID}')",
                        json={"optionalClaims": {"idToken": []}}).status_code == 204
    idt = claims(tokens_for(client, scope="openid")["id_token"])
    assert "email" not in idt and "preferred_username" not in idt
    assert "oid" not in idt and "name" not in idt  # oid needs profile, as name does
    idt = claims(tokens_for(client, scope="openid profile")["id_token"])
    assert idt["oid"] and idt["name"] and idt["preferred_username"] == ALICE


def test_no_refresh_token_without_offline_access_and_no_id_token_without_openid(
    client: AppClient
) -> None:
    body = tokens_for(client, scope="openid profile")
    assert "refresh_token" not in body and "id_token" in body
    body = tokens_for(client, scope="https://graph.microsoft.com/User.Read")
    assert "id_token" not in body and "refresh_token" not in body


def test_v2_access_token_for_graph_is_v1_shaped(client: AppClient) -> None:
    body = tokens_for(client)
    header = _header(body["access_token"])
    assert list(header) == ["typ", "alg", "nonce", "x5t", "kid"]
    assert header["x5t"] == header["kid"] and len(header["nonce"]) == 43
    at = verified(client, body["access_token"], audience="00000003-0000-0000-c000-000000000000",
                  graph=True)
    assert at["ver"] == "1.0" and at["appid"] == CLIENT_ID and at["appidacr"] == "1"
    assert "User.Read" in at["scp"].split()


def test_v1_response_has_string_numbers_and_v1_id_token(client: AppClient,
                                                        clock: MockClock) -> None:
    grant = get_code(client, version="1.0", resource="https://graph.microsoft.com/")
    response = redeem(client, grant, version="1.0")
    assert response.status_code == 200, response.text
    body = response.json()
    for name in ("expires_in", "ext_expires_in", "expires_on", "not_before"):
        assert isinstance(body[name], str) and body[name].isdigit(), name
    now = int(clock.now().timestamp())
    # ``not_before`` is the access token's ``nbf``, five minutes before its issue, as in
    # Entra's v1 answers (``expires_on`` 3900 s after it for a 3599 s token)
    assert abs(int(body["not_before"]) - (now - 300)) <= 2
    assert int(body["expires_on"]) - int(body["not_before"]) == int(body["expires_in"]) + 300
    assert body["not_before"] == str(claims(body["access_token"])["nbf"])
    assert body["resource"] == "https://graph.microsoft.com/"
    assert body["refresh_token"]
    token = body["id_token"]
    # Unsigned, as Entra's v1.0 token endpoint returns it: alg none and an empty signature.
    assert _header(token) == {"typ": "JWT", "alg": "none"}
    assert token.endswith(".") and token.count(".") == 2
    idt = claims(token)
    assert idt["aud"] == CLIENT_ID
    assert idt["iss"] == f"https://sts.windows.net/{TENANT}/"
    assert idt["ver"] == "1.0"
    assert idt["upn"] == ALICE and idt["unique_name"] == ALICE
    assert "preferred_username" not in idt
    assert len(idt["uti"]) == 22 and idt["tid"] == TENANT
    assert "c_hash" not in idt


def test_v1_refresh_returns_an_unsigned_id_token_too(client: AppClient) -> None:
    body = tokens_for(client, version="1.0", resource="https://graph.microsoft.com/")
    response = client.post(TOKEN_V1, data={
        "grant_type": "refresh_token", "client_id": CLIENT_ID, "client_secret": SECRET,
        "refresh_token": body["refresh_token"], "resource": "https://graph.microsoft.com/"})
    assert response.status_code == 200, response.text
    assert _header(response.json()["id_token"])["alg"] == "none"


def test_a_v1_answer_names_the_resource_its_token_is_for(client: AppClient) -> None:
    # A v2 refresh token redeemed at v1 without a resource: the answer's ``resource`` is the
    # access token's ``aud``, which ADAL keeps the token under.
    body = tokens_for(client)
    response = client.post(TOKEN_V1, data={
        "grant_type": "refresh_token", "client_id": CLIENT_ID, "client_secret": SECRET,
        "refresh_token": body["refresh_token"]})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["resource"] == claims(answer["access_token"])["aud"]


def test_v1_access_tokens_carry_ipaddr(client: AppClient) -> None:
    # "always included in v1.0 tokens", access tokens too: the optional claims reference.
    v1 = tokens_for(client, version="1.0", resource="https://graph.microsoft.com/")
    assert claims(v1["access_token"])["ipaddr"] == claims(v1["id_token"])["ipaddr"]


@pytest.mark.idp_config(_config({"sign_v1_id_tokens": True}))
def test_v1_id_tokens_are_signed_when_the_app_asks(client: AppClient) -> None:
    token = tokens_for(client, version="1.0", resource="https://graph.microsoft.com/")["id_token"]
    header = _header(token)
    assert header["alg"] == "RS256" and header["x5t"] == header["kid"]
    assert verified(client, token, audience=CLIENT_ID, version="1.0")["ver"] == "1.0"


def test_the_switch_is_a_graph_property(client: AppClient) -> None:
    path = f"/graph/{TENANT}/v1.0/applications(appId='{CLIENT_ID}')"
    assert client.get(path).json()["signV1IdTokens"] is False
    assert client.patch(path, json={"signV1IdTokens": True}).status_code == 204
    assert client.get(path).json()["signV1IdTokens"] is True
    token = tokens_for(client, version="1.0")["id_token"]
    assert _header(token)["alg"] == "RS256"
    bad = client.patch(path, json={"signV1IdTokens": "yes"})
    assert bad.status_code == 400 and bad.json()["error"]["target"] == "signV1IdTokens"


def test_v2_id_tokens_stay_signed(client: AppClient) -> None:
    assert _header(tokens_for(client)["id_token"])["alg"] == "RS256"


@pytest.mark.idp_config(multi_tenant_config())
@pytest.mark.parametrize("segment", [DOMAIN, "common", "organizations"])
def test_code_redemption_on_other_tenant_forms(client: AppClient, segment: str) -> None:
    grant = get_code(client, tenant=segment)
    response = redeem(client, grant, tenant=segment)
    assert response.status_code == 200, response.text
    assert claims(response.json()["id_token"])["iss"] == f"{BASE}/{TENANT}/v2.0"


# --- scope as Entra echoes it (what MSAL caches the access token under) ---------------------

API_URI = "api://downstream-api"
API_ID = "9c1e4b7a-2d3f-4e5a-8b6c-7d8e9f0a1b2c"
GRAPH_ID = "00000003-0000-0000-c000-000000000000"
API_CONFIG = IdpConfig(tenants=(replace(default_tenant(), apps=(*default_tenant().apps, AppConfig(
    client_id=API_ID, name="Downstream API", identifier_uris=(API_URI,))),),))


@pytest.mark.parametrize("scope, echoed", [
    ("User.Read offline_access openid profile", "User.Read profile openid email"),
    # A full URI comes back as one, the OpenID Connect scopes before it.
    ("https://graph.microsoft.com/Mail.Read User.Read openid", "profile openid email "
     "https://graph.microsoft.com/Mail.Read User.Read"),
    ("openid profile offline_access", "User.Read profile openid email"),
    # ``.default``: what it stands for, then itself.
    ("https://graph.microsoft.com/.default offline_access openid", "profile openid email "
     "https://graph.microsoft.com/User.Read https://graph.microsoft.com/.default"),
    ("User.Read offline_access", "User.Read"),
    # Entra's spelling, whatever the request's.
    ("openid user.read MAIL.READ Unlisted.Name", "User.Read Mail.Read Unlisted.Name profile openid "
     "email"),
])
def test_graph_scopes_come_back_in_the_form_asked(client: AppClient, scope: str,
                                                  echoed: str) -> None:
    body = tokens_for(client, scope=scope)
    assert body["scope"] == echoed
    at = claims(body["access_token"])
    # Graph's app id for bare permission names, its URL when the first one is named by it.
    named = scope.startswith("https://graph.microsoft.com/")
    assert at["aud"] == ("https://graph.microsoft.com" if named
                         else "00000003-0000-0000-c000-000000000000")
    # ``scp`` holds short names, without ``.default``.
    assert [s for s in at["scp"].split() if s not in ("openid", "profile", "email")] == [
        s.removeprefix("https://graph.microsoft.com/") for s in echoed.split()
        if s not in ("openid", "profile", "email", "https://graph.microsoft.com/.default")]


@pytest.mark.idp_config(API_CONFIG)
def test_other_resources_come_back_as_full_uris_without_oidc_scopes(client: AppClient) -> None:
    body = tokens_for(client, scope=f"{API_URI}/access_as_user offline_access openid profile "
                                    f"email")
    assert body["scope"] == f"{API_URI}/access_as_user"
    at = claims(body["access_token"])
    # v1, as Entra issues for an API that leaves requestedAccessTokenVersion unset
    assert at["aud"] == API_URI and at["ver"] == "1.0"
    assert at["iss"] == f"https://sts.windows.net/{TENANT}/" and at["appid"] == CLIENT_ID
    assert at["scp"] == "access_as_user"
    refreshed = _refresh(client, body["refresh_token"], scope=f"{API_URI}/access_as_user")
    assert refreshed.json()["scope"] == f"{API_URI}/access_as_user"


@pytest.mark.idp_config(API_CONFIG)
def test_the_redemptions_scope_names_the_resource_of_the_access_token(client: AppClient) -> None:
    # Authorize for Graph and the API at once (one consent); each redemption names the
    # resource it wants its access token for, as MSAL does with the scopes it asks.
    asked = f"openid offline_access User.Read {API_URI}/access_as_user"
    for scope, audience in ((f"openid {API_URI}/access_as_user", API_URI),
                            ("openid User.Read", "00000003-0000-0000-c000-000000000000")):
        response = redeem(client, get_code(client, scope=asked), scope=scope)
        assert response.status_code == 200, response.text
        body = response.json()
        assert claims(body["access_token"])["aud"] == audience
        assert body["id_token"] and body["refresh_token"]
    # Without a scope, the code's own: its first resource.
    body = redeem(client, get_code(client, scope=asked)).json()
    assert claims(body["access_token"])["aud"] == "00000003-0000-0000-c000-000000000000"


@pytest.mark.idp_config(API_CONFIG)
def test_a_redemption_cannot_ask_beyond_the_code_65001(client: AppClient) -> None:
    grant = get_code(client, scope="openid User.Read")
    response = redeem(client, grant, scope=f"openid {API_URI}/access_as_user")
    assert _error(response, 65001)["error"] == "invalid_grant"
    assert redeem(client, grant).status_code == 200, "a refused redemption used the code up"


@pytest.mark.idp_config(API_CONFIG)
def test_a_token_request_for_two_resources_is_28000(client: AppClient) -> None:
    # One authorization request may ask for two resources (one consent); a token is for one.
    asked = f"openid offline_access User.Read {API_URI}/access_as_user"
    grant = get_code(client, scope=asked)
    body = _error(redeem(client, grant, scope=asked), 28000)
    assert body["error"] == "invalid_request"
    assert f"Scope {asked} is not valid." in body["error_description"]
    response = redeem(client, grant, scope=f"openid {API_URI}/access_as_user")
    assert response.status_code == 200, response.text
    rt = response.json()["refresh_token"]
    _error(_refresh(client, rt, scope=f"{API_URI}/.default https://graph.microsoft.com/.default"),
           28000)
    assert _refresh(client, rt, scope="User.Read openid").status_code == 200


def test_user_tokens_without_roles_have_no_roles_claim(client: AppClient) -> None:
    body = tokens_for(client, upn=BOB)
    assert "roles" not in claims(body["id_token"])
    assert "roles" not in claims(body["access_token"])


# --- authorization code and PKCE --------------------------------------------------------------

def test_pkce_plain(client: AppClient) -> None:
    verifier = "p" * 43
    page = client.get(paths(TENANT, "2.0")["authorize"], params=auth_params(
        code_challenge=verifier, code_challenge_method="plain"))
    code = redirect_params(sign_in(client, page))["code"]
    form = {"grant_type": "authorization_code", "client_id": CLIENT_ID, "client_secret": SECRET,
            "code": code, "redirect_uri": auth_params()["redirect_uri"]}
    _error(client.post(TOKEN, data={**form, "code_verifier": "q" * 43}), 501481)
    assert client.post(TOKEN, data={**form, "code_verifier": verifier}).status_code == 200


def test_pkce_wrong_or_missing_verifier_is_501481(client: AppClient) -> None:
    grant = get_code(client)
    body = _error(redeem(client, grant, code_verifier=pkce_pair()[0]), 501481)
    assert body["error"] == "invalid_grant"
    _error(redeem(client, grant, code_verifier=""), 501481)
    assert redeem(client, grant).status_code == 200


def test_code_is_single_use_54005(client: AppClient) -> None:
    grant = get_code(client)
    assert redeem(client, grant).status_code == 200
    assert _error(redeem(client, grant), 54005)["error"] == "invalid_grant"


def test_expired_code_is_70008(client: AppClient, clock: MockClock) -> None:
    grant = get_code(client)
    clock.advance(timedelta(minutes=11))
    assert _error(redeem(client, grant), 70008)["error"] == "invalid_grant"


def test_code_redirect_uri_must_match(client: AppClient) -> None:
    # Both URIs are registered: the code's own decides, and the message names both.
    grant = get_code(client, redirect_uri="http://localhost/signed-out")
    body = _error(redeem(client, replace(grant, redirect_uri="http://localhost/auth/callback")),
                  500112)
    assert body["error"] == "invalid_client"
    assert ("The reply address 'http://localhost/auth/callback' does not match the reply "
            "address 'http://localhost/signed-out' provided when requesting Authorization "
            "code.") in body["error_description"]


def test_code_missing_parameters_are_900144(client: AppClient) -> None:
    grant = get_code(client)
    body = _error(redeem(client, grant, code=""), 900144)
    assert "'code'" in body["error_description"]


def test_garbage_code_is_invalid_grant(client: AppClient) -> None:
    grant = get_code(client)
    response = redeem(client, replace(grant, code="garbage"))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


# --- refresh token ----------------------------------------------------------------------------

def _refresh(client: AppClient, token: str, **extra: str) -> httpx.Response:
    return client.post(TOKEN, data={"grant_type": "refresh_token", "client_id": CLIENT_ID,
                                    "client_secret": SECRET, "refresh_token": token, **extra})


def test_refresh_token_rotates(client: AppClient) -> None:
    first = tokens_for(client)["refresh_token"]
    second_response = _refresh(client, first)
    assert second_response.status_code == 200, second_response.text
    second = second_response.json()
    assert second["refresh_token"] != first
    assert _refresh(client, first).status_code == 200, "older tokens are not revoked at once"
    third = _refresh(client, second["refresh_token"]).json()
    assert third["refresh_token"] not in (first, second["refresh_token"])
    idt = claims(third["id_token"])
    assert "nonce" not in idt and idt["oid"]


def test_refresh_after_tokens_valid_from_is_50173(client: AppClient, idp_app: Starlette,
                                                  clock: MockClock) -> None:
    rt = tokens_for(client)["refresh_token"]
    clock.advance(timedelta(minutes=1))
    alice = idp_app.state.idp.store.tenants[TENANT].find_user(ALICE)
    alice.tokens_valid_from = revoked_at = clock.now()
    body = _error(_refresh(client, rt), 50173)
    assert body["error"] == "invalid_grant" and body["suberror"] == "bad_token"
    # Entra's dates: ISO 8601 with seven fractional digits
    valid_from = revoked_at.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"
    assert re.search(r"The grant was issued on '\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z' "
                     f"and the TokensValidFrom date .* is '{re.escape(valid_from)}'",
                     body["error_description"]), body["error_description"]


def test_an_expired_refresh_token_names_its_issue_date_as_entra_does(
        client: AppClient, clock: MockClock) -> None:
    issued = clock.freeze()  # the second it is issued in, however long the sign-in takes
    rt = tokens_for(client)["refresh_token"]
    clock.advance(client.app.state.idp.config.refresh_token_lifetime)  # type: ignore[attr-defined]
    body = _error(_refresh(client, rt), 700082)
    # MSAL.js and msal-node read the suberror as "interaction required"
    assert body["error"] == "invalid_grant" and body["suberror"] == "bad_token"
    stamp = issued.strftime("%Y-%m-%dT%H:%M:%S")
    assert re.search(rf"The token was issued on {stamp}\.\d{{7}}Z and was inactive",
                     body["error_description"]), body["error_description"]


def test_refresh_for_a_disabled_user_is_50057(client: AppClient, idp_app: Starlette) -> None:
    rt = tokens_for(client)["refresh_token"]
    idp_app.state.idp.store.tenants[TENANT].find_user(ALICE).enabled = False
    assert _error(_refresh(client, rt), 50057)["error"] == "invalid_grant"


def test_refresh_for_an_unknown_resource_is_500011(client: AppClient) -> None:
    rt = tokens_for(client)["refresh_token"]
    body = _error(_refresh(client, rt, scope="api://other-app/Files.Read"), 500011)
    assert body["error"] == "invalid_resource"


def _consent(client: AppClient, resource: str, scope: str) -> None:
    """An administrator's consent, for every user, through the mock's Graph."""
    created = client.post(f"/graph/{TENANT}/v1.0/oauth2PermissionGrants", json={
        "clientId": CLIENT_ID, "resourceId": resource, "consentType": "AllPrincipals",
        "scope": scope})
    assert created.status_code == 201, created.text


@pytest.mark.idp_config(API_CONFIG)
def test_a_refresh_token_serves_any_resource_consented_to(client: AppClient) -> None:
    # Signed in for Graph only; the API's permission is consented to afterwards, and the
    # same refresh token then serves it, as MSAL's silent call expects.
    rt = tokens_for(client, scope="openid offline_access User.Read")["refresh_token"]
    body = _error(_refresh(client, rt, scope=f"{API_URI}/access_as_user"), 65001)
    assert body["error"] == "invalid_grant" and body["suberror"] == "consent_required"
    _consent(client, API_ID, "access_as_user")
    response = _refresh(client, rt, scope=f"{API_URI}/access_as_user offline_access")
    assert response.status_code == 200, response.text
    api = response.json()
    assert api["scope"] == f"{API_URI}/access_as_user"
    at = claims(api["access_token"])
    assert (at["aud"], at["scp"], at["ver"]) == (API_URI, "access_as_user", "1.0")
    # The new refresh token still serves Graph; a permission no one consented to is refused.
    graph = _refresh(client, api["refresh_token"], scope="User.Read").json()
    assert _refresh(client, rt, scope=f"{API_URI}/ACCESS_AS_USER").status_code == 200
    assert claims(graph["access_token"])["aud"] == GRAPH_ID
    _error(_refresh(client, rt, scope=f"{API_URI}/Orders.Write"), 65001)
    _error(_refresh(client, rt, scope="Mail.Read"), 65001)


@pytest.mark.idp_config(IdpConfig(tenants=(replace(API_CONFIG.tenants[0], apps=(
    replace(API_CONFIG.tenants[0].apps[0], api_permissions=(f"{API_URI}/access_as_user",)),
    *API_CONFIG.tenants[0].apps[1:])),)))
def test_the_api_permissions_an_administrator_consented_need_no_grant(
        client: AppClient) -> None:
    rt = tokens_for(client, scope="openid offline_access User.Read")["refresh_token"]
    response = _refresh(client, rt, scope=f"{API_URI}/access_as_user")
    assert response.status_code == 200, response.text
    assert claims(response.json()["access_token"])["aud"] == API_URI
    _error(_refresh(client, rt, scope=f"{API_URI}/Orders.Write"), 65001)


@pytest.mark.idp_config(API_CONFIG)
def test_default_of_a_new_resource_is_every_permission_consented(client: AppClient) -> None:
    rt = tokens_for(client, scope="openid offline_access User.Read")["refresh_token"]
    _error(_refresh(client, rt, scope=f"{API_URI}/.default"), 65001)
    _consent(client, API_ID, "access_as_user Orders.Read")
    body = _refresh(client, rt, scope=f"{API_URI}/.default").json()
    assert body["scope"] == f"{API_URI}/access_as_user {API_URI}/Orders.Read"
    assert claims(body["access_token"])["scp"] == "access_as_user Orders.Read"


@pytest.mark.idp_config(API_CONFIG)
def test_a_v1_refresh_token_serves_the_resource_it_names(client: AppClient) -> None:
    rt = tokens_for(client, version="1.0")["refresh_token"]
    form = {"grant_type": "refresh_token", "client_id": CLIENT_ID, "client_secret": SECRET,
            "refresh_token": rt, "resource": API_URI}
    _error(client.post(TOKEN_V1, data=form), 65001)
    _consent(client, API_ID, "access_as_user")
    response = client.post(TOKEN_V1, data=form)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["resource"] == API_URI
    at = claims(body["access_token"])
    assert (at["aud"], at["scp"]) == (API_URI, "access_as_user")
    # Without ``resource``, the refresh token's own: Graph's, for this sign-in.
    again = client.post(TOKEN_V1, data={**form, "resource": ""}).json()
    assert claims(again["access_token"])["aud"] == GRAPH_ID


def test_garbage_refresh_token(client: AppClient) -> None:
    response = _refresh(client, "not-a-refresh-token")
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


# --- client credentials -----------------------------------------------------------------------

def test_client_credentials(client: AppClient) -> None:
    response = _cc(client)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token_type", "expires_in", "ext_expires_in", "access_token"}
    # Named by its URL in the scope, so the v1 token's aud is that URL (as reported for
    # Entra's app-only Graph tokens).
    at = verified(client, body["access_token"], audience="https://graph.microsoft.com",
                  graph=True)
    assert at["idtyp"] == "app" and "scp" not in at and at["appid"] == CLIENT_ID
    assert at["sub"] == at["oid"]
    assert "roles" not in at  # Entra omits an empty roles claim


@pytest.mark.idp_config(API_CONFIG)
def test_idtyp_is_graphs_and_otherwise_the_apis_optional_claim(client: AppClient) -> None:
    assert claims(tokens_for(client)["access_token"])["idtyp"] == "user"  # Graph's
    api_user = tokens_for(client, scope=f"openid {API_URI}/access_as_user")["access_token"]
    api_app = _cc(client, scope=f"{API_URI}/.default").json()["access_token"]
    assert "idtyp" not in claims(api_user) and "idtyp" not in claims(api_app)
    app = f"/graph/{TENANT}/v1.0/applications(appId='9c1e4b7a-2d3f-4e5a-8b6c-7d8e9f0a1b2c')"
    optional = {"optionalClaims": {"accessToken": [{"name": "idtyp"}]}}
    assert client.patch(app, json=optional).status_code == 204
    assert claims(_cc(client, scope=f"{API_URI}/.default").json()["access_token"]
                  )["idtyp"] == "app"
    user_token = tokens_for(client, scope=f"openid {API_URI}/access_as_user")["access_token"]
    assert "idtyp" not in claims(user_token)  # "user" only with include_user_token


@pytest.mark.parametrize("scope", ["https://graph.microsoft.com/User.Read",
                                   "https://graph.microsoft.com/.default openid", "openid"])
def test_client_credentials_needs_one_default_scope_1002012(client: AppClient,
                                                            scope: str) -> None:
    body = _error(_cc(client, scope=scope), 1002012)
    assert body["error"] == "invalid_scope"
    assert "/.default" in body["error_description"]


@pytest.mark.parametrize("segment", ["common", "consumers"])
def test_client_credentials_on_common_is_9001023(client: AppClient, segment: str) -> None:
    response = client.post(paths(segment, "2.0")["token"], data={
        "grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": SECRET,
        "scope": GRAPH_DEFAULT})
    body = _error(response, 9001023)
    assert "/organizations or tenant-specific endpoint" in body["error_description"]


@pytest.mark.idp_config(multi_tenant_config())
def test_client_credentials_on_organizations_uses_the_home_tenant(client: AppClient) -> None:
    response = client.post(paths("organizations", "2.0")["token"], data={
        "grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": SECRET,
        "scope": GRAPH_DEFAULT})
    assert response.status_code == 200, response.text
    assert claims(response.json()["access_token"])["tid"] == TENANT


def test_client_credentials_v1_uses_resource(client: AppClient) -> None:
    response = client.post(TOKEN_V1, data={
        "grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": SECRET,
        "resource": "https://graph.microsoft.com/"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["resource"] == "https://graph.microsoft.com/"
    assert isinstance(body["expires_in"], str) and body["expires_on"].isdigit()


# --- client authentication: secrets -----------------------------------------------------------

def test_secret_in_http_basic(client: AppClient) -> None:
    raw = f"{quote_plus(CLIENT_ID)}:{quote_plus(SECRET)}".encode()
    response = client.post(TOKEN, data={"grant_type": "client_credentials",
                                        "scope": GRAPH_DEFAULT},
                           headers={"Authorization": "Basic " + base64.b64encode(raw).decode()})
    assert response.status_code == 200, response.text


@pytest.mark.idp_config(SECRETS_CONFIG)
def test_basic_with_url_encoded_special_characters(client: AppClient) -> None:
    raw = f"{quote_plus(CLIENT_ID)}:{quote_plus(ODD_SECRET)}".encode()
    response = client.post(TOKEN, data={"grant_type": "client_credentials",
                                        "scope": GRAPH_DEFAULT},
                           headers={"Authorization": "Basic " + base64.b64encode(raw).decode()})
    assert response.status_code == 200, response.text
    assert _cc(client, client_secret=ODD_SECRET).status_code == 200


@pytest.mark.idp_config(SECRETS_CONFIG)
def test_several_secrets_each_work_and_an_expired_one_is_7000222(client: AppClient,
                                                                 clock: MockClock) -> None:
    for secret in (SECRET, SECOND_SECRET, SHORT_SECRET):
        assert _cc(client, client_secret=secret).status_code == 200
    clock.advance(timedelta(days=2))
    body = _error(_cc(client, client_secret=SHORT_SECRET), 7000222, 401)
    assert body["error"] == "invalid_client"
    assert f"app '{CLIENT_ID}' are expired" in body["error_description"]
    assert _cc(client, client_secret=SECOND_SECRET).status_code == 200


@pytest.mark.idp_config(SECRETS_CONFIG)
def test_wrong_secret_or_the_secret_id_is_7000215(client: AppClient) -> None:
    for wrong in ("wrong", SHORT_KEY_ID, SECRET[:-1]):
        body = _error(_cc(client, client_secret=wrong), 7000215, 401)
        assert body["error"] == "invalid_client"


def test_default_secret_expires_after_180_days(client: AppClient, clock: MockClock) -> None:
    clock.advance(timedelta(days=181))
    _error(_cc(client), 7000222, 401)


def test_no_credentials_is_7000218(client: AppClient) -> None:
    body = _error(_cc(client, client_secret=""), 7000218, 401)
    assert body["error"] == "invalid_client"


@pytest.mark.idp_config(_config({"public_client": True}))
def test_public_client_with_a_secret_is_700025(client: AppClient) -> None:
    assert _error(_cc(client), 700025, 401)["error"] == "invalid_client"


def test_unknown_client_is_700016(client: AppClient) -> None:
    body = _error(_cc(client, client_id="11111111-2222-3333-4444-555555555555"), 700016)
    assert body["error"] == "unauthorized_client"


# --- client authentication: certificates ------------------------------------------------------

def _assert(client: AppClient, assertion: str, **extra: str) -> httpx.Response:
    return _cc(client, client_secret="", client_assertion=assertion,
               client_assertion_type="urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
               **extra)


AUD = f"{BASE}/{TENANT}/oauth2/v2.0/token"


@pytest.mark.idp_config.with_args(cert_config)
def test_certificate_assertion_works(client: AppClient, clock: MockClock) -> None:
    response = _assert(client, client_cert().assertion(audience=AUD, now=clock.now()))
    assert response.status_code == 200, response.text
    assert claims(response.json()["access_token"])["appidacr"] == "2"


@pytest.mark.idp_config.with_args(cert_config)
def test_certificate_assertion_for_a_code(client: AppClient, clock: MockClock) -> None:
    grant = get_code(client)
    response = redeem(client, grant, client_secret="",
                      client_assertion=client_cert().assertion(audience=AUD, now=clock.now()),
                      client_assertion_type="urn:ietf:params:oauth:client-assertion-type:"
                                            "jwt-bearer")
    assert response.status_code == 200, response.text


def _forged(cert: Certificate, signer: Certificate, **kw: Any) -> str:
    fake = Certificate(signer.key, cert.cert)
    return fake.assertion(**kw)


@pytest.mark.idp_config.with_args(cert_config)
def test_bad_signature_is_700027(client: AppClient, clock: MockClock) -> None:
    assertion = _forged(client_cert(), other_cert(), audience=AUD, now=clock.now())
    assert _error(_assert(client, assertion), 700027, 401)["error"] == "invalid_client"


@pytest.mark.idp_config.with_args(cert_config)
def test_unregistered_certificate_is_700027(client: AppClient, clock: MockClock) -> None:
    _error(_assert(client, other_cert().assertion(audience=AUD, now=clock.now())), 700027, 401)


@pytest.mark.idp_config.with_args(cert_config)
def test_wrong_issuer_is_700021(client: AppClient, clock: MockClock) -> None:
    assertion = client_cert().assertion(audience=AUD, now=clock.now(),
                               iss="11111111-2222-3333-4444-555555555555")
    _error(_assert(client, assertion, client_id=CLIENT_ID), 700021, 401)


@pytest.mark.idp_config.with_args(cert_config)
def test_an_assertion_for_another_audience_is_700023(client: AppClient,
                                                     clock: MockClock) -> None:
    assertion = client_cert().assertion(audience="https://example.com/token", now=clock.now())
    body = _error(_assert(client, assertion), 700023, 401)
    assert "audience claim does not match Realm issuer" in body["error_description"]


@pytest.mark.idp_config.with_args(cert_config)
def test_an_assertion_with_two_audiences_is_5002741(client: AppClient,
                                                    clock: MockClock) -> None:
    # As zitadel/oidc sends it: the issuer and the token URL, the right one among them.
    issuer = f"{BASE}/{TENANT}/v2.0"
    assertion = client_cert().assertion(audience=AUD, now=clock.now(), aud=[issuer, AUD])
    body = _error(_assert(client, assertion), 5002741, 401)
    assert "2 audience values provided, maximum allowed is 1." in body["error_description"]
    one = client_cert().assertion(audience=AUD, now=clock.now(), aud=[AUD])
    assert _assert(client, one).status_code == 200


def _entra_time(epoch_seconds: float) -> str:
    return datetime.fromtimestamp(epoch_seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"


@pytest.mark.idp_config.with_args(cert_config)
def test_expired_assertion_is_700024_naming_the_times(client: AppClient,
                                                       clock: MockClock) -> None:
    """Expired by the provider's clock and by real time alike; the message names the current
    time, the assertion's ``nbf`` and ``exp`` as Entra's does (msal4j #984, MSAL.NET #4951)."""
    now = clock.freeze()
    signed = now - timedelta(hours=2)
    assertion = client_cert().assertion(audience=AUD, now=signed)
    body = _error(_assert(client, assertion), 700024, 401)
    assert body["error_description"].startswith(
        "AADSTS700024: Client assertion is not within its valid time range. Current time: "
        f"{_entra_time(now.timestamp())}, assertion valid from "
        f"{_entra_time(int(signed.timestamp()))}, expiry time of assertion "
        f"{_entra_time(int(signed.timestamp()) + 600)}. Review the documentation at "
        "https://learn.microsoft.com/entra/identity-platform/certificate-credentials .\r\nTrace ID"
    ), body["error_description"]


@pytest.mark.idp_config.with_args(cert_config)
def test_an_assertion_without_nbf_is_valid_from_1970(client: AppClient,
                                                     clock: MockClock) -> None:
    exp = int(clock.now().timestamp()) - 3600
    assertion = jwt.encode({"aud": AUD, "iss": CLIENT_ID, "sub": CLIENT_ID, "exp": exp,
                            "jti": "j-1"}, client_cert().key, algorithm="RS256",
                           headers={"x5t": client_cert().x5t})
    body = _error(_assert(client, assertion), 700024, 401)
    assert (f"assertion valid from 1970-01-01T00:00:00.0000000Z, expiry time of assertion "
            f"{_entra_time(exp)}.") in body["error_description"]


@pytest.mark.idp_config.with_args(cert_config)
@pytest.mark.parametrize("moved", [timedelta(minutes=30), timedelta(days=3), -timedelta(hours=1)])
def test_an_assertion_signed_at_real_time_works_however_the_clock_moved(
        client: AppClient, clock: MockClock, moved: timedelta) -> None:
    """The moved clock is the provider's records' time; clients sign with the machine's, as
    they and Entra share real time."""
    clock.advance(moved)
    real = client_cert().assertion(audience=AUD, now=datetime.now(UTC))
    assert _assert(client, real).status_code == 200
    provider = client_cert().assertion(audience=AUD, now=clock.now())
    assert _assert(client, provider).status_code == 200


@pytest.mark.idp_config.with_args(cert_config)
def test_assertion_without_x5t_is_5002723(client: AppClient, clock: MockClock) -> None:
    assertion = client_cert().assertion(audience=AUD, now=clock.now(), header={})
    _error(_assert(client, assertion), 5002723, 401)


@pytest.mark.idp_config.with_args(cert_config)
def test_hs256_assertion_is_5002738(client: AppClient, clock: MockClock) -> None:
    now = int(clock.now().timestamp())
    assertion = jwt.encode({"aud": AUD, "iss": CLIENT_ID, "sub": CLIENT_ID, "exp": now + 600,
                            "nbf": now}, "s" * 32, algorithm="HS256",
                           headers={"x5t": client_cert().x5t})
    body = _error(_assert(client, assertion), 5002738, 401)
    assert "RS256,RS384,RS512" in body["error_description"]


@pytest.mark.idp_config.with_args(cert_config)
def test_padded_thumbprints_as_msal_python_sends_them(client: AppClient,
                                                      clock: MockClock) -> None:
    cert = client_cert()
    assertion = cert.assertion(audience=AUD, now=clock.now(), header={"x5t": cert.x5t + "="})
    assert _assert(client, assertion).status_code == 200
    sha256 = base64.urlsafe_b64encode(hashlib.sha256(cert.cert.public_bytes(
        serialization.Encoding.DER)).digest()).decode()
    assert sha256.endswith("=")
    fake = Certificate(cert.key, cert.cert)
    body = {"aud": AUD, "iss": CLIENT_ID, "sub": CLIENT_ID, "exp": int(clock.now().timestamp())
            + 600}
    token = jwt.encode(body, fake.key, algorithm="PS256", headers={"x5t#S256": sha256})
    assert _assert(client, token).status_code == 200
