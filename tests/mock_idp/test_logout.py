"""Sign-out, following a browser session (the AppClient's cookies) through the v2 and v1
end-session endpoints: redirects, the signed-out page, front-channel iframes, back-channel
logout tokens checked against the Back-Channel Logout spec, and what the next sign-in needs.
Without ``logout_hint`` the v2 endpoint asks "Pick an account" first, even for one account."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import jwt
import pytest
from asgi_client import AppClient
from idp_testkit import (
    ALICE,
    BASE,
    BOB,
    CLIENT_ID,
    SECRET,
    TENANT,
    auth_params,
    claims,
    get_code,
    paths,
    pick_to_sign_out,
    redeem,
    redirect_params,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mock_idp import create_app
from mock_idp.clock import MockClock
from mock_idp.config import AppConfig, IdpConfig, SecretConfig, default_tenant
from mock_idp.endpoints.browser_sessions import SESSION_COOKIE

START = datetime(2026, 3, 2, 9, 30, 15, tzinfo=UTC)
PORTAL_ID = "7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d"
PORTAL_SECRET = "prt8Q~Portal.App.Secret-Value-0123456789"
PORTAL_REDIRECT = "http://127.0.0.1:7000/portal/cb"
RP_FRONT = "http://localhost/auth/frontchannel-logout"
PORTAL_FRONT = "https://portal.test/fc?tenant=contoso"
ISSUER = f"{BASE}/{TENANT}/v2.0"
SIGNED_OUT = "http://localhost:5555/signed-out"
LOGOUT = {"2.0": f"/{TENANT}/oauth2/v2.0/logout", "1.0": f"/{TENANT}/oauth2/logout"}
EVENT = "http://schemas.openid.net/event/backchannel-logout"


@dataclass
class Hit:
    path: str
    content_type: str
    form: dict[str, str]


@dataclass
class Receiver:
    """The apps' back-channel logout endpoints: records each POST, answers ``status``."""

    status: int = 200
    hits: list[Hit] = field(default_factory=list)

    def app(self) -> Starlette:
        async def receive(request: Request) -> Response:
            form = await request.form()
            self.hits.append(Hit(request.url.path, request.headers.get("content-type", ""),
                                 {k: v for k, v in form.items() if isinstance(v, str)}))
            return Response(status_code=self.status, headers={"Cache-Control": "no-store"})

        return Starlette(routes=[Route("/{path:path}", receive, methods=["POST"])])

    def tokens(self, path: str) -> list[str]:
        return [h.form["logout_token"] for h in self.hits if h.path == path]


def config(**overrides: Any) -> IdpConfig:
    tenant = default_tenant()
    rp = replace(tenant.apps[0], logout_url=RP_FRONT,
                 backchannel_logout_uri="http://rp.test/auth/backchannel-logout")
    portal = AppConfig(
        client_id=PORTAL_ID, name="Portal", redirect_uris=(PORTAL_REDIRECT,),
        secrets=(SecretConfig(value=PORTAL_SECRET),), logout_url=PORTAL_FRONT,
        frontchannel_logout_iss=True, backchannel_logout_uri="http://portal.test/bc")
    quiet = AppConfig(client_id="1f2e3d4c-5b6a-4789-8a9b-0c1d2e3f4a5b", name="Quiet",
                      redirect_uris=("http://localhost/quiet",))
    return IdpConfig(tenants=(replace(tenant, apps=(rp, portal, quiet)),),
                     clock=MockClock(frozen_at=START), **overrides)


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
def idp(receiver: Receiver) -> Starlette:
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=receiver.app()))
    return create_app(config(), http_client=http)


@pytest.fixture
def browser(idp: Starlette) -> Iterator[AppClient]:
    with AppClient(idp, follow_redirects=False) as client:
        yield client


def sign_in_rp(browser: AppClient, upn: str = ALICE, version: str = "2.0") -> dict[str, Any]:
    """Sign in to the reference app; its token response (with the ID token)."""
    body: dict[str, Any] = redeem(browser, get_code(browser, upn=upn, version=version),
                                  version=version).json()
    assert "id_token" in body, body
    return body


def sign_in_portal(browser: AppClient) -> dict[str, str]:
    values = redirect_params(browser.get(paths(TENANT, "2.0")["authorize"], params=auth_params(
        client_id=PORTAL_ID, redirect_uri=PORTAL_REDIRECT)))
    assert "code" in values, values  # the session signs in without a page
    return values


def sign_out(browser: AppClient, version: str = "2.0", upn: str = ALICE,
             **params: str) -> httpx.Response:
    """Sign out without ``logout_hint``: the v2 endpoint asks "Pick an account" even for one
    account, and ``upn``'s tile answers it; the v1 endpoint signs the account out directly."""
    response = browser.get(LOGOUT[version], params=params)
    return pick_to_sign_out(browser, response, upn) if version == "2.0" else response


def hinted(token: str, **params: str) -> dict[str, str]:
    """End-session parameters naming the ID token's account: ``id_token_hint`` and
    ``logout_hint`` (its ``login_hint`` claim), so the v2 endpoint asks no one."""
    return {"id_token_hint": token, "logout_hint": claims(token)["login_hint"], **params}


def is_sign_in_page(response: httpx.Response) -> bool:
    return response.status_code == 200 and 'name="ctx"' in response.text and (
        'name="loginfmt"' in response.text)


def iframes(page: httpx.Response) -> list[str]:
    return [html.unescape(src) for src in re.findall(r'<iframe[^>]*src="([^"]+)"', page.text)]


# --- the post-logout redirect ---------------------------------------------------------------

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


# --- the IdP session ends -------------------------------------------------------------------

@pytest.mark.parametrize("version", ["2.0", "1.0"])
def test_after_logout_every_app_of_the_session_needs_a_sign_in(browser: AppClient,
                                                                version: str) -> None:
    sign_in_rp(browser)
    sign_in_portal(browser)
    silent = redirect_params(browser.get(paths(TENANT, "2.0")["authorize"],
                                         params=auth_params(prompt="none")))
    assert "code" in silent  # signed in: silent SSO works before logout
    sign_out(browser, version)
    for client_id, redirect_uri in ((CLIENT_ID, SIGNED_OUT), (PORTAL_ID, PORTAL_REDIRECT)):
        page = browser.get(paths(TENANT, "2.0")["authorize"], params=auth_params(
            client_id=client_id, redirect_uri=redirect_uri))
        assert is_sign_in_page(page), page.text[:300]
        values = redirect_params(browser.get(paths(TENANT, "2.0")["authorize"], params=auth_params(
            client_id=client_id, redirect_uri=redirect_uri, prompt="none", state="q")))
        assert values["error"] == "login_required"
        assert values["error_description"].startswith("AADSTS50058: ")
        assert values["state"] == "q" and "code" not in values


def test_the_old_cookie_no_longer_signs_in(browser: AppClient) -> None:
    sign_in_rp(browser)
    cookie = browser.cookies.get(SESSION_COOKIE)
    assert cookie
    sign_out(browser)
    browser.cookies.set(SESSION_COOKIE, cookie)
    values = redirect_params(browser.get(paths(TENANT, "2.0")["authorize"],
                                         params=auth_params(prompt="none")))
    assert values["error"] == "login_required"


def test_another_browsers_session_survives(idp: Starlette, browser: AppClient) -> None:
    sign_in_rp(browser)
    with AppClient(idp, follow_redirects=False) as other:
        sign_in_rp(other, upn=BOB)
        sign_out(browser)
        values = redirect_params(other.get(paths(TENANT, "2.0")["authorize"],
                                           params=auth_params(prompt="none")))
        assert "code" in values


# --- front-channel --------------------------------------------------------------------------

def test_signed_out_page_loads_each_apps_logout_url_in_an_iframe(browser: AppClient) -> None:
    token = sign_in_rp(browser)["id_token"]
    sid = claims(token)["sid"]
    sign_in_portal(browser)
    page = browser.get(LOGOUT["2.0"], params=hinted(token, post_logout_redirect_uri=SIGNED_OUT))
    assert page.status_code == 200 and "You signed out of your account" in page.text
    assert iframes(page) == [
        f"{RP_FRONT}?sid={sid}",
        f"https://portal.test/fc?tenant=contoso&iss={quote(ISSUER, safe='')}&sid={sid}",
    ]
    assert 'title="Signing out of Portal"' in page.text


def test_front_channel_notifications_are_recorded_and_marked_loaded(
    browser: AppClient,
) -> None:
    sign_in_rp(browser)
    sign_out(browser)
    notes = browser.get("/_mock/notifications", params={"kind": "frontchannel"}).json()[
        "notifications"]
    assert len(notes) == 1
    note = notes[0]
    assert note["client_id"] == CLIENT_ID and note["app_name"] == "Reference relying party"
    assert note["url"].startswith(RP_FRONT + "?sid=") and note["loaded_at"] is None
    assert note["payload"] == {"sid": note["url"].split("sid=")[1]}
    assert note["time"] == START.isoformat()
    assert browser.post(f"/_mock/notifications/{note['id']}/loaded").status_code == 204
    loaded = browser.get("/_mock/notifications").json()["notifications"]
    assert [n["loaded_at"] for n in loaded if n["id"] == note["id"]] == [START.isoformat()]
    missing = browser.post("/_mock/notifications/nope/loaded")
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "note_id"


def test_an_app_without_a_logout_url_gets_no_iframe(browser: AppClient) -> None:
    sid = claims(sign_in_rp(browser)["id_token"])["sid"]
    values = redirect_params(browser.get(paths(TENANT, "2.0")["authorize"], params=auth_params(
        client_id="1f2e3d4c-5b6a-4789-8a9b-0c1d2e3f4a5b", redirect_uri="http://localhost/quiet",
        scope="openid")))
    if "code" not in values:
        pytest.fail(f"sign-in did not complete: {values}")
    page = sign_out(browser)
    assert iframes(page) == [f"{RP_FRONT}?sid={sid}"]


# --- back-channel ---------------------------------------------------------------------------

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
