"""Where the Graph-shaped API answers as Microsoft Graph does, so a script written against the
mock keeps working in production: a user's default properties, app role assignments naming the
resource's service principal, and Graph's error codes and details."""

from __future__ import annotations

from typing import Any

import pytest
from asgi_client import AppClient

from mock_idp.config import DEFAULT_DOMAIN, REFERENCE_RP_CLIENT_ID
from mock_idp.consent import GRAPH_APP_ID

G = f"/graph/{DEFAULT_DOMAIN}/v1.0"
DAVE = f"dave@{DEFAULT_DOMAIN}"
DEFAULT_ACCESS = "00000000-0000-0000-0000-000000000000"
USER_DEFAULTS = {"businessPhones", "displayName", "givenName", "id", "jobTitle", "mail",
                 "mobilePhone", "officeLocation", "preferredLanguage", "surname",
                 "userPrincipalName"}


def error_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    return error


def sp_of(client: AppClient, app_id: str) -> dict[str, Any]:
    found: dict[str, Any] = client.get(f"{G}/servicePrincipals(appId='{app_id}')").json()
    return found


def new_user(client: AppClient, name: str, **extra: Any) -> dict[str, Any]:
    response = client.post(f"{G}/users", json={
        "accountEnabled": True, "displayName": name.title(), "mailNickname": name,
        "userPrincipalName": f"{name}@{DEFAULT_DOMAIN}",
        "passwordProfile": {"password": "Str0ng!Passw0rd"}, **extra})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


# --- users --------------------------------------------------------------------------------------

def test_a_user_shows_graphs_default_properties_and_the_rest_on_select(
        client: AppClient) -> None:
    user = client.get(f"{G}/users/{DAVE}").json()
    assert set(user) - {"@odata.context"} == USER_DEFAULTS
    assert user["businessPhones"] == [] and user["jobTitle"] is None
    chosen = client.get(f"{G}/users/{DAVE}?$select=accountEnabled,userType,country,"
                        "signInSessionsValidFromDateTime").json()
    assert set(chosen) - {"@odata.context"} == {"id", "accountEnabled", "userType", "country",
                                                "signInSessionsValidFromDateTime"}
    assert chosen["accountEnabled"] is True and chosen["userType"] == "Member"


def test_a_user_made_through_graph_has_no_mail_until_one_is_set(client: AppClient) -> None:
    created = new_user(client, "erin")
    assert set(created) - {"@odata.context"} == USER_DEFAULTS and created["mail"] is None
    assert client.get(f"{G}/users/{created['id']}").json()["mail"] is None
    assert new_user(client, "fay", mail=f"fay@{DEFAULT_DOMAIN}")["mail"] == \
        f"fay@{DEFAULT_DOMAIN}"


def test_a_taken_upn_carries_graphs_object_conflict_detail(client: AppClient) -> None:
    new_user(client, "erin")
    again = client.post(f"{G}/users", json={
        "accountEnabled": True, "displayName": "E", "mailNickname": "e",
        "userPrincipalName": f"ERIN@{DEFAULT_DOMAIN}",
        "passwordProfile": {"password": "Str0ng!Passw0rd"}})
    error = error_of(again, 400)
    assert error["code"] == "Request_BadRequest"
    assert error["details"] == [{"target": "userPrincipalName", "code": "ObjectConflict"}]
    renamed = client.patch(f"{G}/users/{DAVE}",
                           json={"userPrincipalName": f"erin@{DEFAULT_DOMAIN}"})
    assert error_of(renamed, 400)["details"][0]["code"] == "ObjectConflict"


# --- app role assignments name the resource's service principal ---------------------------------

def test_a_user_is_assigned_to_the_service_principal_graph_names(client: AppClient) -> None:
    sp = sp_of(client, REFERENCE_RP_CLIENT_ID)
    url = f"{G}/users/{DAVE}/appRoleAssignments"
    made = client.post(url, json={"resourceId": sp["id"], "appRoleId": DEFAULT_ACCESS})
    assert made.status_code == 201, made.text
    assert made.json()["resourceId"] == sp["id"]
    assert [a["resourceId"] for a in client.get(url).json()["value"]] == [sp["id"]]
    assigned_to = client.get(f"{G}/servicePrincipals/{sp['id']}/appRoleAssignedTo").json()
    assert made.json()["id"] in [a["id"] for a in assigned_to["value"]]
    assert all(a["resourceId"] == sp["id"] for a in assigned_to["value"])


def test_an_application_id_is_not_a_resource_id(client: AppClient) -> None:
    app = client.get(f"{G}/applications(appId='{REFERENCE_RP_CLIENT_ID}')").json()
    url = f"{G}/users/{DAVE}/appRoleAssignments"
    by_object = error_of(client.post(url, json={"resourceId": app["id"],
                                                "appRoleId": DEFAULT_ACCESS}), 400)
    assert (by_object["message"], by_object["target"]) == ("Not a valid reference update.",
                                                           "resourceId")
    by_app_id = error_of(client.post(url, json={"resourceId": REFERENCE_RP_CLIENT_ID,
                                                "appRoleId": DEFAULT_ACCESS}), 404)
    assert (by_app_id["code"], by_app_id["target"]) == ("Request_ResourceNotFound", "resourceId")
    graph = error_of(client.post(url, json={"resourceId": sp_of(client, GRAPH_APP_ID)["id"],
                                            "appRoleId": DEFAULT_ACCESS}), 400)
    assert graph["target"] == "resourceId"
    assert client.get(url).json()["value"] == []


def test_app_role_assigned_to_creates_and_deletes_from_the_resource_side(
        client: AppClient) -> None:
    sp = sp_of(client, REFERENCE_RP_CLIENT_ID)
    dave = client.get(f"{G}/users/{DAVE}").json()["id"]
    url = f"{G}/servicePrincipals(appId='{REFERENCE_RP_CLIENT_ID}')/appRoleAssignedTo"
    made = client.post(url, json={"principalId": dave, "resourceId": sp["id"],
                                  "appRoleId": "Agent"})
    assert made.status_code == 201, made.text
    assert (made.json()["principalType"], made.json()["resourceId"]) == ("User", sp["id"])
    mine = client.get(f"{G}/users/{DAVE}/appRoleAssignments").json()["value"]
    assert [a["id"] for a in mine] == [made.json()["id"]]
    other = client.post(url, json={"principalId": dave, "resourceId": dave, "appRoleId": "Agent"})
    assert error_of(other, 400)["target"] == "resourceId"
    assert client.delete(f"{url}/{made.json()['id']}").status_code == 204
    assert client.get(f"{G}/users/{DAVE}/appRoleAssignments").json()["value"] == []
    assert error_of(client.delete(f"{url}/{made.json()['id']}"), 404)["target"] == "id"


def test_a_deleted_user_takes_their_own_consent_grants_along(client: AppClient) -> None:
    eve = new_user(client, "eve")
    made = client.post(f"{G}/oauth2PermissionGrants", json={
        "clientId": sp_of(client, REFERENCE_RP_CLIENT_ID)["id"], "consentType": "Principal",
        "principalId": eve["id"], "resourceId": sp_of(client, GRAPH_APP_ID)["id"],
        "scope": "Mail.Read"})
    assert made.status_code == 201, made.text
    assert client.delete(f"{G}/users/{eve['id']}").status_code == 204
    listed = client.get(f"{G}/oauth2PermissionGrants").json()["value"]
    assert [g for g in listed if g["principalId"] == eve["id"]] == []


# --- Graph's error codes -------------------------------------------------------------------------

def test_a_second_permission_grant_is_graphs_conflict(client: AppClient) -> None:
    body = {"clientId": sp_of(client, REFERENCE_RP_CLIENT_ID)["id"],
            "consentType": "AllPrincipals", "resourceId": sp_of(client, GRAPH_APP_ID)["id"],
            "scope": "Mail.Read"}
    again = client.post(f"{G}/oauth2PermissionGrants", json=body)
    error = error_of(again, 409)
    assert (error["code"], error["message"]) == ("Request_MultipleObjectsWithSameKeyValue",
                                                 "Permission entry already exists.")


def test_a_malformed_app_id_key_is_graphs_invalid_reference(client: AppClient) -> None:
    error = error_of(client.get(f"{G}/applications(appId='nope')"), 400)
    assert error["message"].startswith(
        "Invalid value specified for object reference property 'appId'.")
    assert error["target"] == "appId"
    assert error_of(client.get(f"{G}/applications/nope"), 404)["code"] == \
        "Request_ResourceNotFound"


# --- a group's id must be a GUID ---------------------------------------------------------------

@pytest.mark.parametrize("path", ["groups/Support agents", "groups/not-a-guid/members",
                                  "groups/Support%20agents/appRoleAssignments"])
def test_a_group_named_by_anything_but_its_object_id_is_graphs_invalid_identifier(
        client: AppClient, path: str) -> None:
    error = error_of(client.get(f"{G}/{path}"), 400)
    assert error["code"] == "Request_BadRequest" and error["target"] == "id"
    assert error["message"].startswith("Invalid object identifier '")
    assert error["message"].endswith("'.")


def test_an_unknown_group_guid_is_still_not_found(client: AppClient) -> None:
    missing = client.get(f"{G}/groups/00000000-0000-0000-0000-0000000000ab")
    assert error_of(missing, 404)["code"] == "Request_ResourceNotFound"
