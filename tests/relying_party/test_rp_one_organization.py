"""A customer's connection names the customer's organization. Entra's ``common`` and
``organizations`` endpoints sign in users of every organization to a multi-tenant app (each
with a token from their own tenant, which passes the issuer check), so a connection on them
would make any company's users this customer's: the admin form and API refuse such URLs,
naming the field, and a connection stored before that ends on the failure page."""

from __future__ import annotations

from dataclasses import replace

import pytest
from rp_support import VALID_CONNECTION, RpHarness

from relying_party.oidc.discovery import CONSUMERS_TENANT as CONSUMERS
from relying_party.oidc.discovery import any_organization

ORGANIZATIONS = {
    "authorization_uri": "https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize",
    "token_url": "https://login.microsoftonline.com/common/oauth2/token",
    "discovery_url": "https://login.microsoftonline.com/Common/v2.0",
}


@pytest.mark.parametrize(("url", "alias"), [
    ("https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize", "organizations"),
    ("https://login.microsoftonline.com/common/oauth2/authorize?x=1", "common"),
    ("https://login.microsoftonline.com/consumers/v2.0/.well-known/openid-configuration",
     "consumers"),
    ("http://localhost:8400/COMMON/.well-known/openid-configuration", "common"),
    # entra-id.md §1: consumers is an alias of the personal accounts' tenant GUID
    ("https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/oauth2/v2.0/"
     "authorize", "consumers"),
    ("https://login.microsoftonline.com/9188040D-6C67-4C5B-B112-36A304B66DAD/v2.0", "consumers"),
    ("https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize", None),
    ("https://login.microsoftonline.com/6f2c1a9e-3b7d-4e58-a1c4-92d0b7e5f318/oauth2/token",
     None),
    ("https://sso.example/realms/common/protocol/openid-connect/auth", None),
    ("https://idp.example/common/login", None),
    ("http://[::1/a", None),
])
def test_an_entra_endpoint_on_an_alias_is_recognised(url: str, alias: str | None) -> None:
    assert any_organization(url) == alias


@pytest.mark.parametrize("field", sorted(ORGANIZATIONS))
def test_the_api_refuses_an_endpoint_of_every_organization(rp: RpHarness, field: str) -> None:
    response = rp.client.post("/api/admin/connections",
                              json={**VALID_CONNECTION, field: ORGANIZATIONS[field]})
    assert response.status_code == 400, response.text
    fields = response.json()["fields"]
    assert set(fields) == {field}
    assert "names no organization" in fields[field] and "tenant" in fields[field]
    assert rp.client.get("/api/admin/connections").json() == []


def test_the_personal_accounts_tenant_is_refused_by_its_guid_too(rp: RpHarness) -> None:
    guid = "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad"
    response = rp.client.post("/api/admin/connections", json={
        **VALID_CONNECTION, "authorization_uri": f"{guid}/oauth2/v2.0/authorize",
        "token_url": f"{guid}/oauth2/v2.0/token"})
    assert response.status_code == 400, response.text
    fields = response.json()["fields"]
    assert set(fields) == {"authorization_uri", "token_url"}
    assert "'consumers', the tenant 9188040d-6c67-4c5b-b112-36a304b66dad" in fields["token_url"]
    assert rp.client.get("/api/admin/connections").json() == []


def test_the_admin_form_refuses_it_too(rp: RpHarness) -> None:
    rp.admin_sign_in()
    response = rp.client.post("/admin/connections", data={
        **VALID_CONNECTION, "authorization_uri": ORGANIZATIONS["authorization_uri"],
        "csrf_token": rp.csrf()})
    assert response.status_code == 400
    assert 'id="new-authorization_uri-error"' in response.text
    assert "names no organization" in response.text
    assert rp.client.get("/api/admin/connections").json() == []


def test_a_connection_stored_on_organizations_signs_nobody_in(rp: RpHarness) -> None:
    rp_state = rp.client.app.state.rp  # type: ignore[attr-defined]
    good = rp_state.db.connections.get(rp.add_connection())
    stored = replace(good, id="allorgs00000", authorization_uri=ORGANIZATIONS["authorization_uri"])
    rp_state.db.connections.insert(stored)
    response = rp.client.get(f"/sso/{stored.id}/widget")
    record = rp.assert_failure_page(response, status=503, code="connection_misconfigured")
    assert "names no organization" in str(record["admin_hint"])
    assert "location" not in response.headers


ENTRA = "https://login.microsoftonline.com"
DOT_SEGMENTS = {
    "authorization_uri": f"{ENTRA}/contoso/../common/oauth2/v2.0/authorize",
    "token_url": f"{ENTRA}/contoso/./../consumers/oauth2/v2.0/token",
    "discovery_url": f"{ENTRA}/contoso/%2e%2e/organizations/v2.0",
}
"""Browsers and httpx remove dot segments (RFC 3986 §5.2.4, ``%2e`` as ``.`` too) before
sending, so each of these reaches the alias, not ``contoso``."""


@pytest.mark.parametrize(("url", "alias"), [
    (DOT_SEGMENTS["authorization_uri"], "common"),
    (DOT_SEGMENTS["token_url"], "consumers"),
    (DOT_SEGMENTS["discovery_url"], "organizations"),
    (f"{ENTRA}/contoso/.%2E/%2E/common/oauth2/v2.0/authorize", "common"),
    (f"{ENTRA}/a/b/../../{CONSUMERS}/oauth2/v2.0/authorize", "consumers"),
    (f"{ENTRA}/x/../common", "common"),
    (f"{ENTRA}/common/../contoso/oauth2/v2.0/authorize", None),
    (f"{ENTRA}/contoso/./oauth2/v2.0/authorize", None),
])
def test_an_alias_behind_dot_segments_is_recognised(url: str, alias: str | None) -> None:
    assert any_organization(url) == alias


@pytest.mark.parametrize("url", [
    DOT_SEGMENTS["authorization_uri"],
    f"{ENTRA}/contoso/./../consumers/oauth2/v2.0/authorize",
    f"{ENTRA}/contoso/%2e%2e/common/oauth2/v2.0/authorize",
    f"{ENTRA}/contoso/.%2E/common/oauth2/v2.0/authorize",
    f"{ENTRA}/contoso/../{CONSUMERS}/oauth2/v2.0/authorize",
    f"{ENTRA}/contoso/./oauth2/v2.0/authorize",
    f"{ENTRA}/common/../contoso/oauth2/v2.0/authorize",
])
def test_the_api_refuses_dot_segments(rp: RpHarness, url: str) -> None:
    response = rp.client.post("/api/admin/connections", json={
        **VALID_CONNECTION, "authorization_uri": url,
        "token_url": url.replace("/authorize", "/token")})
    assert response.status_code == 400, response.text
    fields = response.json()["fields"]
    assert set(fields) == {"authorization_uri", "token_url"}
    assert "'.' or '..' path segments" in fields["authorization_uri"]
    assert rp.client.get("/api/admin/connections").json() == []


@pytest.mark.parametrize("field", sorted(DOT_SEGMENTS))
def test_an_edit_cannot_bring_dot_segments(rp: RpHarness, field: str) -> None:
    cid = rp.add_connection()
    before = rp.client.get(f"/api/admin/connections/{cid}").json()
    for method in ("PATCH", "PUT"):
        body = {field: DOT_SEGMENTS[field]} if method == "PATCH" else {
            **VALID_CONNECTION, field: DOT_SEGMENTS[field]}
        response = rp.client.request(method, f"/api/admin/connections/{cid}", json=body,
                                     headers={"If-Match": '"1"'})
        assert response.status_code == 400, (method, response.text)
        assert set(response.json()["fields"]) == {field}, method
    assert rp.client.get(f"/api/admin/connections/{cid}").json() == before


def test_the_admin_form_refuses_dot_segments(rp: RpHarness) -> None:
    rp.admin_sign_in()
    response = rp.client.post("/admin/connections", data={
        **VALID_CONNECTION, "token_url": DOT_SEGMENTS["token_url"], "csrf_token": rp.csrf()})
    assert response.status_code == 400
    assert 'id="new-token_url-error"' in response.text
    assert "path segments" in response.text
    assert rp.client.get("/api/admin/connections").json() == []


@pytest.mark.parametrize("field", sorted(DOT_SEGMENTS))
def test_a_connection_stored_with_dot_segments_signs_nobody_in(rp: RpHarness, field: str
                                                               ) -> None:
    rp_state = rp.client.app.state.rp  # type: ignore[attr-defined]
    good = rp_state.db.connections.get(rp.add_connection())
    stored = replace(good, id="dotsegs00000", **{field: DOT_SEGMENTS[field]})
    rp_state.db.connections.insert(stored)
    response = rp.client.get(f"/sso/{stored.id}/widget")
    record = rp.assert_failure_page(response, status=503, code="connection_misconfigured")
    assert "names no organization" in str(record["admin_hint"])
    assert "location" not in response.headers
