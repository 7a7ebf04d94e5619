"""Thousands of malformed requests across every route of the mock provider, in process.

Every answer must be below 500 and carry no traceback. Afterwards every collection still reads,
and the default directory still signs Alice in through the whole authorization-code flow.
Requests come from a seeded generator (see ``malformed_input``); set ``FUZZ_SEED`` to explore
other inputs and ``FUZZ_REQUESTS`` to send more.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import os
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest
from entra_pages import next_form, sign_in_answers
from loops import LoopThread
from malformed_input import CONTENT_TYPES, METHODS, SEED, Malformed

from mock_idp import create_app
from mock_idp.clock import MockClock
from mock_idp.config import (
    DEFAULT_DOMAIN,
    DEFAULT_TENANT_ID,
    REFERENCE_RP_CLIENT_ID,
    REFERENCE_RP_SECRET,
    IdpConfig,
)
from mock_idp.endpoints.console import csrf_token

REQUESTS = int(os.environ.get("FUZZ_REQUESTS", "6000"))
START = datetime(2026, 3, 2, 9, 30, 15, tzinfo=UTC)
BASE = "http://testserver"
ALICE = "alice@" + DEFAULT_DOMAIN
REDIRECT = "http://localhost:5555/auth/callback"
APP_ID = "5d0c9a7e-1f2b-4c3d-9e8f-a1b2c3d4e5f6"
TENANTS = [DEFAULT_TENANT_ID, DEFAULT_DOMAIN, "common", "organizations", "consumers"]
CLIENTS = [APP_ID, "00000000-0000-0000-0000-000000000000"]
"""App ids the management requests may change: not the reference app Alice signs in to."""
USERS = ["bob@" + DEFAULT_DOMAIN, "dave@" + DEFAULT_DOMAIN]
"""Real users other than Alice: requests may change them; Alice signs in at the end."""


@dataclass
class Fuzzed:
    method: str
    path: str
    params: dict[str, str] | None = None
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        body = (self.body or b"")[:200]
        return (f"{self.method} {self.path[:200]} params={self.params} body={body!r} "
                f"headers={self.headers}")


@dataclass
class Pools:
    """Real codes, tokens and sessions, so malformed requests get past the first checks."""

    codes: list[str] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    sessions: list[str] = field(default_factory=list)
    csrf: list[str] = field(default_factory=list)
    """The console's form token."""
    installations: list[str] = field(default_factory=list)
    """An installation of the reference app, whose changes send events."""


# --- protocol endpoints -------------------------------------------------------------------

AUTHORIZE = ["client_id", "redirect_uri", "response_type", "scope", "state", "nonce", "prompt",
             "login_hint", "domain_hint", "code_challenge", "code_challenge_method",
             "response_mode", "max_age", "resource", "client_info", "client-request-id"]
TOKEN = ["grant_type", "client_id", "client_secret", "code", "redirect_uri", "code_verifier",
         "refresh_token", "scope", "resource", "client_assertion", "client_assertion_type",
         "client_info", "username", "password"]
LOGOUT = ["id_token_hint", "post_logout_redirect_uri", "state", "client_id", "logout_hint"]
SIGN_IN = ["ctx", "login", "passwd", "action", "flowToken", "LoginOptions"]
LOOKUP: dict[str, list[Any]] = {"username": [ALICE, "nobody@x.test", " "], "Username": [ALICE],
                                "originalRequest": ["ctx"], "isOtherIdpSupported": [True]}
SAS: dict[str, list[Any]] = {"AuthMethodId": ["PhoneAppOTP", "OneWaySMS"],
                             "Method": ["BeginAuth", "EndAuth"], "Ctx": ["ctx"],
                             "FlowToken": ["ft"], "SessionId": ["s"],
                             "AdditionalAuthData": ["123456", "000000"]}
PLAUSIBLE = [
    REFERENCE_RP_CLIENT_ID, REDIRECT, "http://localhost/auth/callback", "code", "id_token",
    "code id_token", "openid profile", "openid offline_access", "authorization_code",
    "refresh_token", "client_credentials", "password", "P@ssw0rd-alice", REFERENCE_RP_SECRET,
    "S256", "plain", "form_post",
    "query", "fragment", "none", "login", "select_account", "consent", ALICE, "1", "0",
    "https://graph.microsoft.com/.default", "signin", "cancel", "continue", "other",
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", "http://[::1/cb",
]


def protocol_request(rng: Malformed, pools: Pools) -> Fuzzed:
    tenant = rng.segment(TENANTS)
    plausible = PLAUSIBLE + pools.codes + pools.tokens
    headers = {}
    if rng.maybe(0.3):
        headers["Cookie"] = "MOCKIDP_SESSION=" + rng.segment(pools.sessions)
    kind = rng.choice(["authorize", "authorize", "login", "token", "token", "discovery",
                       "keys", "instance", "userinfo", "logout", "lookup", "adminconsent",
                       "realm", "code", "new_password", "sas"])
    if kind == "authorize":
        path = rng.choice([f"/{tenant}/oauth2/v2.0/authorize", f"/{tenant}/oauth2/authorize"])
        return _query_or_form(rng, path, rng.params(AUTHORIZE, plausible), headers)
    if kind == "adminconsent":
        path = rng.choice([f"/{tenant}/v2.0/adminconsent", f"/{tenant}/adminconsent"])
        return Fuzzed(rng.choice(["GET", "GET", "POST"]), path, headers=headers,
                      params=rng.params(["client_id", "redirect_uri", "scope", "state"], plausible))
    if kind == "login":
        return _form(rng, "POST", f"/{tenant}/login", rng.params(SIGN_IN, plausible), headers)
    if kind == "lookup":
        return _json_request(rng, "/common/GetCredentialType", "POST", LOOKUP)
    if kind == "sas":
        return _json_request(rng, rng.choice(["/common/SAS/BeginAuth", "/common/SAS/EndAuth"]),
                             "POST", SAS)
    if kind == "code":
        fields = rng.params(["ctx", "request", "flowToken", "otc"],
                            [*plausible, "123456", "000000"])
        return _form(rng, "POST", "/common/SAS/ProcessAuth", fields, headers)
    if kind == "new_password":
        fields = rng.params(["ctx", "currentpasswd", "newpasswd", "confirmnewpasswd"],
                            [*plausible, "Winter-2027 sky", "x" * 300])
        return _form(rng, "POST", "/common/ChangePassword", fields, headers)
    if kind == "realm":
        name = quote(rng.choice([ALICE, "x@nowhere.test", "@", rng.text()]), safe="@")
        return Fuzzed("GET", f"/common/{rng.choice(['userrealm', 'UserRealm'])}/{name}",
                      params=rng.params(["api-version"], ["1.0"]))
    if kind == "token":
        path = rng.choice([f"/{tenant}/oauth2/v2.0/token", f"/{tenant}/oauth2/token"])
        if rng.maybe(0.2):
            client = rng.choice([REFERENCE_RP_CLIENT_ID, *CLIENTS])
            raw = f"{client}:{rng.text()}" if rng.maybe() else rng.text()
            headers["Authorization"] = "Basic " + base64.b64encode(raw.encode()).decode()
        method = rng.choice(["POST", "POST", "POST", "GET", "PUT"])
        return _form(rng, method, path, rng.params(TOKEN, plausible), headers)
    if kind == "discovery":
        path = rng.choice([f"/{tenant}/v2.0/.well-known/openid-configuration",
                           f"/{tenant}/.well-known/openid-configuration"])
        return Fuzzed("GET", path, params=rng.params(["appid", "p"], plausible), headers=headers)
    if kind == "keys":
        path = rng.choice([f"/{tenant}/discovery/v2.0/keys", f"/{tenant}/discovery/keys"])
        return Fuzzed(rng.choice(["GET", "POST"]), path, headers=headers)
    if kind == "instance":
        names = ["authorization_endpoint", "api-version"]
        return Fuzzed("GET", "/common/discovery/instance",
                      params=rng.params(names, [f"https://login.test/{tenant}/x", "1.1"]))
    if kind == "userinfo":
        path = rng.choice(["/oidc/userinfo", f"/{tenant}/openid/userinfo"])
        token = rng.choice(pools.tokens) if rng.maybe(0.6) else rng.text()
        scheme = rng.choice(["Bearer ", "bearer ", "Basic ", "", "Bearer  "])
        headers["Authorization"] = scheme + token
        if rng.maybe(0.3):
            return _form(rng, "POST", path, {"access_token": token}, headers)
        return Fuzzed("GET", path, headers=headers)
    path = rng.choice([f"/{tenant}/oauth2/v2.0/logout", f"/{tenant}/oauth2/logout"])
    return _query_or_form(rng, path, rng.params(LOGOUT, plausible), headers)


def _query_or_form(rng: Malformed, path: str, fields: dict[str, str],
                   headers: dict[str, str]) -> Fuzzed:
    if rng.maybe(0.6):
        return Fuzzed("GET", path, params=fields, headers=headers)
    return _form(rng, "POST", path, fields, headers)


def _form(rng: Malformed, method: str, path: str, fields: dict[str, str],
          headers: dict[str, str]) -> Fuzzed:
    body, content_type = rng.form(fields)
    return Fuzzed(method, path, body=body, headers={**headers, "Content-Type": content_type})


# --- the management (Graph) and test-control APIs -----------------------------------------

WEB = {"redirectUris": ["https://app.test/cb"], "logoutUrl": "https://app.test/logout",
       "implicitGrantSettings": {"enableIdTokenIssuance": True}}
APPLICATION: dict[str, list[Any]] = {
    "displayName": ["App"], "appId": [APP_ID], "identifierUris": [["api://x"]],
    "isFallbackPublicClient": [True], "web": [WEB], "appRoleAssignmentRequired": [False],
    "spa": [{"redirectUris": ["https://app.test/spa"]}],
    "backchannelLogoutUri": ["https://a.test/b"], "eventsUrl": ["https://a.test/e"],
    "appRoles": [[{"value": "Reader"}]], "groupMembershipClaims": ["All"],
    "frontchannelLogoutIncludesIssuer": [True],
    "signInAudience": ["AzureADMultipleOrgs", "AzureADMyOrg"]}
USER: dict[str, list[Any]] = {
    "displayName": ["Zed"], "userPrincipalName": ["zed@" + DEFAULT_DOMAIN],
    "mail": ["zed@x.test"], "passwordProfile": [
        {"password": "pw"}, {"password": "Fuzz-pass-1"},
        {"forceChangePasswordNextSignIn": True},
        {"password": "Fuzz-pass-2", "forceChangePasswordNextSignInWithMfa": True}],
    "accountEnabled": [True], "mailNickname": ["zed"], "givenName": ["Z"], "surname": ["Ed"]}
PASSWORD: dict[str, list[Any]] = {"passwordCredential": [
    {"displayName": "s", "endDateTime": "2027-01-01T00:00:00Z",
     "startDateTime": "2026-01-01T00:00:00Z"}, {"endDateTime": "9999-12-31T23:00:00-05:00"}]}
ASSIGNMENT: dict[str, list[Any]] = {
    "principalId": ["00000000-0000-0000-0000-000000000000"],
    "resourceId": [REFERENCE_RP_CLIENT_ID], "appRoleId": ["Agent"]}
PRINCIPAL: dict[str, list[Any]] = {"accountEnabled": [False, True],
                                   "appRoleAssignmentRequired": [True]}
GRANT: dict[str, list[Any]] = {
    "clientId": [REFERENCE_RP_CLIENT_ID], "resourceId": ["00000003-0000-0000-c000-000000000000"],
    "consentType": ["AllPrincipals", "Principal"], "principalId": [None],
    "scope": ["Mail.Read", "openid User.Read"]}
TENANT: dict[str, list[Any]] = {
    "id": ["0b6f3c2a-7d41-4e9b-8a35-c2d1e0f9a874"], "domain": ["fabrikam.test"],
    "name": ["F"], "region": ["EU"],
    "apps": [[{"client_id": APP_ID, "redirect_uris": ["https://a.test/cb", "http://[::1/cb"],
               "spa_redirect_uris": ["https://a.test/spa"],
               "secrets": [{"value": "v", "expires_in_days": 2147483648}],
               "certificates": [{"pem": True}], "logout_url": "http://a.test:80:80/",
               "api_permissions": ["Mail.Read", "api://nowhere/x"], "enabled": False,
               "app_permissions": ["User.Read.All", "api://nowhere/x", 7]}]],
    "users": [[{"upn": "u@fabrikam.test", "password": "pw",
                "directory_roles": ["Global Administrator", "Wizard", 3]}]],
    "allow_user_consent": [False, "no"], "lockout_threshold": [3, 0, "3"],
    "lockout_duration_seconds": [120, 86401, 1.5],
    "auth_contexts": [{"c1": "mfa"}, {"c100": "mfa"}, {"c2": "block"}, "c1"],
    "mfa_at_sign_in": [False, 1]}
TENANT_SETTINGS: dict[str, list[Any]] = {
    "show_keep_me_signed_in": [False], "allow_user_consent": [True, "no"],
    "lockout_threshold": [1, 0, 10**9, 2.5, True], "lockout_duration_seconds": [5, -1, "60"],
    "auth_contexts": [{"c1": "mfa", "c2": None}, {"c0": "mfa"}, {"c1": ["mfa"]}, ["c1"]],
    "mfa_at_sign_in": [False, "no"]}
CLOCK: dict[str, list[Any]] = {"advance": ["5m", "P1D", "P99999999999W"],
                               "advance_seconds": [60], "now": ["2026-03-02T10:00:00Z"],
                               "freeze": [True]}
FAULT: dict[str, list[Any]] = {
    "kind": ["error", "bad_signature", "lt_nonce", "userinfo_sub_mismatch", "kid_absent"],
    "endpoint": ["token", "authorize", "logout_token", "userinfo"],
    "tenant": [DEFAULT_DOMAIN], "app": [REFERENCE_RP_CLIENT_ID], "user": [ALICE],
    "times": [1, "once"], "code": [50000], "status": [400], "error": ["x"]}
"""No plausible response-fault kind but ``error``, always with a 4xx ``status``: a fault that
answers 5xx on purpose is not what this test looks for."""
INSTALL: dict[str, list[Any]] = {
    "app_id": [REFERENCE_RP_CLIENT_ID], "tenant": [DEFAULT_TENANT_ID],
    "events_url": ["http://127.0.0.1:9/e", "http://[::1/e"], "client_id": [REFERENCE_RP_CLIENT_ID],
    "app_version_name": ["2"], "trial_days": [30, 0, 1e9, "30"]}
APP_ROLE: dict[str, list[Any]] = {
    "resourceId": [REFERENCE_RP_CLIENT_ID, "00000003-0000-0000-c000-000000000000"],
    "appRoleId": ["User.Read.All", "Agent", "a b", "../x"], "principalId": [APP_ID]}
DIRECTORY_ROLE: dict[str, list[Any]] = {
    "principalId": [ALICE], "roleDefinitionId": ["62e90394-69f5-4237-9190-012177145e10"],
    "directoryScopeId": ["/", "/administrativeUnits/x"]}
RETAIN: dict[str, list[Any]] = {"retain_seconds": [9223372036854775808, 10**400]}


def graph_request(rng: Malformed, pools: Pools) -> Fuzzed:
    base = f"/graph/{rng.segment(TENANTS)}/v1.0"
    app, user = rng.segment(CLIENTS), rng.segment(USERS)
    path, methods, fields = rng.choice([
        (f"{base}/applications", "GET POST", APPLICATION),
        (f"{base}/applications/{app}", "GET PATCH DELETE", APPLICATION),
        (f"{base}/applications(appId='{app}')", "GET PATCH DELETE", APPLICATION),
        (f"{base}/applications/{app}/addPassword", "POST", PASSWORD),
        (f"{base}/applications(appId='{app}')/removePassword", "POST", {"keyId": [APP_ID]}),
        (f"{base}/users", "GET POST", USER), (f"{base}/users/{user}", "GET PATCH DELETE", USER),
        (f"{base}/users/{user}/revokeSignInSessions", "POST", {}),
        (f"{base}/users/{user}/appRoleAssignments", "GET POST", ASSIGNMENT),
        (f"{base}/users/{user}/appRoleAssignments/{app}", "GET DELETE", {}),
        (f"{base}/servicePrincipals", "GET", {}),
        (f"{base}/servicePrincipals(appId='{app}')", "GET PATCH", PRINCIPAL),
        (f"{base}/servicePrincipals/{app}", "GET PATCH", PRINCIPAL),
        (f"{base}/oauth2PermissionGrants", "GET POST", GRANT),
        (f"{base}/servicePrincipals(appId='{app}')/appRoleAssignments", "GET POST", APP_ROLE),
        (f"{base}/servicePrincipals/{app}/appRoleAssignments/{user}", "DELETE", {}),
        (f"{base}/roleManagement/directory/roleAssignments", "GET POST", DIRECTORY_ROLE),
        (f"{base}/roleManagement/directory/roleAssignments/{user}", "GET DELETE", {}),
        (f"{base}/roleManagement/directory/roleDefinitions", "GET", {}),
        (f"{base}/users/{user}/authentication/methods", "GET", {}),
        (f"{base}/users/{user}/authentication/passwordMethods/{app}", "GET", {}),
        (f"{base}/users/{user}/authentication/softwareOathMethods/{app}", "GET DELETE", {}),
    ])
    return _json_request(rng, path, methods, fields)


LICENCES: dict[str, list[Any]] = {
    "users": [{"adding": [ALICE], "removing": []}, {"removing": [ALICE, ALICE]},
              {"adding": [7]}, {"adding": "x"}, {"adding": [ALICE], "removing": [ALICE]}, [], None],
    "subscription": [{"name": "Paid Plus", "licenses": 10}, {"licenses": -1}, {"name": ""},
                     {}, {"licenses": 1e300}, "x", None],
}


def control_request(rng: Malformed, pools: Pools) -> Fuzzed:
    some = rng.segment(TENANTS)
    installation = f"/_mock/installations/{rng.segment(pools.installations)}"
    path, methods, fields = rng.choice([
        ("/_mock/health", "GET", {}), ("/_mock/tenants", "GET POST", TENANT),
        (f"/_mock/tenants/{rng.segment()}", "DELETE", {}),
        (f"/_mock/tenants/{some}", "PATCH", TENANT_SETTINGS),
        (f"/_mock/tenants/{some}/users/{ALICE}/authenticator", "GET PUT DELETE",
         {"totp_secret": ["JBSWY3DPEHPK3PXP", "short", "not base32!", 7, None]}),
        ("/_mock/reset", "POST", {"clock": [False], "keys": [False]}),
        ("/_mock/clock", "GET POST", CLOCK), ("/_mock/keys", "GET", {}),
        ("/_mock/keys/rotate", "POST", RETAIN), ("/_mock/keys/publish-extra", "POST", {}),
        ("/_mock/requests", "GET", {}), ("/_mock/faults", "GET POST", FAULT),
        (f"/_mock/faults/{some}", "DELETE", {}), ("/_mock/notifications", "GET", {}),
        (f"/_mock/notifications/{some}/loaded", "POST", {}),
        ("/_mock/installations", "GET POST", INSTALL), (installation, "GET DELETE", {}),
        (f"{installation}/rotate", "POST", {"compromised": [True]}),
        (f"{installation}/logout", "POST", {"user_id": ["u"], "user_email": ["u@x.test"]}),
        (f"{installation}/update", "POST", LICENCES),
        (f"{installation}/trial", "POST", {"action": ["extend", "end", "stop", None],
                                          "days": [7, -1, 400, "7"],
                                          "reason": ["trial_expired", "plan_upgraded", 1]}),
        (f"/apps/{some}/installations/{some}", "GET", {}),
        (f"/apps/{some}/installations/{some}/trial", "GET", {}),
        (f"/apps/{some}/installations/{some}/state", "POST",
         {"state": ["approve", "reject", 3, None], "reason": ["moved", 5, "\u202e"]}),
        (f"/apps/{some}/installations/{some}/credentials/{some}/state", "POST",
         {"state": ["acknowledged", "approve", []]}),
        ("/_mock/events", "GET", {}), (f"/_mock/events/{some}", "GET", {}),
        (f"/_mock/events/{some}/redeliver", "POST", {}), ("/_mock/events/run", "POST", {}),
        ("/_mock/deliveries", "GET", {}), ("/_mock/event-keys/rotate", "POST", RETAIN),
        ("/.well-known/platform-event-keys.json", "GET", {}), (f"/_mock/{some}", "GET", {}),
    ])
    return _json_request(rng, path, methods, fields)


QUERY = ["$top", "$filter", "$select", "limit", "path", "kind", "tenant", "app_id", "type",
         "event_id"]
QUERY_VALUES = ["1", "999", "0", "²", "٣", "-1", "displayName eq 'x'", "id eq ''''", "frontchannel",
                "app.installed", DEFAULT_TENANT_ID]


def _json_request(rng: Malformed, path: str, methods: str,
                  fields: dict[str, list[Any]]) -> Fuzzed:
    """Mostly a method the route takes, with a JSON body; sometimes any method or type."""
    method = rng.choice(methods.split()) if rng.maybe(0.8) else rng.choice(METHODS)
    content_type = "application/json" if rng.maybe(0.75) else rng.choice(CONTENT_TYPES)
    body = rng.json_body(fields)
    if path.startswith("/_mock/keys/") and body.startswith(b"{"):
        body = b'{"unexpected": 1, ' + body[1:]  # a valid key rotation is slow, not odd
    return Fuzzed(method, path, params=rng.params(QUERY, QUERY_VALUES), body=body,
                  headers={"Content-Type": content_type})


CONSOLE_FORM = ["csrf", "advance", "now", "freeze", "clock", "keys", "kind", "endpoint",
                "tenant", "app", "user", "times", "code", "fault_id"]
CONSOLE_VALUES = ["5m", "181d", "true", "false", "on", "2026-03-02T10:00:00Z", "bad_signature",
                  "lt_nonce", "token", "userinfo", DEFAULT_DOMAIN, ALICE, "1", "²", "9" * 300]
"""No response-fault kind is plausible here either (see ``FAULT``)."""


def console_request(rng: Malformed, pools: Pools) -> Fuzzed:
    """The console page, its actions (mostly with the real form token), activity, sessions."""
    action = rng.choice(["clock", "reset", "arm", "clear-faults", "rotate-keys",
                         "clear-requests", "run-events", rng.segment()])
    kind = rng.choice(["page", "action", "action", "action", "activity", "sessions"])
    if kind == "page":
        return Fuzzed(rng.choice(METHODS), "/_mock/console",
                      params=rng.params(["refresh", "done"], ["5", "1", "601", "²", "x"]))
    if kind == "activity":
        return Fuzzed("GET", "/_mock/activity",
                      params=rng.params(["since", "limit"], ["0", "1e11", "nan", "inf", "²"]))
    if kind == "sessions":
        return Fuzzed(rng.choice(["GET", "POST"]), "/_mock/sessions")
    fields = rng.params(CONSOLE_FORM, CONSOLE_VALUES)
    if action != "rotate-keys" and rng.maybe(0.7):
        fields["csrf"] = pools.csrf[0]  # (a real rotation generates a key: slow, not odd)
    headers = {}
    if rng.maybe(0.2):
        headers["Origin"] = rng.choice(["null", "http://evil.test", BASE, rng.text()])
    body, content_type = rng.form(fields)
    return Fuzzed("POST", f"/_mock/console/{action}", body=body,
                  headers={**headers, "Content-Type": content_type})


GENERATORS: list[Callable[[Malformed, Pools], Fuzzed]] = [
    protocol_request, protocol_request, graph_request, control_request, console_request]


# --- the provider in process --------------------------------------------------------------

@dataclass
class Provider:
    """The provider behind ``httpx.ASGITransport``; every call runs on one event loop."""

    client: httpx.AsyncClient
    loop: LoopThread
    pools: Pools = field(default_factory=Pools)

    def run(self, call: Any) -> Any:
        return self.loop.run(call)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        response: httpx.Response = self.run(self.client.get(path, **kwargs))
        return response

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        response: httpx.Response = self.run(self.client.post(path, **kwargs))
        return response

    async def send(self, request: Fuzzed) -> httpx.Response:
        self.client.cookies.clear()
        headers = {k: v.encode() for k, v in request.headers.items()}
        return await self.client.request(request.method, request.path, params=request.params,
                                         content=request.body, headers=headers)


def sign_in(idp: Provider, **extra: str) -> tuple[str, str]:
    """Alice through the sign-in page with PKCE; the code and its verifier."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    params = {"client_id": REFERENCE_RP_CLIENT_ID, "response_type": "code",
              "redirect_uri": REDIRECT, "scope": "openid profile offline_access",
              "state": "s", "nonce": "n", "code_challenge": challenge.rstrip(b"=").decode(),
              "code_challenge_method": "S256", **extra}
    page = idp.get(f"/{DEFAULT_TENANT_ID}/oauth2/v2.0/authorize", params=params)
    answers = sign_in_answers(ALICE, "P@ssw0rd-alice")
    while page.status_code == 200:
        action, ctx = next_form(page.text)
        page = idp.post(action, data={"ctx": ctx, **next(answers)})
    assert page.status_code == 302, page.text[:300]
    code = parse_qs(urlsplit(page.headers["location"]).query)["code"][0]
    return code, verifier


def redeem(idp: Provider, code: str, verifier: str) -> httpx.Response:
    return idp.post(f"/{DEFAULT_TENANT_ID}/oauth2/v2.0/token", data={
        "grant_type": "authorization_code", "client_id": REFERENCE_RP_CLIENT_ID,
        "client_secret": REFERENCE_RP_SECRET, "code": code, "redirect_uri": REDIRECT,
        "code_verifier": verifier})


RECEIVER_ANSWERS = [
    (200, b"", ""), (400, b"refused +2AA- here", "text/plain; charset=utf-7"),
    (200, b"", ""), (503, b"busy \\ud800", "text/plain; charset=unicode_escape"),
    (200, b"", ""), (400, "no \u202e".encode("utf-16"), "text/plain; charset=utf-16"),
    (200, b"", ""), (500, b"\xff\xfe\x00", "text/html; charset=nope"),
    (401, b"x" * 10_000, "application/json; charset=base64"),
]
"""What the receiver of the provider's events answers, in turn: mostly 200, else a refusal
whose body is in an odd charset (UTF-7 and ``unicode_escape`` spell a lone surrogate)."""


def _receiver() -> httpx.AsyncClient:
    answers = itertools.cycle(RECEIVER_ANSWERS)

    def answer(request: httpx.Request) -> httpx.Response:
        status, body, content_type = next(answers)
        headers = {"Content-Type": content_type} if content_type else {}
        return httpx.Response(status, content=body, headers=headers)

    return httpx.AsyncClient(transport=httpx.MockTransport(answer))


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    """The default directory on a frozen clock; the events it sends are answered in process
    (:data:`RECEIVER_ANSWERS`)."""
    events = _receiver()
    app = create_app(IdpConfig.default(clock=MockClock(frozen_at=START)), http_client=events)
    loop = LoopThread()
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    idp = Provider(httpx.AsyncClient(transport=transport, base_url=BASE), loop)
    try:
        for _ in range(3):
            idp.pools.codes.append(sign_in(idp)[0])
            idp.pools.sessions.append(idp.client.cookies.get("MOCKIDP_SESSION") or "")
        response = redeem(idp, *sign_in(idp))
        assert response.status_code == 200, response.text
        body = response.json()
        idp.pools.tokens += [body["access_token"], body["id_token"], body["refresh_token"]]
        idp.pools.csrf.append(csrf_token(app.state.idp))
        made = idp.post("/_mock/installations", json={
            "app_id": REFERENCE_RP_CLIENT_ID, "tenant": DEFAULT_TENANT_ID,
            "events_url": "http://rp.test/events"})
        assert made.status_code == 201, made.text
        idp.pools.installations.append(made.json()["installation"]["installation_id"])
        yield idp
    finally:
        loop.run(idp.client.aclose())
        loop.run(events.aclose())
        loop.close()


@pytest.mark.fuzz
@pytest.mark.slow
def test_thousands_of_malformed_requests_leave_the_provider_working(
        provider: Provider) -> None:
    rng = Malformed(SEED)
    started, cpu = time.monotonic(), time.process_time()

    async def fuzz() -> None:
        for number in range(REQUESTS):
            request = rng.choice(GENERATORS)(rng, provider.pools)
            response = await provider.send(request)
            where = f"request {number} of seed {SEED}: {request.describe()}"
            assert response.status_code < 500, (where, response.text[:400])
            assert "Traceback" not in response.text and 'File "' not in response.text, where

    provider.run(fuzz())
    print(f"\n{REQUESTS} malformed requests in {time.monotonic() - started:.1f} s "
          f"({time.process_time() - cpu:.1f} s of CPU)")
    still_works(provider)


def still_works(idp: Provider) -> None:
    """Every collection reads; with faults cleared and the clock within the reference app's
    secret (requests may have moved it, or reset it to real time), Alice signs in."""
    idp.client.cookies.clear()
    tenants = idp.get("/_mock/tenants")
    assert tenants.status_code == 200, tenants.text
    if DEFAULT_TENANT_ID not in {t["id"] for t in tenants.json()["tenants"]}:
        # A request with an odd method deleted the tenant Alice signs in to: a request the
        # provider rightly obeyed. The sign-in below needs it back.
        assert idp.post("/_mock/reset", json={}).status_code == 200
        tenants = idp.get("/_mock/tenants")
    for tenant in tenants.json()["tenants"]:
        for collection in ("applications", "users"):
            response = idp.get(f"/graph/{tenant['id']}/v1.0/{collection}")
            assert response.status_code == 200, response.text[:300]
    for path in ("/_mock/faults", "/_mock/installations", "/_mock/events", "/_mock/deliveries",
                 "/_mock/notifications", "/_mock/requests", "/_mock/keys", "/_mock/clock",
                 "/_mock/console", "/_mock/activity", "/_mock/sessions"):
        assert idp.get(path).status_code == 200, path
    assert idp.run(idp.client.delete("/_mock/faults")).status_code == 200
    app = idp.get(f"/graph/{DEFAULT_TENANT_ID}/v1.0/applications(appId='{REFERENCE_RP_CLIENT_ID}')")
    secret = next(s for s in app.json()["passwordCredentials"]
                  if s["hint"] == REFERENCE_RP_SECRET[:3])
    start = datetime.fromisoformat(secret["startDateTime"].replace("Z", "+00:00"))
    now = (start + timedelta(minutes=1)).isoformat()
    assert idp.post("/_mock/clock", json={"now": now}).status_code == 200
    response = redeem(idp, *sign_in(idp, prompt="login"))
    assert response.status_code == 200, response.text
    assert {"access_token", "id_token", "refresh_token"} <= set(response.json())
