"""What has expired stays expired when the mock's clock moves back: sessions, codes, refresh
tokens, sign-in pages, device codes and lockouts past their lifetimes are dropped before the
clock leaves, whether or not a write had dropped them yet."""

from __future__ import annotations

import gc
import weakref
from datetime import UTC, datetime, timedelta

from asgi_client import AppClient
from idp_testkit import (
    ALICE,
    CLIENT_ID,
    SECRET,
    TENANT,
    auth_params,
    get_code,
    page_kind,
    password,
    paths,
    redeem,
    redirect_params,
    sign_in,
    tokens_for,
)

from mock_idp.clock import MockClock
from mock_idp.expiry import ExpiringMap

START = datetime(2026, 3, 2, 9, 30, 15, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
AUTHORIZE = paths(TENANT, "2.0")["authorize"]
TOKEN = paths(TENANT, "2.0")["token"]


def _there_and_back(client: AppClient, seconds: float) -> None:
    """Move the clock ``seconds`` ahead, then back where it was, through the control API."""
    for move in (seconds, -seconds):
        response = client.post("/_mock/clock", json={"advance_seconds": move})
        assert response.status_code == 200, response.text


# --- through the control API ----------------------------------------------------------------

def test_a_session_past_its_lifetime_stays_gone_when_the_clock_moves_back(
        client: AppClient) -> None:
    sign_in(client, client.get(AUTHORIZE, params=auth_params()))
    assert "code" in redirect_params(client.get(AUTHORIZE, params=auth_params()))
    lifetime = client.app.state.idp.config.session_lifetime  # type: ignore[attr-defined]
    _there_and_back(client, (lifetime + MINUTE).total_seconds())
    assert client.get("/_mock/sessions").json()["sessions"] == []
    again = client.get(AUTHORIZE, params=auth_params())
    assert page_kind(again) == "username", again.headers.get("location")


def test_a_code_past_its_lifetime_is_unknown_after_the_clock_moves_back(
        client: AppClient) -> None:
    grant = get_code(client)  # kept a day past its ten minutes, to say it expired
    _there_and_back(client, (11 * MINUTE).total_seconds())
    assert redeem(client, grant).json()["error_codes"] == [70000]


def test_a_refresh_token_past_its_lifetime_is_refused_after_the_clock_moves_back(
        client: AppClient) -> None:
    token = tokens_for(client)["refresh_token"]
    lifetime = client.app.state.idp.config.refresh_token_lifetime  # type: ignore[attr-defined]
    _there_and_back(client, (lifetime + MINUTE).total_seconds())
    refreshed = client.post(TOKEN, data={"grant_type": "refresh_token", "client_id": CLIENT_ID,
                                         "client_secret": SECRET, "refresh_token": token})
    assert refreshed.json()["error_codes"] == [9002313], refreshed.text
    assert token not in client.app.state.idp.store.refresh_tokens  # type: ignore[attr-defined]


def test_a_sign_in_page_past_its_hour_stays_gone_after_the_clock_moves_back(
        client: AppClient) -> None:
    stale = client.get(AUTHORIZE, params=auth_params(prompt="login"))
    _there_and_back(client, (61 * MINUTE).total_seconds())
    assert sign_in(client, stale).status_code == 400


def test_a_device_code_past_its_lifetime_stays_gone_after_the_clock_moves_back(
        client: AppClient) -> None:
    started = client.post(f"/{TENANT}/oauth2/v2.0/devicecode",
                          data={"client_id": CLIENT_ID, "scope": "openid"})
    assert started.status_code == 200, started.text
    _there_and_back(client, (16 * MINUTE).total_seconds())
    polled = client.post(TOKEN, data={
        "grant_type": "urn:ietf:params:oauth:grant-type:device_code", "client_id": CLIENT_ID,
        "client_secret": SECRET,
        "device_code": started.json()["device_code"]})
    assert polled.json()["error_codes"] == [70018], polled.text


def test_a_lockout_that_ran_out_does_not_lock_again_when_the_clock_moves_back(
        client: AppClient) -> None:
    assert client.patch(f"/_mock/tenants/{TENANT}", json={"lockout_threshold": 1}).is_success

    def password_grant(secret: str) -> list[int]:
        response = client.post(TOKEN, data={
            "grant_type": "password", "client_id": CLIENT_ID, "client_secret": SECRET,
            "username": ALICE, "password": secret, "scope": "openid"})
        return list(response.json().get("error_codes", []))

    assert password_grant("wrong") == [50053]
    _there_and_back(client, 61)
    assert password_grant(password(ALICE)) == []


# --- the clock and the collections ----------------------------------------------------------

def test_a_clock_moving_back_first_tells_its_listeners_the_time_it_leaves() -> None:
    clock = MockClock(frozen_at=START)
    left: list[datetime] = []
    clock.before_moving_back(left.append)
    clock.advance(MINUTE)
    clock.set(START + 2 * MINUTE)
    clock.freeze()
    assert left == []  # forward, or not moving
    clock.advance(-MINUTE)
    clock.set(START)
    assert left == [START + 2 * MINUTE, START + MINUTE]
    running = MockClock()
    running.before_moving_back(left.append)
    running.advance(timedelta(days=1))
    running.reset()  # back to the real time, from a day ahead of it
    assert left[2] > datetime.now(UTC) + timedelta(hours=23)


def test_a_clock_holds_a_providers_listener_weakly() -> None:
    clock = MockClock(frozen_at=START)
    records: ExpiringMap[str, str] = ExpiringMap(clock, lambda _r, written: written + MINUTE)
    clock.before_moving_back(records.drop_ended)
    gone = weakref.ref(records)
    del records
    gc.collect()
    assert gone() is None
    clock.advance(-MINUTE)  # a listener that is gone is skipped


def test_drop_ended_drops_what_is_kept_past_its_lifetime_to_say_so() -> None:
    clock = MockClock(frozen_at=START)
    codes: ExpiringMap[str, datetime] = ExpiringMap(
        clock, lambda end, _: end + timedelta(days=1), ends=lambda end: end)
    codes["over"] = START + MINUTE
    codes["live"] = START + 3 * MINUTE
    assert codes.drop_expired(START + 2 * MINUTE) == 0  # kept a day, to say "expired"
    assert codes.drop_ended(START + 2 * MINUTE) == 1
    assert set(codes) == {"live"}


def test_a_session_dropped_through_the_clock_itself_stays_gone(client: AppClient,
                                                               clock: MockClock) -> None:
    """``MockIdp.advance`` and tests move the clock object, not the control API."""
    sign_in(client, client.get(AUTHORIZE, params=auth_params()))
    before = clock.now()
    clock.advance(timedelta(days=2))
    clock.set(before)
    assert page_kind(client.get(AUTHORIZE, params=auth_params())) == "username"
