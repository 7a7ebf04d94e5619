"""The console's forms, in process: each does what the control API's route does (the due
events end expired trials too), and each refuses what it does not take with the page's error,
naming the field, instead of dropping it or guessing."""

from __future__ import annotations

from datetime import timedelta

from asgi_client import AppClient
from test_console import press
from test_platform_trials import approve, events_url, install, sent, shown

from mock_idp.clock import MockClock

__all__ = ["events_url"]  # the fixture, for the tests below


def test_send_due_deliveries_now_ends_the_trials_past_their_end_as_the_api_does(
        client: AppClient, clock: MockClock, events_url: str) -> None:
    installation = install(client, events_url, trial_days=30)
    approve(client, installation)
    clock.advance(timedelta(days=31))
    assert shown(client, installation)["state"] == "expired"
    response = press(client, "run-events")
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert "1%20due%20delivery%20attempt%20sent" in response.headers[  # type: ignore[attr-defined]
        "location"]
    ended = shown(client, installation)
    assert (ended["state"], ended["ended_reason"]) == ("ended", "trial_expired")
    [event] = sent(client, "app.trial_ended")
    assert event["data"]["ended_by"] == "system"
