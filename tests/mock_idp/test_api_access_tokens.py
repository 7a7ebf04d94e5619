"""Access tokens for a registered API as the API receives them: the claims Entra puts in its
v1 tokens (``accessTokenAcceptedVersion`` null) and its v2 ones (2), app-only through MSAL
Python's client credentials and delegated through a user's password (the access token claims
reference: https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import msal
import pytest
from asgi_client import AppClient
from idp_testkit import ALICE, CLIENT_ID, SECRET, TENANT, claims, https_idp, password, paths

from mock_idp.config import AppConfig, AppRoleConfig, IdpConfig, default_tenant
from mock_idp.testing import MockIdp

V1_API = "4e8c2a6f-1b3d-4f5a-9c7e-2d4b6f8a0c1e"
V2_API = "5e8c2a6f-1b3d-4f5a-9c7e-2d4b6f8a0c1f"
CLI_ID = "7c2e9a41-3d5b-4f68-9a0c-1e2d3c4b5a69"
ROLE = "Orders.Read.All"


def _config() -> IdpConfig:
    tenant = default_tenant()
    roles = (AppRoleConfig(value=ROLE, allowed_member_types=("Application",)),)
    v1 = AppConfig(client_id=V1_API, name="Orders API v1", identifier_uris=(f"api://{V1_API}",),
                   app_roles=roles)
    v2 = AppConfig(client_id=V2_API, name="Orders API v2", identifier_uris=(f"api://{V2_API}",),
                   app_roles=roles, access_token_version=2)
    scopes = (f"api://{V1_API}/access_as_user", f"api://{V2_API}/access_as_user")
    cli = AppConfig(client_id=CLI_ID, name="Contoso CLI", public_client=True,
                    api_permissions=scopes)
    rp = replace(tenant.apps[0], app_permissions=(f"api://{V1_API}/{ROLE}",
                                                  f"api://{V2_API}/{ROLE}"))
    return IdpConfig(tenants=(replace(tenant, apps=(rp, *tenant.apps[1:], v1, v2, cli)),))


@pytest.fixture
def idp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MockIdp]:
    with https_idp(_config(), tmp_path, monkeypatch) as running:
        yield running


def _app_only(idp: MockIdp, api: str) -> dict[str, Any]:
    app = msal.ConfidentialClientApplication(
        CLIENT_ID, client_credential=SECRET, authority=idp.authority,
        validate_authority=False, instance_discovery=False, verify=str(idp.ca_file))
    try:
        result = app.acquire_token_for_client([f"api://{api}/.default"])
    finally:
        app.http_client.close()
    assert "access_token" in result, result
    return claims(result["access_token"])


def _delegated(client: AppClient, api: str) -> dict[str, Any]:
    response: httpx.Response = client.post(paths(TENANT, "2.0")["token"], data={
        "grant_type": "password", "client_id": CLI_ID, "username": ALICE,
        "password": password(ALICE), "scope": f"api://{api}/access_as_user"})
    assert response.status_code == 200, response.text
    return claims(response.json()["access_token"])


def test_a_v1_app_only_token_names_its_own_issuer_as_idp(idp: MockIdp) -> None:
    token = _app_only(idp, V1_API)
    assert (token["ver"], token["aud"]) == ("1.0", f"api://{V1_API}")
    assert token["iss"] == f"https://sts.windows.net/{TENANT}/"
    assert token["idp"] == token["iss"]
    assert token["roles"] == [ROLE] and token["appidacr"] == "1"
    assert isinstance(token["aio"], str) and token["aio"]


def test_a_v2_app_only_token_has_aio_and_no_idp(idp: MockIdp) -> None:
    token = _app_only(idp, V2_API)
    assert (token["ver"], token["aud"]) == ("2.0", V2_API)
    assert token["iss"] == f"{idp.url}/{TENANT}/v2.0"
    # Without ``idp``, libraries that take an ``idp`` other than ``iss`` for a guest's
    # (fastapi-azure-auth's ``is_guest``) see the app as a member of the tenant.
    assert "idp" not in token
    assert token["sub"] == token["oid"] and token["azpacr"] == "1"
    assert isinstance(token["aio"], str) and token["aio"]


@pytest.mark.idp_config(_config())
@pytest.mark.parametrize(("api", "version"), [(V1_API, "1.0"), (V2_API, "2.0")])
def test_a_members_delegated_token_has_aio_and_no_idp(
        client: AppClient, api: str, version: str) -> None:
    token = _delegated(client, api)
    assert token["ver"] == version and token["scp"] == "access_as_user"
    assert "idp" not in token
    assert isinstance(token["aio"], str) and token["aio"]


@pytest.mark.idp_config(_config())
def test_a_v1_answers_not_before_is_its_tokens_nbf(client: AppClient) -> None:
    """Entra's v1 answers put ``not_before`` 3900 s before ``expires_on`` for a 3599 s token:
    the token's ``nbf``, dated five minutes before its issue."""
    body = client.post(paths(TENANT, "1.0")["token"], data={
        "grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": SECRET,
        "resource": f"api://{V1_API}"}).json()
    token = claims(body["access_token"])
    assert body["not_before"] == str(token["nbf"]) == str(token["iat"])
    assert int(body["expires_on"]) - int(body["not_before"]) == 3599 + 300
    assert body["expires_on"] == str(token["exp"])
