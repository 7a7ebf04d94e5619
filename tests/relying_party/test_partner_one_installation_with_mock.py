"""One app registration, one active installation per tenant, with the reference relying party
wired in-process: a second install of the registration in the tenant is refused with nothing
stored or sent, and a sign-out at the platform reaches the installation the user signed in
through."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rp_support import settle
from test_rp_with_mock_idp import CLIENT_ID, RP, TID, World, open_world

from mock_idp.protocol.optional_claims import login_hint


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    yield from open_world(tmp_path)


def install(world: World, **body: str) -> Any:
    return world.idp.post("/_mock/installations",
                          json={"tenant": TID, "events_url": f"{RP}/events", **body})


def sent(world: World) -> tuple[Any, Any]:
    return world.idp.get("/_mock/events").json(), world.idp.get("/_mock/deliveries").json()


def test_one_installation_per_registration_and_sign_out_reaches_it(world: World) -> None:
    first = install(world, app_id=CLIENT_ID)
    assert first.status_code == 201, first.text
    iid = first.json()["installation"]["installation_id"]
    settle(world.rp)
    before = sent(world)

    for body, field in (({"app_id": CLIENT_ID.upper(), "client_id": CLIENT_ID}, "app_id"),
                        ({"app_id": "totally-made-up", "client_id": CLIENT_ID}, "client_id")):
        refused = install(world, **body)
        assert refused.status_code == 409, refused.text
        assert refused.json()["error"]["field"] == field
    assert sent(world) == before
    listed = world.idp.get("/_mock/installations").json()["installations"]
    assert [i["installation_id"] for i in listed] == [iid]
    assert [i["installation_id"] for i in world.rp.get("/api/admin/installations").json()] == [iid]

    location = world.rp.get(f"/launch?installation_id={iid}&user_id=x").headers["location"]
    assert world.rp.get(world.through_idp(location)).status_code == 303
    assert world.rp.get("/api/me").json()["source_id"] == iid
    directory = world.idp.app.state.idp.store.tenants[TID]
    alice = directory.find_user("alice@contoso.onmicrosoft.com")
    hint = {"logout_hint": login_hint(alice, directory)}  # else v2.0 asks "Pick an account"
    assert world.idp.get(f"/{TID}/oauth2/v2.0/logout", params=hint).status_code in (200, 302)
    logouts = world.idp.get("/_mock/events", params={"type": "user.logout"}).json()["events"]
    assert [e["data"]["installation_id"] for e in logouts] == [iid]
    assert world.rp.get("/api/me").status_code == 401
