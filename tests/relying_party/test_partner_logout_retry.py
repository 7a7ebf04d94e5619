"""A ``user.logout`` ends the sessions the user started before it was created, allowing 30 s
for the platform's clock to lag this app's, never one started later: the platform retries a
failed delivery 5 and then 10 minutes later, by which time the user may have signed in again."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from fake_op import TID, USERS, event
from rp_support import INSTALLATION, RpHarness, install, launch, post_event

from relying_party.partner import LOGOUT_CLOCK_SKEW, logged_out_before

PLUS_TWO = timezone(timedelta(hours=2))


def logout_event(rp: RpHarness, created_at: datetime, user: str = "alice") -> bytes:
    body = event("user.logout", {"account_id": TID, "user_id": USERS[user].oid,
                                 "installation_id": INSTALLATION}, created_at=created_at)
    if created_at.microsecond:  # the fake platform writes whole seconds
        envelope = json.loads(body)
        envelope["created_at"] = created_at.isoformat()
        body = json.dumps(envelope).encode()
    return body


def outcome(rp: RpHarness, body: bytes) -> str:
    response = post_event(rp, body)
    assert response.status_code == 200, response.text
    result: str = response.json()["outcome"]
    return result


def test_a_retried_logout_keeps_the_session_started_after_it(rp: RpHarness) -> None:
    install(rp)
    assert launch(rp, "alice").status_code == 303
    logout = logout_event(rp, rp.clock.now())  # its first delivery fails
    rp.clock.advance(minutes=1)
    assert launch(rp, "alice").status_code == 303  # alice signs in again
    rp.clock.advance(minutes=5)
    assert outcome(rp, logout) == "logged_out:0"  # the retry
    assert rp.me().status_code == 200


def test_a_logout_ends_the_sessions_started_before_it(rp: RpHarness) -> None:
    install(rp)
    assert launch(rp, "alice").status_code == 303
    rp.clock.advance(seconds=30)
    logout = logout_event(rp, rp.clock.now())
    rp.clock.advance(minutes=5)
    assert outcome(rp, logout) == "logged_out:1"
    assert rp.me().status_code == 401


def test_a_platform_clock_behind_this_apps_does_not_let_a_session_survive(
    rp: RpHarness
) -> None:
    # The platform's clock 5 s behind: the session began (by this app's clock) after the
    # event's created_at, and before the logout really happened.
    install(rp)
    assert launch(rp, "alice").status_code == 303
    rp.clock.advance(seconds=2)
    behind = rp.clock.now() - timedelta(seconds=5)
    assert outcome(rp, logout_event(rp, behind)) == "logged_out:1"
    assert rp.me().status_code == 401


@pytest.mark.parametrize("created_at", [
    datetime(2026, 3, 1, 9, 0, 5, tzinfo=UTC),
    datetime(2026, 3, 1, 9, 0, 5, 250_000, tzinfo=UTC),
    datetime(2026, 3, 1, 11, 0, 5, tzinfo=PLUS_TWO),
])
def test_logged_out_before(created_at: datetime) -> None:
    assert logged_out_before(created_at) == created_at + LOGOUT_CLOCK_SKEW
    assert LOGOUT_CLOCK_SKEW == timedelta(seconds=30)


def test_end_by_platform_user_compares_instants_not_offsets(rp: RpHarness) -> None:
    """The bound is compared in UTC whatever offset the event was written with."""
    install(rp)
    assert launch(rp, "alice").status_code == 303
    before = (rp.clock.now() - timedelta(seconds=1)).astimezone(PLUS_TWO)
    sessions = rp.client.app.state.rp.db.sessions  # type: ignore[attr-defined]
    assert sessions.end_by_platform_user(INSTALLATION, USERS["alice"].oid,
                                         started_before=before) == 0
    after = (rp.clock.now() + timedelta(seconds=1)).astimezone(PLUS_TWO)
    assert sessions.end_by_platform_user(INSTALLATION, USERS["alice"].oid,
                                         started_before=after) == 1

