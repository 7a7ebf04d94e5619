"""Single sign-out: user.logout events, back-channel, front-channel and RP-initiated logout.
After each one /api/me answers 401 and the next app visit runs SSO afresh."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from asgi_client import AppClient
from fake_op import CLIENT_ID, END_SESSION, ISSUER, TID, USERS, FakeOp, event
from rp_support import (
    ADMIN_HEADERS,
    INSTALLATION,
    OP_CONNECTION,
    RpHarness,
    install,
    launch,
    post_event,
)

from relying_party import Settings, create_app

NO_STORE = "no-store"


def second_browser(rp: RpHarness) -> AppClient:
    return AppClient(rp.client.app, follow_redirects=False)


def sign_in_browser(rp: RpHarness, client: AppClient, user: str) -> None:
    location = client.get("/widget").headers["location"]
    assert client.get(rp.op.approve(location, user)).status_code == 303
    assert client.get("/api/me").status_code == 200


def assert_signed_out_and_sso_runs_again(rp: RpHarness) -> None:
    assert rp.me().status_code == 401
    again = rp.client.get("/widget")
    assert again.status_code == 302
    assert again.headers["location"].startswith("https://login.op.test/")


# -- user.logout (platform event) ----------------------------------------------------------------


def test_user_logout_event_ends_that_users_sessions_only(rp: RpHarness) -> None:
    rp.add_connection()
    install(rp)
    assert launch(rp, "alice").status_code == 303
    bob = second_browser(rp)
    location = bob.get(f"/launch?installation_id={INSTALLATION}&user_id=x").headers["location"]
    assert bob.get(rp.op.approve(location, "bob")).status_code == 303

    body = event(
        "user.logout",
        {"account_id": TID, "user_id": USERS["alice"].oid, "user_email": USERS["alice"].email,
         "installation_id": INSTALLATION},
        created_at=rp.clock.now(),
    )
    response = post_event(rp, body)
    assert response.status_code == 200
    assert response.json()["outcome"] == "logged_out:1"
    assert_signed_out_and_sso_runs_again(rp)
    assert bob.get("/api/me").status_code == 200
    next_launch = rp.client.get(f"/launch?installation_id={INSTALLATION}&user_id=x")
    assert next_launch.status_code == 302


def test_user_logout_for_other_installation_changes_nothing(rp: RpHarness) -> None:
    install(rp)
    launch(rp, "alice")
    body = event(
        "user.logout",
        {"account_id": TID, "user_id": USERS["alice"].oid, "installation_id": "f" * 32},
        created_at=rp.clock.now(),
    )
    assert post_event(rp, body).json()["outcome"] == "logged_out:0"
    assert rp.me().status_code == 200


def test_unsigned_user_logout_is_refused(rp: RpHarness) -> None:
    install(rp)
    launch(rp, "alice")
    body = event(
        "user.logout",
        {"account_id": TID, "user_id": USERS["alice"].oid, "installation_id": INSTALLATION},
        created_at=rp.clock.now(),
    )
    assert post_event(rp, body, {"Content-Type": "application/json"}).status_code == 401
    assert rp.me().status_code == 200


# -- back-channel logout -------------------------------------------------------------------------


def backchannel(rp: RpHarness, token: str, **extra: str) -> Any:
    return rp.client.post("/auth/backchannel-logout", data={"logout_token": token, **extra})


def test_backchannel_logout_by_sid(rp: RpHarness) -> None:
    rp.add_connection()
    rp.sign_in()
    response = backchannel(rp, rp.op.logout_token(), ignored_parameter="x")
    assert response.status_code == 200
    assert NO_STORE in response.headers["cache-control"]
    assert_signed_out_and_sso_runs_again(rp)


def test_backchannel_logout_by_sub_ends_every_session_of_the_user(rp: RpHarness) -> None:
    rp.add_connection()
    rp.sign_in()
    other = second_browser(rp)
    sign_in_browser(rp, other, "alice")
    bob = second_browser(rp)
    sign_in_browser(rp, bob, "bob")
    assert backchannel(rp, rp.op.logout_token(with_sid=False)).status_code == 200
    assert rp.me().status_code == 401
    assert other.get("/api/me").status_code == 401
    assert bob.get("/api/me").status_code == 200


def test_backchannel_logout_jti_replay_is_refused(rp: RpHarness) -> None:
    rp.add_connection()
    rp.sign_in()
    token = rp.op.logout_token()
    assert backchannel(rp, token).status_code == 200
    replay = backchannel(rp, token)
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_request"
    assert NO_STORE in replay.headers["cache-control"]


def test_backchannel_logout_when_already_signed_out_is_success(rp: RpHarness) -> None:
    rp.add_connection()
    assert backchannel(rp, rp.op.logout_token()).status_code == 200


def _hs256(rp: RpHarness) -> str:
    rp.op.faults.hs256_with_public_key = True
    return rp.op.logout_token()


def _alg_none(rp: RpHarness) -> str:
    rp.op.faults.alg_none = True
    return rp.op.logout_token()


def _unpublished(rp: RpHarness) -> str:
    rp.op.faults.sign_with_unpublished_key = True
    return rp.op.logout_token()


INVALID_TOKENS: dict[str, Callable[[RpHarness], str]] = {
    "alg none": _alg_none,
    "wrong alg (HS256 with the public key)": _hs256,
    "bad signature": _unpublished,
    "no events": lambda rp: rp.op.logout_token(events=None),
    "wrong event": lambda rp: rp.op.logout_token(
        events={"http://schemas.openid.net/event/foobar": {}}),
    "with nonce": lambda rp: rp.op.logout_token(nonce="logout_tokens_must_not_contain_a_nonce"),
    "wrong aud": lambda rp: rp.op.logout_token(aud=CLIENT_ID + "INVALID"),
    "wrong iss": lambda rp: rp.op.logout_token(iss=ISSUER + "INVALID"),
    "expired": lambda rp: rp.op.logout_token(
        iat=int(rp.clock.now().timestamp()) - 900, exp=int(rp.clock.now().timestamp()) - 600),
    "no iat": lambda rp: rp.op.logout_token(iat=None),
    "no sub and no sid": lambda rp: rp.op.logout_token(with_sid=False, with_sub=False),
    "no jti": lambda rp: rp.op.logout_token(jti=None),
    "not a jwt": lambda rp: "not-a-jwt",
    "an id token": lambda rp: rp.op.issued_id_tokens[-1],
}


@pytest.mark.parametrize("case", sorted(INVALID_TOKENS))
def test_backchannel_logout_rejects_invalid_tokens_with_400(rp: RpHarness, case: str) -> None:
    rp.add_connection()
    rp.sign_in()
    token = INVALID_TOKENS[case](rp)
    rp.op.faults.alg_none = rp.op.faults.hs256_with_public_key = False
    response = backchannel(rp, token)
    assert response.status_code == 400, response.text
    assert set(response.json()["fields"]) == {"logout_token"}
    assert NO_STORE in response.headers["cache-control"]
    assert rp.me().status_code == 200


def test_backchannel_logout_without_token_is_400(rp: RpHarness) -> None:
    """Back-Channel Logout §2.8: an OAuth error (RFC 6749 §5.2), here naming the field too."""
    response = rp.client.post("/auth/backchannel-logout", data={})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_request"
    assert "logout_token" in body["error_description"]
    assert set(body["fields"]) == {"logout_token"}
    assert "required" in body["fields"]["logout_token"]


# -- front-channel logout ------------------------------------------------------------------------


def test_frontchannel_logout_by_sid_and_iss(rp: RpHarness) -> None:
    rp.add_connection()
    rp.sign_in()
    other = second_browser(rp)
    sign_in_browser(rp, other, "alice")  # same provider session: same sid
    bob = second_browser(rp)
    sign_in_browser(rp, bob, "bob")
    sid = rp.op.sessions["alice"]
    response = other.get("/auth/frontchannel-logout", params={"sid": sid, "iss": ISSUER})
    assert response.status_code == 200
    assert NO_STORE in response.headers["cache-control"]
    assert "x-frame-options" not in response.headers
    assert "frame-ancestors *" in response.headers["content-security-policy"]
    assert 'rp_session=""' in response.headers["set-cookie"]
    assert rp.me().status_code == 401
    assert other.get("/api/me").status_code == 401
    assert bob.get("/api/me").status_code == 200
    assert_signed_out_and_sso_runs_again(rp)


def test_frontchannel_logout_with_foreign_iss_ends_nothing(rp: RpHarness) -> None:
    rp.add_connection()
    rp.sign_in()
    other = second_browser(rp)
    sign_in_browser(rp, other, "alice")
    sid = rp.op.sessions["alice"]
    response = other.get(
        "/auth/frontchannel-logout", params={"sid": sid, "iss": "https://evil.test"}
    )
    assert response.status_code == 200
    assert other.get("/api/me").status_code == 200
    assert rp.me().status_code == 200


@pytest.mark.parametrize("params", [{}, {"sid": "from-the-op"}], ids=["nothing", "sid only"])
def test_frontchannel_logout_without_iss_ends_nothing(
    rp: RpHarness, params: dict[str, str]
) -> None:
    """A link on any site could otherwise sign the user out (the cookie goes with a top-level
    GET), and a sid alone does not say which provider it belongs to."""
    rp.add_connection()
    rp.sign_in()
    if params:
        params = {"sid": rp.op.sessions["alice"]}
    response = rp.client.get("/auth/frontchannel-logout", params=params)
    assert response.status_code == 200
    assert "rp_session" not in response.headers.get("set-cookie", "")
    assert rp.me().status_code == 200


def test_frontchannel_logout_url_of_a_connection_takes_sid_alone(rp: RpHarness) -> None:
    """Entra ID sends only ``sid``: the connection's own logout URL names the issuer."""
    first = rp.add_connection(name="First")
    second = rp.add_connection(name="Second")
    other = second_browser(rp)
    location = other.get(f"/sso/{second}/widget").headers["location"]
    assert other.get(rp.op.approve(location, "alice")).status_code == 303
    location = rp.client.get(f"/sso/{first}/widget").headers["location"]
    assert rp.client.get(rp.op.approve(location, "alice")).status_code == 303
    sid = rp.op.sessions["alice"]
    body = rp.client.get(f"/api/admin/connections/{first}").json()
    assert body["frontchannel_logout_url"] == f"http://testserver/auth/frontchannel-logout/{first}"

    response = rp.client.get(f"/auth/frontchannel-logout/{first}", params={"sid": sid})
    assert response.status_code == 200
    assert "frame-ancestors *" in response.headers["content-security-policy"]
    assert rp.me().status_code == 401
    assert other.get("/api/me").status_code == 200  # same sid, other connection: untouched
    other.get(f"/auth/frontchannel-logout/{second}", params={"sid": sid, "iss": "https://x"})
    assert other.get("/api/me").status_code == 200  # an iss, when given, must match too
    other.get(f"/auth/frontchannel-logout/{second}", params={"sid": sid})
    assert other.get("/api/me").status_code == 401


# -- RP-initiated logout -------------------------------------------------------------------------


def test_rp_initiated_logout(rp: RpHarness) -> None:
    rp.add_connection()
    rp.sign_in()
    id_token = rp.op.issued_id_tokens[-1]
    response = rp.logout()
    assert response.status_code == 303
    assert NO_STORE in response.headers["cache-control"]
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == END_SESSION
    params = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert params["id_token_hint"] == id_token
    assert params["post_logout_redirect_uri"] == "http://testserver/signed-out"
    assert params["client_id"] == CLIENT_ID
    assert "logout_hint" not in params  # the ID token has no login_hint claim
    assert len(params["state"]) >= 43
    # the local session ended before the browser left
    assert_signed_out_and_sso_runs_again(rp)

    page = rp.client.get("/signed-out", params={"state": params["state"]})
    assert page.status_code == 200
    assert "You are signed out" in page.text
    assert 'id="signed-out-unconfirmed"' not in page.text
    # the state is single use, and a different or missing state is not trusted
    for query in ({"state": params["state"]}, {"state": params["state"] + "_INVALID"}, {}):
        page = rp.client.get("/signed-out", params=query)
        assert page.status_code == 200
        assert 'id="signed-out-unconfirmed"' in page.text


@pytest.mark.parametrize("query", [{}, {"state": "bogus"}], ids=["no state", "bogus state"])
def test_the_signed_out_page_tells_a_signed_in_browser_it_is_still_signed_in(
        rp: RpHarness, query: dict[str, str]) -> None:
    """Anyone can link to it: it ends nothing, and says nothing of a sign-out."""
    rp.add_connection()
    rp.sign_in()
    page = rp.client.get("/signed-out", params=query)
    assert page.status_code == 200
    assert 'id="still-signed-in"' in page.text
    assert "signed out" not in page.text.replace("nothing was signed out", "")
    assert rp.me().status_code == 200


def test_rp_initiated_logout_names_the_account_by_the_login_hint_claim(rp: RpHarness) -> None:
    """Entra asks "Pick an account" on sign-out unless ``logout_hint`` carries the ID token's
    ``login_hint`` claim."""
    rp.add_connection()
    rp.op.faults.claims["login_hint"] = "O.aGludA"
    rp.sign_in()
    params = parse_qs(urlsplit(rp.logout().headers["location"]).query)
    assert params["logout_hint"] == ["O.aGludA"]


def test_logout_by_get_only_asks_to_confirm(rp: RpHarness) -> None:
    rp.add_connection()
    rp.sign_in()
    page = rp.client.get("/logout")
    assert page.status_code == 200
    assert '<form method="post" action="/logout">' in page.text
    assert f'name="csrf_token" value="{rp.client.cookies.get("rp_csrf")}"' in page.text
    assert rp.me().status_code == 200


def test_logout_post_needs_this_apps_form(rp: RpHarness) -> None:
    """No CSRF token, a token the browser made up, or another site's form: still signed in."""
    rp.add_connection()
    rp.sign_in()
    token = rp.csrf()
    assert rp.client.post("/logout").status_code == 403
    assert rp.client.post("/logout", data={"csrf_token": token + "x"}).status_code == 403
    made_up = "A" * 43 + "." + "B" * 43
    rp.client.cookies.delete("rp_csrf")
    rp.client.cookies.set("rp_csrf", made_up)
    assert rp.client.post("/logout", data={"csrf_token": made_up}).status_code == 403
    rp.client.cookies.delete("rp_csrf")
    rp.client.cookies.set("rp_csrf", token)
    foreign = rp.client.post("/logout", data={"csrf_token": token},
                             headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403
    assert rp.me().status_code == 200
    # A browser sends Origin: null on a form POST from a page with Referrer-Policy: no-referrer
    # (this app's pages): the CSRF token decides.
    own_form = rp.client.post("/logout", data={"csrf_token": rp.csrf()},
                              headers={"Origin": "null"})
    assert own_form.status_code == 303
    assert rp.me().status_code == 401


def test_logout_without_session_goes_to_signed_out(rp: RpHarness) -> None:
    response = rp.logout()
    assert response.status_code == 303
    assert response.headers["location"] == "/signed-out"


def test_logout_without_end_session_endpoint_is_local(rp: RpHarness) -> None:
    rp.add_connection()
    rp.sign_in()
    rp.op.faults.omit_end_session = True
    rp.client.app.state.rp.providers.discovery.invalidate()  # type: ignore[attr-defined]
    response = rp.logout()
    assert response.headers["location"] == "/signed-out"
    assert rp.me().status_code == 401


def test_logout_when_idp_unreachable_still_ends_local_session(rp: RpHarness) -> None:
    rp.add_connection()
    rp.sign_in()
    rp.client.app.state.rp.providers.discovery.invalidate()  # type: ignore[attr-defined]
    rp.op.faults.unreachable.add("discovery")
    response = rp.logout()
    assert response.status_code == 303
    assert response.headers["location"] == "/signed-out"
    assert rp.me().status_code == 401


def test_partner_session_rp_initiated_logout(rp: RpHarness) -> None:
    install(rp)
    launch(rp)
    response = rp.logout()
    assert response.headers["location"].startswith(END_SESSION)
    assert rp.me().status_code == 401


# -- back-channel logout: one provider's trouble stays with it ------------------------------------

STALLED = "https://stalled.op.test/6f2c1a9e-3b7d-4e58-a1c4-92d0b7e5f318/oauth2/v2.0/"


def test_backchannel_logout_is_not_held_up_by_a_stalled_provider(rp: RpHarness) -> None:
    """Another connection of the same client id whose provider never answers."""
    rp.add_connection(name="Stalled", authorization_uri=STALLED + "authorize",
                      token_url=STALLED + "token")
    rp.op.faults.stalled_hosts.add("stalled.op.test")
    cid = rp.add_connection()
    rp.sign_in(f"/sso/{cid}/widget")
    started = time.perf_counter()
    response = backchannel(rp, rp.op.logout_token())
    assert response.status_code == 200, response.text
    assert time.perf_counter() - started < rp.settings.backchannel_logout_timeout
    assert rp.me().status_code == 401


def test_backchannel_logout_gives_up_in_bounded_time(
    make_settings: Callable[..., Settings], op: FakeOp
) -> None:
    settings = make_settings(backchannel_logout_timeout=0.3)
    op.faults.stalled_hosts.add("stalled.op.test")
    with AppClient(create_app(settings, http_client=op.http_client()),
                    headers=ADMIN_HEADERS) as client:
        created = client.post("/api/admin/connections", json={
            **OP_CONNECTION, "authorization_uri": STALLED + "authorize",
            "token_url": STALLED + "token"})
        assert created.status_code == 201
        started = time.perf_counter()
        response = client.post("/auth/backchannel-logout",
                               data={"logout_token": op.logout_token()})
        elapsed = time.perf_counter() - started
    assert response.status_code == 400
    assert response.json()["error_description"] == "timeout"
    assert elapsed < 3.0
