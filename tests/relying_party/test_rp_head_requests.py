"""``HEAD`` on a route whose ``GET`` changes something (consumes a sign-in's ``state``, starts a
sign-in, ends sessions, confirms a sign-out) is a 405 with ``Allow: GET`` in the route's own
shape and changes nothing, the admin's error log included: a link checker or mail scanner that
asks for the headers of a callback URL does not spend the sign-in it belongs to, nor fill the
log with references no one was shown. Routes whose GET only reads still answer HEAD."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from urllib.parse import parse_qs, urlsplit

import pytest
from fake_op import ISSUER, USERS
from httpx import Response
from rp_support import INSTALLATION, RpHarness, callback_url, install


def _token_calls(rp: RpHarness) -> int:
    return sum(1 for r in rp.op.requests if r.url.path.endswith("/token"))


def _login_transactions(rp: RpHarness) -> int:
    with closing(sqlite3.connect(rp.settings.db_path)) as db:
        count: int = db.execute("SELECT COUNT(*) FROM login_transactions").fetchone()[0]
    return count


def _assert_only_get(response: Response) -> None:
    assert response.status_code == 405, response.text
    headers = response.headers
    assert headers["allow"] == "GET"
    assert "location" not in headers
    assert "rp_session" not in headers.get("set-cookie", "")
    assert "rp_login" not in headers.get("set-cookie", "")


def test_a_head_on_the_callback_leaves_the_sign_in_to_the_get_that_follows(
    rp: RpHarness,
) -> None:
    rp.add_connection()
    callback = rp.op.approve(rp.start("/widget"))
    response = rp.client.head(callback)
    _assert_only_get(response)
    assert _token_calls(rp) == 0
    assert rp.me().status_code == 401
    finished = rp.client.get(callback)
    assert finished.status_code == 303 and finished.headers["location"] == "/widget"
    assert rp.me().json()["email"] == USERS["alice"].email


def test_a_head_on_the_callback_is_refused_without_an_error_log_record(rp: RpHarness) -> None:
    rp.add_connection()
    callback = rp.op.approve(rp.start("/widget"))
    for _ in range(3):  # a link checker, again and again
        response = rp.client.head(callback)
        _assert_only_get(response)
        assert response.headers["cache-control"] == "no-store"
    assert rp.errors() == []
    assert rp.client.get(callback).status_code == 303


@pytest.mark.parametrize("path", ["/auth/callback", "/auth/callback/installation",
                                  "/auth/callback/any-connection", "/launch"])
def test_another_method_than_head_still_leaves_the_reference_it_shows(
    rp: RpHarness, path: str
) -> None:
    response = rp.client.put(path)
    assert response.status_code == 405
    [record] = rp.errors()
    assert str(record["ref"]) in response.text and record["status"] == 405


def test_a_head_on_a_partner_callback_leaves_the_sign_in_usable(rp: RpHarness) -> None:
    install(rp)
    callback = callback_url(rp)
    _assert_only_get(rp.client.head(callback))
    assert rp.client.get(callback).status_code == 303
    assert rp.me().json()["source_id"] == INSTALLATION


def test_a_head_on_the_launch_url_starts_no_sign_in(rp: RpHarness) -> None:
    install(rp)
    query = f"installation_id={INSTALLATION}&user_id={USERS['alice'].oid}"
    response = rp.client.head(f"/launch?{query}")
    _assert_only_get(response)
    assert rp.errors() == []
    assert _login_transactions(rp) == 0
    assert rp.client.get(f"/launch?{query}").status_code == 302


@pytest.mark.parametrize("path", ["/sso/{connection}/widget", "/widget", "/portal", "/kb"])
def test_a_head_on_a_sign_in_url_or_an_app_starts_no_sign_in(rp: RpHarness, path: str) -> None:
    connection = rp.add_connection()
    url = path.format(connection=connection)
    _assert_only_get(rp.client.head(url))
    assert _login_transactions(rp) == 0
    assert rp.errors() == []
    assert rp.client.get(url).status_code == 302


@pytest.mark.parametrize("by_connection", [True, False], ids=["connection url", "iss and sid"])
def test_a_head_on_the_frontchannel_logout_url_ends_no_session(
    rp: RpHarness, by_connection: bool
) -> None:
    connection = rp.add_connection()
    rp.sign_in()
    sid = rp.op.sessions["alice"]
    if by_connection:
        url, params = f"/auth/frontchannel-logout/{connection}", {"sid": sid}
    else:
        url, params = "/auth/frontchannel-logout", {"sid": sid, "iss": ISSUER}
    _assert_only_get(rp.client.head(url, params=params))
    assert rp.errors() == []
    assert rp.me().status_code == 200
    assert rp.client.get(url, params=params).status_code == 200
    assert rp.me().status_code == 401


def test_a_head_on_the_signed_out_page_leaves_its_state_to_the_get(rp: RpHarness) -> None:
    rp.add_connection()
    rp.sign_in()
    location = rp.logout().headers["location"]
    state = parse_qs(urlsplit(location).query)["state"][0]
    _assert_only_get(rp.client.head("/signed-out", params={"state": state}))
    assert rp.errors() == []
    page = rp.client.get("/signed-out", params={"state": state})
    assert page.status_code == 200
    assert 'id="signed-out-unconfirmed"' not in page.text


@pytest.mark.parametrize("path", ["/", "/logout", "/api/me"])
def test_routes_whose_get_only_reads_still_answer_head(rp: RpHarness, path: str) -> None:
    rp.add_connection()
    response = rp.client.head(path)
    assert response.status_code == rp.client.get(path).status_code != 405
