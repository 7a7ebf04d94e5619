"""Requests that overlap: while one waits (for the rest of its body, or held by a fault), another
deletes what it names. Each test holds the first request at that wait with an event, makes the
change, then lets it go, so the overlap happens every run."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from urllib.parse import urlencode

import httpx
import loops
import pytest
from idp_testkit import (
    ALICE,
    CLIENT_ID,
    SECRET,
    TENANT,
    auth_params,
    ctx_of,
    login_action,
    password,
)
from starlette.applications import Starlette

from mock_idp import create_app
from mock_idp.config import IdpConfig

GRAPH = f"/graph/{TENANT}/v1.0"
TOKEN = f"/{TENANT}/oauth2/v2.0/token"
CLIENT_CREDENTIALS = urlencode({
    "grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": SECRET,
    "scope": "https://graph.microsoft.com/.default"}).encode()


class HeldBody:
    """A request body sent in two parts: the second waits until :meth:`release`. ``reading``
    is set once the server asks for the second part, so it has started on the request."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.reading = asyncio.Event()
        self._go = asyncio.Event()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.body[:5]
        self.reading.set()
        await self._go.wait()
        yield self.body[5:]

    def release(self) -> None:
        self._go.set()


async def meanwhile(client: httpx.AsyncClient, method: str, url: str, body: bytes,
                    content_type: str, change: Callable[[], Awaitable[httpx.Response]]
                    ) -> tuple[httpx.Response, httpx.Response]:
    """``method url`` with ``body``, ``change`` made while the server waits for the body's
    end; the answers to both."""
    held = HeldBody(body)
    first = asyncio.create_task(client.request(method, url, content=held, headers={
        "content-type": content_type, "content-length": str(len(body))}))
    await asyncio.wait_for(held.reading.wait(), 10)
    changed = await change()
    held.release()
    return await asyncio.wait_for(first, 10), changed


def run(test: Callable[[httpx.AsyncClient], Awaitable[None]],
        app: Starlette | None = None) -> None:
    async def main() -> None:
        transport = httpx.ASGITransport(app=app or create_app(IdpConfig.default()))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            await test(c)
    loops.run(main())


def test_a_secret_added_to_an_app_deleted_while_its_request_arrives_is_not_found() -> None:
    async def test(client: httpx.AsyncClient) -> None:
        created = await client.post(f"{GRAPH}/applications", json={"displayName": "racer"})
        app = f"{GRAPH}/applications/{created.json()['id']}"
        added, deleted = await meanwhile(
            client, "POST", f"{app}/addPassword", b'{"passwordCredential": {}}',
            "application/json", lambda: client.delete(app))
        assert deleted.status_code == 204
        assert added.status_code == 404, added.text
        assert added.json()["error"]["code"] == "Request_ResourceNotFound"

    run(test)


def test_a_tenant_deleted_while_its_settings_arrive_is_not_found() -> None:
    async def test(client: httpx.AsyncClient) -> None:
        updated, deleted = await meanwhile(
            client, "PATCH", f"/_mock/tenants/{TENANT}", b'{"allow_user_consent": false}',
            "application/json", lambda: client.delete(f"/_mock/tenants/{TENANT}"))
        assert deleted.status_code == 204
        assert updated.status_code == 404, updated.text
        assert updated.json()["error"]["field"] == "tenant"

    run(test)


def test_a_token_request_to_a_tenant_deleted_while_its_form_arrives_gets_no_token() -> None:
    async def test(client: httpx.AsyncClient) -> None:
        answer, deleted = await meanwhile(
            client, "POST", TOKEN, CLIENT_CREDENTIALS, "application/x-www-form-urlencoded",
            lambda: client.delete(f"/_mock/tenants/{TENANT}"))
        assert deleted.status_code == 204
        assert answer.status_code == 400, answer.text
        assert answer.json()["error_codes"] == [90002]

    run(test)


def test_a_token_request_a_hang_holds_gets_no_token_once_its_tenant_is_deleted() -> None:
    """Deleting the tenant clears the hang scoped to it, which lets the request go on: it is
    answered for the directory as it then is."""
    async def test(client: httpx.AsyncClient) -> None:
        armed = await client.post("/_mock/faults", json={
            "endpoint": "token", "kind": "hang", "seconds": 30, "tenant": TENANT, "times": 1})
        assert armed.status_code == 201, armed.text
        held = asyncio.create_task(client.post(TOKEN, content=CLIENT_CREDENTIALS, headers={
            "content-type": "application/x-www-form-urlencoded"}))
        for _ in range(1000):  # until the hang holds it (the fault's hits count it)
            listed = (await client.get("/_mock/faults")).json()["faults"]
            if listed and listed[0]["hits"] == 1:
                break
            await asyncio.sleep(0)
        assert listed[0]["hits"] == 1
        assert (await client.delete(f"/_mock/tenants/{TENANT}")).status_code == 204
        answer = await asyncio.wait_for(held, 10)
        assert answer.status_code == 400, answer.text
        assert answer.json()["error_codes"] == [90002]

    run(test)


def test_a_device_code_asked_of_a_tenant_deleted_while_its_form_arrives_is_refused() -> None:
    async def test(client: httpx.AsyncClient) -> None:
        form = urlencode({"client_id": CLIENT_ID, "scope": "openid"}).encode()
        answer, deleted = await meanwhile(
            client, "POST", f"/{TENANT}/oauth2/v2.0/devicecode", form,
            "application/x-www-form-urlencoded",
            lambda: client.delete(f"/_mock/tenants/{TENANT}"))
        assert deleted.status_code == 204
        assert answer.status_code == 400, answer.text
        assert answer.json()["error_codes"] == [90002]

    run(test)


async def _post_page(client: httpx.AsyncClient, page: httpx.Response,
                     **form: str) -> httpx.Response:
    """Post a sign-in page's form with ``form``."""
    return await client.post(login_action(page.text), data={"ctx": ctx_of(page.text), **form})


@pytest.mark.parametrize("change", ["reset", "user-deleted", "app-deleted"])
def test_a_sign_in_a_hang_holds_gets_no_code_once_its_session_or_app_is_gone(
        change: str) -> None:
    """The hang holds the sign-in's last step (Stay signed in?'s answer) where the code would
    be issued; the change meanwhile lets it go (a reset clears the fault), and the sign-in is
    answered for the provider as it then is: no code for a session or an app not there."""
    app = create_app(IdpConfig.default())

    async def test(client: httpx.AsyncClient) -> None:
        page = await client.get(f"/{TENANT}/oauth2/v2.0/authorize", params=auth_params())
        kmsi = await _post_page(client, page, loginfmt=ALICE, passwd=password(ALICE))
        assert 'id="KmsiDescription"' in kmsi.text, kmsi.text[:300]
        armed = await client.post("/_mock/faults", json={
            "endpoint": "signin", "kind": "hang", "seconds": 30, "times": 1})
        assert armed.status_code == 201, armed.text
        held = asyncio.create_task(_post_page(client, kmsi, answer="No"))
        for _ in range(1000):  # until the hang holds it (the fault's hits count it)
            listed = (await client.get("/_mock/faults")).json()["faults"]
            if listed and listed[0]["hits"] == 1:
                break
            await asyncio.sleep(0)
        assert listed[0]["hits"] == 1
        if change == "reset":
            assert (await client.post("/_mock/reset")).status_code == 200
        elif change == "user-deleted":
            assert (await client.delete(f"{GRAPH}/users/{ALICE}")).status_code == 204
        else:
            found = (await client.get(f"{GRAPH}/applications",
                                      params={"$filter": f"appId eq '{CLIENT_ID}'"})).json()
            gone = await client.delete(f"{GRAPH}/applications/{found['value'][0]['id']}")
            assert gone.status_code == 204, gone.text
        await client.delete("/_mock/faults")  # lets it go (the reset did already)
        answer = await asyncio.wait_for(held, 10)
        assert "code=" not in answer.headers.get("location", ""), answer.headers
        expected = {"reset": "AADSTS9002313", "user-deleted": "AADSTS50057",
                    "app-deleted": "AADSTS700016"}[change]
        assert expected in answer.text + answer.headers.get("location", ""), answer.text[:300]
        assert len(app.state.idp.store.codes) == 0

    run(test, app)
