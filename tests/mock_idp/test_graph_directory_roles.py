"""Directory roles through Graph's ``roleManagement/directory``: who holds which built-in role
decides who may consent for the organization, at run time as in ``idp.toml``."""

from __future__ import annotations

import pytest
from asgi_client import AppClient
from idp_testkit import (
    ADA,
    CLIENT_ID,
    FABRIKAM_ID,
    GRAPH_DEFAULT,
    ZED,
    auth_params,
    guarded_organizations_config,
    page_kind,
    sign_in,
)

from mock_idp.testing import MockIdp

GUARDED = guarded_organizations_config()
ROLES = f"/graph/{FABRIKAM_ID}/v1.0/roleManagement/directory"
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
PRIVILEGED_ROLE_ADMIN = "e8611ab8-c189-46e8-94e1-60213ab1f814"


def _admin_consent_page(client: AppClient) -> str | None:
    client.cookies.clear()
    page = client.get("/organizations/v2.0/adminconsent", params={
        "client_id": CLIENT_ID, "redirect_uri": auth_params()["redirect_uri"],
        "scope": GRAPH_DEFAULT})
    return page_kind(sign_in(client, page, ZED))


def _zed_id(client: AppClient) -> str:
    found: str = client.get(f"/graph/{FABRIKAM_ID}/v1.0/users/{ZED}").json()["id"]
    return found


@pytest.mark.idp_config(GUARDED)
def test_the_built_in_roles_and_who_holds_them(client: AppClient) -> None:
    definitions = client.get(f"{ROLES}/roleDefinitions").json()["value"]
    assert {"id": GLOBAL_ADMIN, "templateId": GLOBAL_ADMIN, "displayName": "Global Administrator",
            "isBuiltIn": True, "isEnabled": True} in definitions
    (held,) = client.get(f"{ROLES}/roleAssignments").json()["value"]
    ada = client.get(f"/graph/{FABRIKAM_ID}/v1.0/users/{ADA}").json()["id"]
    assert held["principalId"] == ada and held["roleDefinitionId"] == GLOBAL_ADMIN
    assert held["directoryScopeId"] == "/"


@pytest.mark.idp_config(GUARDED)
def test_a_role_given_and_taken_at_run_time(client: AppClient) -> None:
    assert _admin_consent_page(client) == "need_admin"
    made = client.post(f"{ROLES}/roleAssignments", json={
        "principalId": ZED, "roleDefinitionId": PRIVILEGED_ROLE_ADMIN, "directoryScopeId": "/"})
    assert made.status_code == 201, made.text
    assignment = made.json()
    assert assignment["principalId"] == _zed_id(client)
    listed = client.get(f"{ROLES}/roleAssignments",
                        params={"$filter": f"principalId eq '{_zed_id(client)}'"}).json()
    assert [a["id"] for a in listed["value"]] == [assignment["id"]]
    assert client.get(f"{ROLES}/roleAssignments/{assignment['id']}").json()[
        "roleDefinitionId"] == PRIVILEGED_ROLE_ADMIN
    assert _admin_consent_page(client) == "consent"
    assert client.delete(f"{ROLES}/roleAssignments/{assignment['id']}").status_code == 204
    assert client.get(f"{ROLES}/roleAssignments/{assignment['id']}").status_code == 404
    assert _admin_consent_page(client) == "need_admin"
    client.post(f"{ROLES}/roleAssignments", json={
        "principalId": ZED, "roleDefinitionId": GLOBAL_ADMIN, "directoryScopeId": "/"})
    client.post("/_mock/reset")
    assert len(client.get(f"{ROLES}/roleAssignments").json()["value"]) == 1


@pytest.mark.idp_config(GUARDED)
@pytest.mark.parametrize(("body", "field", "status"), [
    ({"principalId": "nobody@fabrikam.onmicrosoft.com"}, "principalId", 400),
    ({"roleDefinitionId": "00000000-0000-0000-0000-00000000000a"}, "roleDefinitionId", 400),
    ({"roleDefinitionId": "Global Administrator"}, "roleDefinitionId", 400),
    ({"directoryScopeId": "/administrativeUnits/1"}, "directoryScopeId", 400),
    ({"principalId": ADA}, "roleDefinitionId", 409),
    ({"appScopeId": "/"}, "appScopeId", 400),
])
def test_a_refused_role_assignment_names_its_field(client: AppClient, body: dict[str, str],
                                                   field: str, status: int) -> None:
    full = {"principalId": ZED, "roleDefinitionId": GLOBAL_ADMIN, "directoryScopeId": "/",
            **body}
    refused = client.post(f"{ROLES}/roleAssignments", json=full)
    assert refused.status_code == status, refused.text
    assert refused.json()["error"]["target"] == field
    assert len(client.get(f"{ROLES}/roleAssignments").json()["value"]) == 1


def test_mock_idp_assigns_a_directory_role() -> None:
    with MockIdp(GUARDED) as idp:
        idp.assign_directory_role(ZED, "Cloud Application Administrator", tenant=FABRIKAM_ID)
        held = idp.graph("GET", "roleManagement/directory/roleAssignments",
                         tenant=FABRIKAM_ID).json()["value"]
        assert "158c047a-c907-4556-b7ef-446551a6b5f7" in {a["roleDefinitionId"] for a in held}
