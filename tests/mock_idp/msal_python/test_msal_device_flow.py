"""MSAL Python's device-code flow: a person approves the code on another device while MSAL
polls, its expiry and bad-code errors, and a user of another organization through
``/organizations``."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path

import msal
import pytest
from idp_testkit import ALICE, FABRIKAM_ID, ZED, two_organizations_config
from msal_python_kit import DEVICE_CLIENT_ID, approve_device

from mock_idp.config import AppConfig, IdpConfig
from mock_idp.testing import MockIdp

# MSAL Python warns when a flow asks for the code in the query, as these do on purpose: that
# is its default, and what web apps built on it send unless they choose form_post.
pytestmark = pytest.mark.filterwarnings("ignore:response_mode='form_post' is recommended")


def test_device_flow(device_idp: MockIdp) -> None:
    app = msal.PublicClientApplication(
        DEVICE_CLIENT_ID, authority=device_idp.authority, validate_authority=False,
        instance_discovery=False, verify=str(device_idp.ca_file))
    try:
        flow = app.initiate_device_flow(scopes=["User.Read"])
        assert flow["verification_uri"] == f"{device_idp.url}/devicelogin", flow
        assert flow["interval"] == 1 and flow["expires_in"] == 900
        flow["expires_at"] = time.time() + 30  # bounds MSAL's polling loop if this test fails
        pages: list[str] = []
        person = threading.Thread(target=lambda: (
            time.sleep(1.5), pages.append(approve_device(device_idp, flow["user_code"]))))
        person.start()
        started = time.monotonic()
        result = app.acquire_token_by_device_flow(flow)
        person.join(timeout=20)
        assert "access_token" in result, result
        assert time.monotonic() - started >= 1.5  # MSAL polled while the person signed in
        assert pages and "You may now close this window" in pages[0]
        assert result["id_token_claims"]["preferred_username"] == ALICE
        assert [a["username"] for a in app.get_accounts()] == [ALICE]
        polls = [r for r in device_idp.http.get("/_mock/requests").json()["requests"]
                 if r["path"].endswith("/oauth2/v2.0/token")]
        assert len(polls) >= 2, polls
    finally:
        app.http_client.close()


def test_device_flow_errors_reachmsal_app(device_idp: MockIdp) -> None:
    app = msal.PublicClientApplication(
        DEVICE_CLIENT_ID, authority=device_idp.authority, validate_authority=False,
        instance_discovery=False, verify=str(device_idp.ca_file))
    try:
        flow = app.initiate_device_flow(scopes=["User.Read"])
        device_idp.advance(minutes=16)
        result = app.acquire_token_by_device_flow(flow)
        assert result["error"] == "expired_token" and result["error_codes"] == [70020]
        bad = app.acquire_token_by_device_flow({**flow, "device_code": "DAQABAAEAAAnope",
                                                "expires_at": time.time() + 5})
        assert bad["error"] == "bad_verification_code" and bad["error_codes"] == [70018]
    finally:
        app.http_client.close()


def test_msal_device_flow_through_organizations_signs_in_a_user_of_another_organization(
        tls_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``az login --use-device-code``'s way: a multi-tenant CLI on MSAL's ``organizations``
    authority; a Fabrikam user signs in at Fabrikam, consents once, and MSAL gets Fabrikam's
    tokens and keys the account by that tenant."""
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    contoso, fabrikam = two_organizations_config().tenants
    cli = AppConfig(client_id=DEVICE_CLIENT_ID, name="Contoso CLI", public_client=True,
                    sign_in_audience="AzureADMultipleOrgs")
    config = IdpConfig(tenants=(replace(contoso, apps=(*contoso.apps, cli)), fabrikam),
                       device_code_interval=1)
    with MockIdp(config, https=True, tls_dir=tls_dir) as idp:
        app = msal.PublicClientApplication(
            DEVICE_CLIENT_ID, authority=f"{idp.url}/organizations", validate_authority=False,
            instance_discovery=False, verify=str(idp.ca_file))
        try:
            flow = app.initiate_device_flow(scopes=["User.Read"])
            assert "user_code" in flow, flow
            flow["expires_at"] = time.time() + 30  # bounds MSAL's polling if this test fails
            person = threading.Thread(target=approve_device, args=(
                idp, flow["user_code"], ZED, ({"answer": "Accept"},)))
            person.start()
            result = app.acquire_token_by_device_flow(flow)
            person.join(timeout=20)
            assert "access_token" in result, result
            assert result["id_token_claims"]["tid"] == FABRIKAM_ID
            (account,) = app.get_accounts()
            assert account["home_account_id"].endswith(f".{FABRIKAM_ID}")
        finally:
            app.http_client.close()
