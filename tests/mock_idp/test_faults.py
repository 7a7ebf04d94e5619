"""Response faults and the ``/_mock/faults`` API: what a client receives when the provider
misbehaves on purpose, how faults are scoped and counted, and how bad fault requests fail."""

from __future__ import annotations

import re
import string
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from asgi_client import AppClient
from idp_testkit import (
    ALICE,
    BOB,
    CLIENT_ID,
    HYBRID_CLIENT_ID,
    HYBRID_SECRET,
    SECRET,
    TENANT,
    auth_params,
    get_code,
    hybrid_config,
    paths,
    redeem,
    redirect_params,
    sign_in,
)
from starlette.applications import Starlette

from mock_idp import create_app, run_in_thread
from mock_idp.clock import MockClock
from mock_idp.config import IdpConfig, TenantConfig, default_tenant
from mock_idp.errors import CATALOGUE
from mock_idp.faults import Fault, FaultRegistry

V2 = paths(TENANT, "2.0")
FABRIKAM_ID = "0c9d8e7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f"
GRAPH_DEFAULT = "https://graph.microsoft.com/.default"


def arm(client: AppClient, **spec: Any) -> dict[str, Any]:
    response = client.post("/_mock/faults", json=spec)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def client_credentials(client: AppClient, client_id: str = CLIENT_ID,
                       secret: str = SECRET) -> httpx.Response:
    return client.post(V2["token"], data={
        "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret,
        "scope": GRAPH_DEFAULT})


@pytest.fixture
def live() -> Iterator[str]:
    """The provider on a real port: hangs and dropped connections need a socket."""
    with run_in_thread(create_app(IdpConfig.default()), log_level="critical") as server:
        yield server.base_url


# --- AADSTS errors --------------------------------------------------------------------------

def test_error_at_authorize_redirects_with_the_aadsts_code_and_state(client: AppClient) -> None:
    arm(client, kind="error", endpoint="authorize", code=50076)
    response = client.get(V2["authorize"], params=auth_params(state="keep-me"))
    params = redirect_params(response)
    assert params["error"] == "invalid_grant"
    assert params["error_description"].startswith("AADSTS50076: ")
    assert "error_uri" in params and params["state"] == "keep-me"
    assert "code" not in params
    again = client.get(V2["authorize"], params=auth_params())
    assert again.status_code == 200 and 'name="ctx"' in again.text  # once: the sign-in page


def test_error_at_authorize_with_a_custom_error_value(client: AppClient) -> None:
    arm(client, kind="error", endpoint="authorize", code=53003, error="access_denied")
    params = redirect_params(client.get(V2["authorize"], params=auth_params()))
    assert params["error"] == "access_denied"
    assert params["error_description"].startswith("AADSTS53003")


def test_error_at_token_is_entra_json_with_the_code_and_its_status(client: AppClient) -> None:
    arm(client, kind="error", endpoint="token", code=7000222)
    response = client_credentials(client)
    assert response.status_code == 401
    body = response.json()
    assert body["error"] == "invalid_client"
    assert body["error_codes"] == [7000222]
    assert body["error_description"].startswith("AADSTS7000222: ")
    assert CLIENT_ID in body["error_description"]
    for name in ("Trace ID:", "Correlation ID:", "Timestamp:"):
        assert name in body["error_description"]
    assert set(body) >= {"timestamp", "trace_id", "correlation_id", "error_uri"}
    assert client_credentials(client).status_code == 200


PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
"""A placeholder of the catalogue left unfilled; Entra's own masks (``{EmailHidden}``) are
capitalised."""


def test_every_catalogue_code_injected_fills_its_placeholders(client: AppClient) -> None:
    names = {name for entry in CATALOGUE.values()
             for _, name, _, _ in string.Formatter().parse(entry.message) if name}
    assert {"issued", "identifier", "resource", "idp"} <= names
    for code, entry in CATALOGUE.items():
        arm(client, kind="error", endpoint="token", code=code)
        body = client_credentials(client).json()
        assert body["error_codes"] == [code]
        message = body["error_description"].split("\r\nTrace ID:")[0]
        assert not PLACEHOLDER.search(message), message
        assert entry.suberror is None or body["suberror"] == entry.suberror


def _injected(client: AppClient, code: int) -> str:
    arm(client, kind="error", endpoint="token", code=code)
    return str(client_credentials(client).json()["error_description"]).split("\r\nTrace ID:")[0]


def test_injected_errors_name_plausible_values(client: AppClient, clock: MockClock) -> None:
    now = clock.freeze()
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"  # Entra's seven fractional digits
    assert f"The token was issued on {stamp} and was inactive" in _injected(client, 700082)
    assert "The user account {EmailHidden} does not exist in the" in _injected(client, 50034)
    assert f"'{CLIENT_ID}'(https://graph.microsoft.com) is requesting" in _injected(client, 90009)
    assert "resource principal named https://graph.microsoft.com was" in _injected(client, 500011)
    assert f"identity provider 'https://sts.windows.net/{TENANT}/' does" in _injected(client,
                                                                                      50020)


def test_an_injected_error_carries_the_suberror_asked_for(client: AppClient) -> None:
    arm(client, kind="error", endpoint="token", code=9999999, error="invalid_grant",
        suberror="client_mismatch")
    body = client_credentials(client).json()
    assert (body["error"], body["error_codes"]) == ("invalid_grant", [9999999])
    assert body["suberror"] == "client_mismatch"
    arm(client, kind="error", endpoint="token", code=50076, suberror="message_only")
    assert client_credentials(client).json()["suberror"] == "message_only"  # not basic_action
    arm(client, kind="error", endpoint="token", code=50126)
    assert "suberror" not in client_credentials(client).json()


def test_error_status_can_be_overridden(client: AppClient) -> None:
    arm(client, kind="error", endpoint="token", code=50076, status=409)
    response = client_credentials(client)
    assert response.status_code == 409 and response.json()["error_codes"] == [50076]


def test_error_at_signin_redirects_after_the_password_is_accepted(client: AppClient) -> None:
    arm(client, kind="error", endpoint="signin", code=50158, user=ALICE)
    page = client.get(V2["authorize"], params=auth_params())
    params = redirect_params(sign_in(client, page, ALICE))
    assert params["error_description"].startswith("AADSTS50158")


# --- HTTP-level faults ----------------------------------------------------------------------

@pytest.mark.parametrize(("status", "error", "code"), [
    (503, "temporarily_unavailable", 90033), (500, "server_error", 50000),
    (502, "temporarily_unavailable", 90033),
])
def test_status_fault_at_token(client: AppClient, status: int, error: str, code: int) -> None:
    arm(client, kind="status", endpoint="token", status=status)
    response = client_credentials(client)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"] == error and response.json()["error_codes"] == [code]


def test_status_fault_at_authorize_is_a_5xx_page_not_a_redirect(client: AppClient) -> None:
    arm(client, kind="status", endpoint="authorize", status=503)
    response = client.get(V2["authorize"], params=auth_params())
    assert response.status_code == 503
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert "AADSTS90033" in response.text


def test_throttle_answers_429_with_retry_after(client: AppClient) -> None:
    arm(client, kind="throttle", endpoint="token", retry_after=7)
    response = client_credentials(client)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert response.json()["error"] == "temporarily_unavailable"
    assert response.json()["error_codes"] == [50196]
    assert client_credentials(client).status_code == 200


def test_throttle_at_a_browser_endpoint_is_a_429_page(client: AppClient) -> None:
    arm(client, kind="throttle", endpoint="authorize", retry_after=30)
    response = client.get(V2["authorize"], params=auth_params())
    assert response.status_code == 429 and response.headers["retry-after"] == "30"
    assert "AADSTS50196" in response.text


def test_latency_delays_the_answer_which_is_otherwise_normal(client: AppClient) -> None:
    assert client.get(V2["discovery"]).status_code == 200
    arm(client, kind="latency", endpoint="discovery", delay_ms=200)
    started = time.perf_counter()
    response = client.get(V2["discovery"])
    assert time.perf_counter() - started >= 0.2
    assert response.status_code == 200 and "issuer" in response.json()


def test_latency_then_another_fault_both_apply(client: AppClient) -> None:
    arm(client, kind="latency", endpoint="token", delay_ms=200)
    arm(client, kind="status", endpoint="token", status=503)
    started = time.perf_counter()
    response = client_credentials(client)
    assert time.perf_counter() - started >= 0.2
    assert response.status_code == 503


def test_hang_outlasts_a_client_timeout(live: str) -> None:
    with httpx.Client(base_url=live) as http:
        assert http.post("/_mock/faults", json={
            "kind": "hang", "endpoint": "discovery", "seconds": 0.5}).status_code == 201
        with pytest.raises(httpx.ReadTimeout):  # an answer would have come after 0.5 s
            http.get(V2["discovery"], timeout=0.2)
        assert http.get(V2["discovery"], timeout=5).status_code == 200  # it was armed once


def test_a_hang_that_runs_its_course_answers_504(live: str) -> None:
    with httpx.Client(base_url=live) as http:
        http.post("/_mock/faults", json={"kind": "hang", "endpoint": "jwks", "seconds": 0.3})
        started = time.perf_counter()
        response = http.get(V2["keys"], timeout=5)
        assert time.perf_counter() - started >= 0.3
        assert response.status_code == 504


def test_clearing_faults_releases_a_hanging_request(live: str) -> None:
    with httpx.Client(base_url=live) as http, ThreadPoolExecutor(1) as pool:
        http.post("/_mock/faults", json={"kind": "hang", "endpoint": "discovery",
                                         "seconds": 60, "times": "until_cleared"})
        started = time.perf_counter()
        pending = pool.submit(httpx.get, f"{live}{V2['discovery']}", timeout=30)
        deadline = time.monotonic() + 10
        while http.get("/_mock/faults").json()["faults"][0]["hits"] < 1:
            assert time.monotonic() < deadline, "the request never reached the fault"
            time.sleep(0.01)
        assert not pending.done()
        assert http.delete("/_mock/faults").json() == {"cleared": 1}
        response = pending.result(timeout=10)
        assert time.perf_counter() - started < 10
        assert response.status_code == 200 and "issuer" in response.json()


def test_dropped_connection(live: str) -> None:
    with httpx.Client(base_url=live) as http:
        http.post("/_mock/faults", json={"kind": "drop", "endpoint": "discovery"})
        with pytest.raises(httpx.RemoteProtocolError):
            http.get(V2["discovery"], timeout=5)
        assert http.get(V2["discovery"], timeout=5).status_code == 200


@pytest.mark.parametrize("endpoint", ["jwks", "discovery"])
def test_outage(client: AppClient, endpoint: str) -> None:
    other = "discovery" if endpoint == "jwks" else "keys"
    path = V2["keys" if endpoint == "jwks" else "discovery"]
    arm(client, kind="outage", endpoint=endpoint, times="until_cleared")
    for _ in range(3):
        response = client.get(path)
        assert response.status_code == 503
        assert response.json()["error"] == "temporarily_unavailable"
        assert "keys" not in response.json() and "issuer" not in response.json()
    assert client.get(V2[other]).status_code == 200
    assert client.get(paths(TENANT, "1.0")[
        "keys" if endpoint == "jwks" else "discovery"]).status_code == 503
    client.delete("/_mock/faults")
    assert client.get(path).status_code == 200


def test_outage_status_can_be_500(client: AppClient) -> None:
    arm(client, kind="outage", endpoint="jwks", status=500)
    assert client.get(V2["keys"]).status_code == 500


def test_fault_at_the_logout_endpoint(client: AppClient) -> None:
    arm(client, kind="status", endpoint="logout", status=503)
    response = client.get(f"/{TENANT}/oauth2/v2.0/logout")
    assert response.status_code == 503 and "AADSTS90033" in response.text
    assert "You signed out" in client.get(f"/{TENANT}/oauth2/v2.0/logout").text


# --- scoping --------------------------------------------------------------------------------

@pytest.mark.idp_config(IdpConfig(tenants=(default_tenant(), TenantConfig(
    id=FABRIKAM_ID, domain="fabrikam.onmicrosoft.com", name="Fabrikam"))))
def test_scoped_to_a_tenant(client: AppClient) -> None:
    fault = arm(client, kind="outage", endpoint="discovery", tenant="contoso.onmicrosoft.com",
                times="until_cleared")
    assert fault["tenant"] == TENANT
    assert client.get(paths(FABRIKAM_ID, "2.0")["discovery"]).status_code == 200
    assert client.get(paths("fabrikam.onmicrosoft.com", "2.0")["discovery"]).status_code == 200
    assert client.get(V2["discovery"]).status_code == 503
    assert client.get(paths("contoso.onmicrosoft.com", "2.0")["discovery"]).status_code == 503


@pytest.mark.idp_config(hybrid_config())
def test_scoped_to_an_app(client: AppClient) -> None:
    arm(client, kind="error", endpoint="token", app=HYBRID_CLIENT_ID.upper(), code=7000215)
    assert client_credentials(client).status_code == 200
    response = client_credentials(client, HYBRID_CLIENT_ID, HYBRID_SECRET)
    assert response.status_code == 401 and response.json()["error_codes"] == [7000215]


def test_scoped_to_a_user(client: AppClient) -> None:
    arm(client, kind="error", endpoint="token", user=ALICE, code=50173)
    bob = get_code(client, upn=BOB, prompt="login")
    assert redeem(client, bob).status_code == 200
    alice = get_code(client, upn=ALICE, prompt="login")
    response = redeem(client, alice)
    assert response.status_code == 400 and response.json()["error_codes"] == [50173]


def test_scoped_to_an_endpoint(client: AppClient) -> None:
    arm(client, kind="status", endpoint="jwks", status=503)
    assert client.get(V2["discovery"]).status_code == 200
    assert client_credentials(client).status_code == 200
    assert client.get(V2["keys"]).status_code == 503


# --- how many times -------------------------------------------------------------------------

def test_once_by_default(client: AppClient) -> None:
    fault = arm(client, kind="status", endpoint="jwks")
    assert fault["times"] == 1
    assert [client.get(V2["keys"]).status_code for _ in range(2)] == [503, 200]
    assert client.get("/_mock/faults").json() == {"faults": []}


def test_n_times(client: AppClient) -> None:
    fault = arm(client, kind="status", endpoint="jwks", times=3)
    assert client.get(V2["keys"]).status_code == 503
    listed = client.get("/_mock/faults").json()["faults"]
    assert [(f["id"], f["times"], f["hits"]) for f in listed] == [(fault["id"], 2, 1)]
    assert [client.get(V2["keys"]).status_code for _ in range(3)] == [503, 503, 200]


def test_until_cleared(client: AppClient) -> None:
    arm(client, kind="status", endpoint="jwks", times="until_cleared")
    assert {client.get(V2["keys"]).status_code for _ in range(5)} == {503}
    faults = client.get("/_mock/faults").json()["faults"]
    assert faults[0]["times"] == "until_cleared" and faults[0]["hits"] == 5
    assert client.delete("/_mock/faults").json() == {"cleared": 1}
    assert client.get(V2["keys"]).status_code == 200


# --- list and clear -------------------------------------------------------------------------

def test_list_and_clear_one(client: AppClient) -> None:
    first = arm(client, kind="status", endpoint="jwks", times="until_cleared")
    second = arm(client, kind="wrong_nonce", app=CLIENT_ID)
    listed = client.get("/_mock/faults").json()["faults"]
    assert [f["id"] for f in listed] == [first["id"], second["id"]]
    assert listed[1] == {**second, "hits": 0}
    assert listed[1]["kind"] == "wrong_nonce" and listed[1]["app"] == CLIENT_ID
    assert client.delete(f"/_mock/faults/{first['id']}").status_code == 204
    assert [f["id"] for f in client.get("/_mock/faults").json()["faults"]] == [second["id"]]
    missing = client.delete(f"/_mock/faults/{first['id']}")
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "fault_id"
    assert client.get(V2["keys"]).status_code == 200


def test_reset_clears_faults(client: AppClient) -> None:
    arm(client, kind="status", endpoint="jwks", times="until_cleared")
    assert client.post("/_mock/reset", json={}).status_code == 200
    assert client.get("/_mock/faults").json() == {"faults": []}
    assert client.get(V2["keys"]).status_code == 200


def test_python_api(idp_app: Starlette, client: AppClient) -> None:
    registry: FaultRegistry = idp_app.state.idp.faults
    fault = registry.arm(Fault(kind="throttle", endpoint="token", times=2,
                               params={"retry_after": 3}))
    assert [f.id for f in registry.list()] == [fault.id]
    assert client_credentials(client).headers["retry-after"] == "3"
    assert registry.clear() == 1
    assert client_credentials(client).status_code == 200


# --- bad requests ---------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "field"), [
    ({"kind": "explode", "endpoint": "token"}, "kind"),
    ({"endpoint": "token"}, "kind"),
    ({"kind": "status"}, "endpoint"),
    ({"kind": "error", "code": 50058}, "endpoint"),
    ({"kind": "status", "endpoint": "nowhere"}, "endpoint"),
    ({"kind": "outage", "endpoint": "token"}, "endpoint"),
    ({"kind": "wrong_iss", "endpoint": "userinfo"}, "endpoint"),
    ({"kind": "lt_nonce", "endpoint": "token"}, "endpoint"),
    ({"kind": "status", "endpoint": "logout_token"}, "endpoint"),
    ({"kind": "status", "endpoint": "jwks", "times": 0}, "times"),
    ({"kind": "status", "endpoint": "jwks", "times": -2}, "times"),
    ({"kind": "status", "endpoint": "jwks", "times": "twice"}, "times"),
    ({"kind": "status", "endpoint": "jwks", "times": True}, "times"),
    ({"kind": "status", "endpoint": "jwks", "times": 1.5}, "times"),
    ({"kind": "error", "endpoint": "token"}, "code"),
    ({"kind": "error", "endpoint": "token", "code": "AADSTS50058"}, "code"),
    ({"kind": "status", "endpoint": "token", "status": 404}, "status"),
    ({"kind": "throttle", "endpoint": "token", "retry_after": -1}, "retry_after"),
    ({"kind": "latency", "endpoint": "token", "delay_ms": "slow"}, "delay_ms"),
    ({"kind": "hang", "endpoint": "token", "seconds": 99999}, "seconds"),
    ({"kind": "status", "endpoint": "jwks", "tenant": "nowhere.example"}, "tenant"),
    ({"kind": "status", "endpoint": "token", "user": "zed@contoso.onmicrosoft.com"}, "user"),
    ({"kind": "status", "endpoint": "token", "app": "no-such-app"}, "app"),
    ({"kind": "status", "endpoint": "jwks", "user": ALICE}, "user"),
    ({"kind": "status", "endpoint": "authorize", "user": ALICE}, "user"),
    ({"kind": "outage", "endpoint": "discovery", "app": CLIENT_ID}, "app"),
    ({"kind": "status", "endpoint": "jwks", "colour": "red"}, "colour"),
    ({"kind": "wrong_nonce", "iss": "x"}, "iss"),
    # The OAuth error value: RFC 6749's characters only, so no control or reordering one.
    ({"kind": "error", "endpoint": "token", "code": 50126, "error": "a\u0000\u202eb"}, "error"),
    ({"kind": "error", "endpoint": "token", "code": 50126, "error": "bad\u202ething"}, "error"),
    ({"kind": "error", "endpoint": "token", "code": 50126, "error": ""}, "error"),
    ({"kind": "error", "endpoint": "token", "code": 50126, "error": 'say "no"'}, "error"),
    ({"kind": "error", "endpoint": "token", "code": 50126, "error": "x" * 257}, "error"),
    ({"kind": "error", "endpoint": "token", "code": 50126, "suberror": ""}, "suberror"),
    ({"kind": "error", "endpoint": "token", "code": 50126, "suberror": 'a"b'}, "suberror"),
    ({"kind": "error", "endpoint": "token", "code": 50126, "suberror": "a\u202eb"}, "suberror"),
    ({"kind": "error", "endpoint": "token", "code": 50126, "suberror": 7}, "suberror"),
    ({"kind": "status", "endpoint": "token", "suberror": "bad_token"}, "suberror"),
    # Another kind's parameter is refused, not ignored.
    ({"kind": "status", "endpoint": "token", "delay_ms": 5}, "delay_ms"),
    ({"kind": "latency", "endpoint": "token", "retry_after": 5}, "retry_after"),
    ({"kind": "throttle", "endpoint": "token", "code": 50126}, "code"),
    ({"kind": "wrong_nonce", "seconds": 5}, "seconds"),
    ({"kind": "drop", "endpoint": "jwks", "status": 503}, "status"),
    # Retry-After carries whole seconds.
    ({"kind": "throttle", "endpoint": "token", "retry_after": 1.5}, "retry_after"),
])
def test_bad_fault_specs_name_the_field(client: AppClient, body: dict[str, Any],
                                        field: str) -> None:
    response = client.post("/_mock/faults", json=body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["field"] == field
    assert error["message"]
    assert client.get("/_mock/faults").json() == {"faults": []}


def test_a_refused_error_value_never_reaches_the_token_endpoint(client: AppClient) -> None:
    bad = client.post("/_mock/faults", json={"kind": "error", "endpoint": "token",
                                             "code": 50126, "error": "a\u0000\u202eb"})
    assert bad.status_code == 400
    assert client_credentials(client).status_code == 200
    arm(client, kind="error", endpoint="token", code=50126, error="custom_error")
    assert client_credentials(client).json()["error"] == "custom_error"


def test_body_must_be_a_json_object(client: AppClient) -> None:
    for raw in (b"{not json", b"\xff\xfe", b""):
        response = client.post("/_mock/faults", content=raw,
                               headers={"content-type": "application/json"})
        assert response.status_code == 400
        assert response.json()["error"]["field"] == "body"
    response = client.post("/_mock/faults", json=[{"kind": "status", "endpoint": "jwks"}])
    assert response.status_code == 400 and response.json()["error"]["field"] == "body"


def test_body_must_be_sent_as_json(client: AppClient) -> None:
    response = client.post("/_mock/faults", data={"kind": "status", "endpoint": "jwks"})
    assert response.status_code == 415
    assert response.json()["error"]["field"] == "content-type"
    assert "application/json" in response.json()["error"]["message"]
