"""Each malformed input found by fuzzing the mock: a 4xx in the route's own error shape, naming
the field, with nothing stored, and every later read still working."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from asgi_client import AppClient
from idp_testkit import ALICE, CLIENT_ID, DOMAIN, SECRET, TENANT, get_code, paths, redeem
from starlette.applications import Starlette

from mock_idp import create_app
from mock_idp.config import REFERENCE_RP_CLIENT_ID, IdpConfig
from mock_idp.endpoints.payload import parse_json
from mock_idp.state import IdpState

G = f"/graph/{DOMAIN}/v1.0"
SURROGATE = b'"\\ud800"'
"""A lone surrogate as JSON spells it: valid JSON, not encodable as UTF-8."""
FABRIKAM: dict[str, Any] = {"id": "0b6f3c2a-7d41-4e9b-8a35-c2d1e0f9a874",
                            "domain": "fabrikam.onmicrosoft.com", "name": "Fabrikam"}


@pytest.fixture
def lenient(idp_app: Starlette) -> Iterator[AppClient]:
    with AppClient(idp_app, follow_redirects=False, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def state(idp_app: Starlette) -> IdpState:
    value: IdpState = idp_app.state.idp
    return value


def send(client: AppClient, method: str, path: str, raw: bytes) -> httpx.Response:
    return client.request(method, path, content=raw,
                          headers={"content-type": "application/json"})


def refused(response: httpx.Response, field: str, status: int = 400) -> dict[str, Any]:
    """The ``/_mock/`` shape, ``{"error": {"code", "message", "field"}}``."""
    assert response.status_code == status, response.text[:300]
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] and error["message"]
    assert error["field"] == field, error
    return error


def graph_refused(response: httpx.Response, target: str, status: int = 400) -> dict[str, Any]:
    """Graph's shape, ``{"error": {"code", "message", "target", "innerError"}}``."""
    assert response.status_code == status, response.text[:300]
    error: dict[str, Any] = response.json()["error"]
    assert set(error) >= {"code", "message", "innerError"}
    assert error.get("target") == target, error
    return error


def install(client: AppClient) -> str:
    response = client.post("/_mock/installations", json={
        "app_id": REFERENCE_RP_CLIENT_ID, "tenant": TENANT,
        "events_url": "http://127.0.0.1:9/events"})
    assert response.status_code == 201, response.text
    installation_id: str = response.json()["installation"]["installation_id"]
    return installation_id


# --- lone surrogates ----------------------------------------------------------------------

def test_a_surrogate_in_a_graph_user_is_refused_and_users_still_list(
        lenient: AppClient) -> None:
    graph_refused(send(lenient, "PATCH", f"{G}/users/{ALICE}",
                       b'{"displayName": ' + SURROGATE + b"}"), "displayName")
    graph_refused(send(lenient, "POST", f"{G}/users",
                       b'{"displayName": ' + SURROGATE + b', "userPrincipalName": "zed@'
                       + DOMAIN.encode() + b'", "passwordProfile": {"password": "pw"}}'),
                  "displayName")
    users = lenient.get(f"{G}/users")
    assert users.status_code == 200
    assert "zed@" not in users.text
    assert lenient.get(f"{G}/users/{ALICE}").json()["displayName"] == "Alice Adams"


def test_a_surrogate_in_a_graph_application_is_refused_and_nothing_is_created(
        lenient: AppClient) -> None:
    graph_refused(send(lenient, "POST", f"{G}/applications",
                       b'{"displayName": "ok", "web": {"redirectUris": [' + SURROGATE + b"]}}"),
                  "web.redirectUris[0]")
    apps = lenient.get(f"{G}/applications")
    assert apps.status_code == 200
    assert [a["appId"] for a in apps.json()["value"]] == [REFERENCE_RP_CLIENT_ID]


@pytest.mark.parametrize(("method", "path", "raw", "field"), [
    ("POST", "/_mock/tenants",
     b'{"id": "0b6f3c2a-7d41-4e9b-8a35-c2d1e0f9a874", "name": "F", "domain": ' + SURROGATE
     + b"}", "domain"),
    ("POST", "/_mock/faults",
     b'{"kind": "error", "endpoint": "token", "code": 50000, "error": ' + SURROGATE + b"}",
     "error"),
    ("POST", "/_mock/installations/{id}/logout",
     b'{"user_id": "u", "user_email": ' + SURROGATE + b"}", "user_email"),
])
def test_a_surrogate_in_a_control_field_is_refused_and_collections_still_read(
        lenient: AppClient, method: str, path: str, raw: bytes, field: str) -> None:
    path = path.replace("{id}", install(lenient)) if "{id}" in path else path
    refused(send(lenient, method, path, raw), field)
    for collection in ("/_mock/tenants", "/_mock/faults", "/_mock/installations",
                       "/_mock/events", "/_mock/deliveries"):
        assert lenient.get(collection).status_code == 200, collection
    assert lenient.get("/_mock/faults").json() == {"faults": []}
    assert len(lenient.get("/_mock/tenants").json()["tenants"]) == 1


@pytest.mark.parametrize("path", [f"{G}/users", "/_mock/faults", "/_mock/tenants"])
def test_a_surrogate_member_name_is_refused_and_echoed_escaped(lenient: AppClient,
                                                               path: str) -> None:
    response = send(lenient, "POST", path, b'{"\\ud800x": 1}')
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    named = error.get("field", error.get("target"))
    assert named == "\\ud800x"
    response.content.decode("utf-8")  # the answer itself is valid UTF-8


# --- URLs at the token endpoint -----------------------------------------------------------

@pytest.mark.parametrize("redirect_uri", [
    "http://[::1/cb", "http://localhost:80:80/auth/callback", "http://localhost:99999/cb",
    "http://localhost/auth/callback\x00",
])
def test_an_unparseable_redirect_uri_with_a_real_code_is_entras_500112(
        lenient: AppClient, redirect_uri: str) -> None:
    grant = get_code(lenient)
    response = lenient.post(paths(TENANT, "2.0")["token"], data={
        "grant_type": "authorization_code", "client_id": CLIENT_ID, "client_secret": SECRET,
        "code": grant.code,
        "redirect_uri": redirect_uri, "code_verifier": grant.verifier})
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "invalid_client" and body["error_codes"] == [500112]
    assert redeem(lenient, grant).status_code == 200


# --- depth ----------------------------------------------------------------------------------

APP = f"{G}/applications(appId='{CLIENT_ID}')"
JSON_ROUTES = [
    ("POST", "/_mock/faults"), ("POST", "/_mock/installations"),
    ("POST", "/_mock/installations/{id}/rotate"), ("POST", "/_mock/installations/{id}/logout"),
    ("POST", "/_mock/event-keys/rotate"), ("POST", "/_mock/tenants"), ("POST", "/_mock/clock"),
    ("POST", "/_mock/reset"), ("POST", "/_mock/keys/rotate"),
    ("POST", "/_mock/keys/publish-extra"),
    ("POST", f"{G}/users"), ("PATCH", f"{G}/users/{ALICE}"),
    ("POST", f"{G}/users/{ALICE}/revokeSignInSessions"),
    ("POST", f"{G}/users/{ALICE}/appRoleAssignments"),
    ("POST", f"{G}/applications"), ("PATCH", APP), ("POST", f"{APP}/addPassword"),
    ("POST", f"{APP}/removePassword"),
]
"""Every route that reads a JSON body."""


@pytest.mark.parametrize(("method", "path"), JSON_ROUTES)
@pytest.mark.parametrize("raw", [b"[" * 100_000, b'{"a":' * 50 + b"1" + b"}" * 50])
def test_deeply_nested_json_is_refused(lenient: AppClient, state: IdpState, method: str,
                                       path: str, raw: bytes) -> None:
    path = path.replace("{id}", install(lenient)) if "{id}" in path else path
    now = state.clock.now()
    response = send(lenient, method, path, raw)
    assert response.status_code == 400, response.text[:300]
    assert "deeper" in response.json()["error"]["message"]
    assert state.clock.now() - now < timedelta(minutes=1)  # nothing done: no clock moved
    assert lenient.get(f"{G}/users/{ALICE}").json()["displayName"] == "Alice Adams"


@pytest.mark.parametrize(("raw", "field"), [
    (b"[" * 5_000 + b"]" * 5_000, "body"),
    (b'{"a":' * 5_000 + b"1" + b"}" * 5_000, "body"),
    (b'{"a":' * 40 + b"1" + b"}" * 40, ".".join(["a"] * 32)),
])
def test_a_body_nested_past_the_parsers_reach_names_the_body_on_every_python(
        lenient: AppClient, raw: bytes, field: str) -> None:
    # Python 3.13's parser reads 5,000 levels that 3.11's gives up on: the body is refused as a
    # whole on both, and a body the parser reads names the member that nests too deep.
    refused(send(lenient, "POST", "/_mock/faults", raw), field)


def test_brackets_inside_strings_are_not_nesting() -> None:
    text = '{"a": "' + '[{\\"' * 600 + '", "b": [["]]]"]]}'
    assert parse_json(text.encode()) == {"a": '[{"' * 600, "b": [["]]]"]]}


# --- numbers --------------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "body", "field"), [
    ("/_mock/event-keys/rotate", b'{"retain_seconds": 9223372036854775808}', "retain_seconds"),
    ("/_mock/event-keys/rotate", b'{"retain_seconds": 1.5}', "retain_seconds"),
    ("/_mock/event-keys/rotate", b'{"retain_seconds": true}', "retain_seconds"),
    ("/_mock/keys/rotate", b'{"retain_seconds": ' + b"7" * 400 + b"}", "retain_seconds"),
    ("/_mock/keys/rotate", b'{"retain_seconds": 1e400}', "retain_seconds"),
    ("/_mock/installations", b'{"app_id": ' + b"5" * 5001 + b', "tenant": "x"}', "app_id"),
    ("/_mock/clock", b'{"advance_seconds": -1e400}', "advance_seconds"),
    ("/_mock/faults", b'{"kind": "error", "endpoint": "token", "code": 99999999999}', "code"),
])
def test_numbers_out_of_range_are_refused(lenient: AppClient, path: str, body: bytes,
                                          field: str) -> None:
    refused(send(lenient, "POST", path, body), field)


@pytest.mark.parametrize(("secret_or_cert", "field"), [
    ({"secrets": [{"value": "v", "expires_in_days": 2147483648}]},
     "apps[0].secrets[0].expires_in_days"),
    ({"secrets": [{"value": "v", "end": "9999-12-31T23:59:59-05:00"}]}, "apps[0].secrets[0].end"),
    ({"certificates": [{"pem": True}]}, "apps[0].certificates[0].pem"),
    ({"redirect_uris": ["http://[::1/cb"]}, "apps[0].redirect_uris[0]"),
    ({"logout_url": "http://localhost:80:80/a"}, "apps[0].logout_url"),
])
def test_tenant_values_out_of_range_are_refused(lenient: AppClient, state: IdpState,
                                                secret_or_cert: dict[str, Any],
                                                field: str) -> None:
    app = {"client_id": "5d0c9a7e-1f2b-4c3d-9e8f-a1b2c3d4e5f6", "name": "Portal",
           **secret_or_cert}
    refused(lenient.post("/_mock/tenants", json={**FABRIKAM, "apps": [app]}), field)
    assert list(state.store.tenants) == [TENANT]


# --- the shape of an unexpected failure ---------------------------------------------------

def test_an_unexpected_failure_under_graph_answers_in_graphs_shape(
        lenient: AppClient, state: IdpState, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(segment: str) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(state.store, "resolve_tenant", broken)
    response = lenient.get(f"{G}/users")
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["code"] == "generalException" and "innerError" in error
    assert "AADSTS" not in response.text and "boom" not in response.text


def test_an_unexpected_failure_under_mock_answers_in_its_shape(
        lenient: AppClient, state: IdpState, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(state.faults, "list", broken)
    response = lenient.get("/_mock/faults")
    assert response.status_code == 500
    assert set(response.json()["error"]) == {"code", "message", "field"}
    assert "AADSTS" not in response.text and "boom" not in response.text


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_a_wrong_method_under_mock_names_the_method(lenient: AppClient, method: str) -> None:
    for path in ("/_mock/faults", "/_mock/installations", "/_mock/notifications",
                 "/_mock/event-keys/rotate"):
        refused(lenient.request(method, path), "method", 405)


# --- found while fuzzing: queries, dates, URLs and form charsets ---------------------------

def test_non_ascii_digits_in_paging_queries_are_refused(lenient: AppClient) -> None:
    graph_refused(lenient.get(f"{G}/users", params={"$top": "²"}), "$top")
    refused(lenient.get("/_mock/requests", params={"limit": "٣"}), "limit")


def test_a_secret_ending_at_the_end_of_time_is_refused(lenient: AppClient) -> None:
    app = lenient.get(f"{G}/applications").json()["value"][0]["id"]
    response = lenient.post(f"{G}/applications/{app}/addPassword", json={
        "passwordCredential": {"startDateTime": "9999-12-31T23:00:00-05:00"}})
    graph_refused(response, "passwordCredential.startDateTime")


@pytest.mark.parametrize("url", ["http://[::1/e", "http://a.test:80:80/e", "http://a b/",
                                 "https://a.test/\x00"])
def test_unusable_urls_are_refused_where_they_are_registered(lenient: AppClient,
                                                             url: str) -> None:
    response = lenient.post(f"{G}/applications", json={
        "displayName": "x", "web": {"redirectUris": [url]}})
    graph_refused(response, "web.redirectUris[0]")
    refused(lenient.post("/_mock/installations", json={
        "app_id": REFERENCE_RP_CLIENT_ID, "tenant": TENANT, "events_url": url}), "events_url")


@pytest.mark.parametrize("version", [2.0, 1.0, True, "2"])
def test_a_token_version_that_is_no_integer_is_refused(lenient: AppClient, version: Any) -> None:
    response = lenient.post(f"{G}/applications", json={
        "displayName": "x", "api": {"requestedAccessTokenVersion": version}})
    graph_refused(response, "api.requestedAccessTokenVersion")
    assert [a["displayName"] for a in lenient.get(f"{G}/applications").json()["value"]] \
        == ["Reference relying party"]


def _odd_charset_form(field: str) -> tuple[bytes, dict[str, str]]:
    body = (b'--b\r\nContent-Disposition: form-data; name="' + field.encode()
            + b'"\r\n\r\n\\ud800\r\n--b--\r\n')
    return body, {"content-type": "multipart/form-data; boundary=b; charset=unicode_escape"}


def test_a_form_that_decodes_to_a_lone_surrogate_is_90056(lenient: AppClient) -> None:
    body, headers = _odd_charset_form("grant_type")
    response = lenient.post(paths(TENANT, "2.0")["token"], content=body, headers=headers)
    assert response.status_code == 400 and response.json()["error_codes"] == [90056]
    body, headers = _odd_charset_form("state")
    page = lenient.post(paths(TENANT, "2.0")["authorize"], content=body, headers=headers)
    assert page.status_code == 400 and "90056" in page.text


# --- found while fuzzing: the console ------------------------------------------------------

def test_console_refuses_odd_origins_tokens_and_numbers(lenient: AppClient,
                                                        state: IdpState) -> None:
    from mock_idp.endpoints.console import csrf_token

    token = csrf_token(state)
    assert lenient.post("/_mock/console/reset", data={"csrf": token},
                        headers={"origin": "http://[::1/cb"}).status_code == 403
    assert lenient.post("/_mock/console/reset", data={"csrf": "𝔘"}).status_code == 403
    for odd in ({"kind": "bad_signature", "times": "²"},
                {"kind": "error", "endpoint": "token", "code": "²"}):
        response = lenient.post("/_mock/console/arm", data={"csrf": token, **odd})
        assert response.status_code == 400, response.text[:300]
    assert lenient.get("/_mock/faults").json() == {"faults": []}
    assert lenient.get("/_mock/console", params={"refresh": "²"}).status_code == 200
    body, headers = _odd_charset_form("csrf")
    assert lenient.post("/_mock/console/reset", content=body,
                        headers=headers).status_code == 400


def test_a_refused_body_does_not_break_the_logs_that_show_bodies(lenient: AppClient) -> None:
    for raw in (b'{"a": "\\udfff"}', b'{"\\ud800": 1}', b"[" * 5000 + b"]" * 5000):
        assert send(lenient, "POST", f"{G}/users", raw).status_code == 400
    for path in ("/_mock/activity", "/_mock/requests", "/_mock/console"):
        assert lenient.get(path).status_code == 200, path


def test_a_receivers_refusal_in_utf_7_leaves_the_installation_and_the_logs_working() -> None:
    """A receiver that refuses an event with a body whose charset, UTF-7, spells a lone
    surrogate: the installation is made all the same, and the delivery log and the activity
    page, which show the refusal, still read."""
    events = httpx.AsyncClient(transport=httpx.MockTransport(lambda request: httpx.Response(
        400, content=b"refused +2AA- here", headers={"Content-Type": "text/plain; charset=utf-7"})))
    app = create_app(IdpConfig.default(), http_client=events)
    with AppClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
        made = client.post("/_mock/installations", json={
            "app_id": REFERENCE_RP_CLIENT_ID, "tenant": TENANT,
            "events_url": "http://rp.test/events"})
        assert made.status_code == 201, made.text
        deliveries = client.get("/_mock/deliveries")
        assert deliveries.status_code == 200, deliveries.text
        assert [d["detail"] for d in deliveries.json()["deliveries"]] == [
            "refused \\ud800 here"]
        for path in ("/_mock/activity", "/_mock/console", "/_mock/events"):
            assert client.get(path).status_code == 200, path
