"""A request still being answered when the provider is reset (``POST /_mock/reset``) is not
logged into the log the reset began: a worker resets its provider between two scenarios, and
the next scenario's log (its protocol view, the app's key-set fetches lifecycle.key-rotation
counts) starts as a freshly started provider's does."""

from __future__ import annotations

import asyncio

import httpx
import loops

from mock_idp import create_app
from mock_idp.config import IdpConfig

TENANT = IdpConfig.default().tenants[0].id
DISCOVERY = f"/{TENANT}/v2.0/.well-known/openid-configuration"


async def _logged(client: httpx.AsyncClient) -> list[dict[str, object]]:
    answer = await client.get("/_mock/requests")
    assert answer.status_code == 200, answer.text
    return list(answer.json()["requests"])


async def _held_across_a_reset(client: httpx.AsyncClient) -> httpx.Response:
    """A discovery request a hang holds while the provider is reset; the request's answer."""
    armed = await client.post("/_mock/faults", json={
        "kind": "hang", "endpoint": "discovery", "seconds": 30, "times": 1})
    assert armed.status_code == 201, armed.text
    held = asyncio.create_task(client.get(DISCOVERY))
    for _ in range(1000):  # until the hang holds it (the fault's hits count it)
        faults = (await client.get("/_mock/faults")).json()["faults"]
        if faults and faults[0]["hits"] == 1:
            break
        await asyncio.sleep(0)
    assert faults[0]["hits"] == 1
    assert (await client.post("/_mock/reset", json={"clock": True})).status_code == 200
    return await asyncio.wait_for(held, 10)  # the reset cleared the hang, which let it go


def _client(transport: httpx.AsyncBaseTransport) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def test_a_request_answered_across_a_reset_is_not_in_the_next_log() -> None:
    async def main() -> tuple[list[dict[str, object]], list[dict[str, object]]]:
        used = httpx.ASGITransport(app=create_app(IdpConfig.default()))
        fresh = httpx.ASGITransport(app=create_app(IdpConfig.default()))
        async with _client(used) as client, _client(fresh) as other:
            answer = await _held_across_a_reset(client)
            assert answer.status_code in (200, 504), answer.text
            return await _logged(client), await _logged(other)

    after_reset, freshly_started = loops.run(main())
    assert after_reset == freshly_started == []
