"""MSAL Python against the provider over HTTPS: client credentials, auth-code flow, expiry."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import msal
import pytest
from cryptography.hazmat.primitives import serialization
from idp_testkit import ALICE, CLIENT_ID, GRAPH_DEFAULT, SECRET, ctx_of, login_action, password
from idp_testkit import make_certificate as new_certificate

from mock_idp.config import AppConfig, CertificateConfig, IdpConfig, default_tenant
from mock_idp.testing import MockIdp

CERT = new_certificate("msal client")
REDIRECT = "http://localhost/auth/callback"


def _config() -> IdpConfig:
    tenant = default_tenant()
    rp = replace(tenant.apps[0], certificates=(CertificateConfig(pem=CERT.pem),))
    return IdpConfig(tenants=(replace(tenant, apps=(rp,)),))


@pytest.fixture(scope="module")
def tls_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tls")


_OPEN: list[msal.ConfidentialClientApplication] = []


@pytest.fixture
def idp(tls_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MockIdp]:
    # requests lets these variables override a session's ``verify``, which MSAL's is.
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    with MockIdp(_config(), https=True, tls_dir=tls_dir) as running:
        assert running.url.startswith("https://")
        try:
            yield running
        finally:
            # Idle keep-alive TLS connections would hold up the server's shutdown.
            while _OPEN:
                _OPEN.pop().http_client.close()


def _msal(idp: MockIdp, credential: Any = SECRET) -> msal.ConfidentialClientApplication:
    app = msal.ConfidentialClientApplication(
        CLIENT_ID, client_credential=credential, authority=idp.authority,
        validate_authority=False, instance_discovery=False, verify=str(idp.ca_file))
    _OPEN.append(app)
    return app


def _browser_sign_in(idp: MockIdp, auth_uri: str, upn: str = ALICE) -> dict[str, str]:
    """What a browser does with MSAL's auth URI: sign in and land on the redirect URI."""
    assert idp.ca_file is not None
    with httpx.Client(verify=idp.tls.client_context() if idp.tls else True,  # type: ignore[union-attr]
                      follow_redirects=False, timeout=10) as browser:
        page = browser.get(auth_uri)
        assert page.status_code == 200, page.text[:300]
        for form in ({"loginfmt": upn}, {"loginfmt": upn, "passwd": password(upn)},
                     {"answer": "No"}):
            response = browser.post(urljoin(auth_uri, login_action(page.text)),
                                    data={"ctx": ctx_of(page.text), **form})
            page = response
        assert response.status_code == 302, response.text[:300]
        location = response.headers["location"]
        assert location.startswith(REDIRECT)
        return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def test_client_credentials(idp: MockIdp) -> None:
    result = _msal(idp).acquire_token_for_client([GRAPH_DEFAULT])
    assert "access_token" in result, result
    assert result["token_type"] == "Bearer"
    assert result["token_source"] == "identity_provider"


def test_client_credentials_with_a_certificate(idp: MockIdp) -> None:
    der = CERT.cert.public_bytes(serialization.Encoding.DER)
    key = CERT.key.private_bytes(serialization.Encoding.PEM,
                                 serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()).decode()
    credential = {"private_key": key, "thumbprint": hashlib.sha1(der).hexdigest()}
    result = _msal(idp, credential).acquire_token_for_client([GRAPH_DEFAULT])
    assert "access_token" in result, result
    credential = {"private_key": key, "public_certificate": CERT.pem}
    result = _msal(idp, credential).acquire_token_for_client([GRAPH_DEFAULT])
    assert "access_token" in result, result


def test_auth_code_flow_and_refresh(idp: MockIdp) -> None:
    app = _msal(idp)
    flow = app.initiate_auth_code_flow(["User.Read"], redirect_uri=REDIRECT)
    assert flow["auth_uri"].startswith(f"{idp.authority}/oauth2/v2.0/authorize?")
    response = _browser_sign_in(idp, flow["auth_uri"])
    assert response["state"] == flow["state"] and "client_info" in response
    result = app.acquire_token_by_auth_code_flow(flow, response)
    assert "access_token" in result, result
    id_claims = result["id_token_claims"]
    assert id_claims["preferred_username"] == ALICE
    assert id_claims["aud"] == CLIENT_ID and id_claims["tid"] == idp.tenant_id
    accounts = app.get_accounts()
    assert [a["username"] for a in accounts] == [ALICE]
    assert accounts[0]["home_account_id"] == f"{id_claims['oid']}.{idp.tenant_id}"
    refreshed = app.acquire_token_silent(["User.Read"], account=accounts[0],
                                         force_refresh=True)
    assert refreshed and "access_token" in refreshed, refreshed
    assert refreshed["token_source"] == "identity_provider"
    assert refreshed["access_token"] != result["access_token"]


def test_expired_secret_is_7000222(idp: MockIdp) -> None:
    assert "access_token" in _msal(idp).acquire_token_for_client([GRAPH_DEFAULT])
    idp.advance(days=181)
    result = _msal(idp).acquire_token_for_client([GRAPH_DEFAULT])
    assert "access_token" not in result
    assert result["error"] == "invalid_client"
    assert 7000222 in result["error_codes"]
    assert result["error_description"].startswith("AADSTS7000222: ")


def test_wrong_secret_is_7000215(idp: MockIdp) -> None:
    result = _msal(idp, "not-the-secret").acquire_token_for_client([GRAPH_DEFAULT])
    assert result["error"] == "invalid_client" and 7000215 in result["error_codes"]


DEVICE_CLIENT_ID = "0c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"


@pytest.fixture
def device_idp(tls_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MockIdp]:
    """A provider with a public client (a CLI) and a one-second polling interval, so MSAL's
    real sleeps between polls keep the test short."""
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    tenant = default_tenant()
    cli = AppConfig(client_id=DEVICE_CLIENT_ID, name="Contoso CLI", public_client=True)
    config = IdpConfig(tenants=(replace(tenant, apps=(*tenant.apps, cli)),),
                       device_code_interval=1)
    with MockIdp(config, https=True, tls_dir=tls_dir) as running:
        yield running


def _approve_device(idp: MockIdp, user_code: str, upn: str = ALICE) -> str:
    """A person on another device: /devicelogin, the code, username, password, "Stay signed
    in?" No, "Are you trying to sign in?" Continue; returns the last page's text."""
    assert idp.tls is not None
    with httpx.Client(base_url=idp.url, verify=idp.tls.client_context(),
                      follow_redirects=False, timeout=10) as browser:
        page = browser.post("/devicelogin", data={"otc": user_code})
        for form in ({"loginfmt": upn}, {"loginfmt": upn, "passwd": password(upn)},
                     {"answer": "No"}, {"answer": "Continue"}):
            assert page.status_code == 200, page.text[:500]
            page = browser.post(login_action(page.text), data={"ctx": ctx_of(page.text), **form})
        return page.text


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
            time.sleep(1.5), pages.append(_approve_device(device_idp, flow["user_code"]))))
        person.start()
        started = time.monotonic()
        result = app.acquire_token_by_device_flow(flow)
        person.join(timeout=20)
        assert "access_token" in result, result
        assert time.monotonic() - started >= 1.5  # MSAL polled while the person signed in
        assert pages and "You can close this window" in pages[0]
        assert result["id_token_claims"]["preferred_username"] == ALICE
        assert [a["username"] for a in app.get_accounts()] == [ALICE]
        polls = [r for r in device_idp.http.get("/_mock/requests").json()["requests"]
                 if r["path"].endswith("/oauth2/v2.0/token")]
        assert len(polls) >= 2, polls
    finally:
        app.http_client.close()


def test_device_flow_errors_reach_msal(device_idp: MockIdp) -> None:
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
