"""The mock's Microsoft Graph called as apps call it, with the tokens the mock issues: which
token may read what (delegated and application permissions), ``/me`` without a user, the
membership checks and casts, the properties ``$select`` names, and Graph's response headers."""

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

from mock_idp.clock import MockClock
from mock_idp.config import SUPPORT_AGENTS_GROUP_ID, IdpConfig
from mock_idp.state import IdpState

pytestmark = pytest.mark.idp_config.with_args(
    lambda: IdpConfig.default(clock=MockClock(frozen_at=START)))


@pytest.fixture
def state(idp_app: Starlette) -> IdpState:
    found = idp_app.state.idp
    assert isinstance(found, IdpState)
    return found


def app_token(state: IdpState, *roles: str, **extra: Any) -> str:
    """An app-only Graph token, as client credentials give one: ``roles``, no ``scp``."""
    return graph_token(state, "7d2b1c4e-0000-4000-8000-00000000a99e", scp=None, idtyp="app",
                       roles=list(roles) or None, **extra)


# --- application permissions on memberships ------------------------------------------------------

@pytest.mark.parametrize("roles", [("User.Read.All",), ("Directory.Read.All",),
                                   ("User.ReadWrite.All",), ("directory.readwrite.all",),
                                   ("User.ReadBasic.All", "GroupMember.Read.All")])
def test_app_only_tokens_read_memberships_with_application_permissions(
        client: AppClient, state: IdpState, roles: tuple[str, ...]) -> None:
    alice = user_id(client, ALICE)
    token = bearer(app_token(state, *roles))
    found = client.post(f"{G}/users/{alice}/getMemberObjects", headers=token,
                        json={"securityEnabledOnly": False})
    assert found.status_code == 200, found.text
    assert found.json()["value"]
    listed = client.get(f"{G}/users/{alice}/transitiveMemberOf", headers=token)
    assert listed.status_code == 200, listed.text


@pytest.mark.parametrize("roles", [(), ("User.ReadBasic.All",), ("GroupMember.Read.All",),
                                   ("Mail.Read",)])
def test_app_only_tokens_without_them_are_refused(client: AppClient, state: IdpState,
                                                  roles: tuple[str, ...]) -> None:
    alice = user_id(client, ALICE)
    refused = client.get(f"{G}/users/{alice}/memberOf", headers=bearer(app_token(state, *roles)))
    assert error_of(refused, 403)["code"] == "Authorization_RequestDenied"


def test_delegated_basic_and_group_member_read_memberships_of_others(
        client: AppClient, state: IdpState) -> None:
    alice, bob = user_id(client, ALICE), user_id(client, BOB)
    url = f"{G}/users/{alice}/memberOf"
    both = graph_token(state, bob, scp="User.ReadBasic.All GroupMember.Read.All")
    assert client.get(url, headers=bearer(both)).status_code == 200
    basic = graph_token(state, bob, scp="User.ReadBasic.All")
    assert error_of(client.get(url, headers=bearer(basic)), 403)


def test_me_with_an_app_only_token_is_graphs_400(client: AppClient, state: IdpState) -> None:
    token = bearer(app_token(state, "User.Read.All"))
    for method, path in (("GET", "/me"), ("GET", "/me/memberOf"),
                         ("POST", "/me/getMemberObjects")):
        answer = client.request(method, f"{G}{path}", headers=token,
                                json={"securityEnabledOnly": True})
        error = error_of(answer, 400)
        assert error["code"] == "BadRequest"
        assert error["message"] == "/me request is only valid with delegated authentication flow."
    # before the permission check: an app-only token without any role gets it too
    assert error_of(client.get(f"{G}/me", headers=bearer(app_token(state))), 400)


# --- reads of users and groups with a token ------------------------------------------------------

def test_user_read_reads_only_the_signed_in_user(client: AppClient, state: IdpState) -> None:
    alice, bob = user_id(client, ALICE), user_id(client, BOB)
    token = bearer(graph_token(state, bob))
    assert client.get(f"{G}/users/{bob}", headers=token).json()["id"] == bob
    assert error_of(client.get(f"{G}/users/{alice}", headers=token), 403)["code"] == \
        "Authorization_RequestDenied"
    assert error_of(client.get(f"{G}/users", headers=token), 403)
    wider = bearer(graph_token(state, bob, scp="User.ReadBasic.All"))
    assert client.get(f"{G}/users/{alice}", headers=wider).status_code == 200
    assert client.get(f"{G}/users?$top=1", headers=wider).status_code == 200


def test_reads_with_a_bad_token_are_401(client: AppClient, state: IdpState) -> None:
    alice = user_id(client, ALICE)
    for path in (f"/users/{alice}", "/users", "/groups"):
        refused = client.get(f"{G}{path}", headers=bearer("garbage"))
        assert error_of(refused, 401)["code"] == "InvalidAuthenticationToken", path
        assert "WWW-Authenticate" in refused.headers


def test_a_bad_token_is_401_before_the_user_is_looked_up(client: AppClient,
                                                          state: IdpState) -> None:
    """A bad token tells nothing about who exists: Graph authenticates first."""
    for who in (user_id(client, ALICE), "nobody@contoso.onmicrosoft.com"):
        refused = client.get(f"{G}/users/{who}", headers=bearer("garbage"))
        assert error_of(refused, 401)["code"] == "InvalidAuthenticationToken", who
    token = bearer(graph_token(state, user_id(client, BOB), scp="User.ReadBasic.All"))
    missing = client.get(f"{G}/users/nobody@contoso.onmicrosoft.com", headers=token)
    assert error_of(missing, 404)["code"] == "Request_ResourceNotFound"


def test_app_only_reads_need_application_permissions(client: AppClient,
                                                     state: IdpState) -> None:
    alice = user_id(client, ALICE)
    group = client.get(f"{G}/groups").json()["value"][0]["id"]
    none = bearer(app_token(state))
    for path in (f"/users/{alice}", "/users", "/groups", f"/groups/{group}",
                 f"/groups/{group}/members"):
        assert error_of(client.get(f"{G}{path}", headers=none), 403), path
    users = bearer(app_token(state, "User.Read.All"))
    assert client.get(f"{G}/users/{alice}", headers=users).status_code == 200
    assert client.get(f"{G}/users", headers=users).status_code == 200
    assert error_of(client.get(f"{G}/groups", headers=users), 403)
    groups = bearer(app_token(state, "GroupMember.Read.All"))
    assert client.get(f"{G}/groups/{group}/members", headers=groups).status_code == 200


def application_reads(client: AppClient) -> list[str]:
    app = client.get(f"{G}/applications").json()["value"][0]
    sp = client.get(f"{G}/servicePrincipals(appId='{app['appId']}')").json()["id"]
    return ["/applications", f"/applications/{app['id']}", f"/applications(appId='{app['appId']}')",
            f"/applications/{app['id']}/extensionProperties", "/servicePrincipals",
            f"/servicePrincipals/{sp}", f"/servicePrincipals(appId='{app['appId']}')"]


def test_application_and_service_principal_reads_check_a_sent_token(
        client: AppClient, state: IdpState) -> None:
    nowhere = "0f0f0f0f-0000-4000-8000-000000000000"
    for path in (*application_reads(client), f"/applications/{nowhere}",
                 f"/servicePrincipals(appId='{nowhere}')"):
        refused = client.get(f"{G}{path}", headers=bearer("garbage"))
        assert error_of(refused, 401)["code"] == "InvalidAuthenticationToken", path
        assert "WWW-Authenticate" in refused.headers


def test_application_and_service_principal_reads_need_application_read(
        client: AppClient, state: IdpState) -> None:
    bob = user_id(client, BOB)
    refused = (graph_token(state, bob), graph_token(state, bob, scp="User.Read.All"),
               app_token(state), app_token(state, "User.Read.All"))
    allowed = (graph_token(state, bob, scp="Application.Read.All"),
               graph_token(state, bob, scp="Directory.Read.All"),
               app_token(state, "Application.Read.All"),
               app_token(state, "Application.ReadWrite.All"))
    for path in application_reads(client):
        for token in refused:
            denied = client.get(f"{G}{path}", headers=bearer(token))
            assert error_of(denied, 403)["code"] == "Authorization_RequestDenied", path
        for token in allowed:
            assert client.get(f"{G}{path}", headers=bearer(token)).status_code == 200, path
        assert client.get(f"{G}{path}").status_code == 200, path  # the management API


def test_reads_without_a_header_stay_the_management_api(client: AppClient) -> None:
    assert client.get(f"{G}/users").status_code == 200
    assert client.get(f"{G}/users/{ALICE}").status_code == 200
    assert client.get(f"{G}/groups").status_code == 200


# --- $select of documented properties ------------------------------------------------------------

def test_select_names_documented_user_properties(client: AppClient, state: IdpState) -> None:
    bob = user_id(client, BOB)
    names = ("department", "companyName", "employeeId", "createdDateTime", "mailNickname",
             "otherMails", "onPremisesImmutableId", "identities")
    me = client.get(f"{G}/me?$select=id,{','.join(names)}",
                    headers=bearer(graph_token(state, bob)))
    assert me.status_code == 200, me.text
    body = me.json()
    assert set(names) <= set(body)
    assert body["department"] is None and body["otherMails"] == []
    assert body["mailNickname"] == "bob"
    assert body["createdDateTime"].endswith("Z")
    assert body["identities"][0]["issuerAssignedId"] == BOB
    listed = client.get(f"{G}/users?$select=id,employeeId").json()["value"]
    assert all(u["employeeId"] is None for u in listed)
    unknown = client.get(f"{G}/users/{bob}?$select=id,foo")
    assert error_of(unknown, 400)["message"] == \
        "Could not find a property named 'foo' on type 'microsoft.graph.user'."


def test_select_on_member_of_names_the_groups_sid(client: AppClient, state: IdpState) -> None:
    alice = user_id(client, ALICE)
    page = client.get(f"{G}/me/memberOf?$select=id,onPremisesSecurityIdentifier",
                      headers=bearer(graph_token(state, alice)))
    assert page.status_code == 200, page.text
    assert page.json()["value"][0]["onPremisesSecurityIdentifier"] is None


# --- checkMemberGroups, checkMemberObjects, casts, unknown paths ---------------------------------

def test_check_member_groups_and_objects(client: AppClient, state: IdpState) -> None:
    alice = user_id(client, ALICE)
    inner = new_group(client, "Inner", [alice])
    outer = new_group(client, "Outer", [inner["id"]])
    elsewhere = new_group(client, "Elsewhere")
    token = bearer(graph_token(state, alice))
    asked = [outer["id"], elsewhere["id"], SUPPORT_AGENTS_GROUP_ID.upper()]
    for path, key in (("checkMemberGroups", "groupIds"), ("checkMemberObjects", "ids")):
        found = client.post(f"{G}/me/{path}", headers=token, json={key: asked})
        assert found.status_code == 200, found.text
        assert found.json()["value"] == [outer["id"], SUPPORT_AGENTS_GROUP_ID]
        too_many = client.post(f"{G}/users/{alice}/{path}", headers=token,
                               json={key: [str(i) for i in range(21)]})
        assert error_of(too_many, 400)["target"] == key
        assert error_of(client.post(f"{G}/me/{path}", headers=token, json={}), 400)
    app = bearer(app_token(state, "User.Read.All"))
    assert client.post(f"{G}/users/{alice}/checkMemberGroups", headers=app,
                       json={"groupIds": asked}).status_code == 200


def test_member_of_cast_to_groups(client: AppClient, state: IdpState) -> None:
    alice = user_id(client, ALICE)
    new_group(client, "Inner", [alice])
    client.post(f"{G}/roleManagement/directory/roleAssignments",
                json={"principalId": alice, "directoryScopeId": "/",
                      "roleDefinitionId": "f2ef992c-3afb-46b9-b7cf-a126ee74c451"})
    token = bearer(graph_token(state, alice))
    for path in ("memberOf/microsoft.graph.group", "transitiveMemberOf/microsoft.graph.group",
                 "memberOf/graph.group"):
        page = client.get(f"{G}/me/{path}?$select=id,displayName", headers=token)
        assert page.status_code == 200, (path, page.text)
        assert page.json()["@odata.context"].endswith("#groups(id,displayName)")
        assert len(page.json()["value"]) == 2  # the role is left out


# --- directory roles as memberships --------------------------------------------------------------

def test_directory_roles_are_memberships(client: AppClient, state: IdpState) -> None:
    alice = user_id(client, ALICE)
    reader = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"
    made = client.post(f"{G}/roleManagement/directory/roleAssignments",
                       json={"principalId": alice, "roleDefinitionId": reader,
                             "directoryScopeId": "/"})
    assert made.status_code == 201, made.text
    token = bearer(graph_token(state, alice, scp="User.Read RoleManagement.Read.Directory"))
    listed = client.get(f"{G}/me/memberOf", headers=token).json()["value"]
    roles = [e for e in listed if e["@odata.type"] == "#microsoft.graph.directoryRole"]
    assert [(r["displayName"], r["roleTemplateId"]) for r in roles] == [("Global Reader", reader)]
    role_id = roles[0]["id"]
    assert role_id != reader
    again = client.get(f"{G}/me/transitiveMemberOf", headers=token).json()["value"]
    assert role_id in {e["id"] for e in again}

    def ids(path: str, security_only: bool) -> list[str]:
        answer = client.post(f"{G}/me/{path}", headers=token,
                             json={"securityEnabledOnly": security_only})
        assert answer.status_code == 200, answer.text
        return list(answer.json()["value"])
    assert role_id in ids("getMemberObjects", False)
    assert role_id not in ids("getMemberObjects", True)
    assert role_id not in ids("getMemberGroups", False)
    checked = client.post(f"{G}/me/checkMemberObjects", headers=token, json={"ids": [role_id]})
    assert checked.json()["value"] == [role_id]


# --- response headers ----------------------------------------------------------------------------

def test_every_response_carries_request_ids(client: AppClient, state: IdpState) -> None:
    alice = user_id(client, ALICE)
    token = bearer(graph_token(state, alice))
    ok = client.get(f"{G}/me", headers=token)
    assert ok.status_code == 200
    assert ok.headers["request-id"] == ok.headers["client-request-id"]
    sent = {**token, "client-request-id": "abc-123"}
    echoed = client.get(f"{G}/me", headers=sent)
    assert echoed.headers["client-request-id"] == "abc-123"
    assert echoed.headers["request-id"] != "abc-123"
    created = client.post(f"{G}/groups", json={"displayName": "X", "mailNickname": "x",
                                               "mailEnabled": False, "securityEnabled": True})
    assert created.status_code == 201 and created.headers["request-id"]
    gone = client.delete(f"{G}/groups/{created.json()['id']}")
    assert gone.status_code == 204 and gone.headers["request-id"]
    failed = client.get(f"{G}/me", headers={"client-request-id": "abc-123"})
    inner = error_of(failed, 401)["innerError"]
    assert failed.headers["request-id"] == inner["request-id"]
    assert failed.headers["client-request-id"] == inner["client-request-id"] == "abc-123"
    unknown = client.get(f"{G}/nothing")
    assert unknown.headers["request-id"] == unknown.json()["error"]["innerError"]["request-id"]


def test_a_token_of_another_tenant_gets_the_challenge(client: AppClient, state: IdpState) -> None:
    alice = user_id(client, ALICE)
    other = graph_token(state, alice, tid="00000000-0000-4000-8000-0000000000ff")
    refused = client.get(f"{G}/me", headers=bearer(other))
    assert error_of(refused, 401)["message"] == \
        "Access token validation failure. Invalid tenant."
    assert refused.headers["WWW-Authenticate"].startswith("Bearer ")
