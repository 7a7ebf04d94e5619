"""A tenant deleted and made again under the same id (its users with the same ids) is not the
old one: the access tokens the old one issued no longer pass at UserInfo, Microsoft Graph or
the on-behalf-of grant, while a reset's configured directory keeps taking its own."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from asgi_client import AppClient
from idp_testkit import ALICE, TENANT, claims, pkce_pair, redirect_params, sign_in, tokens_for
from test_control import FABRIKAM, PORTAL
from test_on_behalf_of import OBO_CONFIG, obo, refused, user_token

FAB_ID = FABRIKAM["id"]
PORTAL_SECRET = FABRIKAM["apps"][0]["secrets"][0]["value"]
FAB = {**FABRIKAM, "apps": [{**FABRIKAM["apps"][0], "api_permissions": ["User.Read"],
                             "admin_consented": True}]}
ZOE = "zoe@fabrikam.onmicrosoft.com"


def _zoe_token(idp_app: Any) -> str:
    """Zoe's Microsoft Graph token for the portal, from a fresh browser's sign-in."""
    verifier, challenge = pkce_pair()
    params = {"client_id": PORTAL, "response_type": "code", "state": "s", "nonce": "n",
              "redirect_uri": "https://portal.test/cb", "scope": "openid profile User.Read",
              "code_challenge": challenge, "code_challenge_method": "S256"}
    with AppClient(idp_app, follow_redirects=False) as browser:
        page = browser.get(f"/{FAB_ID}/oauth2/v2.0/authorize", params=params)
        code = redirect_params(sign_in(browser, page, ZOE, "pw"))["code"]
        answer = browser.post(f"/{FAB_ID}/oauth2/v2.0/token", data={
            "grant_type": "authorization_code", "client_id": PORTAL, "code": code,
            "client_secret": PORTAL_SECRET, "redirect_uri": "https://portal.test/cb",
            "code_verifier": verifier})
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


def _reads(client: AppClient, token: str) -> tuple[httpx.Response, httpx.Response]:
    bearer = {"authorization": f"Bearer {token}"}
    return (client.get("/oidc/userinfo", headers=bearer),
            client.get(f"/graph/{FAB_ID}/v1.0/me", headers=bearer))


def test_a_deleted_tenants_token_does_not_pass_for_the_user_of_one_made_again(
        idp_app: Any, client: AppClient) -> None:
    assert client.post("/_mock/tenants", json=FAB).status_code == 201
    old = _zoe_token(idp_app)
    assert [r.status_code for r in _reads(client, old)] == [200, 200]
    assert client.delete(f"/_mock/tenants/{FAB_ID}").status_code == 204
    assert client.post("/_mock/tenants", json=FAB).status_code == 201
    new = _zoe_token(idp_app)
    assert claims(new)["oid"] == claims(old)["oid"]  # the same id, derived from the UPN
    userinfo, me = _reads(client, old)
    assert userinfo.status_code == 401, userinfo.text
    assert userinfo.json()["error"]["message"] == "The token does not represent a user."
    assert me.status_code == 401, me.text
    assert me.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert [r.status_code for r in _reads(client, new)] == [200, 200]


def test_a_reset_keeps_taking_the_configured_tenants_tokens(client: AppClient) -> None:
    token = tokens_for(client, scope="openid profile User.Read")["access_token"]
    assert client.post("/_mock/reset").status_code == 200
    answer = client.get("/oidc/userinfo", headers={"authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text


@pytest.mark.idp_config(OBO_CONFIG)
def test_an_assertion_of_a_deleted_tenant_is_50013_in_one_made_again(
        idp_app: Any, client: AppClient) -> None:
    old = user_token(client)
    state = idp_app.state.idp
    assert client.delete(f"/_mock/tenants/{TENANT}").status_code == 204
    state.store.add_tenant(OBO_CONFIG.tenants[0], state.clock.now())  # as POST makes one
    client.cookies.clear()
    new = user_token(client)
    assert claims(new)["oid"] == claims(old)["oid"] and claims(old)["upn"] == ALICE
    body = refused(obo(client, old), 50013)
    assert "not issued by this tenant" in body["error_description"]
    assert obo(client, new).status_code == 200
