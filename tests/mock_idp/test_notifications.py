"""Sessions ended without a browser (Graph ``revokeSignInSessions``, a disabled or deleted user)
and by sign-out: who is told what, and the record of it at ``/_mock/notifications``."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx
import jwt
import pytest
from asgi_client import AppClient
from idp_testkit import (
    ALICE,
    BOB,
    CLIENT_ID,
    TENANT,
    auth_params,
    claims,
    get_code,
    logout_hint,
    paths,
    redeem,
    redirect_params,
    sign_in,
    submit,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mock_idp import create_app
from mock_idp.clock import MockClock
from mock_idp.config import IdpConfig, default_tenant
from mock_idp.notifications import Notifier

START = datetime(2026, 3, 2, 9, 30, 15, tzinfo=UTC)
GRAPH = f"/graph/{TENANT}/v1.0"
BACKCHANNEL_URL = "http://rp.test/auth/backchannel-logout"
EVENTS_URL = "http://rp.test/events"
EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT = f"/{TENANT}/oauth2/v2.0/logout"


@dataclass
class Hit:
    path: str
    content_type: str
    body: bytes


@dataclass
class Receiver:
    """The app's back-channel logout and platform events endpoints."""

    status: int = 200
    hits: list[Hit] = field(default_factory=list)
    meanwhile: dict[str, Callable[[], Awaitable[None]]] = field(default_factory=dict)
    """Paths whose answer waits until this is done: what happens at the provider while the
    app answers."""

    def app(self) -> Starlette:
        async def receive(request: Request) -> Response:
            self.hits.append(Hit(request.url.path, request.headers.get("content-type", ""),
                                 await request.body()))
            if request.url.path in self.meanwhile:
                await self.meanwhile[request.url.path]()
            return Response(status_code=self.status, headers={"Cache-Control": "no-store"})

        return Starlette(routes=[Route("/{path:path}", receive, methods=["POST"])])

    def logout_tokens(self) -> list[str]:
        return [parse_qs(h.body.decode())["logout_token"][0] for h in self.hits
                if h.path == "/auth/backchannel-logout"]

    def events(self, event_type: str | None = None) -> list[dict[str, Any]]:
        out = [json.loads(h.body) for h in self.hits if h.path == "/events"]
        return [e for e in out if event_type is None or e["type"] == event_type]


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
def clock() -> MockClock:
    return MockClock(frozen_at=START)


@pytest.fixture
def idp(receiver: Receiver, clock: MockClock) -> Starlette:
    tenant = default_tenant()
    rp = replace(tenant.apps[0], backchannel_logout_uri=BACKCHANNEL_URL, events_url=EVENTS_URL)
    cfg = IdpConfig(tenants=(replace(tenant, apps=(rp,)),), clock=clock)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=receiver.app()))
    return create_app(cfg, http_client=http)


@pytest.fixture
def browser(idp: Starlette) -> Iterator[AppClient]:
    with AppClient(idp, follow_redirects=False) as client:
        yield client


@pytest.fixture
def installed(browser: AppClient, receiver: Receiver) -> str:
    """The reference app installed for Contoso through the platform; its installation id."""
    response = browser.post("/_mock/installations", json={
        "app_id": CLIENT_ID, "tenant": TENANT, "events_url": EVENTS_URL})
    assert response.status_code == 201, response.text
    assert [e["type"] for e in receiver.events()] == ["app.installed"]
    installation_id: str = response.json()["installation"]["installation_id"]
    return installation_id


def alice_signs_in(browser: AppClient) -> dict[str, Any]:
    body: dict[str, Any] = claims(redeem(browser, get_code(browser, upn=ALICE)).json()[
        "id_token"])
    return body


def notes(browser: AppClient, kind: str | None = None) -> list[dict[str, Any]]:
    params = {"kind": kind} if kind else {}
    found: list[dict[str, Any]] = browser.get("/_mock/notifications", params=params).json()[
        "notifications"]
    return found


def oid(browser: AppClient, upn: str) -> str:
    user_id: str = browser.get(f"{GRAPH}/users/{upn}").json()["id"]
    return user_id


def assert_signed_out(browser: AppClient) -> None:
    page = browser.get(paths(TENANT, "2.0")["authorize"], params=auth_params())
    assert page.status_code == 200 and 'name="loginfmt"' in page.text
    values = redirect_params(browser.get(paths(TENANT, "2.0")["authorize"],
                                         params=auth_params(prompt="none")))
    assert values["error"] == "login_required"
    assert values["error_description"].startswith("AADSTS50058: ")


def check_logout_token(browser: AppClient, token: str, idt: dict[str, Any]) -> None:
    head = jwt.get_unverified_header(token)
    keys = browser.get(paths(TENANT, "2.0")["keys"]).json()["keys"]
    key = jwt.PyJWK.from_dict(next(k for k in keys if k["kid"] == head["kid"])).key
    body = jwt.decode(token, key, algorithms=["RS256"], audience=CLIENT_ID, issuer=idt["iss"],
                      options={"verify_exp": False, "verify_iat": False})
    assert body["sid"] == idt["sid"] and body["sub"] == idt["sub"]
    assert body["events"] == {EVENT: {}} and "nonce" not in body
    assert body["exp"] - body["iat"] <= 120


# --- Graph ends sessions --------------------------------------------------------------------

@pytest.mark.parametrize(("method", "path", "body", "trigger"), [
    ("POST", "/users/{upn}/revokeSignInSessions", None, "revokeSignInSessions"),
    ("PATCH", "/users/{upn}", {"accountEnabled": False}, "accountDisabled"),
])
def test_graph_ending_sessions_sends_back_channel_and_platform_notifications(
    browser: AppClient, receiver: Receiver, installed: str, method: str, path: str,
    body: dict[str, Any] | None, trigger: str,
) -> None:
    idt = alice_signs_in(browser)
    alice = oid(browser, ALICE)
    response = browser.request(method, GRAPH + path.format(upn=ALICE), json=body)
    assert response.status_code in (200, 204), response.text

    tokens = receiver.logout_tokens()
    assert len(tokens) == 1
    check_logout_token(browser, tokens[0], idt)
    [event] = receiver.events("user.logout")
    assert event["data"] == {"account_id": TENANT, "user_id": alice, "user_email": ALICE,
                             "installation_id": installed}

    recorded = notes(browser)
    assert [(n["kind"], n["trigger"], n["client_id"], n["status"]) for n in recorded] == [
        ("backchannel", trigger, CLIENT_ID, 200), ("platform", trigger, CLIENT_ID, 200)]
    back, platform = recorded
    assert back["url"] == BACKCHANNEL_URL and back["app_name"] == "Reference relying party"
    assert back["payload"]["logout_token"] == tokens[0]
    assert back["headers"]["cache-control"] == "no-store"
    assert platform["url"] == EVENTS_URL and platform["app_name"] == "Reference relying party"
    assert platform["payload"] == event
    for note in recorded:
        assert note["time"] == START.isoformat() and note["error"] is None
        assert isinstance(note["duration_ms"], float)
    assert_signed_out(browser)


def test_a_deleted_user_is_signed_out_and_the_app_told(browser: AppClient,
                                                       receiver: Receiver) -> None:
    idt = alice_signs_in(browser)
    assert browser.delete(f"{GRAPH}/users/{ALICE}").status_code == 204
    [token] = receiver.logout_tokens()
    check_logout_token(browser, token, idt)
    assert [(n["kind"], n["trigger"]) for n in notes(browser)] == [("backchannel", "userDeleted")]


def test_only_the_users_own_sessions_end(idp: Starlette, browser: AppClient,
                                         receiver: Receiver) -> None:
    with AppClient(idp, follow_redirects=False) as bobs:
        redeem(bobs, get_code(bobs, upn=BOB))
        alice_signs_in(browser)
        browser.post(f"{GRAPH}/users/{ALICE}/revokeSignInSessions")
        assert len(receiver.logout_tokens()) == 1
        values = redirect_params(bobs.get(paths(TENANT, "2.0")["authorize"],
                                          params=auth_params(prompt="none")))
        assert "code" in values


def test_a_user_with_no_session_is_revoked_quietly(browser: AppClient,
                                                   receiver: Receiver) -> None:
    assert browser.post(f"{GRAPH}/users/{BOB}/revokeSignInSessions").status_code == 200
    assert receiver.hits == [] and notes(browser) == []


def test_a_failing_app_is_recorded_with_its_status(browser: AppClient, receiver: Receiver,
                                                   installed: str) -> None:
    receiver.status = 503
    alice_signs_in(browser)
    browser.post(f"{GRAPH}/users/{ALICE}/revokeSignInSessions")
    assert [(n["kind"], n["status"]) for n in notes(browser)] == [
        ("backchannel", 503), ("platform", 503)]


# --- sign-out tells the platform too --------------------------------------------------------

def test_sign_out_sends_user_logout_to_the_installation(browser: AppClient,
                                                        receiver: Receiver,
                                                        installed: str) -> None:
    alice_signs_in(browser)
    browser.get(LOGOUT, params={"logout_hint": logout_hint(browser)})
    [event] = receiver.events("user.logout")
    assert event["data"]["user_id"] == oid(browser, ALICE)
    assert [(n["kind"], n["trigger"]) for n in notes(browser)] == [
        ("backchannel", "logout"), ("platform", "logout")]


# --- the notification log -------------------------------------------------------------------

def test_log_filter_clear_and_reset(browser: AppClient, receiver: Receiver,
                                    clock: MockClock) -> None:
    alice_signs_in(browser)
    clock.advance(timedelta(minutes=3))
    browser.get(LOGOUT, params={"logout_hint": logout_hint(browser)})
    assert [n["kind"] for n in notes(browser)] == ["backchannel"]
    assert notes(browser)[0]["time"] == (START + timedelta(minutes=3)).isoformat()
    assert notes(browser, "frontchannel") == [] and notes(browser, "platform") == []
    bad = browser.get("/_mock/notifications", params={"kind": "smoke-signal"})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "kind"
    assert browser.delete("/_mock/notifications").status_code == 204
    assert notes(browser) == []

    alice_signs_in(browser)
    browser.get(LOGOUT, params={"logout_hint": logout_hint(browser)})
    assert len(notes(browser)) == 1
    browser.post("/_mock/reset", json={})
    assert notes(browser) == []


def control(idp: Starlette, method: str, path: str) -> Callable[[], Awaitable[None]]:
    """A call to the provider's control API, made while an app answers a notification."""
    async def call() -> None:
        transport = httpx.ASGITransport(app=idp)
        async with httpx.AsyncClient(transport=transport, base_url="http://idp.test") as client:
            response = await client.request(method, path,
                                            json={} if method == "POST" else None)
            assert response.status_code in (200, 204), response.text

    return call


@pytest.mark.parametrize(("answering", "kept"), [
    ("/auth/backchannel-logout", ["platform"]),  # the platform event is sent after the clear
    ("/events", []),
])
def test_a_notification_in_flight_when_the_log_is_cleared_leaves_no_trace(
    idp: Starlette, browser: AppClient, receiver: Receiver, installed: str, answering: str,
    kept: list[str],
) -> None:
    """Scenarios sharing one provider clear its log between them: a notification an app was
    still answering then is not added to the next one's log."""
    receiver.meanwhile[answering] = control(idp, "DELETE", "/_mock/notifications")
    alice_signs_in(browser)
    browser.post(f"{GRAPH}/users/{ALICE}/revokeSignInSessions")
    assert len(receiver.logout_tokens()) == 1 and len(receiver.events("user.logout")) == 1
    assert [n["kind"] for n in notes(browser)] == kept


def test_a_notification_in_flight_across_a_reset_leaves_no_trace(
    idp: Starlette, browser: AppClient, receiver: Receiver,
) -> None:
    receiver.meanwhile["/auth/backchannel-logout"] = control(idp, "POST", "/_mock/reset")
    alice_signs_in(browser)
    browser.post(f"{GRAPH}/users/{ALICE}/revokeSignInSessions")
    assert len(receiver.logout_tokens()) == 1
    assert notes(browser) == []


def test_python_api(idp: Starlette, browser: AppClient) -> None:
    notifier: Notifier = idp.state.idp.notifier
    alice_signs_in(browser)
    browser.get(LOGOUT, params={"logout_hint": logout_hint(browser)})
    [note] = notifier.log()
    assert note.kind == "backchannel" and note.status == 200
    notifier.clear()
    assert notifier.log() == []


def test_logout_urls_registered_through_graph_are_used(browser: AppClient,
                                                       receiver: Receiver) -> None:
    app_path = f"{GRAPH}/applications(appId='{CLIENT_ID}')"
    response = browser.patch(app_path, json={
        "web": {"logoutUrl": "https://rp.test/fc"},
        "backchannelLogoutUri": "http://rp.test/auth/backchannel-logout?via=graph"})
    assert response.status_code == 204, response.text
    sid = alice_signs_in(browser)["sid"]
    page = browser.get(LOGOUT, params={"logout_hint": logout_hint(browser)})
    assert f'src="https://rp.test/fc?sid={sid}"' in page.text
    assert [n["url"] for n in notes(browser)] == [
        f"https://rp.test/fc?sid={sid}", "http://rp.test/auth/backchannel-logout?via=graph"]
    assert len(receiver.logout_tokens()) == 1


@pytest.mark.parametrize(("version", "issuer"), [
    ("1.0", f"https://sts.windows.net/{TENANT}/"),
    ("2.0", f"http://testserver/{TENANT}/v2.0"),
])
def test_notifications_name_the_issuer_of_the_apps_sign_in(
        browser: AppClient, receiver: Receiver, version: str, issuer: str) -> None:
    app_path = f"{GRAPH}/applications(appId='{CLIENT_ID}')"
    assert browser.patch(app_path, json={"web": {"logoutUrl": "https://rp.test/fc"},
                                         "frontchannelLogoutIncludesIssuer": True}
                         ).status_code == 204
    idt = claims(redeem(browser, get_code(browser, version=version), version=version).json()[
        "id_token"])
    assert idt["iss"] == issuer
    page = browser.get(LOGOUT, params={"logout_hint": logout_hint(browser)})
    assert f'src="https://rp.test/fc?{urlencode({"iss": issuer, "sid": idt["sid"]})}"' in \
        page.text.replace("&amp;", "&")
    [token] = receiver.logout_tokens()
    check_logout_token(browser, token, idt)
    assert ("x5t" in jwt.get_unverified_header(token)) == (version == "1.0")


@pytest.mark.parametrize(("devicecode", "form", "issuer"), [
    (f"/{TENANT}/oauth2/devicecode", {"resource": "https://graph.microsoft.com"},
     f"https://sts.windows.net/{TENANT}/"),
    (f"/{TENANT}/oauth2/v2.0/devicecode", {"scope": "openid profile"},
     f"http://testserver/{TENANT}/v2.0"),
])
def test_a_device_code_sign_in_is_told_by_the_issuer_of_its_endpoint(
        browser: AppClient, receiver: Receiver, devicecode: str, form: dict[str, str],
        issuer: str) -> None:
    started = browser.post(devicecode, data={"client_id": CLIENT_ID, **form})
    assert started.status_code == 200, started.text
    confirm = sign_in(browser, browser.post("/devicelogin",
                                            data={"otc": started.json()["user_code"]}))
    done = submit(browser, confirm, answer="Continue")
    assert "You may now close this window" in done.text, done.text[:500]
    browser.get(LOGOUT, params={"logout_hint": logout_hint(browser)})
    [token] = receiver.logout_tokens()
    assert jwt.decode(token, options={"verify_signature": False})["iss"] == issuer
