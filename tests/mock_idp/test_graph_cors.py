"""CORS on UserInfo and Graph's root, which single-page apps read from the browser (oidc-client-ts
with ``loadUserInfo``, MSAL.js apps calling ``/v1.0/me``); none on the login host's v1 UserInfo
nor on the tenant-scoped management API."""

from __future__ import annotations

import pytest
from asgi_client import AppClient
from idp_testkit import TENANT, tokens_for

ORIGIN = "http://127.0.0.1:5173"
PREFLIGHT = {"Origin": ORIGIN, "Access-Control-Request-Method": "GET",
             "Access-Control-Request-Headers": "authorization"}


@pytest.mark.parametrize("path", ["/oidc/userinfo", "/graph/v1.0/me", "/v1.0/me"])
def test_a_preflight_is_allowed(client: AppClient, path: str) -> None:
    response = client.options(path, headers=PREFLIGHT)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "GET" in response.headers["access-control-allow-methods"]
    assert response.headers["access-control-allow-headers"] == "authorization"


@pytest.mark.parametrize("path", ["/oidc/userinfo", "/graph/v1.0/me", "/v1.0/me"])
def test_a_page_reads_the_answer(client: AppClient, path: str) -> None:
    token = tokens_for(client)["access_token"]
    response = client.get(path, headers={"Origin": ORIGIN, "Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize("path", ["/oidc/userinfo", "/graph/v1.0/me", "/v1.0/me"])
def test_a_page_reads_a_refusal_too(client: AppClient, path: str) -> None:
    response = client.get(path, headers={"Origin": ORIGIN})
    assert response.status_code == 401
    assert response.headers["access-control-allow-origin"] == "*"
    # the challenge (a CAE claims challenge too) is the page's to read
    assert response.headers["access-control-expose-headers"] == "WWW-Authenticate"
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_no_cors_without_an_origin(client: AppClient) -> None:
    token = tokens_for(client)["access_token"]
    response = client.get("/oidc/userinfo", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize("path", [f"/{TENANT}/openid/userinfo", f"/graph/{TENANT}/v1.0/users"])
def test_no_cors_on_the_v1_userinfo_nor_the_management_api(client: AppClient,
                                                            path: str) -> None:
    preflight = client.options(path, headers=PREFLIGHT)
    assert "access-control-allow-origin" not in preflight.headers
    answer = client.get(path, headers={"Origin": ORIGIN})
    assert "access-control-allow-origin" not in answer.headers
