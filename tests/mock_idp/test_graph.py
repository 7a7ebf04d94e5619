"""The Graph-shaped management API: applications, secrets, users, sessions, role assignments."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from asgi_client import AppClient
from starlette.applications import Starlette

from mock_idp.clock import MockClock
from mock_idp.config import DEFAULT_DOMAIN, DEFAULT_TENANT_ID, REFERENCE_RP_CLIENT_ID, IdpConfig
from mock_idp.consent import service_principal_id
from mock_idp.directory import is_assigned, role_values
from mock_idp.endpoints import graph
from mock_idp.state import IdpState
from mock_idp.store import Session

START = datetime(2026, 3, 2, 9, 30, 15, tzinfo=UTC)
G = f"/graph/{DEFAULT_DOMAIN}/v1.0"
ALICE = f"alice@{DEFAULT_DOMAIN}"
DAVE = f"dave@{DEFAULT_DOMAIN}"
RP_SP = service_principal_id(DEFAULT_TENANT_ID, REFERENCE_RP_CLIENT_ID)
"""The reference app's service principal: what an app role assignment's ``resourceId`` names."""


@pytest.fixture
def clock() -> MockClock:
    return MockClock(frozen_at=START)


@pytest.fixture
def state(clock: MockClock) -> IdpState:
    return IdpState.create(IdpConfig.default(clock=clock))


@pytest.fixture
def client(state: IdpState) -> Iterator[AppClient]:
    app = Starlette(routes=graph.routes)
    app.state.idp = state
    with AppClient(app) as c:
        yield c


def error_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert set(error) >= {"code", "message", "innerError"}
    return error


def add_session(state: IdpState, user_upn: str, sid: str) -> Session:
    tenant = state.store.tenants[DEFAULT_TENANT_ID]
    user = tenant.find_user(user_upn)
    assert user is not None
    session = Session(id=sid, tenant_id=tenant.id, user_id=user.id, auth_time=START,
                      expires_at=START + timedelta(hours=8))
    state.store.sessions[sid] = session
    return session


def record_hook(state: IdpState, monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Record the sessions Graph hands to the notifier, instead of notifying."""
    calls: list[list[str]] = []

    async def sessions_ended(base: str, sessions: list[Session], trigger: str) -> list[Any]:
        calls.append([s.id for s in sessions])
        return []

    monkeypatch.setattr(state.notifier, "sessions_ended", sessions_ended)
    return calls


# --- applications ---------------------------------------------------------------------------

def test_lists_the_configured_application(client: AppClient) -> None:
    body = client.get(f"{G}/applications").json()
    assert body["@odata.context"].endswith("/$metadata#applications")
    assert [a["appId"] for a in body["value"]] == [REFERENCE_RP_CLIENT_ID]
    assert body["value"][0]["passwordCredentials"][0]["secretText"] is None


def test_tenant_by_guid_and_unknown_tenant(client: AppClient) -> None:
    assert client.get(f"/graph/{DEFAULT_TENANT_ID}/v1.0/applications").status_code == 200
    error = error_of(client.get("/graph/fabrikam.example/v1.0/applications"), 404)
    assert error["code"] == "Request_ResourceNotFound"
    assert error["target"] == "tenant" and "fabrikam.example" in error["message"]


def test_create_application_maps_graph_properties(client: AppClient, state: IdpState) -> None:
    response = client.post(f"{G}/applications", json={
        "displayName": "Widget",
        "web": {"redirectUris": ["https://widget.test/cb", "https://widget.test/cb"],
                "logoutUrl": "https://widget.test/front-logout",
                "implicitGrantSettings": {"enableIdTokenIssuance": True}},
        "identifierUris": ["api://widget"],
        "isFallbackPublicClient": False,
        "appRoleAssignmentRequired": True,
        "backchannelLogoutUri": "https://widget.test/bc-logout",
        "eventsUrl": "https://widget.test/events",
        "appRoles": [{"value": "Admin", "displayName": "Admin"}],
    })
    assert response.status_code == 201, response.text
    created = response.json()
    uuid.UUID(created["appId"])
    app = state.store.tenants[DEFAULT_TENANT_ID].apps[created["appId"]]
    assert app.redirect_uris == ["https://widget.test/cb"]
    assert app.logout_url == "https://widget.test/front-logout"
    assert app.allow_id_token and not app.allow_access_token
    assert app.assignment_required and [r.value for r in app.app_roles] == ["Admin"]
    assert app.backchannel_logout_uri == "https://widget.test/bc-logout"
    assert app.events_url == "https://widget.test/events"
    by_object_id = client.get(f"{G}/applications/{created['id']}").json()
    by_app_id = client.get(f"{G}/applications(appId='{created['appId']}')").json()
    assert by_object_id["id"] == by_app_id["id"] == created["id"]
    filtered = client.get(f"{G}/applications", params={"$filter": "displayName eq 'widget'"})
    assert [a["id"] for a in filtered.json()["value"]] == [created["id"]]


def test_create_application_with_given_app_id_and_duplicates(client: AppClient) -> None:
    app_id = "11111111-2222-4333-8444-555555555555"
    created = client.post(f"{G}/applications", json={"displayName": "A", "appId": app_id})
    assert created.json()["appId"] == app_id
    again = client.post(f"{G}/applications", json={"displayName": "B", "appId": app_id})
    assert error_of(again, 400)["target"] == "appId"


@pytest.mark.parametrize(("body", "field"), [
    ({}, "displayName"),
    ({"displayName": 5}, "displayName"),
    ({"displayName": "x" * 10_000}, "displayName"),
    ({"displayName": "x", "foo": 1}, "foo"),
    ({"displayName": "x", "appId": "not-a-guid"}, "appId"),
    ({"displayName": "x", "isFallbackPublicClient": "yes"}, "isFallbackPublicClient"),
    ({"displayName": "x", "web": []}, "web"),
    ({"displayName": "x", "web": {"redirectUris": "https://a.test"}}, "web.redirectUris"),
    ({"displayName": "x", "web": {"redirectUris": ["not a url"]}}, "web.redirectUris[0]"),
    ({"displayName": "x", "web": {"redirectUris": ["https://a.test/*"]}}, "web.redirectUris[0]"),
    ({"displayName": "x", "web": {"redirectUris": ["https://a.test/" + "p" * 300]}},
     "web.redirectUris[0]"),
    ({"displayName": "x", "web": {"redirectUris": ["https://a.test/"] * 300}},
     "web.redirectUris"),
    ({"displayName": "x", "web": {"implicitGrantSettings": {"enableIdTokenIssuance": 1}}},
     "web.implicitGrantSettings.enableIdTokenIssuance"),
    ({"displayName": "x", "web": {"homePageUrl": "https://a.test"}}, "web.homePageUrl"),
    ({"displayName": "x", "appRoles": [{"displayName": "r"}]}, "appRoles[0].value"),
    ({"displayName": "x", "appRoles": "Admin"}, "appRoles"),
    ({"displayName": "x", "eventsUrl": "ftp://a.test/events"}, "eventsUrl"),
    ({"displayName": "x", "groupMembershipClaims": "Everything"}, "groupMembershipClaims"),
    ({"displayName": "x", "signInAudience": "Everyone"}, "signInAudience"),
    ({"displayName": "x", "signInAudience": None}, "signInAudience"),
])
def test_create_application_rejects_bad_input(client: AppClient, body: dict[str, Any],
                                              field: str) -> None:
    error = error_of(client.post(f"{G}/applications", json=body), 400)
    assert error["code"] == "Request_BadRequest"
    assert error["target"] == field
    assert field.split("[")[0].split(".")[-1] in error["message"]


@pytest.mark.parametrize(("content", "content_type", "status"), [
    (b"{", "application/json", 400),
    (b'{"displayName": NaN}', "application/json", 400),
    (b"[1, 2]", "application/json", 400),
    (b"\xff\xfe", "application/json", 400),
    (b"[" * 150_000 + b"]" * 150_000, "application/json", 413),
    (b"[" * 50_000 + b"]" * 50_000, "application/json", 400),
    (b"displayName=x", "application/x-www-form-urlencoded", 415),
    (b"", "application/json", 400),
    (b'{"displayName": "' + b"x" * 300_000 + b'"}', "application/json", 413),
])
def test_malformed_bodies_are_4xx(client: AppClient, content: bytes, content_type: str,
                                  status: int) -> None:
    response = client.post(f"{G}/applications", content=content,
                           headers={"content-type": content_type})
    error = error_of(response, status)
    assert error["target"] in ("body", "content-type")


def test_patch_and_delete_application(client: AppClient, state: IdpState) -> None:
    created = client.post(f"{G}/applications", json={"displayName": "A"}).json()
    item = f"{G}/applications/{created['id']}"
    patched = client.patch(item, json={"displayName": "B",
                                       "web": {"redirectUris": ["http://localhost/cb"]}})
    assert patched.status_code == 204
    app = state.store.tenants[DEFAULT_TENANT_ID].apps[created["appId"]]
    assert (app.name, app.redirect_uris) == ("B", ["http://localhost/cb"])
    assert error_of(client.patch(item, json={"appId": str(uuid.uuid4())}), 400)["target"] == \
        "appId"
    assert client.delete(item).status_code == 204
    assert error_of(client.get(item), 404)["code"] == "Request_ResourceNotFound"
    assert error_of(client.get(f"{G}/applications/nope"), 404)["target"] == "id"


def test_add_password_defaults_and_returns_the_secret_once(client: AppClient,
                                                           clock: MockClock) -> None:
    item = f"{G}/applications(appId='{REFERENCE_RP_CLIENT_ID}')"
    response = client.post(f"{item}/addPassword", json={"passwordCredential": {
        "displayName": "rotation"}})
    assert response.status_code == 200, response.text
    cred = response.json()
    assert cred["startDateTime"] == "2026-03-02T09:30:15Z"
    assert cred["endDateTime"] == "2028-03-02T09:30:15Z"  # two calendar years on
    assert 16 <= len(cred["secretText"]) <= 64
    assert cred["hint"] == cred["secretText"][:3]
    uuid.UUID(cred["keyId"])
    listed = client.get(item).json()["passwordCredentials"]
    assert {c["keyId"] for c in listed} >= {cred["keyId"]}
    assert all(c["secretText"] is None for c in listed)


def test_add_password_with_dates_and_empty_body(client: AppClient, state: IdpState) -> None:
    item = f"{G}/applications(appId='{REFERENCE_RP_CLIENT_ID}')"
    cred = client.post(f"{item}/addPassword", json={"passwordCredential": {
        "startDateTime": "2026-04-01T00:00:00Z", "endDateTime": "2026-04-02T00:00:00.1234567Z",
    }}).json()
    assert (cred["startDateTime"], cred["endDateTime"]) == ("2026-04-01T00:00:00Z",
                                                            "2026-04-02T00:00:00Z")
    assert client.post(f"{item}/addPassword").status_code == 200
    app = state.store.tenants[DEFAULT_TENANT_ID].apps[REFERENCE_RP_CLIENT_ID]
    assert len(app.secrets) == 3


@pytest.mark.parametrize(("credential", "field"), [
    ({"startDateTime": "2026-04-02T00:00:00Z", "endDateTime": "2026-04-01T00:00:00Z"},
     "passwordCredential.endDateTime"),
    ({"endDateTime": "next tuesday"}, "passwordCredential.endDateTime"),
    ({"endDateTime": 5}, "passwordCredential.endDateTime"),
    ({"displayName": ["x"]}, "passwordCredential.displayName"),
    ({"hint": "abc"}, "passwordCredential.hint"),
    ({"secretText": "short"}, "passwordCredential.secretText"),
])
def test_add_password_rejects_bad_input(client: AppClient, credential: dict[str, Any],
                                        field: str) -> None:
    item = f"{G}/applications(appId='{REFERENCE_RP_CLIENT_ID}')"
    response = client.post(f"{item}/addPassword", json={"passwordCredential": credential})
    assert error_of(response, 400)["target"] == field


@pytest.mark.parametrize(("start", "end"), [
    ("2019-09-09T19:50:29Z", "2021-09-09T19:50:29Z"),  # Graph's own example
    ("2028-02-29T08:00:00Z", "2030-02-28T08:00:00Z"),
    ("2027-03-01T00:00:00Z", "2029-03-01T00:00:00Z"),  # 730 days would end a day early
])
def test_add_password_ends_two_calendar_years_on(client: AppClient, start: str, end: str) -> None:
    item = f"{G}/applications(appId='{REFERENCE_RP_CLIENT_ID}')"
    cred = client.post(f"{item}/addPassword",
                       json={"passwordCredential": {"startDateTime": start}}).json()
    assert datetime.fromisoformat(cred["endDateTime"]) == datetime.fromisoformat(end)


def test_remove_password(client: AppClient, state: IdpState) -> None:
    item = f"{G}/applications(appId='{REFERENCE_RP_CLIENT_ID}')"
    cred = client.post(f"{item}/addPassword", json={}).json()
    assert client.post(f"{item}/removePassword", json={"keyId": cred["keyId"]}).status_code == 204
    app = state.store.tenants[DEFAULT_TENANT_ID].apps[REFERENCE_RP_CLIENT_ID]
    assert cred["keyId"] not in {s.key_id for s in app.secrets}
    again = client.post(f"{item}/removePassword", json={"keyId": cred["keyId"]})
    assert error_of(again, 400)["target"] == "keyId"
    assert error_of(client.post(f"{item}/removePassword", json={"keyId": "x"}), 400)["target"] \
        == "keyId"
    assert error_of(client.post(f"{item}/removePassword", json={}), 400)["target"] == "keyId"


def test_unknown_app_id_and_wrong_method(client: AppClient) -> None:
    missing = client.post(f"{G}/applications(appId='{uuid.uuid4()}')/addPassword", json={})
    assert error_of(missing, 404)["target"] == "appId"
    wrong = client.put(f"{G}/applications")
    assert error_of(wrong, 405)["message"].startswith("PUT is not supported")
    for method, path in (("PUT", "/users"), ("DELETE", "/users"), ("PATCH", "/users"),
                         ("OPTIONS", "/users"), ("POST", f"/users/{ALICE}")):
        refused = error_of(client.request(method, f"{G}{path}"), 405)
        assert refused["target"] == "method", (method, path, refused)
    assert wrong.headers["allow"] == "GET, POST"
    assert error_of(client.get(f"{G}/devices"), 400)["target"] == "path"


def test_unknown_path_names_the_first_unresolved_segment(client: AppClient) -> None:
    for path, segment in (("/devices", "devices"), ("/devices/x/y", "devices"),
                          ("/users/bob/mailboxSettings", "mailboxSettings"),
                          ("/roleManagement/directory/nope", "nope"),
                          ("/me/memberOf/microsoft.graph.user", "microsoft.graph.user")):
        error = error_of(client.get(f"{G}{path}"), 400)
        assert error["code"] == "BadRequest"
        assert error["message"] == f"Resource not found for the segment '{segment}'.", path


# --- users ----------------------------------------------------------------------------------

def test_list_get_and_create_users(client: AppClient, state: IdpState) -> None:
    upns = {u["userPrincipalName"] for u in client.get(f"{G}/users").json()["value"]}
    assert upns == {f"{n}@{DEFAULT_DOMAIN}" for n in ("alice", "bob", "carol", "dave")}
    alice = client.get(f"{G}/users/{ALICE.upper()}").json()
    assert client.get(f"{G}/users/{alice['id']}").json()["displayName"] == "Alice Adams"
    response = client.post(f"{G}/users", json={
        "userPrincipalName": f"erin@{DEFAULT_DOMAIN}", "displayName": "Erin Evans",
        "mailNickname": "erin", "accountEnabled": True, "givenName": "Erin", "surname": "Evans",
        "passwordProfile": {"password": "P@ssw0rd-erin", "forceChangePasswordNextSignIn": False},
    })
    assert response.status_code == 201, response.text
    erin = state.store.tenants[DEFAULT_TENANT_ID].find_user(f"erin@{DEFAULT_DOMAIN}")
    assert erin is not None and erin.id == response.json()["id"]
    assert (erin.password, erin.email, erin.given_name, erin.enabled) == (
        "P@ssw0rd-erin", None, "Erin", True)
    filtered = client.get(f"{G}/users", params={"$filter": f"userPrincipalName eq '{ALICE}'"})
    assert [u["id"] for u in filtered.json()["value"]] == [alice["id"]]
    assert error_of(client.get(f"{G}/users", params={"$filter": "startswith(x)"}), 400)[
        "target"] == "$filter"
    assert error_of(client.get(f"{G}/users", params={"$top": "0"}), 400)["target"] == "$top"


@pytest.mark.parametrize(("body", "field"), [
    ({"displayName": "E", "passwordProfile": {"password": "Str0ng-pass"}}, "userPrincipalName"),
    ({"userPrincipalName": "erin@fabrikam.example", "displayName": "E",
      "passwordProfile": {"password": "Str0ng-pass"}}, "userPrincipalName"),
    ({"userPrincipalName": "no-at-sign", "displayName": "E",
      "passwordProfile": {"password": "Str0ng-pass"}}, "userPrincipalName"),
    ({"userPrincipalName": ALICE, "displayName": "E",
      "passwordProfile": {"password": "Str0ng-pass"}}, "userPrincipalName"),
    ({"userPrincipalName": f"erin@{DEFAULT_DOMAIN}", "displayName": "E"},
     "passwordProfile.password"),
    ({"userPrincipalName": f"erin@{DEFAULT_DOMAIN}", "displayName": "E",
      "passwordProfile": {"password": ""}}, "passwordProfile.password"),
    ({"userPrincipalName": f"erin@{DEFAULT_DOMAIN}", "displayName": "E",
      "passwordProfile": {"password": "weakpassword"}}, "passwordProfile.password"),
    ({"userPrincipalName": f"erin@{DEFAULT_DOMAIN}", "displayName": "E",
      "passwordProfile": {"password": "Str0ng-pass"}, "accountEnabled": "false"}, "accountEnabled"),
    ({"userPrincipalName": f"erin@{DEFAULT_DOMAIN}", "displayName": "E",
      "passwordProfile": {"password": "Str0ng-pass"}, "jobTitle": "x" * 129}, "jobTitle"),
])
def test_create_user_rejects_bad_input(client: AppClient, body: dict[str, Any],
                                       field: str) -> None:
    sent = {"mailNickname": "erin", **body}
    assert error_of(client.post(f"{G}/users", json=sent), 400)["target"] == field


def test_a_password_below_entras_policy_gets_graphs_message(client: AppClient) -> None:
    body = {"userPrincipalName": f"erin@{DEFAULT_DOMAIN}", "displayName": "E",
            "mailNickname": "erin", "passwordProfile": {"password": "alllowercase"}}
    error = error_of(client.post(f"{G}/users", json=body), 400)
    assert (error["code"], error["message"]) == (
        "Request_BadRequest", "The specified password does not comply with password "
        "complexity requirements. Please provide a different password.")
    assert client.get(f"{G}/users/erin@{DEFAULT_DOMAIN}").status_code == 404
    reset = client.patch(f"{G}/users/{ALICE}", json={"passwordProfile": {"password": "short1A"}})
    assert error_of(reset, 400)["target"] == "passwordProfile.password"


def test_disabling_a_user_ends_sessions_and_notifies(client: AppClient, state: IdpState,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    calls = record_hook(state, monkeypatch)
    add_session(state, ALICE, "s-alice")
    add_session(state, f"bob@{DEFAULT_DOMAIN}", "s-bob")
    assert client.patch(f"{G}/users/{ALICE}", json={"displayName": "Alice A."}).status_code == 204
    assert calls == []
    assert client.patch(f"{G}/users/{ALICE}", json={"accountEnabled": False}).status_code == 204
    alice = state.store.tenants[DEFAULT_TENANT_ID].find_user(ALICE)
    assert alice is not None and not alice.enabled and alice.name == "Alice A."
    assert not state.store.sessions["s-alice"].active
    assert state.store.sessions["s-bob"].active
    assert calls == [["s-alice"]]
    assert client.patch(f"{G}/users/{ALICE}", json={"accountEnabled": False}).status_code == 204
    assert calls == [["s-alice"]]


def test_revoke_sign_in_sessions(client: AppClient, state: IdpState, clock: MockClock,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    calls = record_hook(state, monkeypatch)
    add_session(state, ALICE, "s1")
    add_session(state, ALICE, "s2")
    clock.advance(timedelta(minutes=5))
    response = client.post(f"{G}/users/{ALICE}/revokeSignInSessions")
    assert response.status_code == 200
    assert response.json()["value"] is True
    assert calls == [["s1", "s2"]]
    assert not any(s.active for s in state.store.sessions.values())
    user = client.get(f"{G}/users/{ALICE}?$select=signInSessionsValidFromDateTime").json()
    assert user["signInSessionsValidFromDateTime"] == "2026-03-02T09:35:15Z"


def test_a_failing_notifier_does_not_fail_the_request(client: AppClient, state: IdpState,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(base: str, sessions: list[Session], trigger: str) -> None:
        raise RuntimeError("receiver down")

    monkeypatch.setattr(state.notifier, "sessions_ended", broken)
    add_session(state, ALICE, "s1")
    assert client.post(f"{G}/users/{ALICE}/revokeSignInSessions").status_code == 200
    assert not state.store.sessions["s1"].active


def test_delete_user(client: AppClient, state: IdpState,
                     monkeypatch: pytest.MonkeyPatch) -> None:
    calls = record_hook(state, monkeypatch)
    add_session(state, ALICE, "s1")
    alice_id = client.get(f"{G}/users/{ALICE}").json()["id"]
    assert client.delete(f"{G}/users/{ALICE}").status_code == 204
    assert error_of(client.get(f"{G}/users/{ALICE}"), 404)["target"] == "id"
    tenant = state.store.tenants[DEFAULT_TENANT_ID]
    assert not [a for a in tenant.assignments.values() if a.principal_id == alice_id]
    assert not [g for g in tenant.groups.values() if alice_id in g.members]
    assert calls == [["s1"]]


@pytest.mark.parametrize(("body", "field"), [
    ({"accountEnabled": None}, "accountEnabled"),
    ({"userPrincipalName": "alice@fabrikam.example"}, "userPrincipalName"),
    ({"userPrincipalName": f"bob@{DEFAULT_DOMAIN}"}, "userPrincipalName"),
    ({"mail": "nope"}, "mail"),
    ({"passwordProfile": {"password": 1}}, "passwordProfile.password"),
    ({"id": str(uuid.uuid4())}, "id"),
])
def test_update_user_rejects_bad_input(client: AppClient, body: dict[str, Any],
                                       field: str) -> None:
    assert error_of(client.patch(f"{G}/users/{ALICE}", json=body), 400)["target"] == field


# --- app role assignments -------------------------------------------------------------------

def test_assign_and_unassign_default_access(client: AppClient, state: IdpState) -> None:
    tenant = state.store.tenants[DEFAULT_TENANT_ID]
    app = tenant.apps[REFERENCE_RP_CLIENT_ID]
    dave = tenant.find_user(DAVE)
    assert dave is not None
    url = f"{G}/users/{DAVE}/appRoleAssignments"
    assert client.get(url).json()["value"] == []
    response = client.post(url, json={"resourceId": RP_SP,
                                      "appRoleId": "00000000-0000-0000-0000-000000000000"})
    assert response.status_code == 201, response.text
    created = response.json()
    dave_id = client.get(f"{G}/users/{DAVE}").json()["id"]
    assert created["principalId"] == dave_id and created["resourceId"] == RP_SP
    assert is_assigned(tenant, app, dave)
    assert [a["id"] for a in client.get(url).json()["value"]] == [created["id"]]
    duplicate = client.post(url, json={"resourceId": RP_SP,
                                       "appRoleId": "00000000-0000-0000-0000-000000000000"})
    assert error_of(duplicate, 400)["target"] == "appRoleId"
    assert client.delete(f"{url}/{created['id']}").status_code == 204
    assert not is_assigned(tenant, app, dave)
    assert error_of(client.delete(f"{url}/{created['id']}"), 404)["target"] == "assignmentId"


def test_assign_an_app_role(client: AppClient, state: IdpState) -> None:
    role = next(r for r in client.get(f"{G}/applications").json()["value"][0]["appRoles"])
    url = f"{G}/users/{DAVE}/appRoleAssignments"
    created = client.post(url, json={"resourceId": RP_SP, "appRoleId": role["id"]}).json()
    assert created["appRoleId"] == role["id"]
    tenant = state.store.tenants[DEFAULT_TENANT_ID]
    app = tenant.apps[REFERENCE_RP_CLIENT_ID]
    dave = tenant.find_user(DAVE)
    assert dave is not None and role_values(tenant, app, dave) == ["Agent"]
    assert client.delete(f"{url}/{created['id']}").status_code == 204
    assert role_values(tenant, app, dave) == []
    assert not is_assigned(tenant, app, dave)


@pytest.mark.parametrize(("body", "field"), [
    ({"resourceId": RP_SP, "appRoleId": str(uuid.uuid4())}, "appRoleId"),
    ({"resourceId": RP_SP}, "appRoleId"),
    ({"resourceId": "widget", "appRoleId": "00000000-0000-0000-0000-000000000000"},
     "resourceId"),
    ({"resourceId": RP_SP, "appRoleId": "00000000-0000-0000-0000-000000000000",
      "principalId": str(uuid.uuid4())}, "principalId"),
    ({"resourceId": RP_SP, "appRoleId": "00000000-0000-0000-0000-000000000000",
      "extra": True}, "extra"),
])
def test_assignment_rejects_bad_input(client: AppClient, body: dict[str, Any],
                                      field: str) -> None:
    response = client.post(f"{G}/users/{DAVE}/appRoleAssignments", json=body)
    assert error_of(response, 400)["target"] == field
