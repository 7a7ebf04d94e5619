"""A move of the mock's clock back may come from another thread (a test's, through
``MockIdp.advance``) while the server's thread is in the middle of a request; the records it
drops then do not break that request, and what the request changes is not undone.

Each test moves the clock back at the point where the other thread's move would land (a hook
in the request's own code), so the interleaving is certain, not left to the scheduler."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from asgi_client import AppClient
from idp_testkit import (
    CLIENT_ID,
    SECRET,
    TENANT,
    auth_params,
    paths,
    sign_in,
    tokens_for,
)

from mock_idp.clock import MockClock
from mock_idp.credentials import PasswordCredential
from mock_idp.endpoints import activity
from mock_idp.expiry import ExpiringMap, after
from mock_idp.lockout import Lockout, LockoutCounter
from mock_idp.state import IdpState

START = datetime(2026, 3, 2, 9, 30, 15, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
AUTHORIZE = paths(TENANT, "2.0")["authorize"]
TOKEN = paths(TENANT, "2.0")["token"]


def idp(client: AppClient) -> IdpState:
    state = client.app.state.idp  # type: ignore[attr-defined]
    assert isinstance(state, IdpState)
    return state


def moving_back_once(clock: MockClock, by: timedelta) -> Callable[[], None]:
    """A call that moves ``clock`` back by ``by`` the first time only."""
    moved: list[bool] = []

    def move() -> None:
        if not moved:
            moved.append(True)
            clock.advance(-by)
    return move


# --- the collections ------------------------------------------------------------------------

@pytest.mark.parametrize("view", ["keys", "values", "items"])
def test_iterating_records_goes_on_when_a_move_back_drops_them_midway(view: str) -> None:
    clock = MockClock(frozen_at=START)
    records: ExpiringMap[str, int] = ExpiringMap(clock, after(MINUTE))
    clock.before_moving_back(records.drop_ended)
    records["a"], records["b"] = 1, 2
    clock.advance(2 * MINUTE)
    move = moving_back_once(clock, 2 * MINUTE)
    seen = []
    for item in getattr(records, view)():
        move()  # drops both: their minute is over by the time the clock leaves
        seen.append(item)
    assert len(seen) == 2  # what was there when the iteration began
    assert len(records) == 0


def test_pop_reads_and_removes_a_record_in_one_step() -> None:
    clock = MockClock(frozen_at=START)

    class DroppedOnRead(ExpiringMap[str, int]):
        """A record read, then dropped by the clock moving back before the delete."""

        def __getitem__(self, key: str) -> int:
            value = super().__getitem__(key)
            self.drop_ended(clock.now())
            return value

    records = DroppedOnRead(clock, after(MINUTE))
    records["a"] = 1
    clock.advance(2 * MINUTE)
    assert records.pop("a", None) == 1
    assert "a" not in records


# --- through requests -----------------------------------------------------------------------

def test_listing_sessions_answers_when_the_clock_moves_back_while_it_lists(
        client: AppClient, clock: MockClock, monkeypatch: pytest.MonkeyPatch) -> None:
    sign_in(client, client.get(AUTHORIZE, params=auth_params()))
    sign_in(client, client.get(AUTHORIZE, params=auth_params(prompt="login")))
    assert len(idp(client).store.sessions) == 2
    lifetime = idp(client).config.session_lifetime
    clock.advance(lifetime + MINUTE)
    move = moving_back_once(clock, lifetime + MINUTE)
    listed = activity.session_json

    def listing(state: IdpState, session: Any) -> dict[str, Any]:
        move()  # the first session listed: the move back drops every one
        return listed(state, session)

    monkeypatch.setattr(activity, "session_json", listing)
    response = client.get("/_mock/sessions")
    assert response.status_code == 200, response.text
    assert len(idp(client).store.sessions) == 0


def test_a_device_code_dropped_between_its_poll_reading_it_and_using_it_up_is_expired(
        client: AppClient, clock: MockClock, monkeypatch: pytest.MonkeyPatch) -> None:
    started = client.post(f"/{TENANT}/oauth2/v2.0/devicecode",
                          data={"client_id": CLIENT_ID, "scope": "openid"})
    assert started.status_code == 200, started.text
    clock.advance(16 * MINUTE)
    codes = idp(client).store.device_codes
    move = moving_back_once(clock, MINUTE)
    read = codes.get

    def reading(key: str, default: Any = None) -> Any:
        found = read(key, default)
        move()  # past its fifteen minutes by the time the clock leaves: dropped
        return found

    monkeypatch.setattr(codes, "get", reading)
    polled = client.post(TOKEN, data={
        "grant_type": "urn:ietf:params:oauth:grant-type:device_code", "client_id": CLIENT_ID,
        "client_secret": SECRET, "device_code": started.json()["device_code"]})
    assert polled.status_code == 400, polled.text
    assert polled.json()["error_codes"] == [70020]


def test_revoking_grants_does_not_bring_back_a_refresh_token_the_move_back_dropped(
        client: AppClient, clock: MockClock, monkeypatch: pytest.MonkeyPatch) -> None:
    token = tokens_for(client)["refresh_token"]
    store = idp(client).store
    user_id = store.refresh_tokens[token].user_id
    lifetime = idp(client).config.refresh_token_lifetime
    clock.advance(lifetime + MINUTE)  # past its lifetime, kept a day to say so
    move = moving_back_once(clock, 2 * MINUTE)
    listed = store.refresh_tokens.items

    def listing() -> Any:
        records = listed()
        move()  # the revocation read the record; the move back drops it before the write
        return records

    monkeypatch.setattr(store.refresh_tokens, "items", listing)
    store.revoke_grants(user_id, clock.now())
    assert token not in store.refresh_tokens


# --- the directory --------------------------------------------------------------------------

def test_ending_lockouts_goes_on_when_a_sign_in_counts_a_new_user_meanwhile() -> None:
    lockout = Lockout(threshold=1)
    lockout.fail("first", "wrong", START)

    class CountingMeanwhile(LockoutCounter):
        """A counter whose read lets a wrong password for another user be counted."""

        def __getattribute__(self, name: str) -> Any:
            if name == "locked_until" and "second" not in lockout.counters:
                lockout.fail("second", "wrong", START)
            return super().__getattribute__(name)

    lockout.counters["meanwhile"] = CountingMeanwhile(locked_until=START)
    lockout.end_lockouts(START + 2 * MINUTE)
    assert lockout.counters["first"].locked_until is None
    assert not lockout.locked("first", START)


def test_a_move_back_goes_on_when_a_tenant_is_added_while_it_ends_lockouts(
        client: AppClient, clock: MockClock, monkeypatch: pytest.MonkeyPatch) -> None:
    store = idp(client).store
    tenant = store.tenants[TENANT]
    ended = tenant.lockout.end_lockouts

    def adding_a_tenant(now: datetime) -> None:
        store.tenants.setdefault("added-meanwhile", tenant)
        ended(now)

    monkeypatch.setattr(tenant.lockout, "end_lockouts", adding_a_tenant)
    clock.advance(-MINUTE)
    assert "added-meanwhile" in store.tenants


def test_a_move_back_goes_on_when_an_app_is_added_while_it_ends_secrets(
        client: AppClient, clock: MockClock, monkeypatch: pytest.MonkeyPatch) -> None:
    tenant = idp(client).store.tenants[TENANT]
    app = tenant.apps[CLIENT_ID]
    [secret, *_] = app.secrets
    ends = secret.end_if_over

    def adding_an_app(now: datetime) -> None:
        tenant.apps.setdefault("added-meanwhile", app)
        ends(now)

    monkeypatch.setattr(secret, "end_if_over", adding_an_app)
    clock.advance(-MINUTE)
    assert "added-meanwhile" in tenant.apps


def test_a_secret_added_while_the_platform_removes_another_stays(
        client: AppClient, monkeypatch: pytest.MonkeyPatch) -> None:
    platform = idp(client).platform
    app = idp(client).store.tenants[TENANT].apps[CLIENT_ID]
    [old, *_] = app.secrets
    added = PasswordCredential(key_id="added", display_name="added", value="v",
                               start=START, end=START + MINUTE)

    class AddingMeanwhile(list[PasswordCredential]):
        """The app's secrets, to which a request adds one while the removal reads them."""

        def __iter__(self) -> Iterator[PasswordCredential]:
            items = list(super().__iter__())
            if added not in self:
                self.append(added)
            return iter(items)

    monkeypatch.setattr(app, "secrets", AddingMeanwhile(app.secrets))
    platform.directory.remove_client_secret(TENANT, CLIENT_ID, old.key_id)
    assert old not in app.secrets
    assert added in app.secrets
