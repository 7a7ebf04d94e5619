"""A live refresh token presented by another app, or in another tenant: Entra names which
(AADSTS700007, AADSTS7000012), as MSAL Python's ``acquire_token_by_refresh_token`` shows."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import msal
import pytest
from asgi_client import AppClient
from idp_testkit import (
    ALICE,
    CLIENT_ID,
    FABRIKAM_ID,
    SECRET,
    ZED,
    auth_params,
    browser_sign_in,
    consent,
    https_idp,
    paths,
    pkce_pair,
    redirect_params,
    sign_in,
    two_organizations_config,
)

from mock_idp.clock import MockClock
from mock_idp.config import AppConfig, IdpConfig, SecretConfig, default_tenant
from mock_idp.testing import MockIdp

REDIRECT = "http://localhost/auth/callback"
OTHER_ID = "5e2c7a1d-9b3f-4c8e-a0d2-6f4b8e1c3a57"
OTHER_SECRET = "oth8Q~Another.Confidential.Client.Secret-01"
pytestmark = pytest.mark.filterwarnings("ignore:response_mode='form_post' is recommended")


def _config() -> IdpConfig:
    tenant = default_tenant()
    other = AppConfig(client_id=OTHER_ID, name="Another app", redirect_uris=(REDIRECT,),
                      secrets=(SecretConfig(value=OTHER_SECRET),))
    return IdpConfig(tenants=(replace(tenant, apps=(*tenant.apps, other)),))


@pytest.fixture
def live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MockIdp]:
    with https_idp(_config(), tmp_path, monkeypatch) as running:
        yield running


def _msal(idp: MockIdp, client_id: str, secret: str) -> msal.ConfidentialClientApplication:
    return msal.ConfidentialClientApplication(
        client_id, client_credential=secret, authority=idp.authority,
        validate_authority=False, instance_discovery=False, verify=str(idp.ca_file))


def test_msal_redeeming_another_apps_refresh_token_is_told_700007(live: MockIdp) -> None:
    issuer, other = _msal(live, CLIENT_ID, SECRET), _msal(live, OTHER_ID, OTHER_SECRET)
    try:
        flow = issuer.initiate_auth_code_flow(["User.Read"], redirect_uri=REDIRECT)
        signed_in = issuer.acquire_token_by_auth_code_flow(
            flow, browser_sign_in(live, flow["auth_uri"], REDIRECT, ALICE))
        refresh_token = signed_in["refresh_token"]
        refused: dict[str, Any] = other.acquire_token_by_refresh_token(
            refresh_token, ["User.Read"])
        assert (refused.get("error"), refused.get("error_codes")) == (
            "invalid_grant", [700007]), refused
        assert refused["error_description"].startswith(
            "AADSTS700007: The grant was issued for a different client id.")
        assert "access_token" in issuer.acquire_token_by_refresh_token(
            refresh_token, ["User.Read"])
    finally:
        issuer.http_client.close()
        other.http_client.close()


def _refresh(client: AppClient, segment: str, token: str) -> httpx.Response:
    return client.post(paths(segment, "2.0")["token"], data={
        "grant_type": "refresh_token", "client_id": CLIENT_ID, "client_secret": SECRET,
        "refresh_token": token})


@pytest.mark.idp_config(two_organizations_config())
def test_a_refresh_token_of_one_tenant_redeemed_in_another_is_7000012(
        client: AppClient, clock: MockClock) -> None:
    """A multi-tenant app's token for Zed of Fabrikam, presented at Contoso's endpoint; past its
    lifetime it is no longer told apart (AADSTS9002313)."""
    verifier, challenge = pkce_pair()
    page = client.get(paths("organizations", "2.0")["authorize"], params=auth_params(
        code_challenge=challenge, code_challenge_method="S256"))
    code = redirect_params(consent(client, sign_in(client, page, ZED)))["code"]
    tokens = client.post(paths(FABRIKAM_ID, "2.0")["token"], data={
        "grant_type": "authorization_code", "client_id": CLIENT_ID, "client_secret": SECRET,
        "code": code, "redirect_uri": auth_params()["redirect_uri"], "code_verifier": verifier})
    assert tokens.status_code == 200, tokens.text
    token = tokens.json()["refresh_token"]
    refused = _refresh(client, "contoso.onmicrosoft.com", token)
    assert refused.status_code == 400, refused.text
    assert (refused.json()["error"], refused.json()["error_codes"]) == (
        "invalid_grant", [7000012])
    assert refused.json()["error_description"].startswith(
        "AADSTS7000012: The grant was obtained for a different tenant.")
    assert _refresh(client, FABRIKAM_ID, token).status_code == 200
    clock.advance(timedelta(days=91))
    assert _refresh(client, "contoso.onmicrosoft.com", token).json()["error_codes"] == [9002313]
