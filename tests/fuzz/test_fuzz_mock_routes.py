"""Malformed requests to the mock provider's routes and inputs ``test_fuzz_mock`` leaves out,
in process, on the same provider fixture: the device code endpoints and ``/devicelogin``,
``/kmsi``, ``Consent/Set``, ``passwordreset``, ``/error``, the platform's ``/users/me``, a
user's test claims, browser sessions, forged events and more Graph paths; query and form
fields given twice or more; long or odd header values; JSON bodies in other charsets.

Every answer is below 500 with no traceback, and afterwards Alice still signs in. A second test
sends changes only and reads the directory, platform and control state after each: a refused
change (any 4xx) leaves all of it as it was. ``FUZZ_SEED`` chooses the requests,
``FUZZ_ROUTES_REQUESTS`` how many each test sends.
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import urlencode

import pytest
from malformed_input import SEED, Malformed
from test_fuzz_mock import (
    ALICE,
    AUTHORIZE,
    LOGOUT,
    PLAUSIBLE,
    TENANTS,
    TOKEN,
    Fuzzed,
    Pools,
    Provider,
    _json_request,
    control_request,
    graph_request,
    provider,
    still_works,
)

from mock_idp.config import DEFAULT_DOMAIN, DEFAULT_TENANT_ID, REFERENCE_RP_CLIENT_ID

__all__ = ["provider"]  # the fixture, shared with test_fuzz_mock

REQUESTS = int(os.environ.get("FUZZ_ROUTES_REQUESTS", "1500"))
USERS = [ALICE, "bob@" + DEFAULT_DOMAIN]
CLAIMS: dict[str, list[Any]] = {
    "id_token": [{"name": "x"}, {"email": 5}, {"iss": "x"}, {}, {"": 1}],
    "access_token": [{"roles": ["a"]}, {"x" * 101: 1}, {"a\u202eb": 1}]}
FORGED: dict[str, list[Any]] = {
    "type": ["user.logout", "app.installed", "app.uninstalled", "app.credentials_rotated", "x"],
    "forgery": ["unknown_key", "foreign_app", "bad_signature", "x"],
    "user_id": ["u"], "user_email": ["u@x.test"], "app_id": [REFERENCE_RP_CLIENT_ID, "x/y"]}
SESSION: dict[str, list[Any]] = {"user": [ALICE, "nobody@x.test"], "tenant": TENANTS,
                                 "persistent": [True], "mfa": [True, 1]}
DEVICE = ["client_id", "scope", "resource", "client_info"]
REPEATABLE: list[tuple[str, list[str]]] = [
    ("/{t}/oauth2/v2.0/authorize", AUTHORIZE), ("/{t}/oauth2/v2.0/logout", LOGOUT),
    ("/{t}/oauth2/v2.0/token", TOKEN), ("/{t}/oauth2/v2.0/devicecode", DEVICE),
    ("/{t}/v2.0/adminconsent", ["client_id", "redirect_uri", "scope", "state"]),
    ("/_mock/events", ["type"]), ("/_mock/installations", ["tenant", "app_id"]),
    ("/_mock/deliveries", ["event_id"]), ("/_mock/console", ["refresh", "done", "at"]),
    ("/_mock/activity", ["since", "limit"]), ("/_mock/notifications", ["kind"]),
    ("/error", ["code"]), ("/common/discovery/instance", ["authorization_endpoint",
                                                          "api-version"]),
    ("/graph/{t}/v1.0/users", ["$top", "$filter", "$select", "$skiptoken", "$count",
                               "$orderby", "$search"]),
    ("/graph/{t}/v1.0/applications", ["$top", "$filter", "$select"]),
]
"""Routes whose query or form fields the requests below give more than once."""
LONG = ["A" * 70_000, "é" * 20_000, "a" * 8190, "\u202e" * 10]
HEADERS = ["Cookie", "client-request-id", "Authorization", "Origin", "Referer", "User-Agent",
           "Accept-Language", "x-client-SKU", "X-Forwarded-For", "Sec-Fetch-Site", "Accept"]
JSON_TYPES = ["application/json; charset=utf-16", "application/json; charset=x",
              "APPLICATION/JSON", "application/json;;", 'application/json; charset="utf-8"',
              "text/json", "application/json, text/plain"]


def _repeated(rng: Malformed, names: list[str], samples: list[str]) -> list[tuple[str, str]]:
    """Fields in which a name may come twice or more, with the same value or another."""
    out: list[tuple[str, str]] = []
    for _ in range(rng.randrange(1, 8)):
        name = rng.choice(names) if rng.maybe(0.85) else rng.text()
        value = rng.choice(samples) if rng.maybe(0.5) else rng.text()
        out.append((name, value))
        if rng.maybe(0.4):
            out.append((name, value if rng.maybe() else rng.text()))
    return out


def _form(rng: Malformed, method: str, path: str, fields: dict[str, str],
          headers: dict[str, str] | None = None) -> Fuzzed:
    body, content_type = rng.form(fields)
    return Fuzzed(method, path, body=body, headers={**(headers or {}),
                                                    "Content-Type": content_type})


def routes_request(rng: Malformed, pools: Pools) -> Fuzzed:
    tenant, user = rng.segment(TENANTS), rng.segment(USERS)
    kind = rng.choice(["repeated", "repeated", "device", "devicelogin", "kmsi", "consent",
                       "passwordreset", "error", "users_me", "claims", "sessions", "forged",
                       "graph", "headers", "charset"])
    if kind == "repeated":
        template, names = rng.choice(REPEATABLE)
        path = template.format(t=tenant)
        pairs = _repeated(rng, names, [*PLAUSIBLE, *pools.codes, *pools.tokens])
        if rng.maybe(0.6) or not path.startswith("/" + tenant):
            return Fuzzed("GET", path, params=pairs)  # type: ignore[arg-type]
        return Fuzzed("POST", path, body=urlencode(pairs).encode(),
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    if kind == "device":
        path = rng.choice([f"/{tenant}/oauth2/v2.0/devicecode", f"/{tenant}/oauth2/devicecode"])
        return _form(rng, "POST", path, rng.params(DEVICE, [
            REFERENCE_RP_CLIENT_ID, "openid", "https://graph.microsoft.com/.default",
            "00000003-0000-0000-c000-000000000000"]))
    if kind == "devicelogin":
        path = rng.choice(["/devicelogin", f"/{tenant}/oauth2/deviceauth"])
        return _form(rng, rng.choice(["POST", "POST", "GET"]), path,
                     rng.params(["otc", "ctx", "flowToken"], ["ABCDEFGHJ", "x"]))
    if kind in ("kmsi", "consent"):
        headers = {}
        if rng.maybe():
            headers["Cookie"] = "MOCKIDP_SESSION=" + rng.choice(pools.sessions)
        return _form(rng, "POST", "/kmsi" if kind == "kmsi" else f"/{tenant}/Consent/Set",
                     rng.params(["ctx", "LoginOptions", "answer", "type", "flowToken"],
                                ["Accept", "Cancel", "1", "0", "ctx"]), headers)
    if kind == "passwordreset":
        return Fuzzed("GET", f"/{tenant}/passwordreset", params=rng.params(["x"], []))
    if kind == "error":
        return Fuzzed("GET", "/error", params=rng.params(["code"], [
            "AADSTS50076", "50076", "aadsts", "9" * 9, "9" * 10]))
    if kind == "users_me":
        token = rng.choice(pools.tokens) if rng.maybe(0.6) else rng.text()
        scheme = rng.choice(["Bearer ", "bearer ", ""])
        return Fuzzed(rng.choice(["GET", "POST"]), "/users/me",
                      headers={"Authorization": scheme + token})
    if kind == "claims":
        return _json_request(rng, f"/_mock/tenants/{tenant}/users/{user}/claims",
                             "GET PUT DELETE", CLAIMS)
    if kind == "sessions":
        return _json_request(rng, "/_mock/sessions", "GET POST", SESSION)
    if kind == "forged":
        return _json_request(rng, f"/_mock/installations/{rng.segment()}/forged-events", "POST",
                             FORGED)
    if kind == "graph":
        base = f"/graph/{tenant}/v1.0"
        path = rng.choice([f"{base}/groups", f"{base}/groups/{user}", f"{base}/me",
                           f"{base}/users/{user}/memberOf", f"{base}/organization",
                           f"{base}/users/{user}/getMemberObjects", f"{base}/$batch",
                           f"{base}/users/{user}/transitiveMemberOf",
                           f"{base}/groups/{user}/members",
                           f"{base}/users/{user}/checkMemberGroups"])
        return _json_request(rng, path, "GET POST PATCH DELETE", {
            "securityEnabledOnly": [True], "groupIds": [["x"]], "displayName": ["g"],
            "requests": [[{"id": "1", "method": "GET", "url": "/me"}]]})
    if kind == "charset":
        content_type = rng.choice(JSON_TYPES)
        text = json.dumps({"advance": "1m", "kind": "error", "endpoint": "userinfo"})
        body = text.encode("utf-16") if "16" in content_type else text.encode()
        path = rng.choice(["/_mock/clock", "/_mock/faults", "/_mock/tenants",
                           f"/graph/{tenant}/v1.0/users"])
        return Fuzzed("POST", path, body=body, headers={"Content-Type": content_type})
    name = rng.choice(HEADERS)
    value = rng.choice(LONG) if rng.maybe() else rng.text()
    if name == "Cookie":
        value = rng.choice(["MOCKIDP_SESSION=", "x=", ""]) + value
    path = rng.choice([f"/{tenant}/oauth2/v2.0/authorize?client_id={REFERENCE_RP_CLIENT_ID}",
                       f"/{tenant}/v2.0/.well-known/openid-configuration", "/_mock/console",
                       "/_mock/clock", f"/{tenant}/oauth2/v2.0/logout", "/_mock/activity"])
    return Fuzzed("GET", path, headers={name: value, "return-client-request-id": "true"})


def _sound(response: Any, where: str) -> None:
    assert response.status_code < 500, (where, response.text[:400])
    assert "Traceback" not in response.text and 'File "' not in response.text, where


@pytest.mark.fuzz
@pytest.mark.slow
def test_malformed_requests_to_more_routes_leave_the_provider_working(
        provider: Provider) -> None:
    rng = Malformed(SEED)

    async def fuzz() -> None:
        for number in range(REQUESTS):
            request = routes_request(rng, provider.pools)
            response = await provider.send(request)
            _sound(response, f"request {number} of seed {SEED}: {request.describe()}")

    provider.run(fuzz())
    still_works(provider)


STATE = ["/_mock/tenants", "/_mock/installations", "/_mock/faults", "/_mock/clock",
         "/_mock/events", "/_mock/keys", "/_mock/sessions", "/graph/{t}/v1.0/applications",
         "/graph/{t}/v1.0/users", "/graph/{t}/v1.0/servicePrincipals",
         "/graph/{t}/v1.0/oauth2PermissionGrants",
         "/graph/{t}/v1.0/roleManagement/directory/roleAssignments",
         f"/_mock/tenants/{{t}}/users/{ALICE}/claims",
         f"/_mock/tenants/{{t}}/users/{ALICE}/authenticator"]
"""What a change may change: each read after every request."""


def _without_request_ids(value: Any) -> Any:
    """A Graph answer without ``innerError`` (its request id and date differ every time)."""
    if isinstance(value, dict):
        return {k: _without_request_ids(v) for k, v in value.items() if k != "innerError"}
    if isinstance(value, list):
        return [_without_request_ids(v) for v in value]
    return value


async def _state(provider: Provider) -> dict[str, Any]:
    provider.client.cookies.clear()
    out: dict[str, Any] = {}
    for path in STATE:
        response = await provider.client.get(path.format(t=DEFAULT_TENANT_ID))
        assert response.status_code < 500, (path, response.text[:300])
        out[path] = (response.status_code, _without_request_ids(response.json()))
    return out


@pytest.mark.fuzz
@pytest.mark.slow
def test_a_refused_change_leaves_the_provider_as_it_was(provider: Provider) -> None:
    rng = Malformed(SEED + 1)
    requests = 0

    async def fuzz() -> None:
        nonlocal requests
        before = await _state(provider)
        while requests < REQUESTS // 3:
            request = rng.choice([graph_request, control_request, routes_request])(
                rng, provider.pools)
            if request.method in ("GET", "HEAD", "OPTIONS") or request.path == "/_mock/reset":
                continue
            requests += 1
            response = await provider.send(request)
            where = f"change {requests} of seed {SEED + 1}: {request.describe()}"
            _sound(response, where)
            after = await _state(provider)
            if response.status_code >= 400:
                changed = [path for path in STATE if before[path] != after[path]]
                assert not changed, (where, response.text[:300], changed)
            if after["/graph/{t}/v1.0/users"][0] != 200:
                # a change the provider rightly obeyed deleted the default tenant
                assert (await provider.client.post("/_mock/reset", json={})).status_code == 200
                after = await _state(provider)
            before = after

    provider.run(fuzz())
    # Thousands of changes, some rightly obeyed, may leave the directory asking more of Alice
    # than a password (a tenant's mfa_at_sign_in, her authenticator): she signs in after a reset.
    assert provider.post("/_mock/reset", json={}).status_code == 200
    still_works(provider)
