"""Records dropped as the clock passes their deadlines, a little on every write."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from asgi_client import AppClient
from idp_testkit import (
    CLIENT_ID,
    SECRET,
    TENANT,
    auth_params,
    get_code,
    paths,
    redeem,
    sign_in,
    tokens_for,
)

from mock_idp.clock import MockClock
from mock_idp.expiry import ExpiringMap, ExpiringSet, after
from mock_idp.store import EXPIRED_KEPT

START = datetime(2026, 3, 2, 9, 30, 15, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


@dataclass
class Record:
    expires_at: datetime


def test_a_write_drops_what_is_past_its_deadline() -> None:
    clock = MockClock(frozen_at=START)
    records: ExpiringMap[str, Record] = ExpiringMap(clock, lambda r, _: r.expires_at)
    records["a"] = Record(START + MINUTE)
    records["b"] = Record(START + 3 * MINUTE)
    clock.advance(2 * MINUTE)
    assert set(records) == {"a", "b"}  # due, but nothing was written since
    records["c"] = Record(START + 10 * MINUTE)
    assert set(records) == {"b", "c"}
    assert records.drop_expired(START + 20 * MINUTE) == 2
    assert len(records) == 0


def test_a_record_whose_deadline_moved_later_is_kept_until_then() -> None:
    clock = MockClock(frozen_at=START)
    records: ExpiringMap[str, Record] = ExpiringMap(clock, lambda r, _: r.expires_at)
    session = records["s"] = Record(START + MINUTE)
    session.expires_at = START + 10 * MINUTE
    clock.advance(5 * MINUTE)
    records["t"] = Record(START + 6 * MINUTE)
    assert "s" in records
    clock.advance(6 * MINUTE)
    records["u"] = Record(START + 20 * MINUTE)
    assert set(records) == {"u"}


def test_deleted_and_rewritten_records_follow_their_latest_write() -> None:
    clock = MockClock(frozen_at=START)
    records: ExpiringMap[str, str] = ExpiringMap(clock, after(MINUTE))
    records["a"] = "first"
    del records["a"]
    records["b"] = "first"
    clock.advance(MINUTE / 2)
    records["b"] = "again"  # a minute from now, not from the first write
    clock.advance(MINUTE * 3 / 4)
    assert records.drop_expired() == 0 and records["b"] == "again"
    assert records.pop("b") == "again" and records.drop_expired(START + MINUTE * 9) == 0


def test_an_expiring_set_forgets_members_after_their_lifetime() -> None:
    clock = MockClock(frozen_at=START)
    members: ExpiringSet[str] = ExpiringSet(clock, MINUTE)
    members.add("x")
    clock.advance(2 * MINUTE)
    assert "x" in members
    members.add("y")
    assert set(members) == {"y"}


def test_a_redeemed_code_is_54005_as_long_as_an_expired_code_is_70008(
        client: AppClient, clock: MockClock) -> None:
    grant = get_code(client)
    assert redeem(client, grant).status_code == 200
    clock.advance(timedelta(minutes=9))
    assert redeem(client, grant).json()["error_codes"] == [54005]
    clock.advance(EXPIRED_KEPT)  # the code's lifetime is over, its grace is not
    get_code(client)
    assert redeem(client, grant).json()["error_codes"] == [54005]
    clock.advance(timedelta(minutes=2))
    assert redeem(client, get_code(client)).status_code == 200  # a write drops the mark
    store = client.app.state.idp.store  # type: ignore[attr-defined]
    assert grant.code not in store.redeemed_codes
    assert redeem(client, grant).json()["error_codes"] == [70000]


def test_an_expired_code_says_so_for_a_day_then_is_forgotten(client: AppClient,
                                                              clock: MockClock) -> None:
    grant = get_code(client)
    clock.advance(timedelta(hours=23))
    get_code(client)
    assert redeem(client, grant).json()["error_codes"] == [70008]
    late = get_code(client)
    clock.advance(timedelta(days=2))
    get_code(client)
    assert redeem(client, late).json()["error_codes"] == [70000]


def test_a_sign_in_page_left_open_for_over_an_hour_is_forgotten(client: AppClient,
                                                                clock: MockClock) -> None:
    authorize = paths(TENANT, "2.0")["authorize"]
    stale = client.get(authorize, params=auth_params(prompt="login"))
    clock.advance(timedelta(minutes=61))
    fresh = client.get(authorize, params=auth_params(prompt="login"))
    for page, status in ((stale, 400), (fresh, 302)):
        response = sign_in(client, page)
        assert response.status_code == status, response.text[:200]


def test_an_expired_refresh_token_is_kept_a_day_and_still_says_so_once_dropped(
        client: AppClient, clock: MockClock) -> None:
    """Dropped a day past its expiry, a refresh token's value still says when it expired
    (:mod:`mock_idp.refresh_tokens`), as Entra's does months later."""
    store = client.app.state.idp.store  # type: ignore[attr-defined]
    lifetime = client.app.state.idp.config.refresh_token_lifetime  # type: ignore[attr-defined]

    def refresh(token: str) -> list[int]:
        response = client.post(paths(TENANT, "2.0")["token"], data={
            "grant_type": "refresh_token", "client_id": CLIENT_ID, "client_secret": SECRET,
            "refresh_token": token})
        assert response.status_code == 400, response.text
        codes: list[int] = response.json()["error_codes"]
        return codes

    first = tokens_for(client, scope="openid offline_access")["refresh_token"]
    clock.advance(lifetime + timedelta(hours=23))
    tokens_for(client, scope="openid offline_access")
    assert refresh(first) == [700082]
    clock.advance(timedelta(hours=2))
    assert first in store.refresh_tokens
    tokens_for(client, scope="openid offline_access")  # a write drops the first
    assert first not in store.refresh_tokens
    assert refresh(first) == [700082]


def test_deleted_records_leave_no_queue_behind_under_a_frozen_clock() -> None:
    """A map capped by deleting its oldest records (the sign-in pages, device codes) must not
    keep a queue entry per write until each deadline, which a frozen clock never reaches."""
    clock = MockClock(frozen_at=START)
    records: ExpiringMap[int, Record] = ExpiringMap(clock, lambda r, _: r.expires_at)
    for i in range(10_000):
        records[i] = Record(START + MINUTE)
        if len(records) > 100:
            del records[i - 100]
        records[i] = Record(START + MINUTE)  # written again: its older entry is stale too
    assert len(records) == 100
    assert len(records._queue) <= 2 * 100 + 64 + 2
    clock.advance(2 * MINUTE)
    records[-1] = Record(START + 3 * MINUTE)
    assert list(records) == [-1]
