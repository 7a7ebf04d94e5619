"""The project's mock platform rotates its event-signing key just after someone posted a junk
event naming a made-up key id, with the reference relying party wired in-process: the
platform's next event, a ``user.logout`` signed with the new key, is taken at its first
delivery and signs the user out."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rp_support import settle
from test_rp_with_mock_idp import CLIENT_ID, RP, TID, World, open_world

ALICE = "alice@contoso.onmicrosoft.com"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    yield from open_world(tmp_path)


def test_a_junk_event_does_not_keep_out_the_logout_after_a_key_rotation(world: World) -> None:
    installed = world.idp.post("/_mock/installations", json={
        "app_id": CLIENT_ID, "tenant": TID, "events_url": f"{RP}/events"})
    assert installed.status_code == 201, installed.text
    iid = installed.json()["installation"]["installation_id"]
    settle(world.rp)
    location = world.rp.get(f"/launch?installation_id={iid}&user_id=x").headers["location"]
    assert world.rp.get(world.through_idp(location)).status_code == 303
    assert world.rp.get("/api/me").status_code == 200

    junk = world.rp.post("/events", content=b'{"x":1}', headers={
        "Content-Type": "application/json", "X-Hub-Ecdsa-Signature": "MEUCIQ==",
        "X-Hub-Ecdsa-Signature-Id": "attacker-1"})
    assert junk.status_code == 401 and junk.json()["error"] == "event_unknown_key"
    assert world.idp.post("/_mock/event-keys/rotate", json={}).status_code == 200

    alice = world.idp.app.state.idp.store.tenants[TID].find_user(ALICE)
    sent = world.idp.post(f"/_mock/installations/{iid}/logout",
                          json={"user_id": alice.id, "user_email": ALICE})
    assert sent.status_code == 200, sent.text
    delivery = sent.json()["delivery"]
    assert delivery["status"] == 200, delivery
    assert world.rp.get("/api/me").status_code == 401
