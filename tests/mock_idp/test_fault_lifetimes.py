"""How long a fault's effect lasts: a JWKS change made by a ``kid_absent`` fault, and the
requests a ``hang`` holds; both end with the fault that made them, and only with it. A fault
scoped to a tenant, app or user goes when that is deleted."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import httpx
import jwt
import pytest
from asgi_client import AppClient
from idp_testkit import TENANT, auth_params, get_code, paths, redeem
from test_control import FABRIKAM, PORTAL
from test_faults_tokens import jwks, verifies_with

from mock_idp import create_app, run_in_thread
from mock_idp.config import IdpConfig

V2 = paths(TENANT, "2.0")


def arm(client: AppClient, **spec: Any) -> dict[str, Any]:
    response = client.post("/_mock/faults", json=spec)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def id_token(client: AppClient) -> str:
    response = redeem(client, get_code(client))
    assert response.status_code == 200, response.text
    token: str = response.json()["id_token"]
    return token


def armed(client: AppClient) -> list[dict[str, Any]]:
    faults: list[dict[str, Any]] = client.get("/_mock/faults").json()["faults"]
    return faults


# --- kid_absent: the key set changes as long as the fault lasts -----------------------------

@pytest.mark.parametrize("kind", ["kid_absent", "kid_absent_multiple"])
def test_a_spent_one_shot_kid_fault_leaves_the_key_set_as_it_was(client: AppClient,
                                                                  kind: str) -> None:
    before = jwks(client)
    fault = arm(client, kind=kind)
    token = id_token(client)
    assert [f["id"] for f in armed(client)] == [fault["id"]]  # its key-set change is pending
    faulted = jwks(client)  # the relying party fetches the keys to check this token
    assert all("kid" not in k for k in faulted)
    assert any(verifies_with(token, k) for k in faulted)
    assert armed(client) == []
    assert jwks(client) == before
    second = id_token(client)
    kid = jwt.get_unverified_header(second)["kid"]
    assert verifies_with(second, next(k for k in jwks(client) if k["kid"] == kid))


@pytest.mark.parametrize("kind", ["kid_absent", "kid_absent_multiple"])
def test_an_until_cleared_kid_fault_keeps_the_change_until_it_is_cleared(client: AppClient,
                                                                         kind: str) -> None:
    before = jwks(client)
    fault = arm(client, kind=kind, times="until_cleared")
    id_token(client)
    for _ in range(2):
        assert all("kid" not in k for k in jwks(client))
    assert [f["id"] for f in armed(client)] == [fault["id"]]
    assert client.delete(f"/_mock/faults/{fault['id']}").status_code == 204
    assert jwks(client) == before


def test_a_kid_fault_with_uses_left_keeps_the_change(client: AppClient) -> None:
    arm(client, kind="kid_absent_multiple", times=2)
    id_token(client)
    assert len(jwks(client)) == 2 and len(jwks(client)) == 2
    assert armed(client)[0]["times"] == 1


def test_clearing_a_spent_kid_fault_by_id_undoes_its_change(client: AppClient) -> None:
    before = jwks(client)
    fault = arm(client, kind="kid_absent_multiple")
    id_token(client)
    assert client.delete(f"/_mock/faults/{fault['id']}").status_code == 204
    assert jwks(client) == before
    assert client.delete(f"/_mock/faults/{fault['id']}").status_code == 404


def test_a_kid_fault_scoped_to_a_tenant_changes_only_that_tenants_key_set(
        client: AppClient) -> None:
    """Another tenant's key set neither shows the change nor spends it; the tenant's own, and
    the multi-tenant alias's (every tenant's keys), do."""
    assert client.post("/_mock/tenants", json=FABRIKAM).status_code == 201
    other = f"/{FABRIKAM['id']}/discovery/v2.0/keys"
    arm(client, kind="kid_absent", tenant=TENANT)
    id_token(client)
    assert all("kid" in k for k in client.get(other).json()["keys"])
    assert all("kid" not in k for k in jwks(client))  # the spent fault's change, once more
    assert all("kid" in k for k in jwks(client)) and armed(client) == []
    arm(client, kind="kid_absent", tenant=TENANT)
    id_token(client)
    assert all("kid" not in k for k in client.get("/common/discovery/v2.0/keys").json()["keys"])


# --- hang: held until its time is up or that fault is cleared -------------------------------

@pytest.fixture
def live() -> Iterator[str]:
    with run_in_thread(create_app(IdpConfig.default()), log_level="critical") as server:
        yield server.base_url


def held(http: httpx.Client, pool: ThreadPoolExecutor, live: str,
         fault: dict[str, Any]) -> Future[httpx.Response]:
    """A discovery request, once ``fault`` (a hang) holds it."""
    pending = pool.submit(httpx.get, f"{live}{V2['discovery']}", timeout=30)
    deadline = time.monotonic() + 10
    while not any(f["id"] == fault["id"] and f["hits"] for f in
                  http.get("/_mock/faults").json()["faults"]):
        assert time.monotonic() < deadline, "the request never reached the hang"
        time.sleep(0.01)
    return pending


def test_a_refused_clear_releases_nothing(live: str) -> None:
    with httpx.Client(base_url=live) as http, ThreadPoolExecutor(1) as pool:
        hang = http.post("/_mock/faults", json={"kind": "hang", "endpoint": "discovery",
                                                "seconds": 0.6}).json()
        started = time.perf_counter()
        pending = held(http, pool, live, hang)
        assert http.delete("/_mock/faults/no-such-fault").status_code == 404
        assert pending.result(timeout=10).status_code == 504
        assert time.perf_counter() - started >= 0.6


def test_clearing_another_fault_leaves_the_hang_holding(live: str) -> None:
    with httpx.Client(base_url=live) as http, ThreadPoolExecutor(1) as pool:
        hang = http.post("/_mock/faults", json={"kind": "hang", "endpoint": "discovery",
                                                "seconds": 0.6}).json()
        other = http.post("/_mock/faults", json={"kind": "status", "endpoint": "token"}).json()
        started = time.perf_counter()
        pending = held(http, pool, live, hang)
        assert http.delete(f"/_mock/faults/{other['id']}").status_code == 204
        assert pending.result(timeout=10).status_code == 504
        assert time.perf_counter() - started >= 0.6
        assert http.get("/_mock/faults").json()["faults"] == []


def test_a_one_shot_hang_holding_a_request_is_cleared_by_its_id(live: str) -> None:
    with httpx.Client(base_url=live) as http, ThreadPoolExecutor(1) as pool:
        hang = http.post("/_mock/faults", json={"kind": "hang", "endpoint": "discovery",
                                                "seconds": 30}).json()
        started = time.perf_counter()
        pending = held(http, pool, live, hang)
        listed = http.get("/_mock/faults").json()["faults"]
        assert [(f["id"], f["times"]) for f in listed] == [(hang["id"], 0)]
        assert http.delete(f"/_mock/faults/{hang['id']}").status_code == 204
        assert pending.result(timeout=10).status_code == 200
        assert time.perf_counter() - started < 10
        assert http.delete(f"/_mock/faults/{hang['id']}").status_code == 404


def test_clearing_one_hang_leaves_another_holding(live: str) -> None:
    with httpx.Client(base_url=live) as http, ThreadPoolExecutor(2) as pool:
        first = http.post("/_mock/faults", json={"kind": "hang", "endpoint": "discovery",
                                                 "seconds": 1.5}).json()
        held_first = held(http, pool, live, first)
        second = http.post("/_mock/faults", json={"kind": "hang", "endpoint": "discovery",
                                                  "seconds": 30}).json()
        held_second = held(http, pool, live, second)
        assert http.delete(f"/_mock/faults/{second['id']}").status_code == 204
        assert held_second.result(timeout=10).status_code == 200
        assert not held_first.done()
        assert held_first.result(timeout=10).status_code == 504


@pytest.mark.parametrize("holding", [{"kind": "hang", "seconds": 600},
                                     {"kind": "latency", "delay_ms": 120_000}])
def test_stopping_the_server_lets_a_held_request_go_quietly(
        caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch,
        holding: dict[str, Any]) -> None:
    """A server that stops while a hang holds a request (or a latency fault delays it) lets it
    carry on, as clearing a hang does, at once: not cut off after the stop's graceful time,
    which uvicorn logs as an error with the fault's traceback, the client seeing a 500 (a
    pytest plugin's teardown showed it as captured log)."""
    with ThreadPoolExecutor(1) as pool:
        with run_in_thread(create_app(IdpConfig.default())) as server, \
                httpx.Client(base_url=server.base_url) as http:
            # Once the server has set its logging up; "uvicorn" keeps its records to itself.
            uvicorn_log = logging.getLogger("uvicorn.error")
            monkeypatch.setattr(uvicorn_log, "handlers", [*uvicorn_log.handlers, caplog.handler])
            hang = http.post("/_mock/faults", json={**holding, "endpoint": "discovery",
                                                    "times": "until_cleared"}).json()
            pending = held(http, pool, server.base_url, hang)
            stopping = time.perf_counter()
        stopped = time.perf_counter() - stopping
        assert pending.result(timeout=10).status_code == 200
    assert stopped < 0.5, stopped  # the graceful time is 2 s
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


# --- a hang that runs its course: answered like the other HTTP-level faults -----------------

def test_a_timed_out_hang_at_a_browser_endpoint_is_a_504_page(client: AppClient) -> None:
    arm(client, kind="hang", endpoint="authorize", seconds=0)
    response = client.get(V2["authorize"], params=auth_params())
    assert response.status_code == 504 and "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert "AADSTS90033" in response.text


def test_a_timed_out_hang_at_an_api_endpoint_is_entra_json(client: AppClient) -> None:
    arm(client, kind="hang", endpoint="token", seconds=0)
    response = redeem(client, get_code(client))
    assert response.status_code == 504
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["error"] == "temporarily_unavailable" and body["error_codes"] == [90033]
    assert body["error_description"].startswith("AADSTS90033")


# --- a fault goes with the tenant, app or user it is scoped to ------------------------------

def test_faults_scoped_to_a_deleted_tenant_app_or_user_go_with_it(client: AppClient) -> None:
    assert client.post("/_mock/tenants", json=FABRIKAM).status_code == 201
    graph = "/graph/fabrikam.onmicrosoft.com/v1.0"
    zoe = client.get(f"{graph}/users/zoe@fabrikam.onmicrosoft.com").json()["id"]
    kept = arm(client, kind="error", endpoint="token", code=50058, tenant=TENANT,
               times="until_cleared")
    by_user = arm(client, kind="error", endpoint="token", code=50058, user=zoe,
                  times="until_cleared")
    by_app = arm(client, kind="error", endpoint="token", code=50058, app=PORTAL,
                 times="until_cleared")
    by_tenant = arm(client, kind="error", endpoint="token", code=50058,
                    tenant=FABRIKAM["id"], times="until_cleared")
    listed = {f["id"] for f in armed(client)}
    assert listed == {kept["id"], by_user["id"], by_app["id"], by_tenant["id"]}

    assert client.delete(f"{graph}/users/{zoe}").status_code == 204
    assert {f["id"] for f in armed(client)} == listed - {by_user["id"]}
    assert client.delete(f"{graph}/applications(appId='{PORTAL}')").status_code == 204
    assert {f["id"] for f in armed(client)} == {kept["id"], by_tenant["id"]}
    assert client.delete(f"/_mock/tenants/{FABRIKAM['id']}").status_code == 204
    assert [f["id"] for f in armed(client)] == [kept["id"]]

    # The tenant made again under the same id starts without the old tenant's fault.
    assert client.post("/_mock/tenants", json=FABRIKAM).status_code == 201
    assert [f["id"] for f in armed(client)] == [kept["id"]]


def test_deleting_a_tenant_clears_the_faults_scoped_to_its_users_and_apps(
        client: AppClient) -> None:
    assert client.post("/_mock/tenants", json=FABRIKAM).status_code == 201
    zoe = client.get("/graph/fabrikam.onmicrosoft.com/v1.0/users/zoe@fabrikam.onmicrosoft.com"
                     ).json()["id"]
    for scope in ({"user": zoe}, {"app": PORTAL}):
        arm(client, kind="error", endpoint="token", code=65001, times="until_cleared", **scope)
    assert len(armed(client)) == 2
    assert client.delete(f"/_mock/tenants/{FABRIKAM['id']}").status_code == 204
    assert armed(client) == []
    # Made again, the tenant's user has the same id (it follows from the tenant and the UPN):
    # an old fault would fire on it.
    assert client.post("/_mock/tenants", json=FABRIKAM).status_code == 201
    assert client.get("/graph/fabrikam.onmicrosoft.com/v1.0/users/zoe@fabrikam.onmicrosoft.com"
                      ).json()["id"] == zoe


def test_a_fault_armed_by_a_tenants_domain_goes_with_it_and_none_is_armed_for_it_after(
        client: AppClient) -> None:
    assert client.post("/_mock/tenants", json=FABRIKAM).status_code == 201
    arm(client, kind="error", endpoint="token", code=50058, tenant=FABRIKAM["domain"],
        times="until_cleared")
    assert client.delete(f"/_mock/tenants/{FABRIKAM['domain']}").status_code == 204
    assert armed(client) == []
    for name in (FABRIKAM["id"], FABRIKAM["domain"]):
        refused = client.post("/_mock/faults", json={
            "kind": "error", "endpoint": "token", "code": 50058, "tenant": name})
        assert refused.status_code == 400, refused.text
        assert refused.json()["error"]["field"] == "tenant"
    assert armed(client) == []
