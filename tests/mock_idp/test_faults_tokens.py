"""Token faults: one per row of the relying-party check catalogue, shown by decoding exactly
what a client receives (ID tokens, the JWKS, userinfo, back-channel logout tokens)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import jwt
import pytest
from asgi_client import AppClient
from idp_testkit import (
    ALICE,
    BASE,
    CLIENT_ID,
    HYBRID_CLIENT_ID,
    HYBRID_SECRET,
    TENANT,
    auth_params,
    claims,
    get_code,
    half_hash,
    hybrid_config,
    logout_hint,
    paths,
    redeem,
    redirect_params,
    sign_in,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mock_idp import create_app
from mock_idp.config import IdpConfig

V2 = paths(TENANT, "2.0")
V1 = paths(TENANT, "1.0")
HYBRID = {"client_id": HYBRID_CLIENT_ID, "redirect_uri": "http://localhost/cb"}
ISSUER = f"{BASE}/{TENANT}/v2.0"
BACKCHANNEL = "http://schemas.openid.net/event/backchannel-logout"


def arm(client: AppClient, **spec: Any) -> None:
    response = client.post("/_mock/faults", json=spec)
    assert response.status_code == 201, response.text


def sign_v1_id_tokens(client: AppClient) -> None:
    """The per-app switch: the v1.0 token endpoint signs this app's ID tokens."""
    response = client.patch(f"/graph/{TENANT}/v1.0/applications(appId='{CLIENT_ID}')",
                            json={"signV1IdTokens": True})
    assert response.status_code == 204, response.text


def header(token: str) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    return out


def jwks(client: AppClient, version: str = "2.0") -> list[dict[str, Any]]:
    keys: list[dict[str, Any]] = client.get(paths(TENANT, version)["keys"]).json()["keys"]
    return keys


def verifies_with(token: str, jwk: dict[str, Any]) -> bool:
    key = jwt.PyJWK.from_dict({**jwk, "alg": "RS256"}).key
    try:
        jwt.decode(token, key, algorithms=["RS256"], options={
            "verify_aud": False, "verify_exp": False, "verify_iat": False,
            "verify_nbf": False, "verify_iss": False})
    except jwt.InvalidSignatureError:
        return False
    return True


def published_key_for(client: AppClient, token: str) -> dict[str, Any]:
    kid = header(token)["kid"]
    return next(k for k in jwks(client) if k["kid"] == kid)


def id_token(client: AppClient, *, version: str = "2.0") -> str:
    """Code flow with the reference app; the ID token from the token endpoint."""
    response = redeem(client, get_code(client, version=version), version=version)
    assert response.status_code == 200, response.text
    token: str = response.json()["id_token"]
    return token


def now(client: AppClient) -> int:
    instant = datetime.fromisoformat(client.get("/_mock/clock").json()["now"].replace(
        "Z", "+00:00"))
    return int(instant.timestamp())


# --- the control: an untampered token -------------------------------------------------------

def test_without_a_fault_the_token_verifies_and_carries_every_claim(client: AppClient) -> None:
    token = id_token(client)
    assert header(token)["alg"] == "RS256"
    assert verifies_with(token, published_key_for(client, token))
    body = claims(token)
    assert body["iss"] == ISSUER and body["aud"] == CLIENT_ID and body["nonce"] == "n-1"
    assert {"sub", "iat", "nbf", "exp"} <= set(body)
    assert body["nbf"] <= now(client) < body["exp"]


# --- signatures and keys --------------------------------------------------------------------

def test_bad_signature_fails_with_the_published_key(client: AppClient) -> None:
    good = claims(id_token(client))
    arm(client, kind="bad_signature")
    token = id_token(client)
    key = published_key_for(client, token)
    assert not verifies_with(token, key)
    body = claims(token)
    assert body["aud"] == good["aud"] and body["iss"] == good["iss"]
    assert body["sub"] == good["sub"]


def test_alg_none_is_unsigned(client: AppClient) -> None:
    arm(client, kind="alg_none")
    token = id_token(client)
    assert header(token)["alg"] == "none"
    assert token.endswith(".") and token.count(".") == 2
    assert claims(token)["aud"] == CLIENT_ID
    with pytest.raises(jwt.InvalidAlgorithmError):
        jwt.decode(token, "x", algorithms=["RS256"])


@pytest.mark.parametrize("version", ["2.0", "1.0"])
def test_unknown_key_kid_is_not_in_the_jwks(client: AppClient, version: str) -> None:
    sign_v1_id_tokens(client)
    arm(client, kind="unknown_key")
    token = id_token(client, version=version)
    head = header(token)
    published = jwks(client, version)
    assert head["kid"] not in {k["kid"] for k in published}
    if version == "1.0":
        assert head["x5t"] not in {k["x5t"] for k in published}
    assert not any(verifies_with(token, k) for k in published)


def test_claim_faults_on_an_unsigned_v1_id_token_stay_unsigned(client: AppClient) -> None:
    arm(client, kind="wrong_iss")
    token = id_token(client, version="1.0")
    assert header(token) == {"typ": "JWT", "alg": "none"} and token.endswith(".")
    assert claims(token)["iss"] == f"https://sts.windows.net/{TENANT}/1"


def test_kid_absent_single_key(client: AppClient) -> None:
    assert len(jwks(client)) == 1
    arm(client, kind="kid_absent")
    token = id_token(client)
    assert "kid" not in header(token) and "x5t" not in header(token)
    published = jwks(client)
    assert len(published) == 1
    assert "kid" not in published[0] and "x5t" not in published[0]
    assert verifies_with(token, published[0])
    client.delete("/_mock/faults")
    assert "kid" in jwks(client)[0]


def test_kid_absent_single_key_even_after_a_rotation(client: AppClient) -> None:
    assert len(jwks(client)) == 1
    client.post("/_mock/keys/rotate", json={})
    assert len(jwks(client)) == 2
    arm(client, kind="kid_absent")
    token = id_token(client)
    published = jwks(client)
    assert len(published) == 1 and "kid" not in published[0]
    assert verifies_with(token, published[0])


def test_kid_absent_multiple_keys(client: AppClient) -> None:
    arm(client, kind="kid_absent_multiple")
    token = id_token(client)
    assert "kid" not in header(token)
    published = jwks(client)
    assert len(published) >= 2
    assert all("kid" not in k and "x5t" not in k for k in published)
    assert [verifies_with(token, k) for k in published].count(True) == 1


def test_key_rotated_just_before_signing(client: AppClient) -> None:
    before = {k["kid"] for k in jwks(client)}
    assert len(before) == 1
    arm(client, kind="key_rotated")
    token = id_token(client)
    kid = header(token)["kid"]
    assert kid not in before
    after = {k["kid"]: k for k in jwks(client)}
    assert set(after) == before | {kid}
    assert verifies_with(token, after[kid])
    assert client.get("/_mock/keys").json()["active"] == kid


def test_clearing_key_rotated_brings_back_the_keys_from_before_it(client: AppClient) -> None:
    """The rotation lasts until the fault is cleared (listed spent, ``times`` 0, until then);
    clearing it makes the key active before sign again and stops publishing the new one, so
    that what runs next starts from the same keys an app has cached."""
    before = jwks(client)
    active = client.get("/_mock/keys").json()["active"]
    arm(client, kind="key_rotated")
    rotated = header(id_token(client))["kid"]
    assert client.get("/_mock/keys").json()["active"] == rotated != active
    assert [f["times"] for f in client.get("/_mock/faults").json()["faults"]] == [0]
    assert client.delete("/_mock/faults").status_code == 200
    assert jwks(client) == before
    assert client.get("/_mock/keys").json()["active"] == active
    token = id_token(client)
    assert header(token)["kid"] == active and verifies_with(token, before[0])


def test_a_rotation_made_after_key_rotated_is_kept_when_the_fault_is_cleared(
        client: AppClient) -> None:
    arm(client, kind="key_rotated")
    id_token(client)
    rotated = client.post("/_mock/keys/rotate").json()["active"]
    client.delete("/_mock/faults")
    assert client.get("/_mock/keys").json()["active"] == rotated


# --- claims ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "claim", "expected"), [
    ("wrong_iss", "iss", ISSUER + "1"),
    ("wrong_aud", "aud", CLIENT_ID + "1"),
    ("wrong_nonce", "nonce", "n-11"),
    ("wrong_azp", "azp", CLIENT_ID + "1"),
])
def test_wrong_claim(client: AppClient, kind: str, claim: str, expected: str) -> None:
    untouched = id_token(client)
    arm(client, kind=kind)
    token = id_token(client)
    assert claims(token)[claim] == expected
    assert verifies_with(token, published_key_for(client, token))
    # Nothing but the claim tells the tampered token apart: its header is the same text.
    assert token.split(".")[0] == untouched.split(".")[0]


@pytest.mark.parametrize(("kind", "claim"), [
    ("missing_sub", "sub"), ("missing_iat", "iat"), ("missing_aud", "aud"),
])
def test_missing_claim(client: AppClient, kind: str, claim: str) -> None:
    arm(client, kind=kind)
    token = id_token(client)
    body = claims(token)
    assert claim not in body
    assert {"iss", "exp", "nonce"} <= set(body)
    assert verifies_with(token, published_key_for(client, token))


def test_expired(client: AppClient) -> None:
    arm(client, kind="expired")
    token = id_token(client)
    body = claims(token)
    assert body["exp"] < now(client)
    assert body["iat"] < body["exp"]
    key = jwt.PyJWK.from_dict(published_key_for(client, token)).key
    with pytest.raises(jwt.ExpiredSignatureError):
        jwt.decode(token, key, algorithms=["RS256"], audience=CLIENT_ID)


def test_nbf_in_the_future(client: AppClient) -> None:
    arm(client, kind="nbf_future")
    token = id_token(client)
    assert claims(token)["nbf"] > now(client) + 600
    key = jwt.PyJWK.from_dict(published_key_for(client, token)).key
    with pytest.raises(jwt.ImmatureSignatureError):
        jwt.decode(token, key, algorithms=["RS256"], audience=CLIENT_ID)


def test_iat_in_the_future(client: AppClient) -> None:
    arm(client, kind="iat_future")
    assert claims(id_token(client))["iat"] > now(client) + 600


# --- where ID-token faults apply ------------------------------------------------------------

@pytest.mark.idp_config(hybrid_config())
def test_an_authorize_token_fault_leaves_the_token_endpoint_alone(client: AppClient) -> None:
    arm(client, kind="wrong_nonce", endpoint="authorize")
    page = client.get(V2["authorize"], params=auth_params(**HYBRID,
                                                           response_type="code id_token"))
    values = redirect_params(sign_in(client, page))
    assert claims(values["id_token"])["nonce"] == "n-11"
    arm(client, kind="wrong_iss", endpoint="token")
    assert claims(id_token(client))["iss"] == ISSUER + "1"


def test_a_token_fault_for_another_user_does_not_fire(client: AppClient) -> None:
    arm(client, kind="wrong_nonce", user="bob@contoso.onmicrosoft.com", times="until_cleared")
    assert claims(id_token(client))["nonce"] == "n-1"
    arm(client, kind="wrong_nonce", user=ALICE)
    assert claims(id_token(client))["nonce"] == "n-11"


# --- at_hash and c_hash ---------------------------------------------------------------------

def hybrid(client: AppClient, response_type: str) -> dict[str, str]:
    page = client.get(V2["authorize"], params=auth_params(**HYBRID, response_type=response_type))
    if page.status_code == 200:
        page = sign_in(client, page)
    return redirect_params(page)


@pytest.mark.idp_config(hybrid_config())
@pytest.mark.parametrize("response_type", ["code id_token token", "id_token token"])
def test_at_hash_bad_and_missing(client: AppClient, response_type: str) -> None:
    values = hybrid(client, response_type)
    assert claims(values["id_token"])["at_hash"] == half_hash(values["access_token"])
    arm(client, kind="bad_at_hash")
    values = hybrid(client, response_type)
    body = claims(values["id_token"])
    assert body["at_hash"] and body["at_hash"] != half_hash(values["access_token"])
    if "code" in values:
        assert body["c_hash"] == half_hash(values["code"])
    arm(client, kind="missing_at_hash")
    values = hybrid(client, response_type)
    body = claims(values["id_token"])
    assert "access_token" in values and "at_hash" not in body


@pytest.mark.idp_config(hybrid_config())
def test_in_code_id_token_an_at_hash_fault_for_the_token_endpoint_breaks_the_token_s_binding(
        client: AppClient) -> None:
    """With ``code id_token`` the authorization endpoint returns no access token, so its ID
    token has no at_hash to break (a fault for the first ID token gives it one that binds
    nothing); the access token comes from the token endpoint, and so does the ID token whose
    at_hash binds it: the conformance at_hash row arms its fault there in this flow."""
    arm(client, kind="bad_at_hash")
    values = hybrid(client, "code id_token")
    assert "access_token" not in values and "at_hash" in claims(values["id_token"])
    client.delete("/_mock/faults")
    arm(client, kind="bad_at_hash", endpoint="token")
    values = hybrid(client, "code id_token")
    assert "at_hash" not in claims(values["id_token"])
    answer = client.post(V2["token"], data={
        "grant_type": "authorization_code", "client_id": HYBRID_CLIENT_ID,
        "client_secret": HYBRID_SECRET, "code": values["code"],
        "redirect_uri": HYBRID["redirect_uri"]})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    at_hash = claims(body["id_token"])["at_hash"]
    assert at_hash and at_hash != half_hash(body["access_token"])


@pytest.mark.idp_config(hybrid_config())
@pytest.mark.parametrize("response_type", ["code id_token", "code id_token token"])
def test_c_hash_bad_and_missing(client: AppClient, response_type: str) -> None:
    values = hybrid(client, response_type)
    assert claims(values["id_token"])["c_hash"] == half_hash(values["code"])
    arm(client, kind="bad_c_hash")
    values = hybrid(client, response_type)
    body = claims(values["id_token"])
    assert body["c_hash"] and body["c_hash"] != half_hash(values["code"])
    if "access_token" in values:
        assert body["at_hash"] == half_hash(values["access_token"])
    arm(client, kind="missing_c_hash")
    values = hybrid(client, response_type)
    assert "code" in values and "c_hash" not in claims(values["id_token"])


# --- userinfo -------------------------------------------------------------------------------

def test_userinfo_sub_mismatch(client: AppClient) -> None:
    tokens = redeem(client, get_code(client)).json()
    sub = claims(tokens["id_token"])["sub"]
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.get("/oidc/userinfo", headers=auth).json()["sub"] == sub
    arm(client, kind="userinfo_sub_mismatch")
    body = client.get("/oidc/userinfo", headers=auth).json()
    assert body["sub"] != sub and body["sub"] == sub + "invalid"
    # About another subject throughout, so that an app that used its values shows them.
    assert (body["name"], body["given_name"], body["family_name"]) == (
        "Mallory Moss", "Mallory", "Moss")
    assert body["email"].startswith("mallory@") and "alice" not in str(body).lower()
    assert client.get("/oidc/userinfo", headers=auth).json()["sub"] == sub


# --- logout tokens --------------------------------------------------------------------------

class Receiver:
    """An app's back-channel logout endpoint that keeps what it was sent."""

    def __init__(self) -> None:
        self.tokens: list[str] = []
        self.app = Starlette(routes=[Route("/bc", self.backchannel, methods=["POST"])])

    async def backchannel(self, request: Request) -> Response:
        form = await request.form()
        token = form["logout_token"]
        assert isinstance(token, str)
        self.tokens.append(token)
        return Response(status_code=200)


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
def rp_client(receiver: Receiver) -> Iterator[AppClient]:
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=receiver.app))
    app = create_app(IdpConfig.default(), http_client=http)
    app.state.idp.store.tenants[TENANT].apps[CLIENT_ID].backchannel_logout_uri = (
        "http://rp.test/bc")
    with AppClient(app, follow_redirects=False) as client:
        yield client


def logout_token(client: AppClient, receiver: Receiver) -> tuple[str, dict[str, Any]]:
    """Sign Alice in, sign her out, return the logout token the app got and the ID token."""
    grant = get_code(client, upn=ALICE, prompt="login")
    token = redeem(client, grant).json()["id_token"]
    before = len(receiver.tokens)
    response = client.get(f"/{TENANT}/oauth2/v2.0/logout", params={
        "id_token_hint": token, "logout_hint": logout_hint(client)})
    assert response.status_code == 200
    assert len(receiver.tokens) == before + 1
    return receiver.tokens[-1], claims(token)


def test_untampered_logout_token(rp_client: AppClient, receiver: Receiver) -> None:
    token, idt = logout_token(rp_client, receiver)
    assert header(token)["alg"] == "RS256"
    assert verifies_with(token, published_key_for(rp_client, token))
    body = claims(token)
    assert body["events"] == {BACKCHANNEL: {}} and "nonce" not in body
    assert body["iss"] == ISSUER and body["aud"] == CLIENT_ID and body["sid"] == idt["sid"]


def test_lt_alg_none(rp_client: AppClient, receiver: Receiver) -> None:
    rp_client.post("/_mock/faults", json={"kind": "lt_alg_none"})
    token, _ = logout_token(rp_client, receiver)
    assert header(token)["alg"] == "none" and token.endswith(".")
    assert claims(token)["events"] == {BACKCHANNEL: {}}


def test_lt_wrong_alg(rp_client: AppClient, receiver: Receiver) -> None:
    rp_client.post("/_mock/faults", json={"kind": "lt_wrong_alg"})
    token, _ = logout_token(rp_client, receiver)
    assert header(token)["alg"] == "ES256"
    assert claims(token)["events"] == {BACKCHANNEL: {}}
    key = jwt.PyJWK.from_dict(jwks(rp_client)[0]).key
    with pytest.raises(jwt.PyJWTError):
        jwt.decode(token, key, algorithms=["RS256"], options={"verify_aud": False})


@pytest.mark.parametrize(("kind", "check"), [
    ("lt_no_events", lambda b: "events" not in b),
    ("lt_wrong_events", lambda b: b["events"] == {
        "http://schemas.openid.net/event/foobar": {}}),
    ("lt_nonce", lambda b: b["nonce"] == "logout_tokens_must_not_contain_a_nonce"),
    ("lt_wrong_aud", lambda b: b["aud"] == CLIENT_ID + "INVALID"),
    ("lt_wrong_iss", lambda b: b["iss"] == ISSUER + "INVALID"),
])
def test_logout_token_claim_faults(rp_client: AppClient, receiver: Receiver, kind: str,
                                   check: Any) -> None:
    rp_client.post("/_mock/faults", json={"kind": kind})
    token, idt = logout_token(rp_client, receiver)
    body = claims(token)
    assert check(body)
    assert body["sid"] == idt["sid"] and body["sub"] == idt["sub"] and body["jti"]
    assert verifies_with(token, published_key_for(rp_client, token))
    assert "nonce" not in claims(logout_token(rp_client, receiver)[0])  # once


def test_lt_bad_signature(rp_client: AppClient, receiver: Receiver) -> None:
    rp_client.post("/_mock/faults", json={"kind": "lt_bad_signature"})
    token, _ = logout_token(rp_client, receiver)
    assert not verifies_with(token, published_key_for(rp_client, token))


def test_logout_token_faults_do_not_touch_id_tokens(rp_client: AppClient,
                                                    receiver: Receiver) -> None:
    rp_client.post("/_mock/faults", json={"kind": "lt_wrong_iss"})
    token, idt = logout_token(rp_client, receiver)
    assert idt["iss"] == ISSUER and claims(token)["iss"] == ISSUER + "INVALID"
