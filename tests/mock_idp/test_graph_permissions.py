"""Every call the mock's Microsoft Graph serves checks a token that is sent, as Graph does: a bad
one is 401 before anything is looked up, one without the permissions the call's table lists is
403, on every route the app registers (so a route added without a check fails here); then the
tables of the calls that apps make to consent, app role assignments, directory roles,
authentication methods and the directory's writes."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from asgi_client import AppClient
from starlette.applications import Starlette
from starlette.routing import Route
from test_graph_directory import ALICE, BOB, START, G, bearer, error_of, graph_token, user_id
from test_graph_tokens import app_token

from mock_idp.clock import MockClock
from mock_idp.config import DEFAULT_DOMAIN, REFERENCE_RP_CLIENT_ID, IdpConfig
from mock_idp.consent import GRAPH_APP_ID
from mock_idp.endpoints.graph_http import PREFIX
from mock_idp.state import IdpState

pytestmark = pytest.mark.idp_config.with_args(
    lambda: IdpConfig.default(clock=MockClock(frozen_at=START)))

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
NOWHERE = "0f0f0f0f-0000-4000-8000-000000000000"
GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"
RP = f"servicePrincipals(appId='{REFERENCE_RP_CLIENT_ID}')"


@pytest.fixture
def state(idp_app: Starlette) -> IdpState:
    found = idp_app.state.idp
    assert isinstance(found, IdpState)
    return found


def graph_paths(app: Starlette, **values: str) -> list[str]:
    """Every Graph route the app registers, its ``{parameters}`` filled from ``values`` (any
    other with an id nothing has)."""
    paths = [r.path for r in app.routes if isinstance(r, Route) and r.path.startswith(PREFIX)]
    assert len(paths) > 50, paths
    return [re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values.get(m.group(1), NOWHERE), p)
            for p in paths]


def answers(client: AppClient, path: str, token: str, methods: Iterable[str] = METHODS
            ) -> dict[str, int]:
    """The status of each of ``methods`` the route serves (those it does not are its 405)."""
    found = {m: client.request(m, path, headers=bearer(token), json={}).status_code
             for m in methods}
    served = {m: status for m, status in found.items() if status != 405}
    assert served, f"{path} serves no method"
    return served


# --- every route -----------------------------------------------------------------------------

@pytest.mark.parametrize("token", [
    pytest.param(lambda state: "garbage", id="not-a-token"),
    pytest.param(lambda state: graph_token(state, NOWHERE, tid=NOWHERE), id="another-tenant"),
])
def test_every_graph_route_refuses_a_bad_token_before_looking_anything_up(
        client: AppClient, idp_app: Starlette, state: IdpState,
        token: Callable[[IdpState], str]) -> None:
    for path in graph_paths(idp_app, tenant=DEFAULT_DOMAIN):
        for method, status in answers(client, path, token(state)).items():
            assert status == 401, (method, path, status)
    refused = client.post(f"{G}/oauth2PermissionGrants", headers=bearer(token(state)), json={})
    assert error_of(refused, 401)["code"] == "InvalidAuthenticationToken"
    assert "WWW-Authenticate" in refused.headers


def test_every_graph_route_refuses_a_token_without_its_permissions(
        client: AppClient, idp_app: Starlette, state: IdpState) -> None:
    alice, bob = user_id(client, ALICE), user_id(client, BOB)
    delegated = graph_token(state, bob, scp="openid profile offline_access")
    served: dict[str, dict[str, int]] = {}
    for path in graph_paths(idp_app, tenant=DEFAULT_DOMAIN, user=alice):
        served[path.replace(alice, bob)] = found = answers(client, path, delegated)
        for method, status in found.items():
            assert status == 403, (method, path, status)
    no_roles = app_token(state)
    for path, methods in served.items():
        me = path.startswith(f"{G}/me")
        for method, status in answers(client, path, no_roles, methods).items():
            assert status == (400 if me else 403), (method, path, status)  # /me: no user


def test_a_token_without_permissions_cannot_tell_which_users_exist(
        client: AppClient, idp_app: Starlette, state: IdpState) -> None:
    alice, bob = user_id(client, ALICE), user_id(client, BOB)
    tokens = {"delegated": graph_token(state, bob, scp="openid"), "app": app_token(state)}
    about_a_user = [p for p in graph_paths(idp_app, tenant=DEFAULT_DOMAIN, user="{user}")
                    if "{user}" in p]
    assert any(p.endswith("/memberOf") for p in about_a_user), about_a_user
    for path in about_a_user:
        for (kind, token), who in itertools.product(tokens.items(), (alice, NOWHERE)):
            url = path.format(user=who)
            for method in METHODS:
                answer = client.request(method, url, headers=bearer(token), json={})
                if answer.status_code == 405:
                    continue
                error = error_of(answer, 403)
                assert (error["code"], error["message"]) == (
                    "Authorization_RequestDenied",
                    "Insufficient privileges to complete the operation."), (kind, method, url)


def test_a_token_for_the_signed_in_user_only_cannot_tell_which_other_users_exist(
        client: AppClient, idp_app: Starlette, state: IdpState) -> None:
    """User.Read and the other permissions that reach only the signed-in user: another user
    that exists and one that does not get the same 403, on every route about a user."""
    alice, bob = user_id(client, ALICE), user_id(client, BOB)
    token = bearer(graph_token(state, bob, scp="User.Read User.ReadWrite "
                                               "UserAuthenticationMethod.ReadWrite"))
    about_a_user = [p for p in graph_paths(idp_app, tenant=DEFAULT_DOMAIN, user="{user}")
                    if "{user}" in p]
    for path in about_a_user:
        for who in (alice, ALICE.upper(), NOWHERE, f"nobody@{DEFAULT_DOMAIN}"):
            url = path.format(user=who)
            for method in METHODS:
                answer = client.request(method, url, headers=token, json={})
                if answer.status_code == 405:
                    continue
                error = error_of(answer, 403)
                assert (error["code"], error["message"]) == (
                    "Authorization_RequestDenied",
                    "Insufficient privileges to complete the operation."), (method, url)
    for me in (bob, BOB, BOB.upper()):  # oneself, by id or by UPN in any case
        found = client.get(f"{G}/users/{me}", headers=token)
        assert found.status_code == 200 and found.json()["id"] == bob, (me, found.text)
        assert client.get(f"{G}/users/{me}/memberOf", headers=token).status_code == 200


# --- the tables of the calls -----------------------------------------------------------------

Case = tuple[str, str, dict[str, Any] | None]


def _call(method: str, path: str, body: dict[str, Any] | None = None) -> Case:
    return method, path, body


GRANT = {"clientId": REFERENCE_RP_CLIENT_ID, "consentType": "Principal", "principalId": "{bob}",
         "resourceId": GRAPH_APP_ID, "scope": "User.Read"}
ROLE = {"principalId": "{bob}", "roleDefinitionId": GLOBAL_ADMINISTRATOR, "directoryScopeId": "/"}
APP_ROLE = {"resourceId": GRAPH_APP_ID, "appRoleId": "User.Read.All"}
GROUP = {"displayName": "G", "mailNickname": "g", "mailEnabled": False, "securityEnabled": True}
APP = f"applications(appId='{REFERENCE_RP_CLIENT_ID}')"
Check = tuple[Case, str, tuple[str, ...], int]
"""A call, who makes it ("bob" with a delegated token, "app" app-only), with which
permissions, and the status it gets."""
TABLES: dict[str, list[Check]] = {
    "consent grants": [
        (_call("GET", "oauth2PermissionGrants"), "bob", ("Directory.Read.All",), 200),
        (_call("GET", "oauth2PermissionGrants"), "app", ("User.Read.All",), 403),
        (_call("POST", "oauth2PermissionGrants", GRANT), "bob", ("Directory.Read.All",), 403),
        (_call("POST", "oauth2PermissionGrants", GRANT), "app",
         ("DelegatedPermissionGrant.ReadWrite.All",), 201),
    ],
    "app role assignments": [
        (_call("GET", f"{RP}/appRoleAssignedTo"), "bob", ("Application.Read.All",), 200),
        (_call("GET", f"{RP}/appRoleAssignedTo"), "app", ("User.Read.All",), 403),
        (_call("POST", f"{RP}/appRoleAssignments", APP_ROLE), "app",
         ("AppRoleAssignment.ReadWrite.All",), 403),  # "and Application.Read.All"
        (_call("POST", f"{RP}/appRoleAssignments", APP_ROLE), "app",
         ("AppRoleAssignment.ReadWrite.All", "Application.Read.All"), 201),
        (_call("GET", "users/{alice}/appRoleAssignments"), "app", ("Directory.Read.All",), 200),
        (_call("GET", "users/{alice}/appRoleAssignments"), "app", ("User.Read.All",), 403),
    ],
    "directory roles": [
        (_call("GET", "roleManagement/directory/roleAssignments"), "app",
         ("RoleManagement.Read.Directory",), 200),
        (_call("GET", "roleManagement/directory/roleDefinitions"), "bob",
         ("RoleManagement.Read.Directory",), 200),
        (_call("POST", "roleManagement/directory/roleAssignments", ROLE), "app",
         ("RoleManagement.Read.Directory", "Directory.Read.All"), 403),
        (_call("POST", "roleManagement/directory/roleAssignments", ROLE), "bob",
         ("RoleManagement.ReadWrite.Directory",), 201),
    ],
    "authentication methods": [
        (_call("GET", "users/{bob}/authentication/methods"), "bob",
         ("UserAuthenticationMethod.Read",), 200),  # one's own
        (_call("GET", "users/{alice}/authentication/methods"), "bob",
         ("UserAuthenticationMethod.Read",), 403),  # another's
        (_call("GET", "users/{alice}/authentication/passwordMethods"), "bob",
         ("UserAuthenticationMethod.Read.All",), 200),
        (_call("GET", "users/{alice}/authentication/passwordMethods"), "app",
         ("UserAuthMethod-Password.Read.All",), 200),
        (_call("GET", "users/{alice}/authentication/softwareOathMethods"), "app",
         ("UserAuthMethod-Password.Read.All",), 403),
    ],
    "the directory's writes": [
        (_call("PATCH", "users/{bob}", {"jobTitle": "x"}), "bob", ("User.ReadWrite",), 204),
        (_call("PATCH", "users/{alice}", {"jobTitle": "x"}), "bob", ("User.ReadWrite",), 403),
        (_call("PATCH", "users/{alice}", {"jobTitle": "x"}), "app", ("User.ReadWrite.All",), 204),
        (_call("DELETE", "users/{alice}"), "app", ("User.Read.All",), 403),
        (_call("POST", "users/{alice}/revokeSignInSessions"), "app",
         ("User.RevokeSessions.All",), 200),
        (_call("POST", "users/{alice}/revokeSignInSessions"), "app",
         ("User.ReadWrite.All",), 200),  # reported, not in the table
        (_call("POST", "users/{alice}/revokeSignInSessions"), "app",
         ("Directory.ReadWrite.All",), 403),  # the table's older row
        (_call("POST", "users/{alice}/revokeSignInSessions"), "bob",
         ("Directory.ReadWrite.All",), 200),
        (_call("POST", "applications", {"displayName": "Made by an app"}), "app",
         ("AppRegistration.Create",), 201),
        (_call("PATCH", APP, {"displayName": "x"}), "app",
         ("Application.ReadWrite.OwnedBy",), 403),  # the mock keeps no owners
        (_call("POST", f"{APP}/addPassword", {}), "app", ("Application.ReadWrite.All",), 200),
        (_call("POST", "groups", GROUP), "app", ("Group.Read.All",), 403),
        (_call("POST", "groups", GROUP), "app", ("Group.Create",), 201),
    ],
}


@pytest.mark.parametrize("table", list(TABLES))
def test_the_calls_follow_graphs_permission_tables(client: AppClient, state: IdpState,
                                                   table: str) -> None:
    ids = {"alice": user_id(client, ALICE), "bob": user_id(client, BOB)}

    def filled(value: Any) -> Any:
        if isinstance(value, str):
            return value.format(**ids)
        return {k: filled(v) for k, v in value.items()} if isinstance(value, dict) else value

    for (method, path, body), who, permissions, status in TABLES[table]:
        token = (graph_token(state, ids["bob"], scp=" ".join(permissions)) if who == "bob"
                 else app_token(state, *permissions))
        answer = client.request(method, f"{G}/{filled(path)}", headers=bearer(token),
                                json=filled(body) if body is not None else None)
        assert answer.status_code == status, (method, path, who, permissions, answer.text)
        if status == 403:
            assert answer.json()["error"]["code"] == "Authorization_RequestDenied"
