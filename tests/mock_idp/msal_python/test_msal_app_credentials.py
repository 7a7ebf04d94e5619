"""MSAL Python's confidential client proving itself: a secret, a certificate (by thumbprint
or whole, shipped or registered through Graph), and the AADSTS codes MSAL gets for an
expired or wrong secret, an expired certificate, a disabled app or API."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from idp_testkit import CLIENT_ID, GRAPH_DEFAULT
from idp_testkit import make_certificate as new_certificate
from msal_python_kit import API_ID, API_URI, certificate_credential, client_cert, msal_app

from mock_idp.testing import MockIdp

# MSAL Python warns when a flow asks for the code in the query, as these do on purpose: that
# is its default, and what web apps built on it send unless they choose form_post.
pytestmark = pytest.mark.filterwarnings("ignore:response_mode='form_post' is recommended")


def test_client_credentials(idp: MockIdp) -> None:
    result = msal_app(idp).acquire_token_for_client([GRAPH_DEFAULT])
    assert "access_token" in result, result
    assert result["token_type"] == "Bearer"
    assert result["token_source"] == "identity_provider"


def test_client_credentials_with_a_certificate(idp: MockIdp) -> None:
    der = client_cert().cert.public_bytes(serialization.Encoding.DER)
    key = client_cert().key.private_bytes(serialization.Encoding.PEM,
                                 serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()).decode()
    credential = {"private_key": key, "thumbprint": hashlib.sha1(der).hexdigest()}
    result = msal_app(idp, credential).acquire_token_for_client([GRAPH_DEFAULT])
    assert "access_token" in result, result
    credential = {"private_key": key, "public_certificate": client_cert().pem}
    result = msal_app(idp, credential).acquire_token_for_client([GRAPH_DEFAULT])
    assert "access_token" in result, result


@pytest.mark.parametrize("by", ["thumbprint", "public_certificate"])
def test_a_certificate_registered_through_graph_signs_msal_in(idp: MockIdp, by: str) -> None:
    cert = new_certificate("registered through graph")
    credential = certificate_credential(cert, by=by)
    refused = msal_app(idp, credential).acquire_token_for_client([GRAPH_DEFAULT])
    assert refused.get("error") == "invalid_client", refused
    idp.add_certificate(CLIENT_ID, cert.cert)
    listed = idp.graph("GET", f"applications(appId='{CLIENT_ID}')").json()["keyCredentials"]
    der = cert.cert.public_bytes(serialization.Encoding.DER)
    assert hashlib.sha1(der).hexdigest().upper() in [c["customKeyIdentifier"] for c in listed]
    result = msal_app(idp, credential).acquire_token_for_client([GRAPH_DEFAULT])
    assert "access_token" in result, result


def test_msal_signs_in_with_a_certificate_after_the_providers_clock_moved(
        idp: MockIdp) -> None:
    """MSAL signs its assertion with the machine's clock; moving the provider's clock models
    time passing for its records, not a client whose clock is off, so Entra would take it."""
    credential = certificate_credential(client_cert(), by="thumbprint")
    assert "access_token" in msal_app(idp, credential).acquire_token_for_client([GRAPH_DEFAULT])
    idp.advance(minutes=30)
    result = msal_app(idp, credential).acquire_token_for_client([GRAPH_DEFAULT])
    assert "access_token" in result, result


def test_an_expired_registered_certificate_is_refused(idp: MockIdp) -> None:
    cert = new_certificate("short-lived registration")
    idp.add_certificate(CLIENT_ID, cert.cert, end=timedelta(days=1))
    credential = certificate_credential(cert, by="thumbprint")
    assert "access_token" in msal_app(idp, credential).acquire_token_for_client([GRAPH_DEFAULT])
    idp.advance(days=2)
    result = msal_app(idp, credential).acquire_token_for_client([GRAPH_DEFAULT])
    assert result["error"] == "invalid_client" and 700027 in result["error_codes"], result
    assert "The key used is expired" in result["error_description"]


def test_expired_secret_is_7000222(idp: MockIdp) -> None:
    assert "access_token" in msal_app(idp).acquire_token_for_client([GRAPH_DEFAULT])
    idp.advance(days=181)
    result = msal_app(idp).acquire_token_for_client([GRAPH_DEFAULT])
    assert "access_token" not in result
    assert result["error"] == "invalid_client"
    assert 7000222 in result["error_codes"]
    assert result["error_description"].startswith("AADSTS7000222: ")


def test_a_disabled_app_is_7000112(idp: MockIdp) -> None:
    idp.set_app_enabled(CLIENT_ID, False)
    refused = msal_app(idp).acquire_token_for_client([GRAPH_DEFAULT])
    assert (refused.get("error"), refused.get("error_codes")) == (
        "unauthorized_client", [7000112]), refused
    idp.set_app_enabled(CLIENT_ID, True)
    assert "access_token" in msal_app(idp).acquire_token_for_client([GRAPH_DEFAULT])


def test_a_disabled_api_gets_msal_no_token_500014(idp: MockIdp) -> None:
    idp.set_app_enabled(API_ID, False)
    refused = msal_app(idp).acquire_token_for_client([f"{API_URI}/.default"])
    assert refused.get("error_codes") == [500014], refused
    assert refused["error_description"].startswith(
        f"AADSTS500014: The service principal for resource '{API_URI}' is disabled.")
    idp.set_app_enabled(API_ID, True)
    assert "access_token" in msal_app(idp).acquire_token_for_client([f"{API_URI}/.default"])


def test_wrong_secret_is_7000215(idp: MockIdp) -> None:
    result = msal_app(idp, "not-the-secret").acquire_token_for_client([GRAPH_DEFAULT])
    assert result["error"] == "invalid_client" and 7000215 in result["error_codes"]
