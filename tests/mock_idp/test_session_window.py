"""The provider's browser session lasts a rolling window after its last use, as Entra's does:
24 hours in a browser-session cookie, 90 days after "Stay signed in?" answered Yes (a
persistent cookie); each sign-in it answers starts the window again
(:mod:`mock_idp.signin.session_window`)."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from asgi_client import AppClient
from idp_testkit import TENANT, auth_params, paths, redirect_params, sign_in

from mock_idp import IdpConfig
from mock_idp.clock import MockClock
from mock_idp.config import ConfigError
from mock_idp.endpoints.browser_sessions import PERSISTENT_COOKIE, SESSION_COOKIE

AUTHORIZE = paths(TENANT, "2.0")["authorize"]
MINUTE = timedelta(minutes=1)


def _signed_in(client: AppClient, stay: str) -> httpx.Response:
    page = client.get(AUTHORIZE, params=auth_params(prompt="login"))
    answer = sign_in(client, page, stay=stay)
    assert "code" in redirect_params(answer)
    return answer


def _silent(client: AppClient) -> httpx.Response:
    return client.get(AUTHORIZE, params=auth_params(prompt="none"))


def _set_cookie(response: httpx.Response, name: str) -> str:
    [header] = [h for h in response.headers.get_list("set-cookie") if h.startswith(name + "=")]
    return header


def test_a_session_used_every_20_hours_still_signs_in_after_3_days(
        client: AppClient, clock: MockClock) -> None:
    _signed_in(client, "No")
    for _ in range(4):
        clock.advance(timedelta(hours=20))
        assert "code" in redirect_params(_silent(client))
    [session] = client.get("/_mock/sessions").json()["sessions"]
    assert session["active"] and not session["persistent"]


def test_an_unused_session_ends_after_its_24_hours(client: AppClient, clock: MockClock) -> None:
    _signed_in(client, "No")
    clock.advance(timedelta(hours=24) - MINUTE)
    assert "code" in redirect_params(_silent(client))  # used: 24 hours from now
    clock.advance(timedelta(hours=24) + MINUTE)
    answer = redirect_params(_silent(client))
    assert answer["error"] == "login_required" and "AADSTS50058" in answer["error_description"]
    assert client.get("/_mock/sessions").json()["sessions"] == []  # dropped, not kept


def test_stay_signed_in_keeps_an_unused_session_for_90_days(
        client: AppClient, clock: MockClock) -> None:
    _signed_in(client, "Yes")
    clock.advance(timedelta(days=89))
    assert "code" in redirect_params(_silent(client))
    clock.advance(timedelta(days=90) - MINUTE)
    assert "code" in redirect_params(_silent(client))
    clock.advance(timedelta(days=90) + MINUTE)
    assert redirect_params(_silent(client))["error"] == "login_required"


def test_no_to_stay_signed_in_ends_the_session_after_24_hours_unused(
        client: AppClient, clock: MockClock) -> None:
    _signed_in(client, "No")
    clock.advance(timedelta(hours=24) + MINUTE)
    assert redirect_params(_silent(client))["error"] == "login_required"


def test_the_cookies_max_age(client: AppClient) -> None:
    """No: a browser-session cookie (no Max-Age, no Expires). Yes: a persistent one for the
    persistent window, written again for the window at each silent sign-in."""
    no = _signed_in(client, "No")
    header = _set_cookie(no, SESSION_COOKIE).lower()
    assert "max-age" not in header and "expires" not in header
    yes = _signed_in(client, "Yes")
    days90 = int(timedelta(days=90).total_seconds())
    assert f"max-age={days90}" in _set_cookie(yes, PERSISTENT_COOKIE).lower()
    again = _silent(client)
    assert "code" in redirect_params(again)
    assert f"max-age={days90}" in _set_cookie(again, PERSISTENT_COOKIE).lower()


@pytest.mark.idp_config(session_lifetime=timedelta(hours=1),
                        persistent_session_lifetime=timedelta(hours=2))
def test_the_windows_are_configurable(client: AppClient, clock: MockClock) -> None:
    _signed_in(client, "Yes")
    clock.advance(timedelta(hours=2) - MINUTE)
    assert "code" in redirect_params(_silent(client))
    clock.advance(timedelta(hours=2) + MINUTE)
    assert redirect_params(_silent(client))["error"] == "login_required"


@pytest.mark.parametrize("name", ["session_lifetime", "persistent_session_lifetime"])
def test_a_window_shorter_than_a_second_is_refused(name: str) -> None:
    with pytest.raises(ConfigError, match=name):
        IdpConfig.default(**{name: timedelta(0)})
