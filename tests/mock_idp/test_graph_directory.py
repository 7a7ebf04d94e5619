"""The Graph-shaped API for what shapes claims: groups and members, app roles with ids,
assignments of groups, optional claims, directory extensions, and the membership reads apps make
with a user's token (getMemberObjects, memberOf), plus the test-only custom claims."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from asgi_client import AppClient
from starlette.applications import Starlette

from mock_idp.clock import MockClock, epoch
from mock_idp.config import (
    DEFAULT_DOMAIN,
    DEFAULT_TENANT_ID,
    REFERENCE_RP_CLIENT_ID,
    SUPPORT_AGENTS_GROUP_ID,
    IdpConfig,
)
from mock_idp.consent import service_principal_id
from mock_idp.directory import role_values
from mock_idp.endpoints import control, graph
from mock_idp.protocol.claims import GRAPH_RESOURCE_ID
from mock_idp.state import IdpState
from mock_idp.tokens import sign

START = datetime(2026, 3, 2, 9, 30, 15, tzinfo=UTC)
G = f"/graph/{DEFAULT_DOMAIN}/v1.0"
APP = f"{G}/applications(appId='{REFERENCE_RP_CLIENT_ID}')"
ALICE = f"alice@{DEFAULT_DOMAIN}"
BOB = f"bob@{DEFAULT_DOMAIN}"
DAVE = f"dave@{DEFAULT_DOMAIN}"


@pytest.fixture
def state() -> IdpState:
    return IdpState.create(IdpConfig.default(clock=MockClock(frozen_at=START)))


@pytest.fixture
def client(state: IdpState) -> Iterator[AppClient]:
    app = Starlette(routes=[*control.routes, *graph.routes])
    app.state.idp = state
    with AppClient(app) as c:
        yield c


def error_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    return error


def user_id(client: AppClient, upn: str) -> str:
    found: str = client.get(f"{G}/users/{upn}").json()["id"]
    return found


def new_group(client: AppClient, name: str, members: Sequence[str] = (), **extra: Any
              ) -> dict[str, Any]:
    body = {"displayName": name, "mailNickname": name.replace(" ", ""), "mailEnabled": False,
            "securityEnabled": True, **extra}
    if members:
        body["members@odata.bind"] = [f"https://graph.microsoft.com/v1.0/directoryObjects/{m}"
                                      for m in members]
    response = client.post(f"{G}/groups", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def graph_token(state: IdpState, oid: str, scp: str = "User.Read", **extra: Any) -> str:
    now = epoch(state.clock.now())
    body = {"aud": GRAPH_RESOURCE_ID, "iss": f"https://sts.windows.net/{DEFAULT_TENANT_ID}/",
            "iat": now, "nbf": now, "exp": now + 3600, "tid": DEFAULT_TENANT_ID, "oid": oid,
            "scp": scp, "ver": "1.0", **extra}
    return sign(state, {k: v for k, v in body.items() if v is not None}, version="1.0")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- groups and members --------------------------------------------------------------------------

def test_default_directory_has_alices_group(client: AppClient) -> None:
    group = client.get(f"{G}/groups/{SUPPORT_AGENTS_GROUP_ID}").json()
    assert group["displayName"] == "Support agents" and group["securityEnabled"] is True
    members = client.get(f"{G}/groups/{SUPPORT_AGENTS_GROUP_ID}/members").json()["value"]
    assert [(m["@odata.type"], m["userPrincipalName"]) for m in members] == [
        ("#microsoft.graph.user", ALICE)]


def test_group_lifecycle_and_members(client: AppClient, state: IdpState) -> None:
    bob = user_id(client, BOB)
    group = new_group(client, "Night shift", [bob], description="after hours")
    assert group["mailEnabled"] is False and group["groupTypes"] == []
    gid = group["id"]
    listed = client.get(f"{G}/groups", params={"$filter": "displayName eq 'Night shift'"})
    assert [g["id"] for g in listed.json()["value"]] == [gid]
    dave = user_id(client, DAVE)
    ref = {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{dave}"}
    assert client.post(f"{G}/groups/{gid}/members/$ref", json=ref).status_code == 204
    again = client.post(f"{G}/groups/{gid}/members/$ref", json=ref)
    assert "already exist" in error_of(again, 400)["message"]
    ids = [m["id"] for m in client.get(f"{G}/groups/{gid}/members").json()["value"]]
    assert ids == [bob, dave]
    assert client.delete(f"{G}/groups/{gid}/members/{bob}/$ref").status_code == 204
    assert error_of(client.delete(f"{G}/groups/{gid}/members/{bob}/$ref"), 404)
    assert client.patch(f"{G}/groups/{gid}", json={"displayName": "Nights"}).status_code == 204
    assert client.get(f"{G}/groups/{gid}").json()["displayName"] == "Nights"
    assert client.delete(f"{G}/groups/{gid}").status_code == 204
    assert error_of(client.get(f"{G}/groups/{gid}"), 404)["target"] == "id"


def test_nested_groups_and_cycles(client: AppClient) -> None:
    inner = new_group(client, "Inner", [user_id(client, BOB)])
    outer = new_group(client, "Outer", [inner["id"]])
    cycle = client.patch(f"{G}/groups/{inner['id']}", json={"members@odata.bind": [
        f"https://graph.microsoft.com/v1.0/groups/{outer['id']}"]})
    assert "cannot be a member" in error_of(cycle, 400)["message"]
    itself = client.post(f"{G}/groups/{outer['id']}/members/$ref", json={
        "@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{outer['id']}"})
    assert error_of(itself, 400)["target"] == "@odata.id"


@pytest.mark.parametrize(("body", "field"), [
    ({"mailNickname": "x", "mailEnabled": False, "securityEnabled": True}, "displayName"),
    ({"displayName": "x", "mailEnabled": False, "securityEnabled": True}, "mailNickname"),
    ({"displayName": "x", "mailNickname": "x", "securityEnabled": True}, "mailEnabled"),
    ({"displayName": "x", "mailNickname": "a b", "mailEnabled": False,
      "securityEnabled": True}, "mailNickname"),
    ({"displayName": "x", "mailNickname": "x", "mailEnabled": True, "securityEnabled": False},
     "mailEnabled"),
    ({"displayName": "x", "mailNickname": "x", "mailEnabled": False, "securityEnabled": True,
      "groupTypes": ["Dynamic"]}, "groupTypes[0]"),
    ({"displayName": "x", "mailNickname": "x", "mailEnabled": False, "securityEnabled": True,
      "members@odata.bind": ["https://graph.microsoft.com/v1.0/me"]},
     "members@odata.bind[0]"),
    ({"displayName": "x", "mailNickname": "x", "mailEnabled": False, "securityEnabled": True,
      "members@odata.bind": [f"https://graph.microsoft.com/v1.0/users/{uuid.uuid4()}"]},
     "members@odata.bind"),
    ({"displayName": "x", "mailNickname": "x", "mailEnabled": False, "securityEnabled": True,
      "members@odata.bind": ["https://g/v1.0/users/" + str(uuid.uuid4())] * 21},
     "members@odata.bind"),
    ({"displayName": "x", "mailNickname": "x", "mailEnabled": False, "securityEnabled": True,
      "color": "red"}, "color"),
])
def test_create_group_rejects_bad_input(client: AppClient, body: dict[str, Any],
                                        field: str) -> None:
    response = client.post(f"{G}/groups", json=body)
    assert response.status_code in (400, 404), response.text
    assert response.json()["error"]["target"] == field
    assert len(client.get(f"{G}/groups").json()["value"]) == 1  # nothing half-stored


# --- app roles, group assignments ----------------------------------------------------------------

def test_app_roles_with_ids_and_a_group_assignment(client: AppClient, state: IdpState) -> None:
    role_id = str(uuid.uuid4())
    roles = [{"id": role_id, "value": "Supervisor", "displayName": "Supervisors",
              "allowedMemberTypes": ["User"], "isEnabled": True},
             {"value": "Agent", "displayName": "Agent"}]
    assert client.patch(APP, json={"appRoles": roles}).status_code == 204
    listed = client.get(APP).json()["appRoles"]
    assert [(r["id"], r["value"]) for r in listed][0] == (role_id, "Supervisor")
    group = new_group(client, "Supervisors", [user_id(client, BOB)])
    url = f"{G}/groups/{group['id']}/appRoleAssignments"
    created = client.post(url, json={
        "resourceId": service_principal_id(DEFAULT_TENANT_ID, REFERENCE_RP_CLIENT_ID),
        "appRoleId": role_id})
    assert created.status_code == 201, created.text
    assert created.json()["principalType"] == "Group"
    assert created.json()["principalDisplayName"] == "Supervisors"
    tenant = state.store.tenants[DEFAULT_TENANT_ID]
    bob = tenant.find_user(BOB)
    assert bob is not None
    assert role_values(tenant, tenant.apps[REFERENCE_RP_CLIENT_ID], bob) == ["Supervisor"]
    # Disabled roles are not emitted.
    roles[0]["isEnabled"] = False
    client.patch(APP, json={"appRoles": roles})
    assert role_values(tenant, tenant.apps[REFERENCE_RP_CLIENT_ID], bob) == []
    assert [a["id"] for a in client.get(url).json()["value"]] == [created.json()["id"]]
    assert client.delete(f"{url}/{created.json()['id']}").status_code == 204


@pytest.mark.parametrize(("roles", "field"), [
    ([{"value": "A", "id": "not-a-guid"}], "appRoles[0].id"),
    ([{"value": "A"}, {"value": "A"}], "appRoles[1].value"),
    ([{"value": "A", "allowedMemberTypes": ["Device"]}], "appRoles[0].allowedMemberTypes[0]"),
    ([{"value": "has space"}], "appRoles[0].value"),
])
def test_app_roles_rejects_bad_input(client: AppClient, roles: list[Any], field: str) -> None:
    assert error_of(client.patch(APP, json={"appRoles": roles}), 400)["target"] == field


# --- groupMembershipClaims and optionalClaims ----------------------------------------------------

@pytest.mark.parametrize(("value", "stored"), [
    ("SecurityGroup", "SecurityGroup"), ("All", "All"), ("None", "None"), (None, None),
    ("securitygroup,ApplicationGroup", "SecurityGroup, ApplicationGroup"),
    ("DirectoryRole", "DirectoryRole"),
])
def test_group_membership_claims_values(client: AppClient, value: str | None,
                                        stored: str | None) -> None:
    assert client.patch(APP, json={"groupMembershipClaims": value}).status_code == 204
    assert client.get(APP).json()["groupMembershipClaims"] == stored


def test_group_membership_claims_rejects_unknown(client: AppClient) -> None:
    error = error_of(client.patch(APP, json={"groupMembershipClaims": "Everything"}), 400)
    assert error["target"] == "groupMembershipClaims" and "Everything" in error["message"]


def test_optional_claims_round_trip(client: AppClient) -> None:
    ext = f"extension_{REFERENCE_RP_CLIENT_ID.replace('-', '')}_skypeId"
    body = {"optionalClaims": {
        "idToken": [{"name": "email", "essential": False},
                    {"name": "groups", "additionalProperties": ["emit_as_roles"]},
                    {"name": ext, "source": "user"}],
        "accessToken": [{"name": "idtyp", "additionalProperties": ["include_user_token"]}]}}
    assert client.patch(APP, json=body).status_code == 204
    stored = client.get(APP).json()["optionalClaims"]
    assert [c["name"] for c in stored["idToken"]] == ["email", "groups", ext]
    assert stored["idToken"][2]["source"] == "user" and stored["saml2Token"] == []
    assert stored["accessToken"][0]["additionalProperties"] == ["include_user_token"]


@pytest.mark.parametrize(("claims", "field"), [
    ({"idToken": [{"name": "skypeId", "source": "user"}]}, "optionalClaims.idToken[0].name"),
    ({"idToken": [{"name": "email", "source": "group"}]}, "optionalClaims.idToken[0].source"),
    ({"idToken": [{"essential": True}]}, "optionalClaims.idToken[0].name"),
    ({"idToken": [{"name": "a b"}]}, "optionalClaims.idToken[0].name"),
    ({"idToken": "email"}, "optionalClaims.idToken"),
    ({"jwt": []}, "optionalClaims.jwt"),
    ({"idToken": [{"name": "email", "color": 1}]}, "optionalClaims.idToken[0].color"),
])
def test_optional_claims_rejects_bad_input(client: AppClient, claims: dict[str, Any],
                                           field: str) -> None:
    assert error_of(client.patch(APP, json={"optionalClaims": claims}), 400)["target"] == field


# --- directory extensions ------------------------------------------------------------------------

def test_extension_property_and_user_values(client: AppClient, state: IdpState) -> None:
    url = f"{APP}/extensionProperties"
    created = client.post(url, json={"name": "skypeId", "dataType": "String",
                                     "targetObjects": ["User"]})
    assert created.status_code == 201, created.text
    prop = created.json()
    name = f"extension_{REFERENCE_RP_CLIENT_ID.replace('-', '')}_skypeId"
    assert prop["name"] == name and prop["appDisplayName"] == "Reference relying party"
    assert prop["isMultiValued"] is False and prop["dataType"] == "String"
    assert [p["name"] for p in client.get(url).json()["value"]] == [name]
    assert error_of(client.post(url, json={"name": "skypeId", "dataType": "String",
                                           "targetObjects": ["User"]}), 400)["target"] == "name"
    assert client.patch(f"{G}/users/{BOB}", json={name: "bob.b"}).status_code == 204
    # Extension values come back by $select, as in Graph.
    assert name not in client.get(f"{G}/users/{BOB}").json()
    selected = client.get(f"{G}/users/{BOB}", params={"$select": f"displayName,{name}"}).json()
    assert selected[name] == "bob.b" and selected["displayName"] == "Bob Brown"
    assert client.patch(f"{G}/users/{BOB}", json={name: None}).status_code == 204
    assert name not in client.get(f"{G}/users/{BOB}", params={"$select": name}).json()
    client.patch(f"{G}/users/{BOB}", json={name: "again"})
    assert client.delete(f"{url}/{prop['id']}").status_code == 204
    bob = state.store.tenants[DEFAULT_TENANT_ID].find_user(BOB)
    assert bob is not None and bob.extensions == {}


@pytest.mark.parametrize(("data_type", "multi", "value", "ok"), [
    ("Integer", False, 42, True), ("Integer", False, 2 ** 31, False),
    ("Integer", False, "42", False), ("LargeInteger", False, 2 ** 40, True),
    ("Boolean", False, True, True), ("Boolean", False, 1, False),
    ("DateTime", False, "2027-01-01T00:00:00Z", True), ("DateTime", False, "soon", False),
    ("DateTime", False, "0001-01-01T00:00:00+01:00", False),
    ("String", False, "x" * 256, True), ("String", False, "x" * 257, False),
    ("Binary", False, "aGVsbG8=", True), ("Binary", False, "not base64!", False),
    ("String", True, ["a", "b"], True), ("String", True, "a", False),
])
def test_extension_values_follow_the_data_type(client: AppClient, data_type: str, multi: bool,
                                               value: Any, ok: bool) -> None:
    prop = client.post(f"{APP}/extensionProperties", json={
        "name": "attr", "dataType": data_type, "targetObjects": ["User"],
        "isMultiValued": multi}).json()
    response = client.patch(f"{G}/users/{BOB}", json={prop["name"]: value})
    assert response.status_code == (204 if ok else 400), response.text
    if not ok:
        assert response.json()["error"]["target"] == prop["name"]


@pytest.mark.parametrize(("body", "field"), [
    ({"name": "9lives", "dataType": "String", "targetObjects": ["User"]}, "name"),
    ({"name": "a", "dataType": "Text", "targetObjects": ["User"]}, "dataType"),
    ({"name": "a", "dataType": "String"}, "targetObjects"),
    ({"name": "a", "dataType": "String", "targetObjects": ["Person"]}, "targetObjects[0]"),
])
def test_extension_property_rejects_bad_input(client: AppClient, body: dict[str, Any],
                                              field: str) -> None:
    response = client.post(f"{APP}/extensionProperties", json=body)
    assert error_of(response, 400)["target"] == field
    assert client.get(f"{APP}/extensionProperties").json()["value"] == []


def test_unknown_extension_on_a_user(client: AppClient) -> None:
    name = f"extension_{'0' * 32}_nope"
    assert error_of(client.patch(f"{G}/users/{BOB}", json={name: "x"}), 400)["target"] == name


def test_user_claim_properties(client: AppClient) -> None:
    body = {"country": "DE", "preferredLanguage": "de-DE", "userType": "Guest"}
    assert client.patch(f"{G}/users/{BOB}", json=body).status_code == 204
    user = client.get(f"{G}/users/{BOB}?$select=country,preferredLanguage,userType").json()
    assert (user["country"], user["preferredLanguage"], user["userType"]) == (
        "DE", "de-DE", "Guest")
    bad = client.patch(f"{G}/users/{BOB}", json={"userType": "Admin"})
    assert error_of(bad, 400)["target"] == "userType"
    bad = client.patch(f"{G}/users/{BOB}", json={"preferredLanguage": "english please"})
    assert error_of(bad, 400)["target"] == "preferredLanguage"


# --- what apps read with a user's token ----------------------------------------------------------

def test_get_member_objects_transitive(client: AppClient, state: IdpState) -> None:
    alice = user_id(client, ALICE)
    inner = new_group(client, "Inner", [alice])
    outer = new_group(client, "Outer", [inner["id"]])
    m365 = new_group(client, "Team", [alice], mailEnabled=True, securityEnabled=False,
                     groupTypes=["Unified"])
    token = graph_token(state, alice)
    url = f"{G}/users/{alice}/getMemberObjects"
    everything = client.post(url, json={"securityEnabledOnly": False}, headers=bearer(token))
    assert everything.status_code == 200, everything.text
    assert set(everything.json()["value"]) == {SUPPORT_AGENTS_GROUP_ID, inner["id"],
                                               outer["id"], m365["id"]}
    security = client.post(f"{G}/me/getMemberGroups", json={"securityEnabledOnly": True},
                           headers=bearer(token)).json()["value"]
    assert set(security) == {SUPPORT_AGENTS_GROUP_ID, inner["id"], outer["id"]}
    missing = client.post(url, json={}, headers=bearer(token))
    assert error_of(missing, 400)["target"] == "securityEnabledOnly"


def test_member_of_pages(client: AppClient, state: IdpState) -> None:
    alice = user_id(client, ALICE)
    for i in range(4):
        new_group(client, f"G{i}", [alice])
    token = graph_token(state, alice)
    seen: list[str] = []
    url: str | None = f"{G}/me/memberOf?$top=2"
    while url:
        page = client.get(url, headers=bearer(token))
        assert page.status_code == 200, page.text
        seen += [g["id"] for g in page.json()["value"]]
        url = page.json().get("@odata.nextLink")
        assert all(g["@odata.type"] == "#microsoft.graph.group" for g in page.json()["value"])
    assert len(seen) == 5 and len(set(seen)) == 5
    bad = client.get(f"{G}/me/memberOf?$skiptoken=zz", headers=bearer(token))
    assert error_of(bad, 400)["target"] == "$skiptoken"
    me = client.get(f"{G}/me", headers=bearer(token)).json()
    assert me["userPrincipalName"] == ALICE


def test_membership_reads_check_the_token(client: AppClient, state: IdpState) -> None:
    alice, bob = user_id(client, ALICE), user_id(client, BOB)
    url = f"{G}/users/{alice}/transitiveMemberOf"
    assert error_of(client.get(url), 401)["code"] == "InvalidAuthenticationToken"
    assert "WWW-Authenticate" in client.get(url).headers
    assert error_of(client.get(url, headers=bearer("junk")), 401)["message"].startswith("IDX")
    expired = graph_token(state, alice, exp=epoch(START) - 1)
    assert "expired" in error_of(client.get(url, headers=bearer(expired)), 401)["message"]
    wrong_aud = graph_token(state, alice, aud=str(uuid.uuid4()))
    assert error_of(client.get(url, headers=bearer(wrong_aud)), 401)["message"] == \
        "Invalid audience."
    other_tenant = graph_token(state, alice, tid=str(uuid.uuid4()))
    assert error_of(client.get(url, headers=bearer(other_tenant)), 401)
    # Bob's User.Read reads Bob, not Alice; User.Read.All reads anyone.
    denied = client.get(url, headers=bearer(graph_token(state, bob)))
    assert error_of(denied, 403)["code"] == "Authorization_RequestDenied"
    allowed = client.get(url, headers=bearer(graph_token(state, bob, scp="User.Read.All")))
    assert allowed.status_code == 200
    app_only = graph_token(state, alice, scp=None, idtyp="app")
    assert error_of(client.get(url, headers=bearer(app_only)), 403)


# --- custom claims (test-only) -------------------------------------------------------------------

def test_custom_claims_control(client: AppClient, state: IdpState) -> None:
    url = f"/_mock/tenants/{DEFAULT_TENANT_ID}/users/{BOB}/claims"
    body = {"id_token": {"department": "Night shift", "shift": ["Supervisor"]},
            "access_token": {"clearance": 3}}
    response = client.put(url, json=body)
    assert response.status_code == 200, response.text
    shown = response.json()
    assert shown["id_token"] == body["id_token"] and "Test-only" in shown["note"]
    bob = state.store.tenants[DEFAULT_TENANT_ID].find_user(BOB)
    assert bob is not None and bob.custom_claims["access_token"] == {"clearance": 3}
    assert client.get(url).json()["access_token"] == {"clearance": 3}
    assert client.delete(url).status_code == 204
    assert bob.custom_claims == {}


@pytest.mark.parametrize(("body", "field"), [
    ({"id_token": {"sub": "someone-else"}}, "id_token.sub"),
    ({"id_token": {"iss": "x"}}, "id_token.iss"),
    # the making of the tenant the mock's resources check (revalidation): restricted in Entra
    ({"access_token": {"rh": "0.another-making"}}, "access_token.rh"),
    # Entra's JWT restricted claim set, which no claims policy may set (Microsoft Learn,
    # "Claims mapping policy type", reference-claims-mapping-policy-type): roles are assigned,
    # groups are memberships, email is the user's mail
    ({"access_token": {"roles": ["Admin"]}}, "access_token.roles"),
    ({"id_token": {"groups": ["g"]}}, "id_token.groups"),
    ({"id_token": {"email": "boss@contoso.test"}}, "id_token.email"),
    ({"id_token": {"preferred_username": "boss"}}, "id_token.preferred_username"),
    ({"id_token": {"_claim_sources": {}}}, "id_token._claim_sources"),
    ({"access_token": {"xms_cc": ["CP1"]}}, "access_token.xms_cc"),
    ({"id_token": {"extn.badge": "7"}}, "id_token.extn.badge"),
    ({"id_token": ["x"]}, "id_token"),
    ({"saml": {}}, "saml"),
    ({"id_token": {"": 1}}, "id_token."),
    ({"access_token": {f"c{i}": i for i in range(65)}}, "access_token"),
])
def test_custom_claims_rejects(client: AppClient, body: dict[str, Any], field: str) -> None:
    url = f"/_mock/tenants/{DEFAULT_TENANT_ID}/users/{BOB}/claims"
    response = client.put(url, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["field"] == field
    assert client.get(url).json()["id_token"] == {}


def test_custom_claims_unknown_user(client: AppClient) -> None:
    response = client.put(f"/_mock/tenants/{DEFAULT_TENANT_ID}/users/nobody/claims", json={})
    assert response.status_code == 404 and response.json()["error"]["field"] == "user"
