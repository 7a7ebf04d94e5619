"""UserInfo at /oidc/userinfo (Graph's shape) and the v1 tenant path."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
from asgi_client import AppClient
from cryptography.hazmat.primitives.asymmetric import rsa
from idp_testkit import ALICE, CLIENT_ID, GRAPH_DEFAULT, SECRET, TENANT, claims, paths, tokens_for

from mock_idp.clock import MockClock

MEMBERS = {"sub", "name", "family_name", "given_name", "picture", "email"}


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("path", ["/oidc/userinfo", "/graph/oidc/userinfo",
                                  f"/{TENANT}/openid/userinfo"])
def test_userinfo_for_a_user_token(client: AppClient, path: str) -> None:
    body = tokens_for(client)
    response = client.get(path, headers=_bearer(body["access_token"]))
    assert response.status_code == 200
    info = response.json()
    assert set(info) == MEMBERS
    assert info["sub"] == claims(body["id_token"])["sub"]
    assert info["name"] == "Alice Adams" and info["email"] == ALICE
    assert info["given_name"] == "Alice" and info["family_name"] == "Adams"
    assert info["picture"] == "https://graph.microsoft.com/v1.0/me/photo/$value"


@pytest.mark.parametrize(("scope", "members"), [
    ("openid", {"sub"}),
    ("openid profile", {"sub", "name", "family_name", "given_name", "picture"}),
    ("openid email", {"sub", "email"}),
    ("openid profile email User.Read", MEMBERS),
])
def test_graph_userinfo_answers_what_the_scopes_consented_to(client: AppClient, scope: str,
                                                             members: set[str]) -> None:
    token = tokens_for(client, scope=scope)["access_token"]
    response = client.get("/oidc/userinfo", headers=_bearer(token))
    assert response.status_code == 200, response.text
    assert set(response.json()) == members


def test_graph_userinfo_needs_openid_among_the_scopes(client: AppClient) -> None:
    """A token asked for Graph's permissions alone (``User.Read``) is refused; the legacy v1
    path, which Entra's docs no longer describe, still answers it."""
    token = tokens_for(client, scope="User.Read", nonce=None)["access_token"]
    assert "openid" not in claims(token)["scp"].split()
    response = client.get("/oidc/userinfo", headers=_bearer(token))
    assert response.status_code == 403, response.text
    assert 'error="insufficient_scope"' in response.headers["www-authenticate"]
    assert response.json()["error"]["code"] == "Authorization_RequestDenied"
    assert client.get(f"/{TENANT}/openid/userinfo", headers=_bearer(token)).status_code == 200


def test_graph_base_userinfo_is_graphs(client: AppClient) -> None:
    """``{graph_url}/oidc/userinfo`` (Entra's ``https://graph.microsoft.com/oidc/userinfo``,
    written from the Graph base by hand) is Graph's UserInfo: it too needs ``openid``."""
    token = tokens_for(client, scope="User.Read", nonce=None)["access_token"]
    assert client.get("/graph/oidc/userinfo", headers=_bearer(token)).status_code == 403


def test_userinfo_by_post(client: AppClient) -> None:
    token = tokens_for(client)["access_token"]
    assert client.post("/oidc/userinfo", headers=_bearer(token)).status_code == 200
    assert client.post("/oidc/userinfo", data={"access_token": token}).status_code == 200


def test_bearer_scheme_is_case_insensitive(client: AppClient) -> None:
    token = tokens_for(client)["access_token"]
    assert client.get("/oidc/userinfo",
                      headers={"Authorization": f"bearer {token}"}).status_code == 200


def test_expired_token_is_401(client: AppClient, clock: MockClock) -> None:
    token = tokens_for(client)["access_token"]
    clock.advance(timedelta(hours=2))
    response = client.get("/oidc/userinfo", headers=_bearer(token))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_app_only_token_is_401(client: AppClient) -> None:
    response = client.post(paths(TENANT, "2.0")["token"], data={
        "grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": SECRET,
        "scope": GRAPH_DEFAULT})
    token = response.json()["access_token"]
    assert client.get("/oidc/userinfo", headers=_bearer(token)).status_code == 401


def test_id_token_is_not_an_access_token(client: AppClient) -> None:
    token = tokens_for(client)["id_token"]
    assert client.get("/oidc/userinfo", headers=_bearer(token)).status_code == 401


def test_token_signed_by_another_key_is_401(client: AppClient) -> None:
    real = tokens_for(client)["access_token"]
    header = jwt.get_unverified_header(real)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims(real), other, algorithm="RS256", headers={"kid": header["kid"]})
    assert client.get("/oidc/userinfo", headers=_bearer(forged)).status_code == 401


def test_missing_token_is_401(client: AppClient) -> None:
    response = client.get("/oidc/userinfo")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
