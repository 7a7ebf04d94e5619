"""The provider's cookies are sent cross-site where a browser allows it: ``SameSite=None;
Secure`` (Entra's) over https and over http on a loopback host, with a ``SameSite=Lax`` twin
there for clients that keep no ``Secure`` cookie over http; ``SameSite=Lax`` alone over http
elsewhere. A browser's sign-out that carries none of them while accounts are signed in ends
nothing, and the provider says so in its request log."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from asgi_client import AppClient
from idp_testkit import ALICE, TENANT, auth_params, paths, redirect_params
from starlette.applications import Starlette

from mock_idp.endpoints.browser_sessions import (
    LAX_SUFFIX,
    PERSISTENT_COOKIE,
    SESSION_COOKIE,
    is_loopback,
)
from mock_idp.endpoints.logout import NO_COOKIES

AUTHORIZE = paths(TENANT, "2.0")["authorize"]
LOGOUT = f"/{TENANT}/oauth2/v2.0/logout"
NAVIGATION = {"Sec-Fetch-Mode": "navigate", "Accept": "text/html"}
CROSS_SITE_POST = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Dest": "document",
                   "Origin": "http://localhost:3000"}
SAFARI = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
          "Gecko) Version/17.4 Safari/605.1.15")
CHROMIUM = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "HeadlessChrome/156.0.0.0 Safari/537.36")
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def _browser(app: Starlette, base_url: str) -> AppClient:
    return AppClient(app, follow_redirects=False, base_url=base_url)


def _set_cookies(client: AppClient, *, persistent: bool = False) -> dict[str, str]:
    """The ``Set-Cookie`` headers of a new session for Alice, by cookie name."""
    answer = client.post("/_mock/sessions", json={"user": ALICE, "persistent": persistent})
    assert answer.status_code == 201, answer.text
    return {h.split("=", 1)[0]: h for h in answer.headers.get_list("set-cookie")}


@pytest.fixture
def loopback(idp_app: Starlette) -> Iterator[AppClient]:
    with _browser(idp_app, "http://127.0.0.1:8000") as client:
        yield client


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST", "idp.localhost", "127.0.0.1",
                                  "127.8.9.10", "::1", "[::1]"])
def test_loopback_hosts_are_those_browsers_trust(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", [None, "", "testserver", "192.0.2.2", "10.0.0.1", "::2",
                                  "localhost.example", "127.0.0.1.example", "mylocalhost"])
def test_other_hosts_are_not_loopback(host: str | None) -> None:
    assert not is_loopback(host)


@pytest.mark.parametrize("base_url", ["http://127.0.0.1:8000", "http://localhost:8000"])
def test_over_http_on_loopback_the_cookie_is_samesite_none_secure_with_a_lax_twin(
        idp_app: Starlette, base_url: str) -> None:
    with _browser(idp_app, base_url) as client:
        headers = _set_cookies(client)
    main, twin = headers[SESSION_COOKIE].lower(), headers[SESSION_COOKIE + LAX_SUFFIX].lower()
    assert "samesite=none" in main and "; secure" in main and "httponly" in main
    assert "samesite=lax" in twin and "secure" not in twin and "httponly" in twin
    assert main.split(";")[0].split("=", 1)[1] == twin.split(";")[0].split("=", 1)[1]


def test_over_https_the_cookie_is_samesite_none_secure_alone(idp_app: Starlette) -> None:
    with _browser(idp_app, "https://127.0.0.1:8443") as client:
        headers = _set_cookies(client, persistent=True)
    assert "samesite=none" in headers[PERSISTENT_COOKIE].lower()
    assert "; secure" in headers[PERSISTENT_COOKIE].lower()
    assert not any(name.endswith(LAX_SUFFIX) for name in headers)


def test_over_http_on_another_host_the_cookie_is_samesite_lax_alone(client: AppClient) -> None:
    headers = _set_cookies(client)
    assert "samesite=lax" in headers[SESSION_COOKIE].lower()
    assert "secure" not in headers[SESSION_COOKIE].lower()
    assert not any(name.endswith(LAX_SUFFIX) for name in headers)


def test_an_http_client_that_keeps_no_secure_cookie_over_http_stays_signed_in(
        loopback: AppClient) -> None:
    _set_cookies(loopback)
    sent = loopback.build_request("GET", AUTHORIZE).headers.get("cookie", "")
    assert SESSION_COOKIE + LAX_SUFFIX in sent and f"{SESSION_COOKIE}=" not in sent
    assert "code" in redirect_params(loopback.get(AUTHORIZE, params=auth_params(prompt="none")))


@pytest.mark.parametrize("kept", [SESSION_COOKIE, SESSION_COOKIE + LAX_SUFFIX])
def test_either_cookie_of_the_pair_names_the_session(
        idp_app: Starlette, loopback: AppClient, kept: str) -> None:
    value = _set_cookies(loopback)[kept].split(";")[0].split("=", 1)[1]
    with _browser(idp_app, "http://127.0.0.1:8000") as other:
        other.cookies.set(kept, value)
        assert "code" in redirect_params(other.get(AUTHORIZE, params=auth_params(prompt="none")))
        ended = other.get(f"/{TENANT}/oauth2/logout", headers=NAVIGATION)
        assert ended.status_code == 200
        cleared = " ".join(ended.headers.get_list("set-cookie"))
        assert f'{SESSION_COOKIE}=""' in cleared and f'{SESSION_COOKIE}{LAX_SUFFIX}=""' in cleared
    assert redirect_params(loopback.get(AUTHORIZE, params=auth_params(prompt="none")))[
        "error"] == "login_required"


def _logout_notes(client: AppClient) -> list[dict[str, object]]:
    entries = client.get("/_mock/requests").json()["requests"]
    return [n for e in entries if e["path"] == LOGOUT for n in e.get("notes") or ()]


def test_a_browsers_sign_out_without_the_cookies_ends_nothing_and_is_noted(
        idp_app: Starlette, client: AppClient) -> None:
    _set_cookies(client)
    with _browser(idp_app, "http://testserver") as cross_site:  # its cookies were not sent
        answer = cross_site.post(LOGOUT, headers={**NAVIGATION, "Origin": "http://localhost"},
                                 data={
            "post_logout_redirect_uri": "http://localhost/signed-out", "state": "s"})
    assert answer.status_code == 200 and "You signed out of your account" in answer.text
    assert "location" not in answer.headers
    [note] = _logout_notes(client)
    assert note["target"] == "signout" and note["problem"] == NO_COOKIES
    assert note["sessions"] == 1 and "carried none of the provider's cookies" in str(
        note["message"])
    assert "on a loopback host or over https" in str(note["message"])
    assert "code" in redirect_params(client.get(AUTHORIZE, params=auth_params(prompt="none")))


@pytest.mark.parametrize("headers", [
    {},  # an app's server calling the endpoint
    {"Sec-Fetch-Mode": "cors", "Accept": "text/html"},  # a script's fetch
])
def test_a_sign_out_that_is_no_browser_navigation_is_not_noted(
        idp_app: Starlette, client: AppClient, headers: dict[str, str]) -> None:
    _set_cookies(client)
    with _browser(idp_app, "http://testserver") as server:
        assert server.get(LOGOUT, headers={"Accept": "*/*", **headers}).status_code == 200
    assert _logout_notes(client) == []


def test_a_browser_without_cookies_is_not_noted_when_no_one_is_signed_in(
        client: AppClient) -> None:
    assert client.post(LOGOUT, headers=NAVIGATION, data={"state": "s"}).status_code == 200
    assert _logout_notes(client) == []


def test_a_browser_with_the_cookies_is_not_noted(loopback: AppClient) -> None:
    _set_cookies(loopback)
    answer = loopback.post(LOGOUT, headers=NAVIGATION, data={"state": "s"})
    assert "Pick an account" in answer.text
    assert _logout_notes(loopback) == []


def test_a_cross_site_post_from_a_browser_holding_only_the_lax_twins_is_noted(
        idp_app: Starlette, loopback: AppClient) -> None:
    """On a loopback host a browser that keeps no ``Secure`` cookie over http holds only the
    ``SameSite=Lax`` twins, which it leaves off an app's cross-site form post."""
    _set_cookies(loopback)
    with _browser(idp_app, "http://127.0.0.1:8000") as safari:
        safari.post(LOGOUT, headers={**NAVIGATION, **CROSS_SITE_POST, "User-Agent": SAFARI},
                    data={"state": "s"})
    [note] = _logout_notes(loopback)
    assert note["problem"] == NO_COOKIES and "over https" in str(note["message"])
    assert "loopback host or" not in str(note["message"])


@pytest.mark.parametrize(("base_url", "method", "headers"), [
    # a top-level GET navigation carries SameSite=Lax cookies too, cross-site or not
    ("http://127.0.0.1:8000", "GET", {"Sec-Fetch-Site": "none", "Sec-Fetch-Dest": "document"}),
    ("http://127.0.0.1:8000", "GET", {"Sec-Fetch-Site": "cross-site",
                                      "Sec-Fetch-Dest": "document"}),
    ("http://testserver", "GET", {}),
    # a post from a page of the provider's own site carries them as well
    ("http://testserver", "POST", {"Origin": "http://testserver"}),
    ("http://idp.example.test", "POST", {"Origin": "http://app.example.test"}),
    # over https the cookies are SameSite=None: a cross-site post carries them
    ("https://127.0.0.1:8443", "POST", CROSS_SITE_POST),
    # and so does one on a loopback host from a browser that keeps Secure cookies there
    ("http://127.0.0.1:8000", "POST", {**CROSS_SITE_POST, "User-Agent": CHROMIUM}),
    ("http://localhost:8000", "POST", {**CROSS_SITE_POST, "User-Agent": FIREFOX}),
])
def test_a_browser_that_holds_no_cookie_is_not_noted_while_another_is_signed_in(
        idp_app: Starlette, client: AppClient, base_url: str, method: str,
        headers: dict[str, str]) -> None:
    """Another browser (one that never signed in) signs out on a request that would have
    carried the provider's cookies had it held any: it ends nothing, which is no app's mistake,
    so nothing is noted for the protocol view to show as a step that went wrong."""
    _set_cookies(client)
    with _browser(idp_app, base_url) as other:
        answer = other.request(method, LOGOUT, headers={**NAVIGATION, **headers})
        assert answer.status_code == 200 and "You signed out of your account" in answer.text
    assert _logout_notes(client) == []
