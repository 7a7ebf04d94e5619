"""Sign-out's answer at the v2 and v1 end-session endpoints: the redirect to a registered
post-logout URI with its state, or the signed-out page; the hints that name the account and
app, and the odd requests that must never break the endpoint."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from asgi_client import AppClient
from idp_testkit import (
    CLIENT_ID,
    TENANT,
    auth_params,
    claims,
    get_code,
    paths,
    redeem,
    redirect_params,
)
from logout_kit import (
    LOGOUT,
    PORTAL_ID,
    SIGNED_OUT,
    START,
    Receiver,
    hinted,
    is_sign_in_page,
    sign_in_rp,
    sign_out,
)
from starlette.applications import Starlette

from mock_idp.clock import MockClock
from mock_idp.endpoints.browser_sessions import SESSION_COOKIE


@pytest.mark.parametrize("version", ["2.0", "1.0"])
def test_logout_redirects_to_a_registered_uri_with_state(browser: AppClient,
                                                          version: str) -> None:
    token = sign_in_rp(browser, version=version)["id_token"]
    assert browser.cookies.get(SESSION_COOKIE)
    response = sign_out(browser, version, id_token_hint=token,
                        post_logout_redirect_uri=SIGNED_OUT, state="s 1/&x")
    page_or_redirect = response
    if response.status_code == 200:  # the signed-out page runs the iframes, then redirects
        target = re.search(r"var target = (\"[^\"]*\");", response.text)
        assert target, response.text
        location = html.unescape(target.group(1).strip('"')).replace("\\u0026", "&")
    else:
        assert response.status_code == 302
        location = response.headers["location"]
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == SIGNED_OUT
    assert parse_qs(parts.query) == {"state": ["s 1/&x"]}
    assert SESSION_COOKIE in page_or_redirect.headers.get("set-cookie", "")
    assert not browser.cookies.get(SESSION_COOKIE)


@pytest.mark.idp_config(clock=MockClock(frozen_at=START))
@pytest.mark.parametrize("version", ["2.0", "1.0"])
def test_without_iframes_the_redirect_is_immediate(client: AppClient, version: str) -> None:
    token = redeem(client, get_code(client, version=version), version=version).json()[
        "id_token"]
    response = sign_out(client, version, id_token_hint=token,
                        post_logout_redirect_uri=SIGNED_OUT, state="abc")
    assert response.status_code == 302
    assert response.headers["location"] == f"{SIGNED_OUT}?state=abc"
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.idp_config(clock=MockClock(frozen_at=START))
def test_post_form_logout(client: AppClient) -> None:
    token = redeem(client, get_code(client)).json()["id_token"]
    response = client.post(LOGOUT["2.0"], data=hinted(
        token, post_logout_redirect_uri="http://127.0.0.1/signed-out"))
    assert response.status_code == 302
    assert response.headers["location"] == "http://127.0.0.1/signed-out"


@pytest.mark.idp_config(clock=MockClock(frozen_at=START))
@pytest.mark.parametrize("uri", [
    "https://evil.example/signed-out",
    "http://localhost/not-registered",
    "http://localhost/signed-out#frag",
    "http://localhost/quiet",  # registered, but for another app
])
def test_an_unregistered_uri_shows_the_signed_out_page(client: AppClient, uri: str) -> None:
    token = redeem(client, get_code(client)).json()["id_token"]
    response = client.get(LOGOUT["2.0"], params=hinted(
        token, post_logout_redirect_uri=uri, state="s"))
    assert response.status_code == 200
    assert "location" not in response.headers
    assert "You signed out of your account" in response.text
    assert "evil.example" not in response.text and "var target = null" in response.text


@pytest.mark.idp_config(clock=MockClock(frozen_at=START))
def test_no_uri_shows_the_signed_out_page(client: AppClient) -> None:
    get_code(client)
    response = sign_out(client)
    assert response.status_code == 200 and "You signed out of your account" in response.text
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.idp_config(clock=MockClock(frozen_at=START))
def test_without_a_hint_the_uri_is_matched_against_the_sessions_apps(client: AppClient) -> None:
    get_code(client)
    response = sign_out(client, post_logout_redirect_uri=SIGNED_OUT)
    assert response.status_code == 302 and response.headers["location"] == SIGNED_OUT
    again = client.get(LOGOUT["2.0"], params={"post_logout_redirect_uri": SIGNED_OUT})
    assert again.status_code == 200 and "You signed out of your account" in again.text


@pytest.mark.idp_config(clock=MockClock(frozen_at=START))
def test_client_id_names_the_app_without_a_hint(client: AppClient) -> None:
    get_code(client)
    response = sign_out(client, client_id=CLIENT_ID, post_logout_redirect_uri=SIGNED_OUT,
                        state="z")
    assert response.status_code == 302 and response.headers["location"] == SIGNED_OUT + "?state=z"


@pytest.mark.idp_config(clock=MockClock(frozen_at=START))
def test_logout_again_with_the_hint_stays_on_the_signed_out_page(client: AppClient) -> None:
    token = redeem(client, get_code(client)).json()["id_token"]
    params = hinted(token, post_logout_redirect_uri=SIGNED_OUT)
    response = client.get(LOGOUT["2.0"], params=params)
    assert response.status_code == 302 and response.headers["location"] == SIGNED_OUT
    again = client.get(LOGOUT["2.0"], params=params)  # no session left to end
    assert again.status_code == 200 and "You signed out of your account" in again.text
    assert "var target = null" in again.text


@pytest.mark.idp_config(clock=MockClock(frozen_at=START))
def test_logout_hint_is_accepted(client: AppClient) -> None:
    # login_hint is an optional claim (optional claims reference): the app asks for it.
    configured = client.patch(
        f"/graph/{TENANT}/v1.0/applications(appId='{CLIENT_ID}')",
        json={"optionalClaims": {"idToken": [{"name": "login_hint"}]}})
    assert configured.status_code == 204, configured.text
    token = redeem(client, get_code(client)).json()["id_token"]
    hint = claims(token)["login_hint"]
    response = client.get(LOGOUT["2.0"], params={
        "logout_hint": hint, "post_logout_redirect_uri": SIGNED_OUT})
    assert response.status_code == 302 and response.headers["location"] == SIGNED_OUT
    assert is_sign_in_page(client.get(paths(TENANT, "2.0")["authorize"], params=auth_params()))


@pytest.mark.idp_config(clock=MockClock(frozen_at=START))
def test_a_hint_for_another_client_id_is_refused(client: AppClient) -> None:
    token = redeem(client, get_code(client)).json()["id_token"]
    response = client.get(LOGOUT["2.0"], params={
        "id_token_hint": token, "client_id": PORTAL_ID, "post_logout_redirect_uri": SIGNED_OUT})
    assert response.status_code == 400 and "AADSTS90014" in response.text
    assert "location" not in response.headers


def test_a_forged_hint_is_ignored(idp: Starlette, browser: AppClient,
                                  receiver: Receiver) -> None:
    token = sign_in_rp(browser)["id_token"]
    forged = jwt.encode(claims(token), "a-key-this-provider-never-used-0123456789",
                        algorithm="HS256")
    with AppClient(idp, follow_redirects=False) as stranger:
        response = stranger.get(LOGOUT["2.0"], params={
            "id_token_hint": forged, "post_logout_redirect_uri": SIGNED_OUT})
    assert response.status_code == 200 and "var target = null" in response.text
    assert receiver.hits == []
    values = redirect_params(browser.get(paths(TENANT, "2.0")["authorize"],
                                         params=auth_params(prompt="none")))
    assert "code" in values  # the real session is untouched


@pytest.mark.parametrize(("params", "status"), [
    ({"id_token_hint": "not.a.jwt"}, 200),
    ({"id_token_hint": "%%%"}, 200),
    ({"id_token_hint": jwt.encode({"aud": CLIENT_ID, "sid": "x"}, None, algorithm="none")}, 200),
    ({"state": "s" * 9000, "post_logout_redirect_uri": SIGNED_OUT}, 400),
])
def test_odd_logout_requests_never_break_the_endpoint(client: AppClient, params: dict[str, str],
                                                      status: int) -> None:
    response = client.get(LOGOUT["2.0"], params=params)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert "location" not in response.headers
    if status == 400:  # Entra's answer to a long id_token_hint (aspnet/Identity #2010)
        assert "AADSTS90015: Requested query string is too long." in response.text
    else:
        assert "You signed out of your account" in response.text


def test_unknown_tenant_is_an_error_page(client: AppClient) -> None:
    response = client.get("/nowhere.example/oauth2/v2.0/logout")
    assert response.status_code == 400 and "AADSTS" in response.text
