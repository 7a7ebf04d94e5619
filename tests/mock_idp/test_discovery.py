"""Discovery documents, signing keys and instance discovery, per tenant form and version."""

from __future__ import annotations

import base64
import hashlib

import pytest
from asgi_client import AppClient
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from idp_testkit import BASE, DOMAIN, TENANT, paths
from starlette.applications import Starlette

from mock_idp.protocol import discovery

MSA_TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad"
"""The Microsoft account tenant, which the consumers documents name (entra-id.md)."""

ENDPOINTS = ("token_endpoint", "authorization_endpoint", "end_session_endpoint", "jwks_uri",
             "device_authorization_endpoint", "kerberos_endpoint")


@pytest.mark.parametrize("segment", [TENANT, DOMAIN, TENANT.upper()])
def test_v2_tenant_document_names_endpoints_by_guid(client: AppClient, segment: str) -> None:
    response = client.get(paths(segment, "2.0")["discovery"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    doc = response.json()
    assert doc["issuer"] == f"{BASE}/{TENANT}/v2.0"
    assert doc["token_endpoint"] == f"{BASE}/{TENANT}/oauth2/v2.0/token"
    assert doc["authorization_endpoint"] == f"{BASE}/{TENANT}/oauth2/v2.0/authorize"
    assert doc["end_session_endpoint"] == f"{BASE}/{TENANT}/oauth2/v2.0/logout"
    assert doc["jwks_uri"] == f"{BASE}/{TENANT}/discovery/v2.0/keys"
    assert doc["userinfo_endpoint"] == f"{BASE}/oidc/userinfo"
    assert doc["tenant_region_scope"] == "NA"
    for name in ENDPOINTS:
        assert doc[name].startswith(f"{BASE}/{TENANT}/"), name
    assert doc["response_types_supported"] == ["code", "id_token", "code id_token",
                                               "id_token token"]
    assert doc["token_endpoint_auth_methods_supported"] == [
        "client_secret_post", "private_key_jwt", "client_secret_basic"]
    assert doc["scopes_supported"] == ["openid", "profile", "email", "offline_access"]
    assert doc["frontchannel_logout_supported"] is True
    assert doc["http_logout_supported"] is True
    assert doc["request_uri_parameter_supported"] is False
    for absent in ("grant_types_supported", "code_challenge_methods_supported",
                   "backchannel_logout_supported", "frontchannel_logout_session_supported",
                   "check_session_iframe", "revocation_endpoint", "introspection_endpoint"):
        assert absent not in doc


def test_v2_document_member_order_follows_entra(client: AppClient) -> None:
    doc = client.get(paths(TENANT, "2.0")["discovery"]).json()
    assert list(doc)[:9] == [
        "token_endpoint", "token_endpoint_auth_methods_supported", "jwks_uri",
        "response_modes_supported", "subject_types_supported",
        "id_token_signing_alg_values_supported", "response_types_supported",
        "scopes_supported", "issuer"]


@pytest.mark.parametrize("segment", ["common", "organizations"])
def test_multi_tenant_v2_documents_carry_the_tenantid_template(client: AppClient,
                                                               segment: str) -> None:
    doc = client.get(paths(segment, "2.0")["discovery"]).json()
    assert doc["issuer"] == f"{BASE}/{{tenantid}}/v2.0"
    assert doc["token_endpoint"] == f"{BASE}/{segment}/oauth2/v2.0/token"
    assert doc["authorization_endpoint"] == f"{BASE}/{segment}/oauth2/v2.0/authorize"
    assert doc["jwks_uri"] == f"{BASE}/{segment}/discovery/v2.0/keys"
    assert doc["tenant_region_scope"] is None


def test_the_consumers_v2_document_names_the_microsoft_account_tenant(client: AppClient) -> None:
    """Unlike ``common`` and ``organizations``, Entra's ``consumers`` document carries a concrete
    issuer, the Microsoft account tenant's, and keeps ``consumers`` in its endpoints."""
    doc = client.get(paths("consumers", "2.0")["discovery"]).json()
    assert doc["issuer"] == f"{BASE}/{MSA_TENANT}/v2.0"
    assert doc["authorization_endpoint"] == f"{BASE}/consumers/oauth2/v2.0/authorize"
    assert doc["jwks_uri"] == f"{BASE}/consumers/discovery/v2.0/keys"


@pytest.mark.parametrize("segment", [TENANT, DOMAIN])
def test_v1_tenant_document(client: AppClient, segment: str) -> None:
    doc = client.get(paths(segment, "1.0")["discovery"]).json()
    assert doc["issuer"] == f"https://sts.windows.net/{TENANT}/"  # whichever host serves it
    assert doc["token_endpoint"] == f"{BASE}/{TENANT}/oauth2/token"
    assert doc["authorization_endpoint"] == f"{BASE}/{TENANT}/oauth2/authorize"
    assert doc["end_session_endpoint"] == f"{BASE}/{TENANT}/oauth2/logout"
    assert doc["userinfo_endpoint"] == f"{BASE}/{TENANT}/openid/userinfo"
    assert doc["check_session_iframe"] == f"{BASE}/{TENANT}/oauth2/checksession"
    assert doc["microsoft_multi_refresh_token"] is True
    assert doc["scopes_supported"] == ["openid"]
    assert doc["response_types_supported"] == ["code", "id_token", "code id_token",
                                               "token id_token", "token"]


@pytest.mark.parametrize("segment", ["common", "organizations"])
def test_multi_tenant_v1_documents(client: AppClient, segment: str) -> None:
    doc = client.get(paths(segment, "1.0")["discovery"]).json()
    assert doc["issuer"] == "https://sts.windows.net/{tenantid}/"
    assert doc["token_endpoint"] == f"{BASE}/{segment}/oauth2/token"


@pytest.mark.idp_config(public_url="https://login.mock.test/")
def test_public_url_sets_the_issuer_base(client: AppClient) -> None:
    doc = client.get(paths(DOMAIN, "2.0")["discovery"]).json()
    assert doc["issuer"] == f"https://login.mock.test/{TENANT}/v2.0"
    assert doc["token_endpoint"] == f"https://login.mock.test/{TENANT}/oauth2/v2.0/token"


def test_discovery_is_cacheable_and_readable_by_any_page(client: AppClient) -> None:
    instance = client.get("/common/discovery/instance", params={
        "api-version": "1.1", "authorization_endpoint": f"{BASE}/{TENANT}/oauth2/v2.0/authorize"})
    for response in (client.get(paths(TENANT, "2.0")["discovery"]), instance):
        assert response.headers["cache-control"] == "max-age=86400, private"
        assert response.headers["x-ms-request-id"]
        # As recorded from Entra; a single-page app reads both cross-origin.
        assert response.headers["access-control-allow-origin"] == "*"
        assert response.headers["access-control-allow-methods"] == "GET, OPTIONS"


@pytest.mark.parametrize("path", ["/common/discovery/instance",
                                  f"/{TENANT}/v2.0/.well-known/openid-configuration",
                                  "/organizations/.well-known/openid-configuration"])
def test_a_browser_preflight_for_discovery_is_allowed(client: AppClient, path: str) -> None:
    """The documents advertise OPTIONS; a page whose fetch carries its own headers (a
    library's client headers) sends a preflight first, and it is answered."""
    response = client.options(path, headers={
        "Origin": "http://127.0.0.1:3000", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "x-client-sku, x-client-ver"})
    assert response.status_code == 204, response.text
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["access-control-allow-methods"] == "GET, OPTIONS"
    assert response.headers["access-control-allow-headers"] == "x-client-sku, x-client-ver"


def _thumbprint(x5c0: str) -> str:
    der = base64.b64decode(x5c0)
    return base64.urlsafe_b64encode(hashlib.sha1(der).digest()).rstrip(b"=").decode()


@pytest.mark.parametrize("segment", [TENANT, DOMAIN, "common", "organizations", "consumers"])
@pytest.mark.parametrize("version", ["2.0", "1.0"])
def test_keys_have_kid_equal_x5t_equal_certificate_thumbprint(
    client: AppClient, segment: str, version: str
) -> None:
    response = client.get(paths(segment, version)["keys"])
    assert response.status_code == 200
    keys = response.json()["keys"]
    assert keys
    for key in keys:
        assert key["kty"] == "RSA" and key["use"] == "sig" and key["e"] == "AQAB"
        assert "alg" not in key
        assert key["kid"] == key["x5t"] == _thumbprint(key["x5c"][0])
        assert len(key["kid"]) == 27
        cert = x509.load_der_x509_certificate(base64.b64decode(key["x5c"][0]))
        public = cert.public_key()
        assert isinstance(public, rsa.RSAPublicKey)
        assert public.key_size == 2048
        n = int.from_bytes(base64.urlsafe_b64decode(key["n"] + "=" * (-len(key["n"]) % 4)),
                           "big")
        assert public.public_numbers().n == n
        assert cert.public_bytes(serialization.Encoding.DER) == base64.b64decode(key["x5c"][0])
        if version == "2.0":
            expected = (TENANT if segment in (TENANT, DOMAIN)
                        else MSA_TENANT if segment == "consumers" else "{tenantid}")
            assert key["issuer"] == f"{BASE}/{expected}/v2.0"
        else:
            assert "issuer" not in key


def test_rotation_publishes_old_and_new_keys(client: AppClient, idp_app: Starlette) -> None:
    state = idp_app.state.idp
    old = state.keys.active.kid
    new = state.keys.rotate().kid
    kids = [k["kid"] for k in client.get(paths(TENANT, "2.0")["keys"]).json()["keys"]]
    assert kids[0] == new and old in kids


def test_instance_discovery_for_the_mock_host(client: AppClient) -> None:
    response = client.get("/common/discovery/instance", params={
        "api-version": "1.1",
        "authorization_endpoint": f"{BASE}/{TENANT}/oauth2/v2.0/authorize"})
    assert response.status_code == 200
    body = response.json()
    assert body["tenant_discovery_endpoint"] == (
        f"{BASE}/{TENANT}/v2.0/.well-known/openid-configuration")
    assert body["api-version"] == "1.1"
    assert body["metadata"][0]["preferred_network"] == "testserver"
    assert "testserver" in body["metadata"][0]["aliases"]


def test_instance_discovery_takes_the_mock_host_without_its_port() -> None:
    # MSAL Python (validate_authority=True) asks about its authority's host without the port
    # (MSAL Python #259); a mock on 127.0.0.1:8443 is that host.
    base = "https://127.0.0.1:8443"
    answer = discovery.instance_discovery(
        base, f"https://127.0.0.1/{TENANT}/oauth2/v2.0/authorize", "1.0")
    assert answer is not None
    assert answer["tenant_discovery_endpoint"] == (
        f"{base}/{TENANT}/v2.0/.well-known/openid-configuration")
    for other in ("https://127.0.0.1:9999/x/oauth2/v2.0/authorize",
                  "https://localhost/x/oauth2/v2.0/authorize",
                  "https://127.0.0.1:bad/x/oauth2/v2.0/authorize"):
        assert discovery.instance_discovery(base, other, "1.0") is None, other


def test_instance_discovery_rejects_other_hosts(client: AppClient) -> None:
    response = client.get("/common/discovery/instance", params={
        "api-version": "1.0",
        "authorization_endpoint": "https://login.example.org/x/oauth2/v2.0/authorize"})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_instance"
    assert body["error_codes"] == [50049]
    assert body["error_description"].startswith("AADSTS50049: Unknown or invalid instance.")


@pytest.mark.parametrize("version", ["2.0", "1.0"])
@pytest.mark.parametrize("kind", ["discovery", "keys"])
def test_unknown_tenant_is_90002(client: AppClient, version: str, kind: str) -> None:
    for segment in ("00000000-0000-0000-0000-00000000abcd", "fabrikam.onmicrosoft.com"):
        response = client.get(paths(segment, version)[kind])
        assert response.status_code == 400
        body = response.json()
        assert body["error"] == "invalid_tenant"
        assert body["error_codes"] == [90002]
        assert f"Tenant '{segment}' not found" in body["error_description"]


@pytest.mark.parametrize("segment", ["not_a_tenant", "bad!tenant", "x" * 300])
def test_malformed_tenant_is_900023(client: AppClient, segment: str) -> None:
    response = client.get(paths(segment, "2.0")["discovery"])
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_request"
    assert body["error_codes"] == [900023]


@pytest.mark.parametrize("version", ["1.0", "2.0"])
def test_a_document_asked_for_an_app_points_at_its_keys(client: AppClient, version: str) -> None:
    # Entra: ".well-known/openid-configuration?appid=X contains a jwks_uri of
    # .../discovery/keys?appid=X" (learn.microsoft.com/entra/identity-platform/access-tokens);
    # python-social-auth's Azure AD tenant backends read their keys from it.
    app_id = "6731de76-14a6-49ae-97bc-6eba6914391e"
    plain = client.get(paths(TENANT, version)["discovery"]).json()
    doc = client.get(paths(TENANT, version)["discovery"], params={"appid": app_id}).json()
    assert doc["jwks_uri"] == f"{plain['jwks_uri']}?appid={app_id}"
    assert {k: v for k, v in doc.items() if k != "jwks_uri"} == \
        {k: v for k, v in plain.items() if k != "jwks_uri"}
    keys = client.get(doc["jwks_uri"].removeprefix(BASE))
    assert keys.status_code == 200
    assert keys.json() == client.get(plain["jwks_uri"].removeprefix(BASE)).json()
    odd = client.get(paths(TENANT, version)["discovery"], params={"appid": "a&b=c"}).json()
    assert odd["jwks_uri"] == f"{plain['jwks_uri']}?appid=a%26b%3Dc"
