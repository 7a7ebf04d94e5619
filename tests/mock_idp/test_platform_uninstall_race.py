"""Two uninstalls of one installation racing each other during a trial: one request ends it and
sends its events (``app.trial_ended``, then ``app.uninstalled``); the other is the usual 409 for
an installation no longer installed, and sends nothing, even while the first one's events are
still on their way."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import httpx
import loops

from mock_idp.app import create_app
from mock_idp.clock import MockClock
from mock_idp.config import IdpConfig

START = datetime(2026, 3, 2, 9, 30, 15, tzinfo=UTC)
TENANT_ID = "6f2c1a9e-3b7d-4e58-a1c4-92d0b7e5f318"
APP_ID = "2b8e4f61-9c3a-4d7e-b5f2-08a6c1d9e473"


class Receiver:
    """Answers every event 200 at once, but the first one after :meth:`hold_next` only once
    :attr:`release` is set."""

    def __init__(self) -> None:
        self.types: list[str] = []
        self.held = asyncio.Event()
        self.release = asyncio.Event()
        self._hold = False

    def hold_next(self) -> None:
        self._hold = True

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.types.append(json.loads(request.content)["type"])
        if self._hold:
            self._hold = False
            self.held.set()
            await self.release.wait()
        return httpx.Response(200)


async def in_trial(idp: httpx.AsyncClient) -> str:
    """An installation whose app approved it, its 30-day trial active."""
    made = await idp.post("/_mock/installations", json={
        "app_id": APP_ID, "tenant": TENANT_ID, "events_url": "http://rp.test/events",
        "trial_days": 30})
    assert made.status_code == 201, made.text
    installation: dict[str, Any] = made.json()["installation"]
    token = await idp.post(f"/{TENANT_ID}/oauth2/v2.0/token", data={
        "grant_type": "client_credentials", "client_id": APP_ID,
        "client_secret": installation["client_secret"],
        "scope": "https://graph.microsoft.com/.default"})
    assert token.status_code == 200, token.text
    installation_id = str(installation["installation_id"])
    approved = await idp.post(f"/apps/{APP_ID}/installations/{installation_id}/state",
                              json={"state": "approve"},
                              headers={"Authorization": f"Bearer {token.json()['access_token']}"})
    assert approved.status_code == 200, approved.text
    for _ in range(100):  # app.trial_started goes out once the approval is answered
        shown = await idp.get(f"/_mock/installations/{installation_id}")
        if shown.json()["trial"]["state"] == "active":
            return installation_id
        await asyncio.sleep(0)
    raise AssertionError("the trial did not start")


def test_of_two_racing_uninstalls_one_sends_the_events_and_the_other_is_refused() -> None:
    async def scenario() -> tuple[httpx.Response, list[str], httpx.Response, list[str], Any]:
        receiver = Receiver()
        async with httpx.AsyncClient(transport=httpx.MockTransport(receiver)) as events:
            app = create_app(IdpConfig.default(clock=MockClock(frozen_at=START)),
                             http_client=events)
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                         base_url="http://testserver") as idp:
                installation_id = await in_trial(idp)
                receiver.types.clear()
                receiver.hold_next()
                path = f"/_mock/installations/{installation_id}"
                first = asyncio.ensure_future(idp.delete(path))
                await receiver.held.wait()  # the first one's app.trial_ended is on its way
                second = await idp.delete(path)
                sent_meanwhile = list(receiver.types)
                receiver.release.set()
                answered = await first
                stored = (await idp.get("/_mock/events")).json()["events"]
                return answered, list(receiver.types), second, sent_meanwhile, stored

    first, sent, second, sent_meanwhile, stored = loops.run(scenario())
    assert second.status_code == 409, second.text
    assert second.json()["error"]["field"] == "installation_id"
    assert sent_meanwhile == ["app.trial_ended"]  # the refused one sent nothing
    assert first.status_code == 200, first.text
    assert first.json()["event"]["type"] == "app.uninstalled"
    assert first.json()["installation"]["state"] == "uninstalled"
    assert first.json()["installation"]["trial"]["ended_reason"] == "app_uninstalled"
    assert sent == ["app.trial_ended", "app.uninstalled"]
    assert [e["type"] for e in stored].count("app.uninstalled") == 1
    assert [e["type"] for e in stored].count("app.trial_ended") == 1
