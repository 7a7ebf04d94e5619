"""Shared helpers for the relying-party tests."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from asgi_client import AppClient
from fake_op import (
    AUTHORIZE,
    CLIENT_ID,
    CLIENT_SECRET,
    TID,
    TOKEN,
    USERS,
    FakeOp,
    event,
    installed_links,
    sign_event,
)
from httpx import Response

from relying_party import Settings
from relying_party.db import Database

START = datetime(2026, 3, 1, 9, 0, 0, tzinfo=UTC)
ADMIN_TOKEN = "test-admin-token-0123456789"
ADMIN_HEADERS = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
"""The harness's client sends the admin bearer token; its browser routes ignore it."""

_CONNECTION_ETAG = re.compile(r'"([1-9][0-9]*)-[0-9a-f]{16}"')


def etag_version(response: Response) -> int:
    """The version a connection's ``ETag`` (``"<version>-<digest>"``) names."""
    found = _CONNECTION_ETAG.fullmatch(response.headers["etag"])
    assert found, response.headers["etag"]
    return int(found.group(1))


ANY_VERSION = {"If-Match": "*"}
"""A connection ``PATCH`` made from the connection as it is (a ``PATCH`` must name the version it
was made from): for tests of what an edit does, not of concurrent saves."""


class MovableClock:
    """A frozen clock tests move explicitly."""

    def __init__(self, at: datetime = START) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def advance(self, **kwargs: float) -> None:
        self.at += timedelta(**kwargs)


@dataclass
class RpHarness:
    settings: Settings
    client: AppClient
    clock: MovableClock
    op: FakeOp

    def add_connection(self, **overrides: str) -> str:
        response = self.client.post("/api/admin/connections", json={**OP_CONNECTION, **overrides})
        assert response.status_code == 201, response.text
        cid: str = response.json()["id"]
        return cid

    def start(self, path: str) -> str:
        """Visit ``path``; expect the redirect to the provider and return its URL."""
        response = self.client.get(path)
        assert response.status_code == 302, response.text
        location: str = response.headers["location"]
        return location

    def sign_in(self, path: str = "/widget", user: str = "alice") -> Response:
        """A full sign-in: start at ``path``, approve at the provider, follow the callback."""
        return self.client.get(self.op.approve(self.start(path), user))

    def me(self) -> Response:
        return self.client.get("/api/me")

    def errors(self) -> list[dict[str, object]]:
        body: list[dict[str, object]] = self.client.get("/api/admin/errors").json()
        return body

    def assert_failure_page(self, response: Response, *, status: int, code: str,
                            contact: str = "helpdesk@contoso.test") -> dict[str, object]:
        """The one failure page: status, contact, reference in the error log, nobody signed in."""
        assert response.status_code == status, response.text
        assert "Sign-in failed" in response.text
        assert contact in response.text
        match = re.search(r'id="error-ref">(RP-[0-9A-F]{10})<', response.text)
        assert match, response.text
        record = self.client.get(f"/api/admin/errors/{match.group(1)}").json()
        assert record["code"] == code, record
        assert record["status"] == status
        assert record["support_contact"] == contact
        assert self.me().status_code == 401
        assert "rp_session" not in response.headers.get("set-cookie", "")
        return dict(record)

    def csrf(self) -> str:
        """This browser's CSRF token (issued by the server on the first page with a form)."""
        if not self.client.cookies.get("rp_csrf"):
            assert self.client.get("/logout").status_code == 200
        token = self.client.cookies.get("rp_csrf")
        assert token
        return token

    def form_fields(self, path: str, action: str) -> dict[str, str]:
        """The hidden fields (CSRF token, the connection's version, the add form's nonce) of
        the form on the page at ``path`` that posts to ``action``."""
        page = self.client.get(path).text
        start = page.index(f'action="{action}"')
        form = page[start:page.index("</form>", start)]
        return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form))

    def admin_sign_in(self) -> None:
        """Sign in to the admin pages with the admin token."""
        response = self.client.post(
            "/admin/sign-in",
            data={"csrf_token": self.csrf(), "admin_token": ADMIN_TOKEN, "next": "/admin"},
        )
        assert response.status_code == 303, response.text
        assert self.client.get("/admin").status_code == 200

    def logout(self) -> Response:
        """Sign out with the app's own form (``POST /logout`` with the CSRF token)."""
        return self.client.post("/logout", data={"csrf_token": self.csrf()})


VALID_CONNECTION: dict[str, str] = {
    "name": "Contoso",
    "authorization_uri": "https://login.op.test/contoso/oauth2/v2.0/authorize",
    "token_url": "https://login.op.test/contoso/oauth2/v2.0/token",
    "client_id": "client-123",
    "client_secret": "s3cret-value",
    "secret_expires_on": "2026-09-01",
    "support_contact": "helpdesk@contoso.test",
}

OP_CONNECTION: dict[str, str] = {
    "name": "Contoso",
    "authorization_uri": AUTHORIZE,
    "token_url": TOKEN,
    "client_id": CLIENT_ID,
    "client_secret": CLIENT_SECRET,
    "secret_expires_on": "2026-09-01",
    "support_contact": "helpdesk@contoso.test",
}


INSTALLATION = "9514148a170c4d4aaa344a540cec08c5"
PARTNER_CONTACT = "support@partner-app.example"


def settle(client: AppClient, timeout: float = 10.0) -> None:
    """Wait until the calls the app makes after answering (the platform's Apps API after an
    event) are done: they run on the app's event loop after the event's answer."""
    background = client.app.state.rp.background  # type: ignore[attr-defined]
    if background.loop is not None:
        done = asyncio.run_coroutine_threadsafe(background.wait(timeout), background.loop)
        assert done.result(timeout + 5), "calls still under way"


def installed_body(rp: RpHarness, **data: str) -> bytes:
    payload = {
        "installation_id": INSTALLATION,
        "account_id": TID,
        "account_name": "contoso.onmicrosoft.com",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        **data,
    }
    return event("app.installed", payload, created_at=rp.clock.now(), links=installed_links())


def post_event(rp: RpHarness, body: bytes, headers: dict[str, str] | None = None) -> Response:
    return rp.client.post("/events", content=body, headers=headers or sign_event(body))


def outcome(rp: RpHarness, body: bytes) -> str:
    """The outcome the RP reports for an event it processed (a 200 it did not skip)."""
    response = post_event(rp, body)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "processed", response.text
    result: str = response.json()["outcome"]
    return result


def install(rp: RpHarness) -> None:
    response = post_event(rp, installed_body(rp))
    assert response.status_code == 200, response.text


def launch(rp: RpHarness, user: str = "alice", hint: str | None = None) -> Response:
    hint = hint or USERS[user].oid
    location = rp.start(f"/launch?installation_id={INSTALLATION}&user_id={hint}")
    return rp.client.get(rp.op.approve(location, user))


def callback_url(rp: RpHarness, user: str = "alice") -> str:
    """Launch for ``user`` and sign in at the provider; the callback is not followed yet."""
    location = rp.start(f"/launch?installation_id={INSTALLATION}&user_id={USERS[user].oid}")
    return rp.op.approve(location, user)


def database(rp: RpHarness) -> Database:
    db: Database = rp.client.app.state.rp.db  # type: ignore[attr-defined]
    return db


def second_connection(rp: RpHarness, name: str) -> str:
    """Another organization's connection named ``name``, signing in as a client of its own at
    the same provider; its id."""
    rp.op.clients["other-client"] = type(rp.op.clients[CLIENT_ID])("other-secret")
    return rp.add_connection(name=name, client_id="other-client",
                             client_secret="other-secret", support_contact="it@other.test")
