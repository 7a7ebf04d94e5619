"""Access tokens for Microsoft Graph carry Entra's header ``nonce``: a standard JWT library
finds their signature invalid, the hash-the-nonce recipe and the mock's Graph accept them."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import jwt
import pytest
from asgi_client import AppClient
from idp_testkit import (
    CLIENT_ID,
    GRAPH_DEFAULT,
    HYBRID_CLIENT_ID,
    SECRET,
    TENANT,
    auth_params,
    get_code,
    graph_signed,
    hybrid_config,
    paths,
    redeem,
    redirect_params,
    sign_in,
    tokens_for,
    verified,
)

from mock_idp.config import AppConfig, IdpConfig, default_tenant
from mock_idp.protocol import graph_nonce

GRAPH_ID = "00000003-0000-0000-c000-000000000000"
API_ID = "4a7c2e91-0b3d-4f6e-9a8b-1c2d3e4f5a6b"
V1_API_ID = "8e2f4a6c-1d3b-4c5e-8f7a-9b0c1d2e3f4a"


def _header(token: str) -> dict[str, Any]:
    segment = token.split(".", 1)[0]
    out: dict[str, Any] = json.loads(base64.urlsafe_b64decode(segment + "=="))
    return out


def _auth_code_v2(client: AppClient) -> str:
    token: str = tokens_for(client)["access_token"]
    return token


def _auth_code_v1(client: AppClient) -> str:
    grant = get_code(client, version="1.0", resource="https://graph.microsoft.com/")
    token: str = redeem(client, grant, version="1.0").json()["access_token"]
    return token


def _refreshed(client: AppClient) -> str:
    first = tokens_for(client, scope="openid offline_access User.Read")
    token: str = client.post(paths(TENANT, "2.0")["token"], data={
        "grant_type": "refresh_token", "client_id": CLIENT_ID, "client_secret": SECRET,
        "refresh_token": first["refresh_token"]}).json()["access_token"]
    return token


def _app_only(client: AppClient) -> str:
    token: str = client.post(paths(TENANT, "2.0")["token"], data={
        "grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": SECRET,
        "scope": GRAPH_DEFAULT}).json()["access_token"]
    return token


GRAPH_TOKENS: dict[str, tuple[Callable[[AppClient], str], str]] = {
    # How each asks for Graph decides the v1 token's aud: its app id for bare permission
    # names, otherwise the identifier the request named.
    "authorization code, v2.0": (_auth_code_v2, GRAPH_ID),
    "authorization code, v1.0": (_auth_code_v1, "https://graph.microsoft.com/"),
    "refresh token": (_refreshed, GRAPH_ID),
    "client credentials": (_app_only, "https://graph.microsoft.com"),
}


@pytest.mark.parametrize(("obtain", "audience"), GRAPH_TOKENS.values(), ids=GRAPH_TOKENS.keys())
def test_a_graph_token_verifies_only_with_its_nonce_hashed(
        client: AppClient, obtain: Callable[[AppClient], str], audience: str) -> None:
    token = obtain(client)
    header = _header(token)
    assert list(header) == ["typ", "alg", "nonce", "x5t", "kid"]
    assert len(header["nonce"]) == 43 and header["nonce"] != graph_nonce.hashed(header["nonce"])
    with pytest.raises(jwt.InvalidSignatureError):
        verified(client, token)
    assert verified(client, token, audience=audience, graph=True)["aud"] == audience


@pytest.mark.idp_config(hybrid_config())
def test_an_implicit_graph_token_carries_the_nonce_too(client: AppClient) -> None:
    page = client.get(paths(TENANT, "2.0")["authorize"], params=auth_params(
        client_id=HYBRID_CLIENT_ID, redirect_uri="http://localhost/cb",
        response_type="id_token token"))
    values = redirect_params(sign_in(client, page))
    assert "nonce" in _header(values["access_token"])
    assert verified(client, values["access_token"], graph=True)["aud"] == GRAPH_ID
    assert "nonce" not in _header(values["id_token"])


def test_each_graph_token_has_a_nonce_of_its_own(client: AppClient) -> None:
    nonces = {_header(_app_only(client))["nonce"] for _ in range(3)}
    assert len(nonces) == 3


@pytest.mark.idp_config(IdpConfig(tenants=(replace(default_tenant(), apps=(
    *default_tenant().apps,
    AppConfig(client_id=API_ID, name="Orders API", identifier_uris=("api://orders",),
              access_token_version=2),
    AppConfig(client_id=V1_API_ID, name="Ledger API", identifier_uris=("api://ledger",)))),)))
def test_other_tokens_have_no_nonce_and_entras_header_order(client: AppClient) -> None:
    body = tokens_for(client, scope="openid api://orders/access_as_user")
    assert list(_header(body["id_token"])) == ["typ", "alg", "kid"]
    assert verified(client, body["id_token"], audience=CLIENT_ID)["aud"] == CLIENT_ID
    assert list(_header(body["access_token"])) == ["typ", "alg", "kid"]
    assert verified(client, body["access_token"], audience=API_ID)["aud"] == API_ID
    v1 = tokens_for(client, scope="api://ledger/access_as_user")["access_token"]
    assert list(_header(v1)) == ["typ", "alg", "x5t", "kid"]
    assert verified(client, v1, audience="api://ledger")["ver"] == "1.0"


def test_the_mocks_graph_refuses_a_token_whose_nonce_was_changed(client: AppClient) -> None:
    token = _auth_code_v2(client)
    assert client.get("/oidc/userinfo", headers={"Authorization": f"Bearer {token}"}
                      ).status_code == 200
    header = _header(token)
    changed = graph_nonce.with_header(token, {**header, "nonce": header["nonce"][::-1]})
    response = client.get("/oidc/userinfo", headers={"Authorization": f"Bearer {changed}"})
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "Access token signature is not valid."


def test_the_mocks_graph_accepts_what_the_recipe_accepts(client: AppClient) -> None:
    token = _auth_code_v2(client)
    assert graph_nonce.as_signed(token) == graph_signed(token)
