"""Back-channel logout: logout tokens checked against Back-Channel Logout 1.0 as a careful
relying party checks them, sent before the sign-out answers, only for the browser that signs
out, each app's answer recorded, nobody told twice, other sessions' refresh tokens kept."""

from __future__ import annotations

from typing import Any

import httpx
import jwt
from asgi_client import AppClient
from idp_testkit import (
    BASE,
    BOB,
    CLIENT_ID,
    SECRET,
    TENANT,
    auth_params,
    claims,
    paths,
    redirect_params,
)
from logout_kit import (
    LOGOUT,
    PORTAL_ID,
    SIGNED_OUT,
    START,
    Receiver,
    config,
    hinted,
    sign_in_portal,
    sign_in_rp,
    sign_out,
)
from starlette.applications import Starlette

from mock_idp import create_app

EVENT = "http://schemas.openid.net/event/backchannel-logout"


def verify_logout_token(browser: AppClient, token: str, audience: str) -> dict[str, Any]:
    """Back-Channel Logout 1.0 §2.4 and §2.6, as a careful relying party checks it."""
    discovery = browser.get(paths(TENANT, "2.0")["discovery"]).json()
    head = jwt.get_unverified_header(token)
    assert head["alg"] == "RS256"
    keys = browser.get(discovery["jwks_uri"].replace(BASE, "")).json()["keys"]
    key = jwt.PyJWK.from_dict(next(k for k in keys if k["kid"] == head["kid"])).key
    body: dict[str, Any] = jwt.decode(
        token, key, algorithms=["RS256"], audience=audience, issuer=discovery["issuer"],
        options={"require": ["iss", "aud", "iat", "exp", "jti"], "verify_exp": False,
                 "verify_iat": False})
    assert body["iat"] == int(START.timestamp())
    assert body["iat"] < body["exp"] <= body["iat"] + 120
    assert body["events"] == {EVENT: {}}
    assert "nonce" not in body
    assert body["jti"]
    return body


def test_back_channel_logout_tokens_are_valid_per_the_spec(browser: AppClient,
                                                           receiver: Receiver) -> None:
    rp_tokens = sign_in_rp(browser)
    sign_in_portal(browser)
    rp_claims = claims(rp_tokens["id_token"])
    response = sign_out(browser)
    assert response.status_code == 200
    assert [h.path for h in receiver.hits] == ["/auth/backchannel-logout", "/bc"]
    for hit in receiver.hits:
        assert hit.content_type == "application/x-www-form-urlencoded"
        assert set(hit.form) == {"logout_token"}
    rp = verify_logout_token(browser, receiver.tokens("/auth/backchannel-logout")[0], CLIENT_ID)
    assert rp["sid"] == rp_claims["sid"] and rp["sub"] == rp_claims["sub"]
    portal = verify_logout_token(browser, receiver.tokens("/bc")[0], PORTAL_ID)
    assert portal["sid"] == rp["sid"]
    assert portal["sub"] != rp["sub"]  # pairwise subjects differ per app
    assert portal["jti"] != rp["jti"]
    assert jwt.get_unverified_header(receiver.tokens("/bc")[0]).get("typ") == "logout+jwt"


def test_back_channel_is_sent_before_the_logout_answers(browser: AppClient,
                                                        receiver: Receiver) -> None:
    token = sign_in_rp(browser)["id_token"]
    assert receiver.hits == []
    response = browser.get(LOGOUT["2.0"], params=hinted(
        token, post_logout_redirect_uri=SIGNED_OUT))
    assert response.status_code in (200, 302)
    assert len(receiver.hits) == 1


def test_a_hint_without_the_browsers_cookie_ends_nothing(idp: Starlette,
                                                         receiver: Receiver) -> None:
    """Entra signs out the browser that arrives at the endpoint (its cookies): an app's
    server calling the endpoint with the ID token, even one still valid, ends no session."""
    with AppClient(idp, follow_redirects=False) as first:
        token = sign_in_rp(first)["id_token"]
        with AppClient(idp, follow_redirects=False) as server_side:
            response = server_side.get(LOGOUT["2.0"], params={
                "id_token_hint": token, "post_logout_redirect_uri": SIGNED_OUT})
            assert response.status_code == 200 and "var target = null" in response.text
            assert "You signed out of your account" in response.text
        assert receiver.hits == []
        values = redirect_params(first.get(paths(TENANT, "2.0")["authorize"],
                                           params=auth_params(prompt="none")))
        assert "code" in values


def test_the_apps_answer_is_recorded(browser: AppClient, receiver: Receiver) -> None:
    receiver.status = 400
    sign_in_rp(browser)
    sign_out(browser)
    notes = browser.get("/_mock/notifications", params={"kind": "backchannel"}).json()[
        "notifications"]
    assert [(n["client_id"], n["status"], n["error"]) for n in notes] == [(CLIENT_ID, 400, None)]
    note = notes[0]
    assert note["url"] == "http://rp.test/auth/backchannel-logout"
    assert note["trigger"] == "logout" and note["time"] == START.isoformat()
    assert note["payload"]["logout_token"] == receiver.tokens("/auth/backchannel-logout")[0]
    assert note["payload"]["claims"] == claims(note["payload"]["logout_token"])


def test_an_unreachable_app_is_recorded_as_an_error(receiver: Receiver) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    http = httpx.AsyncClient(transport=httpx.MockTransport(refuse))
    with AppClient(create_app(config(), http_client=http), follow_redirects=False) as browser:
        sign_in_rp(browser)
        response = sign_out(browser, post_logout_redirect_uri=SIGNED_OUT)
        assert response.status_code == 200
        notes = browser.get("/_mock/notifications", params={"kind": "backchannel"}).json()[
            "notifications"]
        assert notes[0]["status"] is None and "ConnectError" in notes[0]["error"]


def test_a_second_logout_tells_nobody_again(
    browser: AppClient, receiver: Receiver
) -> None:
    token = sign_in_rp(browser)["id_token"]
    browser.get(LOGOUT["2.0"], params=hinted(token))
    browser.get(LOGOUT["2.0"], params=hinted(token))
    assert len(receiver.hits) == 1


def test_other_sessions_keep_their_refresh_tokens(
    idp: Starlette, browser: AppClient, receiver: Receiver
) -> None:
    with AppClient(idp, follow_redirects=False) as other:
        bob = sign_in_rp(other, upn=BOB)
        sign_in_rp(browser)
        sign_out(browser)
        refreshed = other.post(paths(TENANT, "2.0")["token"], data={
            "grant_type": "refresh_token", "client_id": CLIENT_ID, "client_secret": SECRET,
            "refresh_token": bob["refresh_token"]})
        assert refreshed.status_code == 200
    assert len(receiver.hits) == 1
