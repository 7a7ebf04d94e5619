"""A connection's Entra endpoints are of one version. An Entra v1.0 authorization URI with the
v2.0 token URL (or the reverse) makes every sign-in fail (``id_token_wrong_issuer``: the token
names the other version's issuer), so the admin form and API refuse it, naming ``token_url``.
Recognised by Entra's paths on any host (the mock's too); other providers' URLs are not
affected."""

from __future__ import annotations

import pytest
from rp_support import ANY_VERSION, VALID_CONNECTION, RpHarness

from relying_party.connections import mixed_versions_problem
from relying_party.oidc.entra_paths import entra_endpoint
from relying_party.oidc.errors import IdTokenWrongIssuer

TENANT = "https://login.microsoftonline.com/contoso.onmicrosoft.com"
MOCK = "http://127.0.0.1:8400/6f2c1a9e-3b7d-4e58-a1c4-92d0b7e5f318"
MIXED = [
    (f"{TENANT}/oauth2/authorize", f"{TENANT}/oauth2/v2.0/token", "v1.0", "v2.0"),
    (f"{TENANT}/oauth2/v2.0/authorize", f"{TENANT}/oauth2/token", "v2.0", "v1.0"),
    (f"{TENANT}/oauth2/authorize/", f"{TENANT}/oauth2/v2.0/token/", "v1.0", "v2.0"),
    (f"{MOCK}/oauth2/v2.0/authorize", f"{MOCK}/oauth2/token", "v2.0", "v1.0"),
]
ACCEPTED = [
    (f"{TENANT}/oauth2/authorize", f"{TENANT}/oauth2/token"),
    (f"{TENANT}/oauth2/v2.0/authorize", f"{TENANT}/oauth2/v2.0/token"),
    (f"{MOCK}/oauth2/authorize", f"{MOCK}/oauth2/token"),
    ("https://idp.example.test/oauth2/authorize", "https://idp.example.test/oauth2/v1/token"),
    ("https://acme.okta.test/oauth2/default/v1/authorize",
     "https://acme.okta.test/oauth2/default/v1/token"),
    ("https://kc.example.test/realms/acme/protocol/openid-connect/auth",
     "https://kc.example.test/realms/acme/protocol/openid-connect/token"),
    ("https://starship.talkdeskid.com/oauth/authorize",
     "https://starship.talkdeskid.com/oauth/token"),
    (f"{TENANT}/oauth2/authorize", "https://idp.example.test/v2.0/token"),
    # AD FS and Salesforce: Entra's path shape, another first segment than a tenant's.
    ("https://adfs.contoso.test/adfs/oauth2/authorize/",
     "https://adfs.contoso.test/adfs/oauth2/token/"),
    ("https://acme.my.salesforce.test/services/oauth2/authorize",
     "https://acme.my.salesforce.test/services/oauth2/token"),
]


@pytest.mark.parametrize(("authorize", "token", "wanted", "given"), MIXED)
def test_mixed_versions_are_named(authorize: str, token: str, wanted: str, given: str) -> None:
    assert entra_endpoint(authorize, "authorize") == wanted
    assert entra_endpoint(token, "token") == given
    problem = mixed_versions_problem(authorize, token, "token_url")
    assert problem is not None
    assert problem.startswith(f"is Entra's {given} token endpoint")
    assert f"use the {wanted} token URL" in problem


@pytest.mark.parametrize(("authorize", "token"), ACCEPTED)
def test_one_version_or_another_provider_is_not_a_problem(authorize: str, token: str) -> None:
    assert mixed_versions_problem(authorize, token, "token_url") is None


@pytest.mark.parametrize(("authorize", "token", "wanted", "given"), MIXED[:2])
def test_the_api_refuses_mixed_versions_naming_token_url(
    rp: RpHarness, authorize: str, token: str, wanted: str, given: str
) -> None:
    response = rp.client.post("/api/admin/connections", json={
        **VALID_CONNECTION, "authorization_uri": authorize, "token_url": token})
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "invalid_request"
    assert set(body["fields"]) == {"token_url"}
    assert f"authorization URI is its {wanted} one" in body["fields"]["token_url"]
    assert rp.client.get("/api/admin/connections").json() == []


@pytest.mark.parametrize(("authorize", "token"), ACCEPTED[:2] + ACCEPTED[3:5])
def test_the_api_takes_one_version_or_another_provider(
    rp: RpHarness, authorize: str, token: str
) -> None:
    response = rp.client.post("/api/admin/connections", json={
        **VALID_CONNECTION, "authorization_uri": authorize, "token_url": token})
    assert response.status_code == 201, response.text


def test_an_api_edit_to_mixed_versions_is_refused(rp: RpHarness) -> None:
    cid = rp.add_connection(authorization_uri=f"{TENANT}/oauth2/authorize",
                            token_url=f"{TENANT}/oauth2/token")
    response = rp.client.patch(f"/api/admin/connections/{cid}",
                               json={"token_url": f"{TENANT}/oauth2/v2.0/token"},
                               headers=ANY_VERSION)
    assert response.status_code == 400, response.text
    assert set(response.json()["fields"]) == {"token_url"}
    kept = rp.client.get(f"/api/admin/connections/{cid}").json()
    assert kept["token_url"] == f"{TENANT}/oauth2/token"


def test_the_admin_form_refuses_mixed_versions_naming_token_url(rp: RpHarness) -> None:
    rp.admin_sign_in()
    response = rp.client.post("/admin/connections", data={
        **VALID_CONNECTION, "authorization_uri": f"{TENANT}/oauth2/authorize",
        "token_url": f"{TENANT}/oauth2/v2.0/token", "csrf_token": rp.csrf()})
    assert response.status_code == 400
    assert 'id="new-token_url-error"' in response.text
    assert 'id="new-authorization_uri-error"' not in response.text
    assert "Entra&#39;s v2.0 token endpoint" in response.text
    assert rp.client.get("/api/admin/connections").json() == []


def test_the_wrong_issuer_hint_names_the_versions() -> None:
    hint = IdTokenWrongIssuer("iss mismatch").admin_hint or ""
    assert "both v1.0 (…/oauth2/…) or both v2.0 (…/oauth2/v2.0/…)" in hint


@pytest.mark.parametrize(("authorize", "discovery", "wanted", "given"), [
    (f"{TENANT}/oauth2/authorize", f"{TENANT}/v2.0/.well-known/openid-configuration",
     "v1.0", "v2.0"),
    (f"{MOCK}/oauth2/v2.0/authorize", f"{MOCK}/.well-known/openid-configuration", "v2.0", "v1.0"),
])
def test_a_discovery_url_of_the_other_version_is_refused_naming_it(
    rp: RpHarness, authorize: str, discovery: str, wanted: str, given: str
) -> None:
    token = authorize.replace("authorize", "token")
    response = rp.client.post("/api/admin/connections", json={
        **VALID_CONNECTION, "authorization_uri": authorize, "token_url": token,
        "discovery_url": discovery})
    assert response.status_code == 400, response.text
    fields = response.json()["fields"]
    assert set(fields) == {"discovery_url"}
    assert fields["discovery_url"].startswith(f"is Entra's {given} discovery document")
    assert f"use the {wanted} discovery URL" in fields["discovery_url"]
    same = discovery.replace("/v2.0/.well-known", "/.well-known") if wanted == "v1.0" else (
        discovery.replace("/.well-known", "/v2.0/.well-known"))
    assert rp.client.post("/api/admin/connections", json={
        **VALID_CONNECTION, "authorization_uri": authorize, "token_url": token,
        "discovery_url": same}).status_code == 201
