"""A request a hang holds reads what it names again once let go: the tenant deleted while it
waited is answered as an unknown tenant (AADSTS90002, as the same route answers one), the user
deleted as a token that names no user. Deleting the tenant or the user clears the hang scoped
to it, which lets the request go on at once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from asgi_client import AppClient
from idp_testkit import ALICE, TENANT, auth_params, paths, tokens_for
from test_concurrent_requests import run

from mock_idp import create_app
from mock_idp.config import IdpConfig

V2 = paths(TENANT, "2.0")
GRAPH = f"/graph/{TENANT}/v1.0"


async def held_while(client: httpx.AsyncClient, fault: dict[str, Any],
                     request: Callable[[], Awaitable[httpx.Response]],
                     change: Callable[[], Awaitable[httpx.Response]]) -> httpx.Response:
    """``request``'s answer when a hang ``fault`` holds it while ``change`` is made."""
    armed = await client.post("/_mock/faults", json={"kind": "hang", "seconds": 30,
                                                     "times": 1, **fault})
    assert armed.status_code == 201, armed.text
    pending = asyncio.create_task(request())
    for _ in range(1000):  # until the hang holds it (the fault's hits count it)
        listed = (await client.get("/_mock/faults")).json()["faults"]
        if listed and listed[0]["hits"] == 1:
            break
        await asyncio.sleep(0)
    assert listed[0]["hits"] == 1
    changed = await change()
    assert changed.status_code == 204, changed.text
    return await asyncio.wait_for(pending, 10)


@pytest.mark.parametrize(("endpoint", "path"), [
    ("discovery", V2["discovery"]), ("discovery", f"/{TENANT}/.well-known/openid-configuration"),
    ("jwks", f"/{TENANT}/discovery/v2.0/keys"), ("jwks", f"/{TENANT}/discovery/keys"),
    ("jwks", f"/{TENANT}/FederationMetadata/2007-06/FederationMetadata.xml"),
])
def test_a_document_held_while_its_tenant_is_deleted_is_an_unknown_tenants(
        endpoint: str, path: str) -> None:
    async def test(client: httpx.AsyncClient) -> None:
        answer = await held_while(client, {"endpoint": endpoint, "tenant": TENANT},
                                  lambda: client.get(path),
                                  lambda: client.delete(f"/_mock/tenants/{TENANT}"))
        assert answer.status_code == 400, answer.text[:300]
        assert answer.json()["error_codes"] == [90002]
        unknown = await client.get(path)
        assert (unknown.status_code, unknown.json()["error_codes"]) == (400, [90002])

    run(test)


@pytest.mark.parametrize("path", [f"/{TENANT}/oauth2/v2.0/logout", f"/{TENANT}/oauth2/logout"])
def test_a_sign_out_held_while_its_tenant_is_deleted_is_an_unknown_tenants(path: str) -> None:
    async def test(client: httpx.AsyncClient) -> None:
        answer = await held_while(client, {"endpoint": "logout", "tenant": TENANT},
                                  lambda: client.get(path),
                                  lambda: client.delete(f"/_mock/tenants/{TENANT}"))
        assert "AADSTS90002" in answer.text, answer.text[:300]
        assert "AADSTS90002" in (await client.get(path)).text

    run(test)


def test_a_sign_in_request_held_while_its_tenant_is_deleted_is_an_unknown_tenants() -> None:
    async def test(client: httpx.AsyncClient) -> None:
        answer = await held_while(
            client, {"endpoint": "authorize", "tenant": TENANT},
            lambda: client.get(V2["authorize"], params=auth_params()),
            lambda: client.delete(f"/_mock/tenants/{TENANT}"))
        assert "location" not in answer.headers, answer.headers
        assert "AADSTS90002" in answer.text, answer.text[:300]

    run(test)


def test_userinfo_held_while_its_user_is_deleted_names_no_user() -> None:
    app = create_app(IdpConfig.default())
    with AppClient(app, follow_redirects=False) as sync:
        token = tokens_for(sync)["access_token"]
        user_id = sync.get(f"{GRAPH}/users/{ALICE}").json()["id"]

    async def test(client: httpx.AsyncClient) -> None:
        answer = await held_while(
            client, {"endpoint": "userinfo", "user": user_id},
            lambda: client.get("/oidc/userinfo", headers={"Authorization": f"Bearer {token}"}),
            lambda: client.delete(f"{GRAPH}/users/{ALICE}"))
        assert answer.status_code == 401, answer.text
        assert "email" not in answer.text

    run(test, app)
