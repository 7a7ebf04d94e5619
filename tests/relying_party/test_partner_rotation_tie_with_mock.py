"""Two credential rotations in one second at the project's mock platform, the first one's
delivery failing and coming again later, with the reference relying party wired in-process:
the platform's events are dated to the second, so the late one is kept beside the current
credentials (``credentials_tied``) rather than applied over them, and the next launch signs in
with the secret the platform still takes, not the one it ended when the app acknowledged the
newer rotation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from rp_support import settle
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from test_rp_with_mock_idp import CLIENT_ID, RP, TID, World, open_world


class FirstRotationFails:
    """The RP's events URL, answering 503 to the first ``app.credentials_rotated`` without
    passing it on (a delivery that failed on its way)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.failed: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/events" or self.failed:
            await self.app(scope, receive, send)
            return
        body, more = b"", True
        while more:
            message = await receive()
            body, more = body + message.get("body", b""), message.get("more_body", False)
        envelope = json.loads(body)
        if envelope.get("type") == "app.credentials_rotated":
            self.failed.append(envelope["id"])
            await Response(status_code=503)(scope, receive, send)
            return

        async def replay() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    yield from open_world(tmp_path, deliveries=FirstRotationFails)


def test_a_late_rotation_of_the_same_second_does_not_bring_back_an_ended_secret(
        world: World) -> None:
    installed = world.idp.post("/_mock/installations", json={
        "app_id": CLIENT_ID, "tenant": TID, "events_url": f"{RP}/events"})
    assert installed.status_code == 201, installed.text
    iid = installed.json()["installation"]["installation_id"]
    settle(world.rp)
    world.clock.freeze()  # both rotations in one second
    first = world.idp.post(f"/_mock/installations/{iid}/rotate", json={}).json()
    assert first["delivery"]["status"] == 503
    second = world.idp.post(f"/_mock/installations/{iid}/rotate", json={}).json()
    assert second["event"]["created_at"] == first["event"]["created_at"]
    assert second["delivery"]["status"] == 200, second["delivery"]
    settle(world.rp)  # acknowledged: the platform ends the first rotation's secret
    platform = world.idp.get(f"/_mock/installations/{iid}").json()
    assert platform["credentials"]["state"] == "acknowledged"

    late = world.idp.post(f"/_mock/events/{first['event']['id']}/redeliver").json()
    assert late["delivery"]["status"] == 200, late["delivery"]
    settle(world.rp)
    stored = world.rp.app.state.rp.db.installations  # type: ignore[attr-defined]
    assert stored.get(iid).client_secret == platform["client_secret"]
    location = world.rp.get(f"/launch?installation_id={iid}&user_id=x").headers["location"]
    assert world.rp.get(world.through_idp(location)).status_code == 303
    assert world.rp.get("/api/me").json()["source_id"] == iid
    assert world.rp.get("/api/admin/errors").json() == []
