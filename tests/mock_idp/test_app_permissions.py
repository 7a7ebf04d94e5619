"""Application permissions: app roles granted to an app, which its app-only tokens carry in
``roles``; an API that requires assignment refuses an app that holds none of its roles
(AADSTS501051); an administrator's consent grants them, Graph's only by the administrators who
may."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import httpx
import msal
import pytest
from asgi_client import AppClient
from idp_testkit import (
    ADA,
    CLIENT_ID,
    FABRIKAM_ID,
    GRAPH_DEFAULT,
    SECRET,
    TENANT,
    claims,
    consent,
    guarded_organizations_config,
    page_kind,
    paths,
    sign_in,
)

from mock_idp.config import AppConfig, AppRoleConfig, ConfigError, IdpConfig, default_tenant
from mock_idp.testing import MockIdp

API_ID = "4e8c2a6f-1b3d-4f5a-9c7e-2d4b6f8a0c1e"
API_URI = "api://orders"
REDIRECT = "http://localhost:5555/auth/callback"


def _config(*, admin_consented: bool = True, assignment_required: bool = False,
            permissions: tuple[str, ...] = ("User.Read.All", f"{API_URI}/Orders.Read.All"),
            ) -> IdpConfig:
    tenant = default_tenant()
    api = AppConfig(client_id=API_ID, name="Orders API", identifier_uris=(API_URI,),
                    assignment_required=assignment_required, app_roles=(
                        AppRoleConfig(value="Orders.Read.All",
                                      allowed_member_types=("Application",)),
                        AppRoleConfig(value="Orders.Approve", allowed_member_types=("User",))))
    rp = replace(tenant.apps[0], app_permissions=permissions, admin_consented=admin_consented)
    return IdpConfig(tenants=(replace(tenant, apps=(rp, *tenant.apps[1:], api)),))


def _app_only(client: AppClient, scope: str, tenant: str = TENANT) -> httpx.Response:
    return client.post(paths(tenant, "2.0")["token"], data={
        "grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": SECRET,
        "scope": scope})


@pytest.mark.idp_config(_config())
def test_app_only_tokens_carry_the_application_permissions_granted(client: AppClient) -> None:
    graph = _app_only(client, GRAPH_DEFAULT)
    assert claims(graph.json()["access_token"])["roles"] == ["User.Read.All"]
    api = _app_only(client, f"{API_URI}/.default")
    assert claims(api.json()["access_token"])["roles"] == ["Orders.Read.All"]


@pytest.mark.idp_config(_config(admin_consented=False))
def test_without_consent_an_app_only_token_has_no_roles(client: AppClient) -> None:
    token = claims(_app_only(client, f"{API_URI}/.default").json()["access_token"])
    assert "roles" not in token


@pytest.mark.idp_config(_config(admin_consented=False, assignment_required=True))
def test_an_api_that_requires_assignment_refuses_an_app_without_its_roles(
        client: AppClient) -> None:
    refused = _app_only(client, f"{API_URI}/.default")
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_client"
    assert refused.json()["error_codes"] == [501051]
    assert (f"Application '{CLIENT_ID}'(Reference relying party) is not assigned to a role for "
            f"the application '{API_ID}'(Orders API)") in refused.json()["error_description"]


@pytest.mark.idp_config(_config(assignment_required=True))
def test_an_api_that_requires_assignment_accepts_an_app_holding_a_role(
        client: AppClient) -> None:
    token = _app_only(client, f"{API_URI}/.default")
    assert token.status_code == 200 and claims(token.json()["access_token"])["roles"] == [
        "Orders.Read.All"]


@pytest.mark.parametrize(("permission", "message"), [
    ("api://nowhere/Things.Read", "is not an application permission"),
    (f"{API_URI}/Orders.Approve", "not an app role of 'api://orders' that apps may hold"),
    (f"{API_URI}/Orders.Write", "not an app role"),
    ("User.Read.All extra", "is not an application permission"),
])
def test_an_application_permission_that_does_not_resolve_stops_the_start(
        permission: str, message: str) -> None:
    tenant = _config().tenants[0]
    data = {"tenants": [{
        "id": tenant.id, "domain": tenant.domain,
        "apps": [{"client_id": API_ID, "name": "Orders API", "identifier_uris": [API_URI],
                  "app_roles": [{"value": "Orders.Read.All",
                                 "allowed_member_types": ["Application"]},
                                {"value": "Orders.Approve"}]},
                 {"client_id": CLIENT_ID, "name": "RP", "app_permissions": [permission]}]}]}
    with pytest.raises(ConfigError, match=r"tenants\[0\]\.apps\[1\]\.app_permissions\[0\]") as e:
        IdpConfig.from_mapping(data)
    assert message in str(e.value)


def _guarded_with_graph_role(role: str = "Global Administrator") -> IdpConfig:
    contoso, fabrikam = guarded_organizations_config(role=role).tenants
    apps = tuple(replace(a, app_permissions=("User.Read.All",)) if a.client_id == CLIENT_ID
                 else a for a in contoso.apps)
    return IdpConfig(tenants=(replace(contoso, apps=apps), fabrikam))


def _admin_consent(client: AppClient, **params: str) -> httpx.Response:
    return client.get(f"/{FABRIKAM_ID}/v2.0/adminconsent", params={
        "client_id": CLIENT_ID, "redirect_uri": REDIRECT, "state": "s",
        "scope": GRAPH_DEFAULT, **params})


@pytest.mark.idp_config(_guarded_with_graph_role())
def test_admin_consent_with_default_grants_the_application_permissions(
        client: AppClient) -> None:
    page = sign_in(client, _admin_consent(client), ADA)
    assert "User.Read.All (as the app itself)" in page.text
    assert consent(client, page).status_code == 302
    token = _app_only(client, GRAPH_DEFAULT, FABRIKAM_ID)
    assert claims(token.json()["access_token"])["roles"] == ["User.Read.All"]


@pytest.mark.idp_config(_guarded_with_graph_role())
def test_admin_consent_for_named_scopes_grants_no_application_permission(
        client: AppClient) -> None:
    assert consent(client, sign_in(client, _admin_consent(client, scope="User.Read"),
                                   ADA)).status_code == 302
    token = claims(_app_only(client, GRAPH_DEFAULT, FABRIKAM_ID).json()["access_token"])
    assert "roles" not in token


@pytest.mark.idp_config(_guarded_with_graph_role("Cloud Application Administrator"))
def test_a_cloud_application_administrator_cannot_grant_graphs_application_permissions(
        client: AppClient) -> None:
    assert page_kind(sign_in(client, _admin_consent(client), ADA)) == "need_admin"
    # Without Graph's application permissions in the request, they may.
    page = sign_in(client, _admin_consent(client, scope="User.Read"), ADA)
    assert page_kind(page) == "consent"


def test_msal_gets_the_roles_an_administrator_granted(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    with MockIdp(_guarded_with_graph_role(), https=True, tls_dir=tmp_path) as idp:
        with httpx.Client(base_url=idp.url, verify=idp.tls.client_context() if idp.tls
                          else True, timeout=10) as browser:
            page = browser.get(f"/{FABRIKAM_ID}/adminconsent", params={
                "client_id": CLIENT_ID, "redirect_uri": REDIRECT})
            assert consent(browser, sign_in(browser, page, ADA)).status_code == 302  # type: ignore[arg-type]
        app = msal.ConfidentialClientApplication(
            CLIENT_ID, client_credential=SECRET, authority=f"{idp.url}/{FABRIKAM_ID}",
            validate_authority=False, instance_discovery=False, verify=str(idp.ca_file))
        try:
            result = app.acquire_token_for_client([GRAPH_DEFAULT])
        finally:
            app.http_client.close()
        assert "access_token" in result, result
        assert claims(result["access_token"])["roles"] == ["User.Read.All"]


# -- through Graph ----------------------------------------------------------------------------


def _assignments_path(app_id: str = CLIENT_ID, tenant: str = TENANT) -> str:
    return f"/graph/{tenant}/v1.0/servicePrincipals(appId='{app_id}')/appRoleAssignments"


def _sp(client: AppClient, app_id: str) -> str:
    found: str = client.get(
        f"/graph/{TENANT}/v1.0/servicePrincipals(appId='{app_id}')").json()["id"]
    return found


@pytest.mark.idp_config(_config(admin_consented=False, assignment_required=True))
def test_an_application_permission_granted_and_revoked_through_graph(client: AppClient) -> None:
    assert _app_only(client, f"{API_URI}/.default").json()["error_codes"] == [501051]
    made = client.post(_assignments_path(), json={
        "principalId": _sp(client, CLIENT_ID), "resourceId": _sp(client, API_ID),
        "appRoleId": "Orders.Read.All"})
    assert made.status_code == 201, made.text
    assignment = made.json()
    assert assignment["principalType"] == "ServicePrincipal"
    assert assignment["resourceDisplayName"] == "Orders API"
    token = _app_only(client, f"{API_URI}/.default")
    assert claims(token.json()["access_token"])["roles"] == ["Orders.Read.All"]
    graph = client.post(_assignments_path(), json={
        "resourceId": "00000003-0000-0000-c000-000000000000", "appRoleId": "Mail.Read"})
    assert graph.status_code == 201
    listed = client.get(_assignments_path()).json()["value"]
    assert {a["id"] for a in listed} == {assignment["id"], graph.json()["id"]}
    assert claims(_app_only(client, GRAPH_DEFAULT).json()["access_token"])["roles"] == [
        "Mail.Read"]
    assert client.delete(f"{_assignments_path()}/{assignment['id']}").status_code == 204
    assert _app_only(client, f"{API_URI}/.default").json()["error_codes"] == [501051]


@pytest.mark.idp_config(_config())
def test_an_app_only_token_names_the_apps_service_principal(client: AppClient) -> None:
    """``oid`` and ``sub`` of an app-only token are the service principal's object id, the
    ``principalId`` Graph lists the app's permissions under, not the application object's."""
    token = claims(_app_only(client, f"{API_URI}/.default").json()["access_token"])
    principal = _sp(client, CLIENT_ID)
    assert token["oid"] == token["sub"] == principal
    application = client.get(f"/graph/{TENANT}/v1.0/applications(appId='{CLIENT_ID}')")
    assert application.status_code == 200 and application.json()["id"] != principal
    held = client.get(_assignments_path()).json()["value"]
    assert held and {a["principalId"] for a in held} == {principal}


@pytest.mark.idp_config(_config(admin_consented=False))
@pytest.mark.parametrize(("body", "field", "status"), [
    ({"appRoleId": "Orders.Approve"}, "appRoleId", 400),
    ({"appRoleId": "Orders.Nothing"}, "appRoleId", 400),
    ({"resourceId": "00000000-0000-0000-0000-0000000000ab"}, "resourceId", 400),
    ({"principalId": "00000000-0000-0000-0000-0000000000ab"}, "principalId", 400),
    ({"resourceId": "not a guid"}, "resourceId", 400),
    ({"extra": 1}, "extra", 400),
])
def test_a_refused_application_permission_names_its_field(
        client: AppClient, body: dict[str, object], field: str, status: int) -> None:
    full = {"resourceId": API_ID, "appRoleId": "Orders.Read.All", **body}
    refused = client.post(_assignments_path(), json=full)
    assert refused.status_code == status, refused.text
    assert refused.json()["error"]["target"] == field
    assert client.get(_assignments_path()).json()["value"] == []


@pytest.mark.idp_config(_config())
def test_a_permission_held_twice_is_a_conflict(client: AppClient) -> None:
    again = client.post(_assignments_path(), json={"resourceId": API_ID,
                                                   "appRoleId": "Orders.Read.All"})
    assert again.status_code == 409
    assert client.get(_assignments_path(API_ID)).json()["value"] == []


@pytest.mark.idp_config(_config(admin_consented=False))
def test_a_graph_permission_granted_by_the_id_graphs_service_principal_lists(
        client: AppClient) -> None:
    """What onboarding scripts do: find the permission in Graph's service principal's
    ``appRoles`` by value, then grant its id."""
    graph = client.get(f"/graph/{TENANT}/v1.0/servicePrincipals(appId="
                       "'00000003-0000-0000-c000-000000000000')").json()
    role = next(r for r in graph["appRoles"] if r["value"] == "User.Read.All")
    assert role["id"] == "df021288-bdef-4463-88db-98f22de89214"
    made = client.post(_assignments_path(), json={"resourceId": graph["id"],
                                                  "appRoleId": role["id"]})
    assert made.status_code == 201 and made.json()["appRoleId"] == role["id"]
    assert claims(_app_only(client, GRAPH_DEFAULT).json()["access_token"])["roles"] == [
        "User.Read.All"]
    unknown = client.post(_assignments_path(), json={
        "resourceId": graph["id"], "appRoleId": "00000000-0000-0000-0000-0000000000cd"})
    assert unknown.status_code == 400 and unknown.json()["error"]["target"] == "appRoleId"
    api = client.get(f"/graph/{TENANT}/v1.0/servicePrincipals(appId='{API_ID}')").json()
    assert {r["value"] for r in api["appRoles"]} == {"Orders.Read.All", "Orders.Approve"}


@pytest.mark.idp_config(_config(admin_consented=False))
def test_graphs_service_principal_is_found_by_its_name_as_the_docs_do(client: AppClient) -> None:
    found = client.get(f"/graph/{TENANT}/v1.0/servicePrincipals",
                       params={"$filter": "displayName eq 'Microsoft Graph'"}).json()["value"]
    assert [sp["appId"] for sp in found] == ["00000003-0000-0000-c000-000000000000"]
    assert {r["value"]: r["id"] for r in found[0]["appRoles"]}["Directory.Read.All"] == (
        "7ab1d382-f21e-4acd-a863-ba3e13f7da61")
    everyone = client.get(f"/graph/{TENANT}/v1.0/servicePrincipals").json()["value"]
    assert {sp["appId"] for sp in everyone} >= {CLIENT_ID, API_ID}
    refused = client.get(f"/graph/{TENANT}/v1.0/servicePrincipals",
                         params={"$filter": "tags eq 'x'"})
    assert refused.status_code == 400 and refused.json()["error"]["target"] == "$filter"


def _recreate(client: AppClient, app_id: str) -> str:
    """Delete the app through Graph and create one with the same ``appId``; its new secret."""
    item = f"/graph/{TENANT}/v1.0/applications(appId='{app_id}')"
    assert client.delete(item).status_code == 204
    made = client.post(f"/graph/{TENANT}/v1.0/applications",
                       json={"displayName": "Again", "appId": app_id})
    assert made.status_code == 201, made.text
    secret: str = client.post(f"{item}/addPassword", json={}).json()["secretText"]
    return secret


@pytest.mark.idp_config(_config())
def test_a_deleted_apps_application_permissions_go_with_it(client: AppClient) -> None:
    """A new app under a deleted one's appId holds none of its permissions: Graph deletes an
    application's service principal, and its app role assignments with it."""
    secret = _recreate(client, CLIENT_ID)
    token = client.post(paths(TENANT, "2.0")["token"], data={
        "grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": secret,
        "scope": f"{API_URI}/.default"})
    assert token.status_code == 200, token.text
    assert "roles" not in claims(token.json()["access_token"])
    assert client.get(_assignments_path()).json()["value"] == []
    granted = f"/graph/{TENANT}/v1.0/servicePrincipals(appId='{API_ID}')/appRoleAssignedTo"
    assert client.get(granted).json()["value"] == []


@pytest.mark.idp_config(_config())
def test_a_deleted_resources_permissions_go_with_it(client: AppClient) -> None:
    _recreate(client, API_ID)
    listed = client.get(_assignments_path()).json()["value"]
    assert [a["resourceDisplayName"] for a in listed] == ["Microsoft Graph"]
    grants = client.get(f"/graph/{TENANT}/v1.0/oauth2PermissionGrants").json()["value"]
    assert _sp(client, API_ID) not in {g["resourceId"] for g in grants}
