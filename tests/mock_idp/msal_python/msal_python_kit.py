"""MSAL Python against the provider over HTTPS: the registrations its tests use (the reference
RP with a client certificate, an API with a middle-tier secret, a downstream API, a public CLI),
MSAL applications closed after each test, a browser's sign-in and a person approving a device
code."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

import httpx
import msal
from cryptography.hazmat.primitives import serialization
from idp_testkit import (
    ALICE,
    CLIENT_ID,
    SECRET,
    Certificate,
    browser_sign_in,
    ctx_of,
    login_action,
    password,
    shared_certificate,
)

from mock_idp.config import AppConfig, CertificateConfig, IdpConfig, SecretConfig, default_tenant
from mock_idp.testing import MockIdp


def client_cert() -> Certificate:
    return shared_certificate("msal client")


REDIRECT = "http://localhost/auth/callback"
API_URI = "api://orders-api"
API_ID = "3f7a1c9e-5b2d-4e8f-a6c1-0d9e8f7a6b5c"
API_SECRET = "api8Q~Orders.Api.Middle.Tier.Secret-0123"
DOWNSTREAM_ID = "6b1d3f5a-7c9e-4b2d-8f0a-2c4e6a8b0d1f"


def msal_config() -> IdpConfig:
    tenant = default_tenant()
    rp = replace(tenant.apps[0], certificates=(CertificateConfig(pem=client_cert().pem),))
    api = AppConfig(client_id=API_ID, name="Orders API", identifier_uris=(API_URI,),
                    secrets=(SecretConfig(value=API_SECRET),))
    downstream = AppConfig(client_id=DOWNSTREAM_ID, name="Stock API",
                           identifier_uris=("api://stock",))
    return IdpConfig(tenants=(replace(tenant, apps=(rp, api, downstream)),))


_OPEN: list[msal.ConfidentialClientApplication] = []


def msal_app(idp: MockIdp, credential: Any = SECRET, *, client_id: str = CLIENT_ID,
             cache: msal.TokenCache | None = None, authority: str | None = None
             ) -> msal.ConfidentialClientApplication:
    """An MSAL confidential client of the provider, closed by :func:`close_msal_apps`."""
    app = msal.ConfidentialClientApplication(
        client_id, client_credential=credential, authority=authority or idp.authority,
        validate_authority=False, instance_discovery=False, verify=str(idp.ca_file),
        token_cache=cache)
    _OPEN.append(app)
    return app


def msal_sign_in(idp: MockIdp, auth_uri: str, upn: str = ALICE) -> dict[str, str]:
    return browser_sign_in(idp, auth_uri, REDIRECT, upn)


def certificate_credential(cert: Any, *, by: str) -> dict[str, str]:
    key = cert.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()).decode()
    if by == "thumbprint":
        der = cert.cert.public_bytes(serialization.Encoding.DER)
        return {"private_key": key, "thumbprint": hashlib.sha1(der).hexdigest()}
    return {"private_key": key, "public_certificate": cert.pem}


DEVICE_CLIENT_ID = "0c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"


def approve_device(idp: MockIdp, user_code: str, upn: str = ALICE,
                   then: tuple[dict[str, str], ...] = ()) -> str:
    """A person on another device: /devicelogin, the code, username, password, "Are you trying
    to sign in?" Continue (a device-code sign-in asks no "Stay signed in?"), then the forms
    ``then`` (a consent's Accept); returns the last page's text."""
    assert idp.tls is not None
    with httpx.Client(base_url=idp.url, verify=idp.tls.client_context(),
                      follow_redirects=False, timeout=10) as browser:
        page = browser.post("/devicelogin", data={"otc": user_code})
        for form in ({"loginfmt": upn}, {"loginfmt": upn, "passwd": password(upn)},
                     {"answer": "Continue"}, *then):
            assert page.status_code == 200, page.text[:500]
            page = browser.post(login_action(page.text), data={"ctx": ctx_of(page.text), **form})
        return page.text


def close_msal_apps() -> None:
    """Close the applications :func:`msal_app` made: idle keep-alive TLS connections would hold
    up the server's shutdown."""
    while _OPEN:
        _OPEN.pop().http_client.close()
