"""Hypothesis over the mock's newer inputs, in process, a few dozen examples each: the console's
forms (clock, arm, reset, a field given twice), the test-control API's cross-origin checks,
``POST /_mock/installations/{id}/logout``, the ``client-request-id`` echo, Graph's
``optionalClaims`` and the token response's ``scope`` for odd scope strings.

Each answer is below 500 with no traceback; each refusal is a 4xx in its route's shape naming
the field; a refused change leaves the state as it was. ``FUZZ_NEW_EXAMPLES`` sets how many
examples each test draws (more to explore; vary ``--hypothesis-seed``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from asgi_client import AppClient
from entra_pages import next_form, sign_in_answers
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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

EXAMPLES = int(os.environ.get("FUZZ_NEW_EXAMPLES", "20"))
START = datetime(2026, 3, 2, 9, 30, 15, tzinfo=UTC)
ALICE = "alice@" + DEFAULT_DOMAIN
REDIRECT = "http://localhost:5555/auth/callback"
CONSOLE = "/_mock/console"
FORM = "application/x-www-form-urlencoded"
GRAPH_APP = f"/graph/{DEFAULT_TENANT_ID}/v1.0/applications(appId='{REFERENCE_RP_CLIENT_ID}')"

fuzz_settings = settings(max_examples=EXAMPLES, deadline=None, database=None,
                         suppress_health_check=list(HealthCheck),
                         derandomize="FUZZ_NEW_EXAMPLES" not in os.environ)
"""The same examples on every run of the suite; set ``FUZZ_NEW_EXAMPLES`` to explore (then
``--hypothesis-seed`` chooses them)."""

form_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12) | st.sampled_from([
    "", " ", "0", "1", "-1", "1.5", "²", "٣", "１２", "9" * 30, "1e3", "true", "false", "on",
    "AADSTS50076", "aadsts", "AADSTS", "50076", "PT5M", "5m", "181d", "P99999999999W",
    "2026-03-02T10:00:00Z", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "\x00", "\u202e",
    "A" * 300, ALICE, DEFAULT_DOMAIN, DEFAULT_TENANT_ID, REFERENCE_RP_CLIENT_ID, "nan", "inf",
])
header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7e), max_size=20) | \
    st.sampled_from(["", "null", "http://testserver", "http://testserver:80", "HTTP://TESTSERVER",
                     "http://evil.test", "http://[::1", "http://testserver:99999",
                     "https://testserver", "file://", "same-origin", "none", "cross-site",
                     "same-site", " Same-Origin ", "application/json",
                     "application/json; charset=utf-8", "text/plain", FORM, "true", "TRUE"])
json_scalar = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70),
                        st.floats(allow_nan=False, allow_infinity=False), form_text)
json_value = st.recursive(json_scalar, lambda inner: st.lists(inner, max_size=3)
                          | st.dictionaries(form_text, inner, max_size=3), max_leaves=6)


@pytest.fixture(scope="module")
def client() -> Iterator[AppClient]:
    """The default directory on a frozen clock; events it sends are answered 200 in process."""
    events = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(200)))
    app = create_app(IdpConfig.default(clock=MockClock(frozen_at=START)), http_client=events)
    with AppClient(app, follow_redirects=False, raise_server_exceptions=False) as made:
        yield made


def _csrf(client: AppClient) -> str:
    return csrf_token(client.app.state.idp)  # type: ignore[attr-defined]


def _sound(response: httpx.Response, where: object) -> None:
    assert response.status_code < 500, (where, response.text[:400])
    assert "Traceback" not in response.text and 'File "' not in response.text, where


def _console_refusal_names(response: httpx.Response, field: str | None = None) -> str:
    """The field a console page's refusal names (``<code>field</code>`` in its error)."""
    assert 400 <= response.status_code < 500, response.text[:300]
    error = response.text.split('id="error"')[1].split("</p>")[0]
    named = re.findall(r"<code>([^<]*)</code>", error)
    assert named, error
    if field is not None:
        assert field in named, (field, error)
    return named[0]


def _post_form(client: AppClient, action: str, pairs: list[tuple[str, str]]) -> httpx.Response:
    return client.post(f"{CONSOLE}/{action}", content=str(httpx.QueryParams(pairs)),
                       headers={"Content-Type": FORM})


ARM_FIELDS = ["kind", "endpoint", "tenant", "app", "user", "times", "code", "status",
              "retry_after", "delay_ms", "seconds", "error", "suberror"]
ARM_VALUES: dict[str, list[str]] = {
    "kind": ["error", "status", "throttle", "latency", "hang", "outage", "bad_signature",
             "lt_nonce", "drop"],
    "endpoint": ["token", "authorize", "userinfo", "logout_token", "discovery", "jwks"],
    "status": ["400", "429", "502", "503", "99", "600"], "retry_after": ["0", "30", "86401"],
    "delay_ms": ["1", "0", "60001"], "seconds": ["0.5", "1", "3601"],
    "code": ["AADSTS50076", "50076", "aadsts700016"], "error": ["invalid_grant", "x y"],
    "suberror": ["consent_required", "basic_action"],
}


@fuzz_settings
@given(fields=st.lists(st.tuples(st.sampled_from(ARM_FIELDS), st.data()), max_size=6,
                       unique_by=lambda f: f[0]))
def test_the_console_arm_form_arms_a_fault_or_refuses_naming_a_field(
        client: AppClient, fields: list[tuple[str, Any]]) -> None:
    pairs = [("csrf", _csrf(client))]
    for name, data in fields:
        plausible = st.sampled_from(ARM_VALUES.get(name, ["x"]))
        pairs.append((name, data.draw(plausible | form_text)))
    before = client.get("/_mock/faults").json()
    response = _post_form(client, "arm", pairs)
    _sound(response, pairs)
    try:
        if response.status_code == 303:
            assert len(client.get("/_mock/faults").json()["faults"]) == \
                len(before["faults"]) + 1
        else:
            _console_refusal_names(response)
            assert client.get("/_mock/faults").json() == before, pairs
    finally:
        client.delete("/_mock/faults")


@fuzz_settings
@given(field=st.sampled_from(["advance", "now", "freeze", None]), value=form_text,
       extra=st.sampled_from([[], [("advance", "1m")], [("now", "")], [("freeze", "true")]]))
def test_the_console_clock_form_moves_the_clock_or_refuses_naming_a_field(
        client: AppClient, field: str | None, value: str, extra: list[tuple[str, str]]) -> None:
    clock = client.app.state.idp.clock  # type: ignore[attr-defined]
    clock.freeze()
    clock.set(START)
    pairs = [("csrf", _csrf(client)), *([(field, value)] if field else []),
             *(e for e in extra if e[0] != field)]
    response = _post_form(client, "clock", pairs)
    _sound(response, pairs)
    if response.status_code != 303:
        named = _console_refusal_names(response)
        assert named in {"advance", "now", "freeze"}, (named, pairs)
        assert clock.now() == START and clock.frozen, pairs


@fuzz_settings
@given(pairs=st.lists(st.tuples(st.sampled_from(["confirm", "clock", "keys", "csrf", "x"]),
                                form_text | st.just("on")), max_size=5))
def test_the_console_reset_form_resets_only_when_confirmed_and_refuses_twice_given_fields(
        client: AppClient, pairs: list[tuple[str, str]]) -> None:
    # keys=on would generate a key pair on each example: slow, not odd
    pairs = [("csrf", _csrf(client)), *((k, v) for k, v in pairs if k != "keys")]
    client.post("/_mock/faults", json={"kind": "error", "endpoint": "userinfo", "code": 50076})
    response = _post_form(client, "reset", pairs)
    _sound(response, pairs)
    names = [k for k, _ in pairs]
    faults = client.get("/_mock/faults").json()["faults"]
    try:
        if response.status_code == 303:
            assert dict(pairs).get("confirm") == "on" and len(set(names)) == len(names)
            assert faults == []
        else:
            named = _console_refusal_names(response)
            twice = [n for n in names if names.count(n) > 1]
            assert named == (twice[0] if twice else "confirm") or named == "csrf", (named, pairs)
            assert len(faults) == 1, pairs
    finally:
        client.delete("/_mock/faults")
        client.app.state.idp.clock.set(START)  # type: ignore[attr-defined]


CONTROL_CHANGES = [("POST", "/_mock/clock", b'{"advance": "0s"}'),
                   ("DELETE", "/_mock/faults", b""), ("POST", "/_mock/events/run", b""),
                   ("POST", "/_mock/faults", b'{"kind": "error", "endpoint": "userinfo", '
                                             b'"code": 50076}'),
                   ("DELETE", "/_mock/requests", b""), ("PUT", "/_mock/clock", b"{}")]


@fuzz_settings
@given(change=st.sampled_from(CONTROL_CHANGES), origin=st.none() | header_text,
       fetch_site=st.none() | header_text, content_type=st.none() | header_text)
def test_a_control_change_from_any_origin_is_taken_or_refused_naming_origin_or_type(
        client: AppClient, change: tuple[str, str, bytes], origin: str | None,
        fetch_site: str | None, content_type: str | None) -> None:
    method, path, body = change
    headers = {name: value for name, value in (
        ("Origin", origin), ("Sec-Fetch-Site", fetch_site), ("Content-Type", content_type))
        if value is not None}
    before = client.get("/_mock/faults").json()
    response = client.request(method, path, content=body, headers=headers)
    _sound(response, (change, headers))
    try:
        if response.status_code >= 400:
            error = response.json()["error"]
            assert set(error) == {"code", "message", "field"}, error
            if response.status_code == 403:
                assert error["field"] == "origin"
            if response.status_code == 415:
                assert error["field"] == "content-type"
            assert client.get("/_mock/faults").json() == before
    finally:
        client.delete("/_mock/faults")


@pytest.fixture(scope="module")
def installation(client: AppClient) -> str:
    made = client.post("/_mock/installations", json={
        "app_id": REFERENCE_RP_CLIENT_ID, "tenant": DEFAULT_TENANT_ID,
        "events_url": "http://127.0.0.1:9/events"})
    assert made.status_code == 201, made.text
    return str(made.json()["installation"]["installation_id"])


@fuzz_settings
@given(body=st.dictionaries(st.sampled_from(["user_id", "user_email"]) | form_text,
                            st.sampled_from(["u-1", "u@x.test", ALICE]) | json_value,
                            max_size=3))
def test_an_installations_logout_is_sent_or_refused_naming_its_field(
        client: AppClient, installation: str, body: dict[str, Any]) -> None:
    events = len(client.get("/_mock/events").json()["events"])
    response = client.post(f"/_mock/installations/{installation}/logout", json=body)
    _sound(response, body)
    if response.status_code >= 400:
        error = response.json()["error"]
        named = error["field"].rstrip("…")  # a long name cut short, or "user_id[0]" inside one
        assert any(f.startswith(named) or named.startswith(f)
                   for f in {*body, "body", "user_id", "user_email"}), (error, body)
        assert len(client.get("/_mock/events").json()["events"]) == events, body


@fuzz_settings
@given(ask=st.none() | header_text, sent=st.none() | header_text | st.text(max_size=40),
       path=st.sampled_from([f"/{DEFAULT_TENANT_ID}/v2.0/.well-known/openid-configuration",
                             f"/{DEFAULT_TENANT_ID}/oauth2/v2.0/token",
                             f"/{DEFAULT_TENANT_ID}/discovery/v2.0/keys"]))
def test_the_client_request_id_comes_back_as_sent_or_not_at_all(
        client: AppClient, ask: str | None, sent: str | None, path: str) -> None:
    headers = {name: value.encode() for name, value in (
        ("return-client-request-id", ask), ("client-request-id", sent)) if value is not None}
    method = "POST" if path.endswith("/token") else "GET"
    response = client.request(method, path, headers=headers)
    _sound(response, headers)
    echoed = response.headers.get_list("client-request-id")
    assert len(echoed) <= 1, echoed
    if echoed:
        assert (ask or "").strip().lower() == "true"
        assert echoed[0].encode("latin-1") == headers["client-request-id"], (echoed, headers)


@fuzz_settings
@given(claims=json_value | st.fixed_dictionaries({}, optional={
    kind: st.lists(st.fixed_dictionaries({"name": st.sampled_from(
        ["xms_edov", "email", "login_hint", "upn", "XMS_EDOV", ""]) | form_text},
        optional={"essential": json_value, "source": json_value,
                  "additionalProperties": json_value}) | json_value, max_size=3) | json_value
    for kind in ("idToken", "accessToken", "saml2Token")}))
def test_graph_takes_an_apps_optional_claims_or_refuses_them_leaving_the_app_as_it_was(
        client: AppClient, claims: Any) -> None:
    before = client.get(GRAPH_APP).json()
    response = client.patch(GRAPH_APP, json={"optionalClaims": claims})
    _sound(response, claims)
    try:
        if response.status_code >= 400:
            assert {"code", "message"} <= set(response.json()["error"]), response.text
            assert client.get(GRAPH_APP).json() == before, claims
    finally:
        client.patch(GRAPH_APP, json={"optionalClaims": before.get("optionalClaims")})


def _refresh_token(client: AppClient) -> str:
    """Alice signs in to the reference app (code flow) for a refresh token."""
    params = {"client_id": REFERENCE_RP_CLIENT_ID, "response_type": "code",
              "redirect_uri": REDIRECT, "scope": "openid profile offline_access",
              "state": "s", "nonce": "n"}
    page = client.get(f"/{DEFAULT_TENANT_ID}/oauth2/v2.0/authorize", params=params)
    answers = sign_in_answers(ALICE, "P@ssw0rd-alice")
    while page.status_code == 200:
        action, ctx = next_form(page.text)
        page = client.post(action, data={"ctx": ctx, **next(answers)})
    code = httpx.URL(page.headers["location"]).params["code"]
    tokens = client.post(f"/{DEFAULT_TENANT_ID}/oauth2/v2.0/token", data={
        "grant_type": "authorization_code", "client_id": REFERENCE_RP_CLIENT_ID,
        "client_secret": REFERENCE_RP_SECRET, "code": code, "redirect_uri": REDIRECT})
    assert tokens.status_code == 200, tokens.text
    return str(tokens.json()["refresh_token"])


SCOPE_PARTS = ["openid", "profile", "email", "offline_access", ".default", "/.default",
               "https://graph.microsoft.com/.default", "https://graph.microsoft.com//.default",
               "https://graph.microsoft.com/User.Read", "User.Read", "user.read", "",
               "00000003-0000-0000-c000-000000000000/.default", "api://orders/.default",
               "api://orders/Orders.Read", "api://nowhere/x", "//", "/", "a//b", "é",
               "https://graph.microsoft.com/", "https://graph.microsoft.com", "x" * 500,
               f"api://{REFERENCE_RP_CLIENT_ID}/.default", "https://GRAPH.microsoft.com/.DEFAULT"]


@fuzz_settings
@given(parts=st.lists(st.sampled_from(SCOPE_PARTS) | form_text, max_size=6),
       sep=st.sampled_from([" ", "  ", "+", "\t", ","]))
def test_a_refresh_for_any_scope_string_answers_a_scope_or_an_oauth_error(
        client: AppClient, parts: list[str], sep: str) -> None:
    if not hasattr(client, "_fuzz_refresh"):
        client._fuzz_refresh = _refresh_token(client)  # type: ignore[attr-defined]
    scope = sep.join(parts)
    response = client.post(f"/{DEFAULT_TENANT_ID}/oauth2/v2.0/token", data={
        "grant_type": "refresh_token", "client_id": REFERENCE_RP_CLIENT_ID,
        "client_secret": REFERENCE_RP_SECRET, "scope": scope,
        "refresh_token": client._fuzz_refresh})  # type: ignore[attr-defined]
    _sound(response, scope)
    body = response.json()
    if response.status_code == 200:
        echoed = body["scope"].split(" ")
        assert all(echoed) and len(set(echoed)) == len(echoed), (scope, body["scope"])
    else:
        assert {"error", "error_description", "error_codes"} <= set(body), body
