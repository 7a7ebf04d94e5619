from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from asgi_client import AppClient
from fake_op import AUTHORIZE, CLIENT_ID, TID, USERS, Client, FakeOp
from rp_support import ADMIN_HEADERS, RpHarness

from relying_party import create_app


def test_authorization_request_is_code_flow_with_pkce_state_nonce(rp: RpHarness) -> None:
    cid = rp.add_connection()
    location = rp.start(f"/sso/{cid}/portal")
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == AUTHORIZE
    params = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert params["client_id"] == CLIENT_ID
    assert params["response_type"] == "code"
    assert params["redirect_uri"] == f"http://testserver/auth/callback/{cid}"  # its own
    assert set(params["scope"].split()) == {"openid", "profile", "email"}
    assert params["code_challenge_method"] == "S256"
    assert len(params["code_challenge"]) == 43
    assert len(params["state"]) >= 43 and len(params["nonce"]) >= 43
    assert "login_hint" not in params
    cookie = rp.client.cookies.get("rp_login")
    assert cookie


def test_sign_in_url_lands_on_its_app_and_creates_user(rp: RpHarness) -> None:
    cid = rp.add_connection()
    for app in ("widget", "portal", "kb"):
        rp.client.cookies.clear()
        response = rp.client.get(rp.op.approve(rp.start(f"/sso/{cid}/{app}")))
        assert response.status_code == 303, response.text
        assert response.headers["location"] == f"/{app}"
        page = rp.client.get(f"/{app}")
        assert page.status_code == 200
        assert "Alice Adams" in page.text
    me = rp.me().json()
    assert me["email"] == "alice@contoso.onmicrosoft.com"
    assert me["issuer"] == f"https://login.op.test/{TID}/v2.0"
    assert me["subject"] == FakeOp.subject(USERS["alice"], CLIENT_ID)
    assert me["source_kind"] == "connection" and me["source_id"] == cid
    assert len(rp.client.get("/api/admin/errors").json()) == 0
    health = rp.client.get(f"/api/admin/connections/{cid}").json()["health"]
    assert health["last_login_at"] == rp.clock.now().isoformat()


def test_session_cookie_flags_and_new_session_id(rp: RpHarness) -> None:
    cid = rp.add_connection()
    first = rp.sign_in()
    cookie = first.headers["set-cookie"]
    assert "rp_session=" in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    assert "Secure" not in cookie  # public_url is http
    old = rp.client.cookies.get("rp_session")
    rp.sign_in(f"/sso/{cid}/widget")
    new = rp.client.cookies.get("rp_session")
    assert new and new != old
    # the old session id no longer works
    stale = AppClient(rp.client.app, cookies={"rp_session": old or ""})
    assert stale.get("/api/me").status_code == 401


def test_api_me_without_a_session_is_401_in_the_api_error_shape(rp: RpHarness) -> None:
    response = rp.client.get("/api/me")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Cookie")
    body = response.json()
    assert body["error"] == "not_signed_in"
    assert isinstance(body["error_description"], str) and "sign" in body["error_description"]
    assert set(body) == {"error", "error_description"}


def test_secure_cookie_under_https(make_settings, op: FakeOp) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(public_url="https://rp.example.test")
    with AppClient(create_app(settings, http_client=op.http_client()),
                    base_url="https://rp.example.test", follow_redirects=False,
                    headers=ADMIN_HEADERS) as client:
        client.post("/api/admin/connections", json={
            "authorization_uri": AUTHORIZE, "token_url": AUTHORIZE.replace("authorize", "token"),
            "client_id": CLIENT_ID, "client_secret": op.clients[CLIENT_ID].secret,
            "secret_expires_on": "2026-09-01", "support_contact": "x@y.test",
        })
        started = client.get("/widget")
        location = started.headers["location"]
        assert "redirect_uri=https%3A%2F%2Frp.example.test%2Fauth%2Fcallback" in location
        assert started.headers["set-cookie"].startswith("__Host-rp_login=")
        response = client.get(op.approve(location))
        assert response.status_code == 303
        cookies = response.headers.get_list("set-cookie")
        names = {c.split("=", 1)[0] for c in cookies}
        assert names == {"__Host-rp_session", "__Host-rp_csrf", "__Host-rp_login"}
        for cookie in cookies:  # __Host-: Secure, Path=/, no Domain
            assert "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie
        assert client.get("/api/me").status_code == 200


def test_app_visit_without_session_starts_sso_and_returns(rp: RpHarness) -> None:
    rp.add_connection()
    response = rp.sign_in("/kb")
    assert response.headers["location"] == "/kb"
    assert rp.client.get("/kb").status_code == 200


def test_several_connections_offer_a_choice_or_use_the_named_one(rp: RpHarness) -> None:
    first = rp.add_connection(name="First")
    second = rp.add_connection(name="Second")
    page = rp.client.get("/portal")
    assert page.status_code == 200
    assert f"/sso/{first}/portal" in page.text and f"/sso/{second}/portal" in page.text
    location = rp.start(f"/portal?connection={second}")
    response = rp.client.get(rp.op.approve(location))
    assert response.headers["location"] == "/portal"
    assert rp.me().json()["source_id"] == second


def test_client_secret_basic(rp: RpHarness) -> None:
    rp.op.clients[CLIENT_ID] = Client(rp.op.clients[CLIENT_ID].secret, "client_secret_basic")
    rp.add_connection(client_auth_method="basic")
    assert rp.sign_in().status_code == 303
    token_call = [r for r in rp.op.requests if r.url.path.endswith("/token")][-1]
    assert token_call.headers["authorization"].startswith("Basic ")
    assert b"client_secret" not in token_call.content


def test_client_secret_post(rp: RpHarness) -> None:
    cid = rp.add_connection()
    assert rp.sign_in().status_code == 303
    token_call = [r for r in rp.op.requests if r.url.path.endswith("/token")][-1]
    assert "authorization" not in token_call.headers
    form = parse_qs(token_call.content.decode())
    assert form["client_secret"] == [rp.op.clients[CLIENT_ID].secret]
    assert form["redirect_uri"] == [f"http://testserver/auth/callback/{cid}"]
    assert len(form["code_verifier"][0]) == 43


def test_userinfo_called_with_bearer_header(rp: RpHarness) -> None:
    rp.add_connection()
    rp.sign_in()
    [call] = [r for r in rp.op.requests if r.url.path.endswith("/userinfo")]
    assert call.headers["authorization"].startswith("Bearer ")
    assert "access_token" not in str(call.url)


def test_returning_user_is_mapped_by_issuer_and_subject(rp: RpHarness) -> None:
    rp.add_connection()
    rp.sign_in()
    first = rp.me().json()["id"]
    rp.logout()
    rp.sign_in()
    assert rp.me().json()["id"] == first
    rp.client.cookies.clear()
    rp.sign_in(user="bob")
    assert rp.me().json()["id"] != first


def test_key_rotation_refetches_jwks_once(rp: RpHarness) -> None:
    rp.add_connection()
    rp.sign_in()
    rp.op.rotate_keys()
    rp.client.cookies.clear()
    assert rp.sign_in().status_code == 303
    jwks_calls = [r for r in rp.op.requests if r.url.path.endswith("/keys")]
    assert len(jwks_calls) == 2


def test_login_hint_only_from_launch(rp: RpHarness) -> None:
    cid = rp.add_connection()
    location = rp.start(f"/sso/{cid}/widget?login_hint=mallory")
    assert "login_hint" not in location


def test_state_and_sessions_survive_restart(rp: RpHarness, make_settings, op: FakeOp) -> None:  # type: ignore[no-untyped-def]
    rp.add_connection()
    location = rp.start("/widget")
    callback = rp.op.approve(location)
    cookies = dict(rp.client.cookies)
    settings = make_settings()
    with AppClient(create_app(settings, http_client=op.http_client()), cookies=cookies,
                    follow_redirects=False) as again:
        assert again.get(callback).status_code == 303
        me = again.get("/api/me")
        assert me.status_code == 200
        session_cookies = dict(again.cookies)
    with AppClient(create_app(make_settings(), http_client=op.http_client()),
                    cookies=session_cookies) as third:
        assert third.get("/api/me").json()["email"] == "alice@contoso.onmicrosoft.com"


def test_login_binding_is_issued_by_the_server(rp: RpHarness) -> None:
    """A binding the browser brings (planted by someone else, or made up) is replaced."""
    rp.add_connection()
    planted = "A" * 43 + "." + "B" * 43
    rp.client.cookies.set("rp_login", planted)
    started = rp.client.get("/widget")
    issued = started.headers["set-cookie"].split(";", 1)[0].split("=", 1)[1]
    assert issued != planted and len(issued) > 43
    rp.client.cookies.delete("rp_login")
    rp.client.cookies.set("rp_login", planted)  # the planted value cannot finish the sign-in
    response = rp.client.get(rp.op.approve(started.headers["location"]))
    assert response.status_code == 400
    assert rp.me().status_code == 401


def test_login_binding_is_kept_for_parallel_sign_ins_and_dropped_after_one(
    rp: RpHarness,
) -> None:
    rp.add_connection()
    first = rp.start("/widget")
    binding = rp.client.cookies["rp_login"]
    second = rp.start("/portal")
    assert rp.client.cookies["rp_login"] == binding  # both tabs' sign-ins stay possible
    response = rp.client.get(rp.op.approve(second))
    assert response.status_code == 303
    assert 'rp_login=""' in response.headers["set-cookie"]  # rotated: the next one is new
    assert "rp_login" not in rp.client.cookies
    rp.client.cookies.delete("rp_session")
    late = rp.client.get(rp.op.approve(first))  # the other tab finishes after the rotation
    assert late.status_code == 400
    rp.start("/kb")
    assert rp.client.cookies["rp_login"] != binding


def test_a_parallel_sign_in_finishing_second_lands_signed_in(rp: RpHarness) -> None:
    """Widget and portal tabs start a sign-in each; the portal's completes first. The widget's
    then has no binding, but the browser is signed in through that connection already: it goes
    on to the widget, nothing logged, the code never redeemed."""
    rp.add_connection()
    widget = rp.start("/widget")
    assert rp.client.get(rp.op.approve(rp.start("/portal"))).status_code == 303
    me = rp.me().json()
    token_calls = len([r for r in rp.op.requests if r.url.path.endswith("/token")])
    late = rp.client.get(rp.op.approve(widget))
    assert (late.status_code, late.headers["location"]) == (303, "/widget")
    assert late.headers["cache-control"] == "no-store"
    assert rp.me().json() == me
    assert rp.errors() == []
    assert len([r for r in rp.op.requests if r.url.path.endswith("/token")]) == token_calls


def test_a_superseded_sign_in_is_logged_as_what_it_likely_is(rp: RpHarness) -> None:
    first, second = rp.add_connection(), rp.add_connection(name="Second")
    widget = rp.start(f"/sso/{first}/widget")
    assert rp.client.get(rp.op.approve(rp.start(f"/sso/{second}/portal"))).status_code == 303
    late = rp.client.get(rp.op.approve(widget))  # signed in, but through the other connection
    assert late.status_code == 400
    [record] = rp.errors()
    assert record["code"] == "state_browser_mismatch"
    assert "another sign-in in this browser completed since" in str(record["detail"])
    assert "two sign-ins at once" in str(record["admin_hint"])
    assert "issued to another browser" not in str(record)
    rp.client.cookies.clear()
    third = rp.start(f"/sso/{first}/widget")
    rp.start(f"/sso/{first}/kb")  # no longer the same binding: the cookie was replaced
    rp.client.cookies.delete("rp_login")
    rp.client.cookies.set("rp_login", rp.client.app.state.rp.tokens.mint("login"))  # type: ignore[attr-defined]
    record = rp.assert_failure_page(rp.client.get(rp.op.approve(third)), status=400,
                                    code="state_browser_mismatch")
    assert "sign-in in progress is a later one" in str(record["detail"])
