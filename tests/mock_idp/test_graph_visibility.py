"""What a token sees of the objects the mock's Graph answers with: directory objects of a type
it may not read listed by type and id alone, and the basic profile of other users with
``User.ReadBasic.All``, delegated or app-only."""

from __future__ import annotations

from typing import Any

import pytest
from asgi_client import AppClient
from starlette.applications import Starlette
from test_graph_directory import (
    ALICE,
    BOB,
    START,
    G,
    bearer,
    error_of,
    graph_token,
    new_group,
    user_id,
)
from test_graph_tokens import app_token

from mock_idp.clock import MockClock
from mock_idp.config import (
    DEFAULT_TENANT_ID,
    REFERENCE_RP_CLIENT_ID,
    REFERENCE_RP_SECRET,
    SUPPORT_AGENTS_GROUP_ID,
    IdpConfig,
)
from mock_idp.consent import GRAPH_APP_ID
from mock_idp.state import IdpState

pytestmark = pytest.mark.idp_config.with_args(
    lambda: IdpConfig.default(clock=MockClock(frozen_at=START)))

GLOBAL_READER = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"


@pytest.fixture
def state(idp_app: Starlette) -> IdpState:
    found = idp_app.state.idp
    assert isinstance(found, IdpState)
    return found


def listed(client: AppClient, path: str, token: str) -> list[dict[str, Any]]:
    page = client.get(f"{G}{path}", headers=bearer(token))
    assert page.status_code == 200, page.text
    value: list[dict[str, Any]] = page.json()["value"]
    return value


def by_id(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in items}


def make_reader(client: AppClient, who: str) -> None:
    made = client.post(f"{G}/roleManagement/directory/roleAssignments",
                       json={"principalId": who, "roleDefinitionId": GLOBAL_READER,
                             "directoryScopeId": "/"})
    assert made.status_code == 201, made.text


# --- limited information for objects the token may not read -----------------------------------

def test_member_of_with_user_read_alone_lists_groups_by_type_and_id(
        client: AppClient, state: IdpState) -> None:
    alice = user_id(client, ALICE)
    make_reader(client, alice)
    items = listed(client, "/me/memberOf", graph_token(state, alice, scp="User.Read"))
    assert {i["@odata.type"] for i in items} == {"#microsoft.graph.group",
                                                  "#microsoft.graph.directoryRole"}
    for item in items:
        assert item["id"]
        others = {k: v for k, v in item.items() if k not in ("@odata.type", "id")}
        assert others and all(v is None or v == [] for v in others.values()), item
    group = by_id(items)[SUPPORT_AGENTS_GROUP_ID]
    assert group["displayName"] is None and group["groupTypes"] == []


def test_member_of_with_a_group_permission_names_the_groups_but_not_the_roles(
        client: AppClient, state: IdpState) -> None:
    alice = user_id(client, ALICE)
    make_reader(client, alice)
    token = graph_token(state, alice, scp="User.Read GroupMember.Read.All")
    for path in ("/me/memberOf", f"/users/{alice}/transitiveMemberOf"):
        items = listed(client, path, token)
        kinds = {i["@odata.type"]: i for i in items}
        assert kinds["#microsoft.graph.group"]["displayName"] == "Support agents", path
        assert kinds["#microsoft.graph.directoryRole"]["displayName"] is None, path
    roles = graph_token(state, alice, scp="User.Read RoleManagement.Read.Directory")
    role = next(i for i in listed(client, "/me/memberOf", roles)
                if i["@odata.type"] == "#microsoft.graph.directoryRole")
    assert (role["displayName"], role["roleTemplateId"]) == ("Global Reader", GLOBAL_READER)


def test_selected_properties_of_an_unreadable_object_are_null(client: AppClient,
                                                              state: IdpState) -> None:
    alice = user_id(client, ALICE)
    token = graph_token(state, alice, scp="User.Read")
    items = listed(client, "/me/memberOf?$select=id,displayName,securityEnabled", token)
    assert items == [{"@odata.type": "#microsoft.graph.group", "id": SUPPORT_AGENTS_GROUP_ID,
                      "displayName": None, "securityEnabled": None}]
    cast = listed(client, "/me/transitiveMemberOf/microsoft.graph.group", token)
    assert [g["displayName"] for g in cast] == [None]


def test_group_members_need_a_permission_that_reads_users(client: AppClient,
                                                          state: IdpState) -> None:
    alice, bob = user_id(client, ALICE), user_id(client, BOB)
    inner = new_group(client, "Inner", [bob])
    outer = new_group(client, "Outer", [alice, inner["id"]])
    path = f"/groups/{outer['id']}/members"
    members = by_id(listed(client, path, graph_token(state, bob, scp="GroupMember.Read.All")))
    assert members[alice] == {**{k: None for k in members[alice]}, "businessPhones": [],
                              "@odata.type": "#microsoft.graph.user", "id": alice}
    assert members[inner["id"]]["displayName"] == "Inner"
    full = graph_token(state, bob, scp="GroupMember.Read.All User.Read.All")
    assert by_id(listed(client, path, full))[alice]["userPrincipalName"] == ALICE
    app_only = graph_token(state, "7d2b1c4e-0000-4000-8000-00000000a99e", scp=None,
                           idtyp="app", roles=["GroupMember.Read.All"])
    assert by_id(listed(client, path, app_only))[alice]["displayName"] is None


def test_the_management_api_sees_every_member_in_full(client: AppClient) -> None:
    alice = user_id(client, ALICE)
    page = client.get(f"{G}/groups/{SUPPORT_AGENTS_GROUP_ID}/members")
    assert by_id(page.json()["value"])[alice]["displayName"] == "Alice Adams"


# --- User.ReadBasic.All: the basic profile of other users ---------------------------------------

@pytest.fixture
def alice_profile(client: AppClient) -> str:
    """Alice with a job title and a phone, which the basic profile leaves out."""
    changed = client.patch(f"{G}/users/{ALICE}", json={"jobTitle": "Engineer",
                                                       "businessPhones": ["+1 555 0100"]})
    assert changed.status_code == 204, changed.text
    return user_id(client, ALICE)


def read(client: AppClient, path: str, token: str) -> dict[str, Any]:
    answer = client.get(f"{G}{path}", headers=bearer(token))
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_basic_reads_only_the_basic_profile_of_another_user(
        client: AppClient, state: IdpState, alice_profile: str) -> None:
    token = graph_token(state, user_id(client, BOB), scp="User.ReadBasic.All")
    body = read(client, f"/users/{alice_profile}", token)
    assert (body["displayName"], body["givenName"], body["surname"], body["mail"],
            body["userPrincipalName"], body["id"]) == (
        "Alice Adams", "Alice", "Adams", ALICE, ALICE, alice_profile)
    assert body["jobTitle"] is None and body["businessPhones"] == []
    wider = read(client, f"/users/{alice_profile}",
                 graph_token(state, user_id(client, BOB), scp="User.Read.All"))
    assert (wider["jobTitle"], wider["businessPhones"]) == ("Engineer", ["+1 555 0100"])


def test_basic_answers_null_for_a_selected_property_outside_the_basic_profile(
        client: AppClient, state: IdpState, alice_profile: str) -> None:
    token = graph_token(state, user_id(client, BOB), scp="User.ReadBasic.All")
    body = read(client, f"/users/{alice_profile}?$select=id,displayName,accountEnabled,"
                        "mailNickname,securityIdentifier,passwordProfile", token)
    assert body["displayName"] == "Alice Adams"
    assert (body["accountEnabled"], body["mailNickname"], body["passwordProfile"]) == (
        None, None, None)
    assert "securityIdentifier" in body


def test_basic_reads_the_signed_in_users_whole_profile(client: AppClient,
                                                      state: IdpState) -> None:
    alice = user_id(client, ALICE)
    client.patch(f"{G}/users/{ALICE}", json={"jobTitle": "Engineer"})
    token = graph_token(state, alice, scp="User.ReadBasic.All")
    for path in ("/me", f"/users/{alice}"):
        body = read(client, f"{path}?$select=id,jobTitle,accountEnabled", token)
        assert (body["jobTitle"], body["accountEnabled"]) == ("Engineer", True), path


def test_basic_lists_users_with_their_basic_profile(client: AppClient, state: IdpState,
                                                   alice_profile: str) -> None:
    bob = user_id(client, BOB)
    token = graph_token(state, bob, scp="User.ReadBasic.All")
    users = by_id(read(client, "/users?$select=id,displayName,jobTitle,accountEnabled",
                       token)["value"])
    assert users[alice_profile] == {"id": alice_profile, "displayName": "Alice Adams",
                                    "jobTitle": None, "accountEnabled": None}
    assert users[bob]["accountEnabled"] is True


@pytest.mark.parametrize("query", ["$filter=accountEnabled eq true",
                                   "$filter=jobTitle eq 'Engineer'",
                                   "$filter=userType eq 'Member'"])
def test_basic_may_not_filter_users_on_a_property_outside_the_basic_profile(
        client: AppClient, state: IdpState, alice_profile: str, query: str) -> None:
    bob = user_id(client, BOB)
    token = graph_token(state, bob, scp="User.ReadBasic.All")
    refused = error_of(client.get(f"{G}/users?{query}", headers=bearer(token)), 403)
    assert (refused["code"], refused["target"]) == ("Authorization_RequestDenied", "$filter")
    wider = graph_token(state, bob, scp="User.ReadBasic.All User.Read.All")
    assert alice_profile in {u["id"] for u in read(client, f"/users?{query}", wider)["value"]}


def test_basic_filters_users_on_the_basic_profile(client: AppClient, state: IdpState,
                                                 alice_profile: str) -> None:
    token = graph_token(state, user_id(client, BOB), scp="User.ReadBasic.All")
    found = read(client, "/users?$filter=displayName eq 'Alice Adams'", token)["value"]
    assert [u["id"] for u in found] == [alice_profile]
    names = [u["displayName"] for u in read(client, "/users?$orderby=displayName",
                                            token)["value"]]
    assert names == sorted(names, key=str.casefold) and "Alice Adams" in names


def test_group_members_read_with_basic_show_the_basic_profile(
        client: AppClient, state: IdpState, alice_profile: str) -> None:
    token = graph_token(state, user_id(client, BOB),
                        scp="GroupMember.Read.All User.ReadBasic.All")
    members = by_id(read(client, f"/groups/{SUPPORT_AGENTS_GROUP_ID}/members",
                         token)["value"])
    assert (members[alice_profile]["displayName"], members[alice_profile]["jobTitle"]) == (
        "Alice Adams", None)


# --- User.ReadBasic.All as an application permission ------------------------------------------

USER_READ_BASIC_ALL_APP = "97235f07-e226-4f63-ace3-39588e11d3a1"
"""Graph's application id for User.ReadBasic.All (its delegated one is ``b340eb25-…``)."""


def test_basic_app_only_reads_the_basic_profile_of_users(
        client: AppClient, state: IdpState, alice_profile: str) -> None:
    token = app_token(state, "User.ReadBasic.All")
    body = read(client, f"/users/{alice_profile}", token)
    assert (body["displayName"], body["userPrincipalName"]) == ("Alice Adams", ALICE)
    assert body["jobTitle"] is None and body["businessPhones"] == []
    users = by_id(read(client, "/users?$select=id,displayName,accountEnabled", token)["value"])
    assert users[alice_profile] == {"id": alice_profile, "displayName": "Alice Adams",
                                    "accountEnabled": None}
    found = read(client, "/users?$filter=displayName eq 'Alice Adams'", token)["value"]
    assert [u["id"] for u in found] == [alice_profile]


@pytest.mark.parametrize("query", ["$filter=accountEnabled eq true",
                                   "$filter=jobTitle eq 'Engineer'"])
def test_basic_app_only_may_not_filter_users_outside_the_basic_profile(
        client: AppClient, state: IdpState, alice_profile: str, query: str) -> None:
    refused = client.get(f"{G}/users?{query}",
                         headers=bearer(app_token(state, "User.ReadBasic.All")))
    error = error_of(refused, 403)  # the query's, not the call's: the list alone is read
    assert (error["code"], error["target"]) == ("Authorization_RequestDenied", "$filter")
    wider = app_token(state, "User.ReadBasic.All", "User.Read.All")
    assert alice_profile in {u["id"] for u in read(client, f"/users?{query}", wider)["value"]}


def test_basic_is_granted_to_an_app_by_graphs_application_permission_id(
        client: AppClient, alice_profile: str) -> None:
    """As an onboarding script does it: the id from Graph's service principal's ``appRoles``,
    granted, then a client credentials token that reads users' basic profile."""
    graph = client.get(f"{G}/servicePrincipals(appId='{GRAPH_APP_ID}')").json()
    role = next(r for r in graph["appRoles"] if r["value"] == "User.ReadBasic.All")
    assert role["id"] == USER_READ_BASIC_ALL_APP
    rp = f"{G}/servicePrincipals(appId='{REFERENCE_RP_CLIENT_ID}')/appRoleAssignments"
    made = client.post(rp, json={"resourceId": graph["id"], "appRoleId": role["id"]})
    assert made.status_code == 201, made.text
    assert made.json()["appRoleId"] == USER_READ_BASIC_ALL_APP
    issued = client.post(f"/{DEFAULT_TENANT_ID}/oauth2/v2.0/token", data={
        "grant_type": "client_credentials", "client_id": REFERENCE_RP_CLIENT_ID,
        "client_secret": REFERENCE_RP_SECRET, "scope": "https://graph.microsoft.com/.default"})
    assert issued.status_code == 200, issued.text
    token = issued.json()["access_token"]
    body = read(client, f"/users/{alice_profile}", token)
    assert (body["displayName"], body["jobTitle"]) == ("Alice Adams", None)
