"""The test-control API under /_mock/: health, tenants, reset, clock, keys and the request log."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from asgi_client import AppClient
from starlette.applications import Starlette
from starlette.middleware import Middleware

from mock_idp.clock import MockClock, SystemClock
from mock_idp.config import DEFAULT_DOMAIN, DEFAULT_TENANT_ID, REFERENCE_RP_CLIENT_ID, IdpConfig
from mock_idp.endpoints import control, graph
from mock_idp.endpoints.control import parse_duration, tenant_config_from_mapping
from mock_idp.faults import Fault
from mock_idp.request_log import RequestLogMiddleware, redact_query
from mock_idp.state import IdpState

START = datetime(2026, 3, 2, 9, 30, 15, tzinfo=UTC)
PORTAL = "5d0c9a7e-1f2b-4c3d-9e8f-a1b2c3d4e5f6"
FABRIKAM = {
    "id": "0b6f3c2a-7d41-4e9b-8a35-c2d1e0f9a874",
    "domain": "fabrikam.onmicrosoft.com",
    "name": "Fabrikam",
    "apps": [{"client_id": PORTAL, "name": "Portal",
              "redirect_uris": ["https://portal.test/cb"],
              "secrets": [{"value": "fab7Q~portal-secret-value-0123456789"}]}],
    "users": [{"upn": "zoe@fabrikam.onmicrosoft.com", "name": "Zoe", "password": "pw"}],
}


@pytest.fixture
def clock() -> MockClock:
    return MockClock(frozen_at=START)


@pytest.fixture
def state(clock: MockClock) -> IdpState:
    return IdpState.create(IdpConfig.default(clock=clock))


def make_client(state: IdpState) -> AppClient:
    app = Starlette(routes=[*graph.routes, *control.routes, *control.fallback_routes],
                    middleware=[Middleware(RequestLogMiddleware, store=state.store,
                                           clock=state.clock)])
    app.state.idp = state
    return AppClient(app)


@pytest.fixture
def client(state: IdpState) -> Iterator[AppClient]:
    with make_client(state) as c:
        yield c


def error_of(response: Any, status: int, field: str) -> str:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["field"] == field, error
    assert error["code"] and error["message"]
    message: str = error["message"]
    return message


def test_health(client: AppClient) -> None:
    body = client.get("/_mock/health").json()
    assert body == {"status": "ok", "now": "2026-03-02T09:30:15Z", "tenants": 1}


def test_unknown_path_and_wrong_method_are_json(client: AppClient) -> None:
    error_of(client.get("/_mock/nothing-here"), 404, "path")
    response = client.delete("/_mock/clock")
    error_of(response, 405, "method")
    assert response.headers["allow"] == "GET, POST"


# --- clock ----------------------------------------------------------------------------------

def test_read_the_clock(client: AppClient) -> None:
    assert client.get("/_mock/clock").json() == {
        "now": "2026-03-02T09:30:15Z", "frozen": True, "epoch": int(START.timestamp()),
    }


@pytest.mark.parametrize(("body", "expected"), [
    ({"advance_seconds": 90}, START + timedelta(seconds=90)),
    ({"advance_seconds": -29.5}, START - timedelta(seconds=29.5)),
    ({"advance": "PT5M"}, START + timedelta(minutes=5)),
    ({"advance": "181d"}, START + timedelta(days=181)),
    ({"advance": "P1DT2H"}, START + timedelta(days=1, hours=2)),
    ({"now": "2027-01-01T00:00:00Z"}, datetime(2027, 1, 1, tzinfo=UTC)),
    ({"now": "2027-01-01T02:00:00+02:00"}, datetime(2027, 1, 1, tzinfo=UTC)),
])
def test_move_the_clock(client: AppClient, clock: MockClock, body: dict[str, Any],
                        expected: datetime) -> None:
    response = client.post("/_mock/clock", json=body)
    assert response.status_code == 200, response.text
    assert clock.now().replace(microsecond=0) == expected.replace(microsecond=0)
    assert response.json()["now"] == expected.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_freeze_and_unfreeze(client: AppClient, clock: MockClock) -> None:
    assert client.post("/_mock/clock", json={"freeze": False}).json()["frozen"] is False
    assert not clock.frozen
    assert client.post("/_mock/clock", json={"freeze": True}).json()["frozen"] is True
    assert clock.frozen


@pytest.mark.parametrize(("text", "seconds"), [
    ("PT5M", 300), ("pt30s", 30), ("P1DT2H3M4S", 93784), ("P2W", 1209600), ("-PT1H", -3600),
    ("PT0.5S", 0.5), ("5m", 300), ("2h", 7200), ("181d", 181 * 86400), ("1h30m", 5400),
    ("-10s", -10), ("250ms", 0.25), ("1.5h", 5400),
])
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "P", "PT", "P1DT", "5", "5x", "m5", "P1Y", "P2M", "soon"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize(("body", "field"), [
    ({}, "body"),
    ({"advance_seconds": 5, "advance": "5m"}, "advance"),
    ({"advance_seconds": "5"}, "advance_seconds"),
    ({"advance_seconds": True}, "advance_seconds"),
    ({"advance_seconds": 1e308}, "advance_seconds"),
    ({"advance_seconds": 10**400}, "advance_seconds"),
    ({"advance": "5Y"}, "advance"),
    ({"advance": "P1Y"}, "advance"),
    ({"advance": "99999999d"}, "advance"),
    ({"advance": "x" * 1000}, "advance"),
    ({"advance": 5}, "advance"),
    ({"now": "tomorrow"}, "now"),
    ({"now": "0001-01-01T00:00:00Z"}, "now"),
    ({"now": None}, "now"),
    ({"freeze": "yes"}, "freeze"),
    ({"rewind": 5}, "rewind"),
])
def test_move_the_clock_rejects_bad_input(client: AppClient, clock: MockClock,
                                          body: dict[str, Any], field: str) -> None:
    error_of(client.post("/_mock/clock", json=body), 400, field)
    assert clock.now() == START


def test_move_the_clock_rejects_years_with_a_hint(client: AppClient) -> None:
    message = error_of(client.post("/_mock/clock", json={"advance": "P1Y"}), 400, "advance")
    assert "days" in message


@pytest.mark.parametrize(("content", "content_type", "status", "field"), [
    (b"{", "application/json", 400, "body"),
    (b'{"advance_seconds": NaN}', "application/json", 400, "body"),
    (b'{"advance_seconds": Infinity}', "application/json", 400, "body"),
    (b'"5m"', "application/json", 400, "body"),
    (b"advance_seconds=5", "application/x-www-form-urlencoded", 415, "content-type"),
    (b"{}" + b" " * 300_000, "application/json", 413, "body"),
])
def test_malformed_bodies(client: AppClient, content: bytes, content_type: str, status: int,
                          field: str) -> None:
    response = client.post("/_mock/clock", content=content,
                           headers={"content-type": content_type})
    error_of(response, status, field)


def test_a_system_clock_cannot_move() -> None:
    with make_client(IdpState.create(IdpConfig.default(clock=SystemClock()))) as client:
        error_of(client.post("/_mock/clock", json={"advance": "5m"}), 409, "clock")
        assert client.get("/_mock/clock").json()["frozen"] is False


# --- tenants and reset ----------------------------------------------------------------------

def test_list_tenants(client: AppClient) -> None:
    [tenant] = client.get("/_mock/tenants").json()["tenants"]
    assert tenant["id"] == DEFAULT_TENANT_ID and tenant["domain"] == DEFAULT_DOMAIN
    assert tenant["authority"] == f"http://testserver/{DEFAULT_TENANT_ID}"
    assert tenant["issuer"] == f"http://testserver/{DEFAULT_TENANT_ID}/v2.0"


def test_create_and_delete_a_tenant(client: AppClient, state: IdpState) -> None:
    response = client.post("/_mock/tenants", json=FABRIKAM)
    assert response.status_code == 201, response.text
    assert response.json()["users"] == 1
    users = client.get("/graph/fabrikam.onmicrosoft.com/v1.0/users").json()["value"]
    assert [u["userPrincipalName"] for u in users] == ["zoe@fabrikam.onmicrosoft.com"]
    app = state.store.tenants[FABRIKAM["id"]].apps["5d0c9a7e-1f2b-4c3d-9e8f-a1b2c3d4e5f6"]
    assert app.secrets[0].end == START + timedelta(days=180)
    error_of(client.post("/_mock/tenants", json=FABRIKAM), 409, "id")
    same_domain = {**FABRIKAM, "id": "1b6f3c2a-7d41-4e9b-8a35-c2d1e0f9a874"}
    error_of(client.post("/_mock/tenants", json=same_domain), 409, "domain")
    assert client.delete("/_mock/tenants/fabrikam.onmicrosoft.com").status_code == 204
    assert FABRIKAM["id"] not in state.store.tenants
    error_of(client.delete(f"/_mock/tenants/{FABRIKAM['id']}"), 404, "tenant")


def test_a_posted_tenant_sets_the_v1_signing_switch(client: AppClient) -> None:
    app = {**FABRIKAM["apps"][0], "sign_v1_id_tokens": True}  # type: ignore[dict-item]
    response = client.post("/_mock/tenants", json={**FABRIKAM, "apps": [app]})
    assert response.status_code == 201, response.text
    graph_app = client.get(f"/graph/fabrikam.onmicrosoft.com/v1.0/applications(appId='"
                           f"{app['client_id']}')").json()
    assert graph_app["signV1IdTokens"] is True
    bad = client.post("/_mock/tenants", json={
        **FABRIKAM, "id": "1b6f3c2a-7d41-4e9b-8a35-c2d1e0f9a874", "domain": "other.test",
        "apps": [{**app, "sign_v1_id_tokens": "yes"}]})
    assert bad.status_code == 400 and "sign_v1_id_tokens" in bad.json()["error"]["field"]


@pytest.mark.parametrize(("changes", "field"), [
    ({"id": "not-a-guid"}, "id"),
    ({"id": None}, "id"),
    ({"domain": ""}, "domain"),
    ({"region": 5}, "region"),
    ({"colour": "blue"}, "colour"),
    ({"apps": "Portal"}, "apps"),
    ({"apps": [5]}, "apps"),
    ({"apps": [{"name": "no client id"}]}, "apps[0].client_id"),
    ({"apps": [{"client_id": PORTAL, "redirect_uris": "https://a"}]}, "apps[0].redirect_uris"),
    ({"apps": [{"client_id": PORTAL, "colour": "blue"}]}, "apps[0].colour"),
    ({"apps": [{"client_id": PORTAL, "secrets": [{"value": 5}]}]}, "apps[0].secrets[0].value"),
    ({"apps": [{"client_id": PORTAL, "secrets": [{"value": "v", "display_name": 5}]}]},
     "apps[0].secrets[0].display_name"),
    ({"apps": [{"client_id": PORTAL, "certificates": [{"pem_file": "/etc/passwd"}]}]},
     "apps[0].certificates[0].pem_file"),
    ({"apps": [{"client_id": PORTAL, "certificates": [{"pem": "not a pem"}]}]},
     "apps[0].certificates[0].pem"),
    ({"users": [{"name": "no upn", "password": "pw"}]}, "users[0].upn"),
    ({"users": [{"upn": "a@fabrikam.onmicrosoft.com", "password": "pw", "enabled": "yes"}]},
     "users[0].enabled"),
])
def test_create_tenant_rejects_bad_input(client: AppClient, state: IdpState,
                                         changes: dict[str, Any], field: str) -> None:
    error_of(client.post("/_mock/tenants", json={**FABRIKAM, **changes}), 400, field)
    assert list(state.store.tenants) == [DEFAULT_TENANT_ID]


@pytest.mark.parametrize(("changes", "status", "field"), [
    # An app id is one across Entra: another tenant's (or Microsoft Graph's) is refused.
    ({"apps": [{"client_id": REFERENCE_RP_CLIENT_ID, "name": "Impostor"}]}, 409,
     "apps[0].client_id"),
    ({"apps": [{"client_id": REFERENCE_RP_CLIENT_ID.upper(), "name": "Impostor"}]}, 409,
     "apps[0].client_id"),
    ({"apps": [{"client_id": "00000003-0000-0000-c000-000000000000", "name": "Graph"}]}, 409,
     "apps[0].client_id"),
    # No group nested in itself, directly or through another.
    ({"groups": [{"name": "G", "members": ["G"]}]}, 400, "groups[0].members"),
    ({"groups": [{"name": "F"}, {"name": "G", "members": ["H"]},
                 {"name": "H", "members": ["F", "G"]}]}, 400, "groups[1].members"),
])
def test_create_tenant_refuses_what_the_directory_forbids(
        client: AppClient, state: IdpState, changes: dict[str, Any], status: int,
        field: str) -> None:
    error_of(client.post("/_mock/tenants", json={**FABRIKAM, **changes}), status, field)
    assert list(state.store.tenants) == [DEFAULT_TENANT_ID]


def test_a_body_naming_a_member_twice_is_refused(client: AppClient, state: IdpState) -> None:
    raw = (b'{"id": "%s", "domain": "fabrikam.onmicrosoft.com", "name": "Fabrikam",'
           b' "domain": "evil.test"}' % str(FABRIKAM["id"]).encode())
    error_of(client.post("/_mock/tenants", content=raw,
                         headers={"content-type": "application/json"}), 400, "domain")
    nested = b'{"freeze": true, "x": {"a": 1, "a": 2}}'
    message = error_of(client.post("/_mock/clock", content=nested,
                                   headers={"content-type": "application/json"}), 400, "x.a")
    assert "more than once" in message
    assert list(state.store.tenants) == [DEFAULT_TENANT_ID]


def test_tenant_config_from_mapping() -> None:
    cfg = tenant_config_from_mapping(FABRIKAM)
    assert (cfg.id, cfg.domain, cfg.apps[0].name) == (FABRIKAM["id"], FABRIKAM["domain"],
                                                      "Portal")


def test_reset_restores_the_directory_but_keeps_the_clock(client: AppClient, state: IdpState,
                                                          clock: MockClock) -> None:
    fault = state.faults.arm(Fault(kind="status", endpoint="jwks", times=None))
    client.post("/_mock/tenants", json=FABRIKAM)
    client.post("/_mock/clock", json={"advance": "1d"})
    response = client.post("/_mock/reset")
    assert response.status_code == 200
    assert response.json()["now"] == "2026-03-03T09:30:15Z"
    assert list(state.store.tenants) == [DEFAULT_TENANT_ID]
    assert fault not in state.faults.list()
    assert client.post("/_mock/reset", json={"clock": True}).json()["frozen"] is False
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(minutes=1)
    error_of(client.post("/_mock/reset", json={"clock": "yes"}), 400, "clock")
    error_of(client.post("/_mock/reset", json={"everything": True}), 400, "everything")


# --- keys -----------------------------------------------------------------------------------

def test_keys_rotate_and_publish_extra(client: AppClient) -> None:
    first = client.get("/_mock/keys").json()
    assert [k["active"] for k in first["keys"]] == [True]
    rotated = client.post("/_mock/keys/rotate").json()
    assert rotated["active"] != first["active"]
    assert [k["kid"] for k in rotated["keys"]] == [rotated["active"], first["active"]]
    extra = client.post("/_mock/keys/publish-extra").json()
    assert extra["active"] == rotated["active"] and len(extra["keys"]) == 3
    assert [k["state"] for k in extra["keys"]] == ["active", "retired", "extra"]
    dropped = client.post("/_mock/keys/rotate", json={"retain_seconds": 0}).json()
    assert rotated["active"] not in [k["kid"] for k in dropped["keys"]]
    error_of(client.post("/_mock/keys/rotate", json={"retain_seconds": -1}), 400,
             "retain_seconds")
    error_of(client.post("/_mock/keys/rotate", json={"retain": 5}), 400, "retain")


# --- request log ----------------------------------------------------------------------------

def test_request_log_records_and_redacts(client: AppClient) -> None:
    client.get("/graph/contoso.onmicrosoft.com/v1.0/users",
               params={"client_secret": "s3cret", "refresh_token": "rt", "x": "1"})
    client.post("/graph/contoso.onmicrosoft.com/v1.0/applications", json={})
    client.get("/somewhere-else?password=hunter2")
    entries = client.get("/_mock/requests").json()["requests"]
    assert [(e["method"], e["status"]) for e in entries] == [("GET", 200), ("POST", 400),
                                                             ("GET", 404)]
    first = entries[0]
    assert first["path"] == "/graph/contoso.onmicrosoft.com/v1.0/users"
    assert first["query"] == "client_secret=[redacted]&refresh_token=[redacted]&x=1"
    assert first["time"] == "2026-03-02T09:30:15.000Z" and first["duration_ms"] >= 0
    assert "hunter2" not in str(entries)
    assert all(not e["path"].startswith("/_mock") for e in entries)
    only = client.get("/_mock/requests", params={"path": "/graph", "limit": "1"}).json()
    assert [e["method"] for e in only["requests"]] == ["POST"]
    assert client.delete("/_mock/requests").status_code == 204
    assert client.get("/_mock/requests").json()["requests"] == []


@pytest.mark.parametrize(("params", "field"), [
    ({"limit": "0"}, "limit"), ({"limit": "ten"}, "limit"), ({"limit": "99999"}, "limit"),
    ({"path": "/" * 3000}, "path"), ({"verbose": "1"}, "verbose"),
])
def test_request_log_rejects_bad_parameters(client: AppClient, params: dict[str, str],
                                            field: str) -> None:
    error_of(client.get("/_mock/requests", params=params), 400, field)


def test_redact_query() -> None:
    assert redact_query("") == ""
    assert redact_query("a=1&CLIENT_ASSERTION=x&code_verifier=y") == (
        "a=1&CLIENT_ASSERTION=[redacted]&code_verifier=[redacted]")


def test_create_app_mounts_the_control_api_and_the_request_log() -> None:
    from mock_idp.app import create_app

    with AppClient(create_app(IdpConfig.default(clock=MockClock(frozen_at=START)))) as client:
        assert client.get("/_mock/health").json()["status"] == "ok"
        client.get(f"/{DEFAULT_TENANT_ID}/v2.0/.well-known/openid-configuration",
                   params={"client_secret": "abc"})
        [entry] = client.get("/_mock/requests").json()["requests"]
        assert entry["status"] == 200 and entry["query"] == "client_secret=[redacted]"
