"""A tenant deleted (``DELETE /_mock/tenants/{tenant}``) while it is made again under the same
id: the deletion ends the tenant's installations, telling each app (an await of its answer),
and a tenant made meanwhile comes after that deletion has ended, as one whole tenant with its
own installations."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import loops
from test_control import FABRIKAM, PORTAL
from test_notifications import EVENTS_URL, Receiver

from mock_idp import create_app
from mock_idp.config import IdpConfig

FAB = FABRIKAM["id"]
INSTALL = {"app_id": PORTAL, "tenant": FAB, "events_url": EVENTS_URL}


def _scenario(receiver: Receiver) -> dict[str, Any]:
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=receiver.app()))
    idp = create_app(IdpConfig.default(), http_client=http)

    async def main() -> dict[str, Any]:
        transport = httpx.ASGITransport(app=idp)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            assert (await c.post("/_mock/tenants", json=FABRIKAM)).status_code == 201
            assert (await c.post("/_mock/installations", json=INSTALL)).status_code == 201
            made: list[httpx.Response] = []

            async def make_again() -> None:
                made.append(await c.post("/_mock/tenants", json=FABRIKAM))
                made.append(await c.post("/_mock/installations", json=INSTALL))

            async def while_told() -> None:  # the app answers app.uninstalled in its time
                receiver.meanwhile.clear()  # (not again for the new installation's event)
                again = asyncio.create_task(make_again())
                for _ in range(200):  # as long as the requests need to finish, if they can
                    if again.done():
                        break
                    await asyncio.sleep(0)
                tasks.append(again)

            tasks: list[asyncio.Task[None]] = []
            receiver.meanwhile["/events"] = while_told
            deleted = await c.delete(f"/_mock/tenants/{FAB}")
            await asyncio.wait_for(tasks[0], 10)
            return {
                "deleted": deleted.status_code,
                "made": [r.status_code for r in made],
                "tenant": (await c.get("/_mock/tenants")).json(),
                "installations": (await c.get("/_mock/installations",
                                              params={"tenant": FAB})).json()["installations"],
            }

    return loops.run(main())


def test_a_tenant_made_again_while_its_deletion_ends_its_installations_is_whole() -> None:
    receiver = Receiver()
    seen = _scenario(receiver)
    assert seen["deleted"] == 204
    assert seen["made"] == [201, 201]
    assert [t["id"] for t in seen["tenant"]["tenants"]].count(FAB) == 1
    assert [i["state"] for i in seen["installations"]] == ["installed"], seen["installations"]
    assert [e["type"] for e in receiver.events()] == [
        "app.installed", "app.uninstalled", "app.installed"]
