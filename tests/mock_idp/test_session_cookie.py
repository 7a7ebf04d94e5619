"""The provider's session cookies hold opaque values bound to their sessions, not the session
ids that ID tokens (``sid``), ``session_state`` and reports show: knowing a ``sid`` signs no
one in, and a cookie names its session only while the session lasts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from asgi_client import AppClient
from idp_testkit import (
    ALICE,
    BOB,
    TENANT,
    auth_params,
    claims,
    get_code,
    page_kind,
    paths,
    redeem,
    redirect_params,
    sign_in,
)
from starlette.applications import Starlette

from mock_idp.endpoints.browser_sessions import PERSISTENT_COOKIE, SESSION_COOKIE
from mock_idp.state import IdpState

AUTHORIZE = paths(TENANT, "2.0")["authorize"]
V1_LOGOUT = f"/{TENANT}/oauth2/logout"
GRAPH = f"/graph/{TENANT}/v1.0"


@pytest.fixture
def stranger(idp_app: Starlette) -> Iterator[AppClient]:
    """Another browser, with no cookies of its own."""
    with AppClient(idp_app, follow_redirects=False) as other:
        yield other


def _state(client: AppClient) -> IdpState:
    state: IdpState = client.app.state.idp  # type: ignore[attr-defined]
    return state


def _silent(browser: AppClient) -> dict[str, str]:
    """``prompt=none`` from ``browser``: a code when a session signs it in."""
    return redirect_params(browser.get(AUTHORIZE, params=auth_params(prompt="none")))


def _signed_in(client: AppClient, upn: str = ALICE, *, stay: str = "No") -> dict[str, str]:
    """Sign ``upn`` in with the pages (beside any account signed in already); the ID token's
    ``sid`` and the ``session_state``."""
    page = client.get(AUTHORIZE, params=auth_params(prompt="login"))
    answer = sign_in(client, page, upn, stay=stay)
    state = redirect_params(answer)["session_state"]
    body = redeem(client, get_code(client, upn=upn, login_hint=upn)).json()
    return {"sid": claims(body["id_token"])["sid"], "session_state": state}


@pytest.mark.parametrize("name", [SESSION_COOKIE, PERSISTENT_COOKIE])
def test_a_cookie_set_to_a_sessions_sid_does_not_sign_in(
        client: AppClient, stranger: AppClient, name: str) -> None:
    shown = _signed_in(client, stay="Yes" if name == PERSISTENT_COOKIE else "No")
    assert shown["sid"] == shown["session_state"]
    stranger.cookies.set(name, shown["sid"])
    assert _silent(stranger)["error"] == "login_required"
    assert page_kind(stranger.get(AUTHORIZE, params=auth_params())) == "username"


def test_the_cookie_is_opaque_and_not_the_sid(client: AppClient) -> None:
    shown = _signed_in(client)
    cookie = client.cookies.get(SESSION_COOKIE)
    assert cookie and shown["sid"] not in cookie and len(cookie) >= 43
    [session] = client.get("/_mock/sessions").json()["sessions"]
    assert cookie not in str(session)


def test_the_real_cookie_signs_in_from_another_browser(client: AppClient,
                                                        stranger: AppClient) -> None:
    _signed_in(client)
    stranger.cookies.set(SESSION_COOKIE, client.cookies.get(SESSION_COOKIE) or "")
    assert "code" in _silent(stranger)


def test_a_started_sessions_cookie_signs_in_but_its_sid_does_not(
        client: AppClient, stranger: AppClient) -> None:
    started = client.post("/_mock/sessions", json={"user": ALICE, "persistent": True})
    sid = started.json()["session"]["sid"]
    assert client.cookies.get(PERSISTENT_COOKIE) != sid
    stranger.cookies.set(PERSISTENT_COOKIE, sid)
    assert _silent(stranger)["error"] == "login_required"
    assert "code" in _silent(client)


def test_two_accounts_in_one_browser_each_have_their_own_value(client: AppClient) -> None:
    _signed_in(client, ALICE)
    _signed_in(client, BOB)
    values = (client.cookies.get(SESSION_COOKIE) or "").split(".")
    assert len(values) == 2 and len(set(values)) == 2
    assert page_kind(client.get(AUTHORIZE, params=auth_params())) == "picker"


def test_a_signed_out_sessions_cookie_no_longer_signs_in(client: AppClient,
                                                         stranger: AppClient) -> None:
    _signed_in(client)
    cookie = client.cookies.get(SESSION_COOKIE) or ""
    client.get(V1_LOGOUT)  # v1 signs the one account out at once
    assert not _state(client).store.session_cookies
    stranger.cookies.set(SESSION_COOKIE, cookie)
    assert _silent(stranger)["error"] == "login_required"


def test_a_revoked_sessions_cookie_no_longer_signs_in(client: AppClient,
                                                      stranger: AppClient) -> None:
    _signed_in(client)
    cookie = client.cookies.get(SESSION_COOKIE) or ""
    assert client.post(f"{GRAPH}/users/{ALICE}/revokeSignInSessions").status_code == 200
    assert not _state(client).store.session_cookies
    stranger.cookies.set(SESSION_COOKIE, cookie)
    assert _silent(stranger)["error"] == "login_required"


def test_a_cookie_is_forgotten_by_a_reset(client: AppClient, stranger: AppClient) -> None:
    _signed_in(client)
    cookie = client.cookies.get(SESSION_COOKIE) or ""
    assert client.post("/_mock/reset").status_code in (200, 204)
    assert not _state(client).store.session_cookies
    stranger.cookies.set(SESSION_COOKIE, cookie)
    assert _silent(stranger)["error"] == "login_required"


def test_an_expired_sessions_cookie_is_dropped_before_the_clock_moves_back(
        client: AppClient, stranger: AppClient) -> None:
    _signed_in(client, stay="Yes")
    cookie = client.cookies.get(PERSISTENT_COOKIE) or ""
    # "Stay signed in": the persistent window (the browser-session one is shorter).
    window = _state(client).config.persistent_session_lifetime
    past = (window + timedelta(minutes=1)).total_seconds()
    for move in (past, -past):
        assert client.post("/_mock/clock", json={"advance_seconds": move}).status_code == 200
    assert cookie not in _state(client).store.session_cookies
    stranger.cookies.set(PERSISTENT_COOKIE, cookie)
    assert _silent(stranger)["error"] == "login_required"
