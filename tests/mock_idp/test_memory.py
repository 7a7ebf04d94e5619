"""The provider forgets what outlives its lifetime: memory stays flat over thousands of logins.

Each login is the whole authorization-code flow (the sign-in page, the password form, the code
redeemed for tokens), so it leaves a pending sign-in, a session, a code, a redeemed-code mark,
a refresh token and an ID-token record behind. After every 250 logins the clock moves past all
their lifetimes; growth is measured with ``tracemalloc``.

The requests go straight to the ASGI app: ``httpx.ASGITransport`` tries to import a module
that is not installed on every request, which costs more than the provider's own work, and this
test makes about 16,000 requests under ``tracemalloc``.
"""

from __future__ import annotations

import base64
import gc
import hashlib
import secrets
import tracemalloc
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import loops
import pytest
from entra_pages import next_form, sign_in_answers
from starlette.types import ASGIApp, Message

from mock_idp import create_app
from mock_idp.clock import MockClock
from mock_idp.config import (
    DEFAULT_TENANT_ID,
    REFERENCE_RP_CLIENT_ID,
    REFERENCE_RP_SECRET,
    IdpConfig,
    SecretConfig,
    default_tenant,
)
from mock_idp.store import EXPIRED_KEPT, SIGN_IN_PAGE_LIFETIME

LOGINS = 2500
BLOCK = 250
WARM_UP_BLOCKS = 3
"""Blocks of logins that fill what is bounded anyway, under tracing: the request log keeps the
last 2,000 requests (five per login), and buffers allocated before tracing began would
otherwise count as growth when they are replaced. The warm-up moves the clock after each block
as the measured blocks do: the provider's maps grown to hold more records than a block leaves
would shrink later on, and that shrinking would hide as much growth."""
BUDGET_PER_1000 = 100_000
"""Bytes the provider may grow by per 1,000 logins once every lifetime has passed."""
ALICE = "alice@contoso.onmicrosoft.com"
REDIRECT = "http://localhost:5555/auth/callback"
DEFAULTS = IdpConfig.default()
PAST_EVERY_LIFETIME = max(
    DEFAULTS.code_lifetime, DEFAULTS.id_token_lifetime, *DEFAULTS.access_token_lifetime,
    DEFAULTS.refresh_token_lifetime, DEFAULTS.session_lifetime, SIGN_IN_PAGE_LIFETIME,
) + EXPIRED_KEPT + timedelta(minutes=1)
"""The longest lifetime (a refresh token's 90 days), plus the day expired records are kept."""


@dataclass
class Answer:
    status: int
    headers: dict[bytes, bytes]
    body: bytes


async def call(app: ASGIApp, method: str, path: str, *, query: dict[str, str] | None = None,
               form: dict[str, str] | None = None) -> Answer:
    """One HTTP request through the ASGI interface, as a server would make it."""
    body = urlencode(form).encode() if form is not None else b""
    headers = [(b"host", b"testserver")]
    if form is not None:
        headers.append((b"content-type", b"application/x-www-form-urlencoded"))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": urlencode(query or {}).encode(), "root_path": "",
             "headers": headers, "server": ("testserver", 80), "client": ("127.0.0.1", 1)}
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    answer = Answer(0, {}, b"")

    async def receive() -> Message:
        return messages.pop() if messages else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            answer.status = message["status"]
            answer.headers = dict(message.get("headers", []))
        elif message["type"] == "http.response.body":
            answer.body += message.get("body", b"")

    await app(scope, receive, send)
    return answer


async def login(app: ASGIApp) -> None:
    """Alice signs in on the sign-in page and the code is redeemed for tokens."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    page = await call(app, "GET", f"/{DEFAULT_TENANT_ID}/oauth2/v2.0/authorize", query={
        "client_id": REFERENCE_RP_CLIENT_ID, "response_type": "code", "redirect_uri": REDIRECT,
        "scope": "openid profile offline_access", "state": "s", "nonce": "n",
        "code_challenge": challenge.rstrip(b"=").decode(), "code_challenge_method": "S256",
        "prompt": "login"})
    answers = sign_in_answers(ALICE, "P@ssw0rd-alice")
    while page.status == 200:
        action, ctx = next_form(page.body.decode())
        page = await call(app, "POST", action, form={"ctx": ctx, **next(answers)})
    location = page.headers[b"location"].decode()
    code = parse_qs(urlsplit(location).query)["code"][0]
    tokens = await call(app, "POST", f"/{DEFAULT_TENANT_ID}/oauth2/v2.0/token", form={
        "grant_type": "authorization_code", "client_id": REFERENCE_RP_CLIENT_ID,
        "client_secret": REFERENCE_RP_SECRET, "code": code, "redirect_uri": REDIRECT,
        "code_verifier": verifier})
    assert tokens.status == 200, tokens.body[:300]


def long_lived_directory(clock: MockClock) -> IdpConfig:
    """The default directory, its app's secret good for a century: the clock moves years."""
    tenant = default_tenant()
    secret = SecretConfig(value=REFERENCE_RP_SECRET, expires_in=timedelta(days=36500))
    app = replace(tenant.apps[0], secrets=(secret,))
    return IdpConfig(tenants=(replace(tenant, apps=(app,)),), clock=clock)


def traced_after_collection() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


@pytest.mark.slow  # about 16,000 requests under tracemalloc: make test-slow runs it
def test_memory_stays_flat_once_lifetimes_pass() -> None:
    clock = MockClock(frozen_at=datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
    app = create_app(long_lived_directory(clock))

    async def block() -> None:
        """A block of logins, then the clock past their lifetimes and one more login."""
        for _ in range(BLOCK):
            await login(app)
        clock.advance(PAST_EVERY_LIFETIME)
        await login(app)

    async def run() -> list[int]:
        tracemalloc.start()
        try:
            for _ in range(WARM_UP_BLOCKS):
                await block()
            marks = [traced_after_collection()]
            for _ in range(LOGINS // BLOCK):
                await block()
                marks.append(traced_after_collection())
            return marks
        finally:
            tracemalloc.stop()

    marks = loops.run(run())
    grown = marks[-1] - marks[0]
    per_1000 = grown / (LOGINS / 1000)
    print(f"\n{LOGINS} logins: {grown / 1e6:+.3f} MB, {per_1000 / 1e6:+.3f} MB per 1,000 "
          f"(after each block: {[round((m - marks[0]) / 1e6, 3) for m in marks[1:]]})")
    assert per_1000 <= BUDGET_PER_1000, marks
    state = app.state.idp.store
    for records in (state.sessions, state.codes, state.refresh_tokens,
                    state.id_tokens, state.pending, state.redeemed_codes):
        assert len(records) <= 2, (records, len(records))
