"""An app registration deleted and made again under the same appId (the mock lets a test
choose it; Entra never gives one twice) is another app: a new object id, a new service
principal, and none of the old one's codes, refresh tokens, waiting sign-ins or app role
assignments."""

from __future__ import annotations

from typing import Any

import httpx
from asgi_client import AppClient
from idp_testkit import (
    ALICE,
    GRAPH_DEFAULT,
    TENANT,
    claims,
    password,
    pkce_pair,
    redirect_params,
    sign_in,
    submit,
)

from mock_idp.consent import GRAPH_APP_ID

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


def _service_principal(client: AppClient) -> str:
    found = client.get(f"{GRAPH}/servicePrincipals(appId='{APP}')")
    assert found.status_code == 200, found.text
    principal: str = found.json()["id"]
    return principal


def _app_only(client: AppClient, secret: str) -> dict[str, Any]:
    answer = client.post(TOKEN, data={
        "grant_type": "client_credentials", "client_id": APP, "client_secret": secret,
        "scope": GRAPH_DEFAULT})
    assert answer.status_code == 200, answer.text
    return claims(answer.json()["access_token"])


def test_one_made_again_is_another_service_principal_without_the_old_ones_roles(
        client: AppClient) -> None:
    """Entra ties app role assignments to the service principal object, and a new registration
    has a new one: the app-only token of the app made again names another ``oid`` and carries
    none of the application permissions granted to the deleted one's."""
    object_id, secret = _register(client, OLD_CB)
    old = _service_principal(client)
    graph = client.get(f"{GRAPH}/servicePrincipals(appId='{GRAPH_APP_ID}')").json()["id"]
    granted = client.post(f"{GRAPH}/servicePrincipals/{old}/appRoleAssignments", json={
        "principalId": old, "resourceId": graph, "appRoleId": "User.Read.All"})
    assert granted.status_code == 201, granted.text
    before = _app_only(client, secret)
    assert before["roles"] == ["User.Read.All"] and before["oid"] == old
    assert client.delete(f"{GRAPH}/applications/{object_id}").status_code == 204
    _, new_secret = _register(client, OLD_CB)
    new = _service_principal(client)
    assert new != old
    after = _app_only(client, new_secret)
    assert "roles" not in after and after["oid"] == after["sub"] == new
    assigned = client.get(f"{GRAPH}/servicePrincipals/{new}/appRoleAssignments").json()
    assert assigned["value"] == []
    regranted = client.post(f"{GRAPH}/servicePrincipals/{new}/appRoleAssignments", json={
        "principalId": new, "resourceId": graph, "appRoleId": "User.Read.All"})
    assert regranted.status_code == 201 and regranted.json()["principalId"] == new
    assert _app_only(client, new_secret)["roles"] == ["User.Read.All"]
