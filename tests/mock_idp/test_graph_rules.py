"""Graph's own rules the management API keeps: advanced query parameters for ``$orderby``, the
``eq`` filters that work by default, enabled app roles that must be disabled before they change,
app ids unique across tenants, the writable profile properties of a user, and no group nested
in itself."""

from __future__ import annotations

from typing import Any

import pytest
from asgi_client import AppClient

from mock_idp.config import DEFAULT_DOMAIN, REFERENCE_RP_CLIENT_ID
from mock_idp.directory_config import NESTING_CYCLE
from mock_idp.endpoints.graph_rules import ENABLED_ROLE_CHANGED

G = f"/graph/{DEFAULT_DOMAIN}/v1.0"
APP = f"{G}/applications(appId='{REFERENCE_RP_CLIENT_ID}')"
ALICE = f"{G}/users/alice@{DEFAULT_DOMAIN}"
ADVANCED = {"ConsistencyLevel": "eventual"}
REF = "https://graph.microsoft.com/v1.0/directoryObjects/"


def error_of(response: Any, status: int = 400) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    return error


def values(client: AppClient, url: str, headers: dict[str, str] | None = None
           ) -> list[dict[str, Any]]:
    response = client.get(url, headers=headers or {})
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["value"]
    return found


# --- advanced query parameters ------------------------------------------------------------------

def test_filter_with_orderby_needs_the_advanced_query_parameters(client: AppClient) -> None:
    url = f"{G}/users?$filter=accountEnabled eq true&$orderby=displayName"
    refused = error_of(client.get(url))
    assert (refused["code"], refused["message"], refused["target"]) == (
        "Request_UnsupportedQuery", "Sorting not supported for current query.", "$orderby")
    assert error_of(client.get(url, headers=ADVANCED))["target"] == "$orderby"  # no $count
    names = [u["displayName"] for u in values(client, url + "&$count=true", ADVANCED)]
    assert names == sorted(names, key=str.casefold) and names


@pytest.mark.parametrize("listing", ["applications", "servicePrincipals"])
def test_sorting_apps_and_service_principals_is_an_advanced_query(client: AppClient,
                                                                  listing: str) -> None:
    assert client.post(f"{G}/applications", json={"displayName": "Another"}).status_code == 201
    url = f"{G}/{listing}?$orderby=displayName"
    assert error_of(client.get(url))["code"] == "Request_UnsupportedQuery"
    names = [a["displayName"] for a in values(client, url + "&$count=true", ADVANCED)]
    assert names == sorted(names, key=str.casefold) and len(names) >= 2


def test_a_descending_sort_pages_with_the_advanced_query_parameters(client: AppClient) -> None:
    url = f"{G}/users?$orderby=displayName desc&$top=2"
    assert error_of(client.get(url))["code"] == "Request_UnsupportedQuery"
    names: list[str] = []
    next_url: str | None = url + "&$count=true"
    while next_url:
        page = client.get(next_url, headers=ADVANCED).json()
        assert page["@odata.count"] == 4
        names += [u["displayName"] for u in page["value"]]
        next_url = page.get("@odata.nextLink")
    assert names == sorted(names, key=str.casefold, reverse=True) and len(names) == 4


def test_count_without_the_header_is_ignored_not_refused(client: AppClient) -> None:
    response = client.get(f"{G}/servicePrincipals?$count=true")
    assert response.status_code == 200 and "@odata.count" not in response.json()


# --- $filter eq on the properties that take it by default -----------------------------------------

def test_filter_on_account_enabled(client: AppClient) -> None:
    assert client.patch(ALICE, json={"accountEnabled": False}).status_code == 204
    disabled = values(client, f"{G}/users?$filter=accountEnabled eq false&$select=id")
    enabled = values(client, f"{G}/users?$filter=accountEnabled eq true&$select=id")
    alice = client.get(ALICE).json()["id"]
    assert alice in {u["id"] for u in disabled} and alice not in {u["id"] for u in enabled}
    assert len(disabled) + len(enabled) == 4


def test_filter_on_boolean_properties_of_groups_and_service_principals(
        client: AppClient) -> None:
    assert values(client, f"{G}/groups?$filter=securityEnabled eq true")
    assert values(client, f"{G}/groups?$filter=mailEnabled eq true") == []
    apps = values(client, f"{G}/servicePrincipals?$filter=accountEnabled eq true")
    assert REFERENCE_RP_CLIENT_ID in {a["appId"] for a in apps}


def test_a_filter_literal_of_the_wrong_type_is_refused(client: AppClient) -> None:
    for expression in ("accountEnabled eq 'false'", "displayName eq true"):
        error = error_of(client.get(f"{G}/users?$filter={expression}"))
        assert error["target"] == "$filter"
        assert error["message"].startswith("A binary operator with incompatible types")


# --- app roles: disabled first, then changed or removed -------------------------------------------

def roles(client: AppClient) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = client.get(APP).json()["appRoles"]
    return listed


def test_an_enabled_role_is_neither_removed_nor_changed(client: AppClient) -> None:
    before = roles(client)
    assert [r["isEnabled"] for r in before] == [True]
    removed = error_of(client.patch(APP, json={"appRoles": []}))
    assert (removed["code"], removed["message"], removed["target"]) == (
        "CannotDeleteOrUpdateEnabledEntitlement", ENABLED_ROLE_CHANGED, "appRoles")
    renamed = {**before[0], "value": "Agents"}
    assert error_of(client.patch(APP, json={"appRoles": [renamed],
                                            "displayName": "Changed"}))["target"] == "appRoles[0]"
    assert roles(client) == before  # nothing half-stored
    assert client.get(APP).json()["displayName"] != "Changed"


def test_a_role_disabled_first_may_then_change_and_go(client: AppClient) -> None:
    role = roles(client)[0]
    added = {"value": "Reader", "displayName": "Reader", "isEnabled": True}
    assert client.patch(APP, json={"appRoles": [{**role, "isEnabled": False},
                                                added]}).status_code == 204
    assert client.patch(APP, json={"appRoles": [{**role, "isEnabled": False,
                                                 "value": "Renamed"}, added]}).status_code == 204
    assert client.patch(APP, json={"appRoles": [added]}).status_code == 204
    assert [r["value"] for r in roles(client)] == ["Reader"]


# --- app ids are one across tenants ---------------------------------------------------------------

def test_an_app_id_another_tenant_holds_is_refused(client: AppClient) -> None:
    created = client.post("/_mock/tenants", json={
        "id": "0b6f3c2a-7d41-4e9b-8a35-c2d1e0f9a874", "domain": "fabrikam.onmicrosoft.com",
        "name": "Fabrikam"})
    assert created.status_code == 201, created.text
    other = "/graph/fabrikam.onmicrosoft.com/v1.0/applications"
    for app_id in (REFERENCE_RP_CLIENT_ID, REFERENCE_RP_CLIENT_ID.upper(),
                   "00000003-0000-0000-c000-000000000000"):
        refused = error_of(client.post(other, json={"displayName": "Copy", "appId": app_id}))
        assert refused["target"] == "appId"
    assert values(client, other) == []


# --- the user's profile properties ----------------------------------------------------------------

PROFILE = {"jobTitle": "Support lead", "mobilePhone": "+1 425 555 0109",
           "officeLocation": "18/2111", "businessPhones": ["+1 425 555 0100"],
           "usageLocation": "US"}


def test_profile_properties_are_written_and_read(client: AppClient) -> None:
    assert client.patch(ALICE, json=PROFILE).status_code == 204
    shown = client.get(ALICE).json()
    assert {k: shown[k] for k in PROFILE if k != "usageLocation"} == {
        k: v for k, v in PROFILE.items() if k != "usageLocation"}
    assert "usageLocation" not in shown  # returned only on $select
    assert client.get(f"{ALICE}?$select=usageLocation").json()["usageLocation"] == "US"
    found = values(client, f"{G}/users?$filter=jobTitle eq 'support lead'&$select=id")
    assert [u["id"] for u in found] == [shown["id"]]
    cleared: dict[str, Any] = {"jobTitle": None, "mobilePhone": None,
                               "officeLocation": None, "businessPhones": []}
    assert client.patch(ALICE, json=cleared).status_code == 204
    assert {k: client.get(ALICE).json()[k] for k in cleared} == cleared


def test_a_new_user_takes_profile_properties(client: AppClient) -> None:
    created = client.post(f"{G}/users", json={
        "userPrincipalName": f"erin@{DEFAULT_DOMAIN}", "displayName": "Erin",
        "accountEnabled": True, "mailNickname": "erin",
        "passwordProfile": {"password": "Str0ng-pass!"}, **PROFILE})
    assert created.status_code == 201, created.text
    assert created.json()["jobTitle"] == "Support lead"
    assert created.json()["businessPhones"] == ["+1 425 555 0100"]


@pytest.mark.parametrize(("body", "field"), [
    ({"jobTitle": "x" * 129}, "jobTitle"),
    ({"jobTitle": 5}, "jobTitle"),
    ({"mobilePhone": "1" * 65}, "mobilePhone"),
    ({"officeLocation": "a\u202eb"}, "officeLocation"),
    ({"businessPhones": ["1", "2"]}, "businessPhones"),
    ({"businessPhones": "1"}, "businessPhones"),
    ({"usageLocation": "USA"}, "usageLocation"),
    ({"usageLocation": None}, "usageLocation"),
    ({"displayName": "Kept?", "usageLocation": "1A"}, "usageLocation"),
])
def test_profile_properties_are_checked(client: AppClient, body: dict[str, Any],
                                        field: str) -> None:
    before = client.get(f"{ALICE}?$select=displayName,jobTitle,usageLocation").json()
    assert error_of(client.patch(ALICE, json=body))["target"] == field
    assert client.get(f"{ALICE}?$select=displayName,jobTitle,usageLocation").json() == before


# --- no group nested in itself --------------------------------------------------------------------

def new_group(client: AppClient, name: str, members: list[str] | None = None) -> str:
    body: dict[str, Any] = {"displayName": name, "mailNickname": name, "mailEnabled": False,
                            "securityEnabled": True}
    if members:
        body["members@odata.bind"] = [REF + m for m in members]
    created = client.post(f"{G}/groups", json=body)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def test_graph_refuses_a_group_in_itself_or_a_cycle(client: AppClient) -> None:
    inner = new_group(client, "Inner")
    outer = new_group(client, "Outer", [inner])
    for group, member in ((inner, inner), (inner, outer)):
        refused = error_of(client.post(f"{G}/groups/{group}/members/$ref",
                                       json={"@odata.id": REF + member}))
        assert (refused["message"], refused["target"]) == (NESTING_CYCLE, "@odata.id")
    bound = client.patch(f"{G}/groups/{inner}", json={"members@odata.bind": [REF + outer]})
    assert error_of(bound)["target"] == "members@odata.bind"
    assert values(client, f"{G}/groups/{inner}/members") == []


# --- the registration rules idp.toml follows too -----------------------------------------------

@pytest.mark.parametrize(("web", "why"), [
    ("http://[::1]:5000/cb", "IPv6 loopback"),
    ("https://app.example/" + "a" * 250, "longer than 256"),
    ("https://*.app.example/cb", "wildcard"),
    ("javascript:location=name", "http or https"),
    ("https://[v1.a:b]/cb", "not an IPv6 address"),
])
def test_graph_refuses_the_redirect_uris_idp_toml_refuses(client: AppClient, web: str,
                                                          why: str) -> None:
    response = client.patch(APP, json={"web": {"redirectUris": [web]}})
    error = error_of(response)
    assert why in error["message"] and error["target"] == "web.redirectUris[0]"


def test_graph_takes_256_redirect_uris_web_and_spa_together(client: AppClient) -> None:
    web = [f"https://app.example/cb{i}" for i in range(200)]
    spa = [f"https://spa.example/cb{i}" for i in range(57)]
    assert client.patch(APP, json={"web": {"redirectUris": web},
                                   "spa": {"redirectUris": spa[:56]}}).status_code == 204
    refused = client.patch(APP, json={"spa": {"redirectUris": spa}})
    assert "at most 256 redirect URIs" in error_of(refused)["message"]


def test_an_identifier_uri_is_taken_in_any_case_and_with_a_trailing_slash(
        client: AppClient) -> None:
    assert client.patch(APP, json={"identifierUris": ["api://Orders-API"]}).status_code == 204
    other = client.post(f"{G}/applications", json={"displayName": "Other"})
    assert other.status_code == 201
    again = client.patch(f"{G}/applications(appId='{other.json()['appId']}')",
                         json={"identifierUris": ["api://orders-api/"]})
    assert "already exists" in error_of(again)["message"]


def test_an_app_role_value_follows_graphs_characters(client: AppClient) -> None:
    role = {"id": "8d0f1c54-9a7e-4b2d-b6a1-3c5e7f9d1b24", "value": ".Hidden",
            "displayName": "Hidden", "description": "d", "allowedMemberTypes": ["User"],
            "isEnabled": True}
    current = client.get(APP).json()["appRoles"]
    error = error_of(client.patch(APP, json={"appRoles": [*current, role]}))
    assert "must not start with ." in error["message"]
