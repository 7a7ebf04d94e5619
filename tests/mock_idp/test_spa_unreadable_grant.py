"""A code or refresh token the provider cannot read, or another app's, sent from a browser (an
``Origin`` header): ``invalid_grant`` as from a server, not the cross-origin refusal
(AADSTS9002326) that says to register the app as a single-page app. MSAL.js answers
``invalid_grant`` by signing in again (its iframe), AADSTS9002326 with an error page.
"""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest
from asgi_client import AppClient
from idp_testkit import CLIENT_ID, SECRET, TENANT, get_code, paths

from mock_idp.config import IdpConfig, default_tenant

TOKEN = paths(TENANT, "2.0")["token"]
SPA = "http://localhost:3000/"
ORIGIN = "http://localhost:3000"
OTHER_ID = "3f2e1d0c-9b8a-4765-8432-10fedcba9876"


def _config() -> IdpConfig:
    tenant = default_tenant()
    rp = replace(tenant.apps[0], spa_redirect_uris=(SPA,))
    other = replace(rp, client_id=OTHER_ID, name="Other SPA")
    return IdpConfig(tenants=(replace(tenant, apps=(rp, other)),))


pytestmark = pytest.mark.idp_config(_config())


def _post(client: AppClient, origin: str | None, **data: str) -> httpx.Response:
    return client.post(TOKEN, data={"client_id": CLIENT_ID, **data},
                       headers={"Origin": origin} if origin else {})


def _refresh(client: AppClient, token: str, origin: str | None, **extra: str) -> httpx.Response:
    return _post(client, origin, grant_type="refresh_token", refresh_token=token,
                 scope="openid offline_access", **extra)


def _code(client: AppClient, code: str, origin: str | None, **extra: str) -> httpx.Response:
    return _post(client, origin, **{"grant_type": "authorization_code", "code": code,
                                    "redirect_uri": SPA, "code_verifier": "v" * 43, **extra})


def _invalid_grant(response: httpx.Response, code: int) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "invalid_grant" and body["error_codes"] == [code], body
    assert response.headers.get("access-control-allow-origin") == "*", "readable by the page"


@pytest.mark.parametrize(("value", "code"), [("garbage", 9002313), ("1.AXYZcorrupted", 9002313)])
def test_an_unreadable_refresh_token_from_a_browser_is_invalid_grant(
        client: AppClient, value: str, code: int) -> None:
    _invalid_grant(_refresh(client, value, ORIGIN), code)
    server = _refresh(client, value, None, client_secret=SECRET)
    assert server.json()["error_codes"] == [code], "the answer a server gets"


@pytest.mark.parametrize(("value", "code"), [("garbage", 9002313), ("1.AXYZcorrupted", 70000)])
def test_an_unreadable_code_from_a_browser_is_invalid_grant(
        client: AppClient, value: str, code: int) -> None:
    _invalid_grant(_code(client, value, ORIGIN), code)
    server = _code(client, value, None, client_secret=SECRET)
    assert server.json()["error_codes"] == [code], "the answer a server gets"


def test_another_apps_code_and_refresh_token_from_a_browser_are_invalid_grant(
        client: AppClient) -> None:
    grant = get_code(client, redirect_uri=SPA, client_id=OTHER_ID)
    data = {"client_id": OTHER_ID, "code_verifier": grant.verifier}
    _invalid_grant(_code(client, grant.code, ORIGIN, code_verifier=grant.verifier), 70000)
    answer = client.post(TOKEN, headers={"Origin": ORIGIN}, data={
        **data, "grant_type": "authorization_code", "code": grant.code, "redirect_uri": SPA})
    assert answer.status_code == 200, "the code was left unused"
    # Another app's live refresh token: AADSTS700007 (mock_idp.protocol.redemption.issued).
    _invalid_grant(_refresh(client, answer.json()["refresh_token"], ORIGIN), 700007)


def test_a_browser_request_without_the_code_names_the_field(client: AppClient) -> None:
    response = _post(client, ORIGIN, grant_type="refresh_token")
    assert response.status_code == 400
    assert response.json()["error_codes"] == [900144]
    assert "'refresh_token'" in response.json()["error_description"]
