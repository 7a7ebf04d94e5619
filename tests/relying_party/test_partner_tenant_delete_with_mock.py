"""Deleting a tenant at the mock platform ends its installations at the reference relying party
as an uninstall does, all in-process: the app hears ``app.trial_ended`` and ``app.uninstalled``,
marks the installation inactive and ends the sessions signed in through it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rp_support import settle
from test_rp_with_mock_idp import CLIENT_ID, RP, TID, World, open_world


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    yield from open_world(tmp_path)


def deliveries(world: World) -> dict[str, Any]:
    body: dict[str, Any] = world.idp.get("/_mock/deliveries").json()
    return body


@pytest.mark.parametrize("ended_by", ["installation", "tenant"])
def test_a_deleted_tenants_installation_ends_at_the_app_as_an_uninstall(
        world: World, ended_by: str) -> None:
    installed = world.idp.post("/_mock/installations", json={
        "app_id": CLIENT_ID, "tenant": TID, "events_url": f"{RP}/events", "trial_days": 30})
    assert installed.status_code == 201, installed.text
    iid = installed.json()["installation"]["installation_id"]
    settle(world.rp)  # the app approves the installation: the trial starts
    location = world.rp.get(f"/launch?installation_id={iid}&user_id=x").headers["location"]
    assert world.rp.get(world.through_idp(location)).status_code == 303
    assert world.rp.get("/api/me").json()["source_id"] == iid
    before = len(deliveries(world)["deliveries"])

    path = f"/_mock/installations/{iid}" if ended_by == "installation" else f"/_mock/tenants/{TID}"
    ended = world.idp.delete(path)
    assert ended.status_code in (200, 204), ended.text

    log = deliveries(world)
    assert [(d["type"], d["status"]) for d in log["deliveries"][before:]] == [
        ("app.trial_ended", 200), ("app.uninstalled", 200)]
    assert log["pending"] == []
    assert world.rp.get("/api/me").status_code == 401
    [at_rp] = world.rp.get("/api/admin/installations").json()
    assert at_rp["installation_id"] == iid and at_rp["active"] is False
