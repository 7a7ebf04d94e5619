"""The relying party approves its installations and acknowledges rotated credentials at the
project's mock platform, all in-process: the platform then reports the installation
``completed`` and the credentials ``acknowledged``, and the old secret ends at once."""

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


def at_platform(world: World, installation_id: str) -> dict[str, Any]:
    response = world.idp.get(f"/_mock/installations/{installation_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def at_rp(world: World) -> dict[str, Any]:
    [installation] = world.rp.get("/api/admin/installations").json()
    return dict(installation)


def test_the_platform_sees_the_installation_approved_and_the_rotation_acknowledged(
    world: World,
) -> None:
    installed = world.idp.post("/_mock/installations", json={
        "app_id": CLIENT_ID, "tenant": TID, "events_url": f"{RP}/events"})
    assert installed.status_code == 201, installed.text
    iid = installed.json()["installation"]["installation_id"]
    settle(world.rp)
    assert at_rp(world)["approval"]["state"] == "approved", at_rp(world)
    assert at_platform(world, iid)["approval"]["state"] == "completed"

    old_secret = at_platform(world, iid)["client_secret"]
    rotated = world.idp.post(f"/_mock/installations/{iid}/rotate", json={})
    assert rotated.status_code == 200, rotated.text
    settle(world.rp)
    assert at_rp(world)["credentials_ack"]["state"] == "acknowledged", at_rp(world)
    platform = at_platform(world, iid)
    assert platform["credentials"]["state"] == "acknowledged"
    assert platform["client_secret"] != old_secret
    token = world.idp.post(f"/{TID}/oauth2/v2.0/token", data={
        "grant_type": "client_credentials", "client_id": platform["client_id"],
        "client_secret": old_secret, "scope": "https://graph.microsoft.com/.default"})
    assert token.status_code == 401, token.text  # the acknowledgement ended the old secret
    assert world.rp.get("/api/admin/errors").json() == []
