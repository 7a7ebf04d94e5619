"""Only the holder of the admin token reads or changes the RP's configuration: the JSON API takes
it as a bearer token, the admin page through a sign-in form and a server-side session. Foreign
origins and foreign ``Host`` names are refused."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from asgi_client import AppClient
from rp_support import ADMIN_TOKEN, OP_CONNECTION, VALID_CONNECTION, RpHarness

from relying_party import Settings, create_app


@pytest.fixture
def anonymous(rp: RpHarness) -> AppClient:
    """A browser (or script) without the admin token."""
    return AppClient(rp.client.app, follow_redirects=False)


def _api_calls(cid: str) -> list[tuple[str, str, dict[str, object] | None]]:
    base = "/api/admin/connections"
    return [
        ("GET", base, None),
        ("POST", base, VALID_CONNECTION),
        ("GET", f"{base}/{cid}", None),
        ("PATCH", f"{base}/{cid}", {"authorization_uri": "https://phish.example/authorize"}),
        ("PUT", f"{base}/{cid}", {**VALID_CONNECTION, "token_url": "https://phish.example/t"}),
        ("DELETE", f"{base}/{cid}", None),
        ("POST", f"{base}/{cid}/disable", None),
        ("GET", "/api/admin/errors", None),
        ("GET", "/api/admin/errors/RP-0000000000", None),
        ("GET", "/api/admin/installations", None),
    ]


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token-0123456789", "Bearer ",
                                           f"Basic {ADMIN_TOKEN}", ADMIN_TOKEN])
def test_admin_api_without_the_token_is_401_and_changes_nothing(
    rp: RpHarness, anonymous: AppClient, authorization: str | None
) -> None:
    cid = rp.add_connection()
    before = rp.client.get("/api/admin/connections").json()
    headers = {"Authorization": authorization} if authorization is not None else {}
    for method, path, body in _api_calls(cid):
        response = anonymous.request(method, path, json=body, headers=headers)
        assert response.status_code == 401, (method, path, response.text)
        assert response.json()["error"] in ("unauthorized", "invalid_token")
        assert response.headers["www-authenticate"].startswith("Bearer ")
        assert "Contoso" not in response.text
        rp.clock.advance(seconds=301)  # past any wait imposed for wrong tokens
    assert rp.client.get("/api/admin/connections").json() == before


def test_admin_api_with_the_token_from_a_foreign_origin_is_403(rp: RpHarness) -> None:
    cid = rp.add_connection()
    evil = {"Origin": "https://evil.example"}
    assert rp.client.get("/api/admin/connections", headers=evil).status_code == 403
    assert rp.client.patch(f"/api/admin/connections/{cid}", json={"name": "x"},
                           headers=evil).status_code == 403
    same = {"Origin": "http://testserver", "If-Match": '"1"'}
    assert rp.client.patch(f"/api/admin/connections/{cid}", json={"name": "x"},
                           headers=same).status_code == 200


ADMIN_PAGES = ["/admin", "/admin/connections/{cid}/edit", "/admin/errors/RP-0000000000"]


def test_admin_pages_without_a_session_show_the_sign_in_form_with_401(
    rp: RpHarness, anonymous: AppClient
) -> None:
    cid = rp.add_connection()
    for path in ADMIN_PAGES:
        response = anonymous.get(path.format(cid=cid))
        assert response.status_code == 401, path
        assert "Admin sign-in" in response.text
        assert 'name="admin_token"' in response.text
        assert "Contoso" not in response.text and "helpdesk@contoso.test" not in response.text


def test_admin_forms_without_a_session_change_nothing(rp: RpHarness, anonymous: AppClient) -> None:
    cid = rp.add_connection()
    anonymous.get("/admin")  # a CSRF token of its own does not stand in for a session
    token = anonymous.cookies["rp_csrf"]
    for path, form in (
        ("/admin/connections", {**VALID_CONNECTION, "name": "Phish"}),
        (f"/admin/connections/{cid}", {**VALID_CONNECTION, "authorization_uri":
                                       "https://phish.example/authorize", "client_secret": ""}),
        (f"/admin/connections/{cid}/disable", {}),
        (f"/admin/connections/{cid}/delete", {}),
    ):
        response = anonymous.post(path, data={**form, "csrf_token": token})
        assert response.status_code == 401, path
    [connection] = rp.client.get("/api/admin/connections").json()
    assert connection["name"] == "Contoso" and connection["enabled"] is True
    assert connection["authorization_uri"] == OP_CONNECTION["authorization_uri"]


def _sign_in(client: AppClient, token: str, next_path: str = "/admin") -> object:
    client.get("/admin/sign-in")
    csrf = client.cookies.get("rp_csrf") or client.cookies.get("__Host-rp_csrf")
    return client.post("/admin/sign-in", data={
        "csrf_token": csrf, "admin_token": token, "next": next_path})


def test_sign_in_with_the_token_opens_the_admin_page(rp: RpHarness, anonymous: AppClient) -> None:
    rp.add_connection()
    form = anonymous.get("/admin/sign-in")
    assert form.status_code == 200
    csrf_before = anonymous.cookies["rp_csrf"]
    response = _sign_in(anonymous, ADMIN_TOKEN)
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"] == "/admin"  # type: ignore[attr-defined]
    cookies = response.headers.get_list("set-cookie")  # type: ignore[attr-defined]
    admin_cookie = next(c for c in cookies if c.startswith("rp_admin="))
    assert "HttpOnly" in admin_cookie and "samesite=strict" in admin_cookie.lower()
    assert anonymous.cookies["rp_csrf"] != csrf_before  # a new CSRF token at sign-in
    page = anonymous.get("/admin")
    assert page.status_code == 200 and "Contoso" in page.text
    # the page signs in, not the API: that still needs the bearer token
    assert anonymous.get("/api/admin/connections").status_code == 401


@pytest.mark.parametrize("token", ["", "wrong-token-0123456789", ADMIN_TOKEN + "x",
                                   ADMIN_TOKEN[:-1]])
def test_sign_in_with_a_wrong_token_is_refused(anonymous: AppClient, token: str) -> None:
    response = _sign_in(anonymous, token)
    assert response.status_code == 401  # type: ignore[attr-defined]
    assert "not the admin token" in response.text  # type: ignore[attr-defined]
    assert "rp_admin" not in anonymous.cookies
    assert anonymous.get("/admin").status_code == 401


def test_sign_in_needs_the_forms_csrf_token_and_origin(anonymous: AppClient) -> None:
    anonymous.get("/admin/sign-in")
    no_csrf = anonymous.post("/admin/sign-in", data={"admin_token": ADMIN_TOKEN})
    assert no_csrf.status_code == 403
    foreign = anonymous.post(
        "/admin/sign-in",
        data={"csrf_token": anonymous.cookies["rp_csrf"], "admin_token": ADMIN_TOKEN},
        headers={"Origin": "https://evil.example"},
    )
    assert foreign.status_code == 403
    assert anonymous.get("/admin").status_code == 401


def test_sign_in_goes_back_only_to_admin_pages(anonymous: AppClient) -> None:
    for next_path, expected in (("/admin/errors/RP-1", "/admin/errors/RP-1"),
                                ("//evil.example/admin", "/admin"),
                                ("https://evil.example", "/admin"), ("/widget", "/admin")):
        anonymous.cookies.clear()
        response = _sign_in(anonymous, ADMIN_TOKEN, next_path)
        assert response.headers["location"] == expected  # type: ignore[attr-defined]


def test_sign_out_and_expiry_end_the_admin_session(rp: RpHarness, anonymous: AppClient) -> None:
    _sign_in(anonymous, ADMIN_TOKEN)
    session_cookie = anonymous.cookies["rp_admin"]
    out = anonymous.post("/admin/sign-out", data={"csrf_token": anonymous.cookies["rp_csrf"]})
    assert out.status_code == 303
    assert anonymous.get("/admin").status_code == 401
    anonymous.cookies.set("rp_admin", session_cookie)  # replaying the old cookie
    assert anonymous.get("/admin").status_code == 401

    anonymous.cookies.clear()
    _sign_in(anonymous, ADMIN_TOKEN)
    assert anonymous.get("/admin").status_code == 200
    rp.clock.advance(hours=8, seconds=1)
    assert anonymous.get("/admin").status_code == 401


def test_admin_form_from_a_foreign_origin_is_refused(rp: RpHarness) -> None:
    rp.admin_sign_in()
    response = rp.client.post(
        "/admin/connections",
        data={**VALID_CONNECTION, "csrf_token": rp.csrf()},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    assert rp.client.get("/api/admin/connections").json() == []


def test_admin_cookie_is_a_host_cookie_under_https(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(public_url="https://rp.example.test")
    with AppClient(create_app(settings), base_url="https://rp.example.test",
                    follow_redirects=False) as client:
        response = _sign_in(client, ADMIN_TOKEN)
        assert response.status_code == 303  # type: ignore[attr-defined]
        names = {c.split("=", 1)[0] for c in response.headers.get_list("set-cookie")}  # type: ignore[attr-defined]
        assert names == {"__Host-rp_admin", "__Host-rp_csrf"}
        assert client.get("/admin").status_code == 200


def test_a_stored_token_is_created_once_and_kept(make_settings: Callable[..., Settings],
                                                 caplog: pytest.LogCaptureFixture) -> None:
    settings = make_settings(admin_token=None)
    with caplog.at_level("WARNING", logger="relying_party"):
        for _ in range(2):
            with AppClient(create_app(settings)):  # its lifespan closes its database
                pass
    created = [r.getMessage() for r in caplog.records if "admin token created" in r.getMessage()]
    assert len(created) == 1
    token = created[0].rsplit(" ", 1)[1]
    with AppClient(create_app(settings)) as client:
        ok = client.get("/api/admin/installations", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200
        assert client.get("/api/admin/installations", headers={
            "Authorization": f"Bearer {ADMIN_TOKEN}"}).status_code == 401


def test_a_short_admin_token_is_refused(make_settings: Callable[..., Settings]) -> None:
    with pytest.raises(ValueError, match="at least 16"):
        create_app(make_settings(admin_token="short"))


# -- hosts and origins ---------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["evil.example", "testserver.evil.example", "testserver:80:80",
                                  "[::1", "", "testserver@evil.example", "EVIL.example:443"])
def test_a_foreign_host_is_refused_with_400(rp: RpHarness, host: str) -> None:
    for path in ("/", "/api/admin/connections", "/widget", "/admin", "/auth/callback"):
        response = rp.client.get(path, headers={"Host": host})
        assert response.status_code == 400, (host, path)
    assert rp.client.get("/", headers={"Host": "TESTSERVER"}).status_code == 200


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/api/me"), ("GET", "/api/admin/connections"), ("POST", "/api/admin/connections"),
    ("POST", "/events"), ("POST", "/auth/backchannel-logout")])
def test_a_foreign_host_on_a_json_route_is_refused_in_its_error_shape(
        rp: RpHarness, method: str, path: str) -> None:
    response = rp.client.request(method, path, headers={"Host": "evil.example"})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["error"] == "invalid_host"
    assert "Host" in body["error_description"]
    assert set(body) == {"error", "error_description"}


def test_a_foreign_host_on_a_page_is_refused_in_plain_text(rp: RpHarness) -> None:
    response = rp.client.get("/widget", headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/plain")


def test_trailing_slash_redirect_cannot_follow_a_forged_host(rp: RpHarness) -> None:
    """DNS rebinding: the Host is the attacker's name; Starlette's redirect would use it."""
    forged = rp.client.get("/widget/", headers={"Host": "evil.example"})
    assert forged.status_code == 400
    assert "location" not in forged.headers
    own = rp.client.get("/widget/")
    assert own.status_code == 307
    assert own.headers["location"] == "http://testserver/widget"


def test_origin_equal_to_the_requests_own_host_is_not_enough(rp: RpHarness) -> None:
    """Only the configured public URL is this app's origin, not ``scheme://Host``."""
    rp.admin_sign_in()
    rebound = {"Host": "attacker.example", "Origin": "http://attacker.example"}
    response = rp.client.post("/admin/connections",
                              data={**VALID_CONNECTION, "csrf_token": rp.csrf()}, headers=rebound)
    assert response.status_code == 400
    assert rp.client.get("/api/admin/connections").json() == []
