"""An app registration deleted and made again under the same appId (the mock lets a test
choose it; Entra never gives one twice) is another app: a new object id, and none of the old
one's codes, refresh tokens or waiting sign-ins."""

from __future__ import annotations

import httpx
from asgi_client import AppClient
from idp_testkit import ALICE, TENANT, password, pkce_pair, redirect_params, sign_in, submit

GRAPH = f"/graph/{TENANT}/v1.0"
TOKEN = f"/{TENANT}/oauth2/v2.0/token"
APP = "3f1e2d3c-4b5a-4697-8a1b-2c3d4e5f6a7b"
OLD_CB = "https://old.app.test/cb"
NEW_CB = "https://new.app.test/cb"


def _register(client: AppClient, redirect_uri: str) -> tuple[str, str]:
    """The app's object id and a new secret."""
    made = client.post(f"{GRAPH}/applications", json={
        "displayName": "Orders", "appId": APP, "web": {"redirectUris": [redirect_uri]}})
    assert made.status_code == 201, made.text
    object_id: str = made.json()["id"]
    secret = client.post(f"{GRAPH}/applications/{object_id}/addPassword",
                         json={"passwordCredential": {"displayName": "ci"}})
    assert secret.status_code == 200, secret.text
    return object_id, secret.json()["secretText"]


def _authorize(client: AppClient, redirect_uri: str, challenge: str) -> httpx.Response:
    return client.get(f"/{TENANT}/oauth2/v2.0/authorize", params={
        "client_id": APP, "response_type": "code", "state": "s", "nonce": "n",
        "redirect_uri": redirect_uri, "scope": "openid offline_access User.Read",
        "code_challenge": challenge, "code_challenge_method": "S256"})


def _redeem(client: AppClient, secret: str, code: str, verifier: str,
            redirect_uri: str) -> httpx.Response:
    return client.post(TOKEN, data={
        "grant_type": "authorization_code", "client_id": APP, "client_secret": secret,
        "code": code, "redirect_uri": redirect_uri, "code_verifier": verifier})


def test_the_deleted_apps_codes_and_refresh_tokens_do_not_redeem_for_one_made_again(
        client: AppClient) -> None:
    object_id, secret = _register(client, OLD_CB)
    verifier, challenge = pkce_pair()
    first = redirect_params(sign_in(client, _authorize(client, OLD_CB, challenge), ALICE))
    tokens = _redeem(client, secret, first["code"], verifier, OLD_CB)
    assert tokens.status_code == 200, tokens.text
    unredeemed = redirect_params(_authorize(client, OLD_CB, challenge))["code"]  # its session
    assert client.delete(f"{GRAPH}/applications/{object_id}").status_code == 204
    again, new_secret = _register(client, OLD_CB)
    assert again != object_id
    refreshed = client.post(TOKEN, data={
        "grant_type": "refresh_token", "client_id": APP, "client_secret": new_secret,
        "refresh_token": tokens.json()["refresh_token"]})
    assert refreshed.status_code == 400, refreshed.text
    assert refreshed.json()["error_codes"] == [9002313]
    redeemed = _redeem(client, new_secret, unredeemed, verifier, OLD_CB)
    assert redeemed.status_code == 400 and redeemed.json()["error_codes"] == [70000], \
        redeemed.text
    fresh = redirect_params(_authorize(client, OLD_CB, challenge))["code"]
    assert _redeem(client, new_secret, fresh, verifier, OLD_CB).status_code == 200


def test_a_waiting_sign_in_of_the_deleted_app_does_not_finish_for_one_made_again(
        client: AppClient) -> None:
    object_id, _ = _register(client, OLD_CB)
    asked = submit(client, _authorize(client, OLD_CB, pkce_pair()[1]), loginfmt=ALICE)
    assert 'name="passwd"' in asked.text, asked.text[:300]
    assert client.delete(f"{GRAPH}/applications/{object_id}").status_code == 204
    _register(client, NEW_CB)  # the old redirect URI is no longer the app's
    answered = submit(client, asked, loginfmt=ALICE, passwd=password(ALICE))
    assert answered.status_code == 400 and "AADSTS9002313" in answered.text, answered.text[:300]
    assert "location" not in answered.headers
