"""Thousands of malformed requests across every route of the reference relying party, in process.

The RP runs with the mock provider behind ``httpx.ASGITransport`` (both on one private event
loop) and trusts an event key set this test holds, so signed but malformed platform events reach
the event parser too. Every answer must be below 500 (or the RP's documented failure page for a
provider or configuration it cannot use, see :func:`upstream_failure`) and carry no traceback,
nothing may be logged as an error, and afterwards a normal sign-in through the mock still works.
A second test reads the connections, installations and users after each request: a refused
one (any 4xx) leaves them as they were.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import time
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from entra_pages import next_form, sign_in_answers
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jwt.algorithms import ECAlgorithm
from loops import LoopThread
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from mock_idp import IdpConfig, MockClock
from mock_idp import create_app as create_mock
from mock_idp.config import DEFAULT_DOMAIN, DEFAULT_TENANT_ID, REFERENCE_RP_CLIENT_ID
from mock_idp.config import REFERENCE_RP_SECRET as SECRET
from relying_party import Settings, create_app

IDP = "http://localhost:8400"
RP = "http://127.0.0.1:8500"
KEYS = "http://platform-keys.test/keys.json"
AUTHORITY = f"{IDP}/{DEFAULT_TENANT_ID}"
ADMIN_TOKEN = "fuzz-admin-token-0123456789"
BATCH = 50
EXAMPLES = int(os.environ.get("FUZZ_RP_EXAMPLES", "104"))
"""``EXAMPLES`` batches of ``BATCH`` requests: 5,200 in all."""
EVENT_KEY = ec.generate_private_key(ec.SECP256R1())
T = TypeVar("T")


# -- the world: mock provider, relying party, the platform's event keys ------------------------


class _Later:
    """An ASGI app filled in after construction (the two apps call each other)."""

    app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.app is not None
        await self.app(scope, receive, send)


def _event_keys_app() -> Starlette:
    jwk = json.loads(ECAlgorithm.to_jwk(EVENT_KEY.public_key()))
    jwk.update({"kid": "fuzz-0", "use": "sig", "alg": "ES256"})
    return Starlette(routes=[Route("/keys.json", lambda _: JSONResponse({"keys": [jwk]}))])


def sign_event(body: bytes) -> dict[str, str]:
    der = EVENT_KEY.sign(body, ec.ECDSA(hashes.SHA256()))
    return {"X-Hub-Ecdsa-Signature": base64.b64encode(der).decode(),
            "X-Hub-Ecdsa-Signature-Id": "fuzz-0", "Content-Type": "application/json"}


@dataclass
class Pools:
    """Real values mixed into the malformed ones, so requests get past the first checks."""

    connection_ids: list[str] = field(default_factory=list)
    installation_ids: list[str] = field(default_factory=list)
    states: list[str] = field(default_factory=list)
    cookies: dict[str, str] = field(default_factory=dict)
    """rp_session, rp_login, rp_csrf and rp_admin values a signed-in browser holds."""
    id_tokens: list[str] = field(default_factory=list)


@dataclass
class World:
    loop: LoopThread
    rp_app: Starlette
    idp_app: Any
    clock: MockClock
    pools: Pools = field(default_factory=Pools)

    def run(self, awaitable: Coroutine[Any, Any, T]) -> T:
        return self.loop.run(awaitable)

    def client(self, base: str = RP, *, address: str = "127.0.0.1", **kwargs: Any
               ) -> httpx.AsyncClient:
        """A client of the RP (or the provider) at ``address``, the client address the RP
        sees (its admin sign-in slows guesses per address)."""
        app = self.rp_app if base == RP else self.idp_app
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 123)),
                                 base_url=base, follow_redirects=False, **kwargs)


async def through_idp(idp: httpx.AsyncClient, location: str, user: str = "alice") -> str:
    """Follow the provider's pages as the browser, signing in when asked (username, password,
    "Stay signed in?" No); the first URL that leads back to the relying party."""
    answers = sign_in_answers(f"{user}@{DEFAULT_DOMAIN}", f"P@ssw0rd-{user}")
    while location.startswith(IDP):
        response = await idp.get(location)
        while response.status_code == 200:
            action, ctx = next_form(response.text)
            url = action if action.startswith("http") else IDP + action
            response = await idp.post(url, data={"ctx": ctx, **next(answers)})
        assert response.status_code in (302, 303), response.text[:500]
        location = response.headers["location"]
    return location


async def add_connection(admin: httpx.AsyncClient, clock: MockClock) -> str:
    # Its id is the client id: its redirect URI, …/auth/callback/<client id>, is one the mock's
    # registration of the reference RP lists.
    response = await admin.post("/api/admin/connections", json={
        "id": REFERENCE_RP_CLIENT_ID, "name": "Contoso",
        "authorization_uri": f"{AUTHORITY}/oauth2/v2.0/authorize",
        "token_url": f"{AUTHORITY}/oauth2/v2.0/token", "client_id": REFERENCE_RP_CLIENT_ID,
        "client_secret": SECRET,
        "secret_expires_on": (clock.now() + timedelta(days=180)).date().isoformat(),
        "support_contact": "helpdesk@contoso.test"})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def sign_in(world: World, connection_id: str) -> httpx.AsyncClient:
    """A browser signed in through the mock; asserts every step of a normal sign-in."""
    browser = world.client()
    idp = world.client(IDP)
    started = await browser.get(f"/sso/{connection_id}/portal")
    assert started.status_code == 302, started.text
    callback = await through_idp(idp, started.headers["location"])
    finished = await browser.get(callback)
    assert finished.status_code == 303, finished.text
    assert finished.headers["location"] == "/portal"
    me = await browser.get("/api/me")
    assert me.status_code == 200 and me.json()["email"] == f"alice@{DEFAULT_DOMAIN}", me.text
    await idp.aclose()
    return browser


async def seed(world: World) -> None:
    pools = world.pools
    admin = world.client(headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    pools.connection_ids.append(await add_connection(admin, world.clock))
    installed = installed_event(world.clock, "a1b2c3d4e5f60718293a4b5c6d7e8f90")
    response = await admin.post("/events", content=installed, headers=sign_event(installed))
    assert response.status_code == 200, response.text
    pools.installation_ids.append("a1b2c3d4e5f60718293a4b5c6d7e8f90")
    browser = await sign_in(world, pools.connection_ids[0])
    started = await browser.get(f"/sso/{pools.connection_ids[0]}/kb")
    pools.states.append(str(httpx.URL(started.headers["location"]).params["state"]))
    await browser.get("/admin/sign-in")
    signed = await browser.post("/admin/sign-in", data={
        "csrf_token": browser.cookies["rp_csrf"], "admin_token": ADMIN_TOKEN})
    assert signed.status_code == 303, signed.text
    pools.cookies = {name: browser.cookies[name]
                     for name in ("rp_session", "rp_login", "rp_csrf", "rp_admin")}
    for aud in (REFERENCE_RP_CLIENT_ID, True, 5, 1.5, [REFERENCE_RP_CLIENT_ID, 7], None):
        claims = {"iss": AUTHORITY + "/v2.0", "aud": aud, "sub": "x", "sid": "\ud800",
                  "iat": 1, "exp": 2, "jti": "j", "events": {}}
        pools.id_tokens.append(jwt.encode(claims, "k" * 32))
    await browser.aclose()
    await admin.aclose()


def installed_event(clock: MockClock, installation_id: str) -> bytes:
    links = {name: {"href": href} for name, href in (
        ("root", "http://localhost:8400"),
        ("authorization", f"{AUTHORITY}/oauth2/v2.0/authorize"),
        ("token", f"{AUTHORITY}/oauth2/v2.0/token"),
        ("userinfo", "http://localhost:8400/oidc/userinfo"),
        ("openid_configuration", f"{AUTHORITY}/v2.0/.well-known/openid-configuration"))}
    return json.dumps({
        "id": "seed-" + installation_id, "api_version": "1", "type": "app.installed",
        "created_at": clock.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "app_id": REFERENCE_RP_CLIENT_ID, "_links": links,
        "data": {"installation_id": installation_id, "account_id": DEFAULT_TENANT_ID,
                 "account_name": DEFAULT_DOMAIN, "client_id": REFERENCE_RP_CLIENT_ID,
                 "client_secret": SECRET}}).encode()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    clock = MockClock()
    rp_later = _Later()
    idp_app = create_mock(
        IdpConfig.default(public_url=IDP, clock=clock),
        http_client=httpx.AsyncClient(transport=httpx.ASGITransport(app=rp_later)),
    )
    rp_http = httpx.AsyncClient(mounts={
        IDP: httpx.ASGITransport(app=idp_app),
        "http://platform-keys.test": httpx.ASGITransport(app=_event_keys_app()),
    })
    rp_app = create_app(
        Settings(db_path=str(tmp_path / "rp.db"), public_url=RP, clock=clock,
                 event_keys_url=KEYS, admin_token=ADMIN_TOKEN, backchannel_logout_timeout=1.0,
                 partner_app_id=REFERENCE_RP_CLIENT_ID),
        http_client=rp_http,
    )
    rp_later.app = rp_app
    loop = LoopThread()
    built = World(loop=loop, rp_app=rp_app, idp_app=idp_app, clock=clock)
    try:
        built.run(seed(built))
        yield built
    finally:
        loop.run(rp_http.aclose())
        loop.close()


# -- what to send --------------------------------------------------------------------------------

NO_SURROGATES = st.characters(blacklist_categories=("Cs",))
url_text = st.text(NO_SURROGATES, max_size=12) | st.sampled_from([
    "", "\x00", "%ED%A0%80", "%FF%FE", "A" * 5000, "http://[::1/a", "http://localhost:80:80/a",
    "http://localhost:99999/a", "http://localhost/a\x00b", "javascript:alert(1)",
    "//evil.example/", "/\\evil.example", "https://evil.example", "\u202e", "..", "/admin",
    "https://login.example.test/t/oauth2/v2.0/authorize", "2026-13-45", "2026-09-01",
])
"""Strings a URL, a form or a header can carry (HTTP clients encode text as UTF-8)."""
json_text = st.text(max_size=8) | st.sampled_from(["\ud800", "a\udfffb", "\x00", "\u2028"])
json_scalars = st.one_of(json_text, url_text, st.booleans(), st.none(),
                         st.integers(min_value=-(2**70), max_value=2**70),
                         st.sampled_from([10**30, 1e308, 1.5, -0.0]))
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(json_text, inner, max_size=3),
    max_leaves=5,
)
raw_bodies = st.sampled_from([
    b"", b"{", b"null", b"[]", b"1", b"{}", b"\xff\xfe\x00", b'{"a": NaN}', b'{"a": 1e400}',
    b'{"\\ud800": 1}', b'{"name": "\\udfff"}', ("[" * 60_000).encode(), b"[" * 30 + b"]" * 30,
    b'{"client_id": ' + b"9" * 5001 + b"}", b"a=1&" * 2000, b"x" * (1024 * 1024 + 10),
    b"--xyz\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a\"\r\n\r\nx\r\n--xyz--",
])
CONTENT_TYPES = st.sampled_from([
    "application/json", "application/x-www-form-urlencoded", "multipart/form-data",
    "multipart/form-data; boundary=xyz", "text/plain", "", "application/json; charset=latin-1",
])
CONNECTION_FIELDS = ["name", "authorization_uri", "token_url", "client_id", "client_secret",
                     "secret_expires_on", "support_contact", "discovery_url",
                     "client_auth_method", "enabled"]
FORM_FIELDS = [*CONNECTION_FIELDS, "csrf_token", "admin_token", "next", "logout_token", "state",
               "code", "error", "error_description", "iss"]
QUERY_FIELDS = ["state", "code", "error", "error_description", "iss", "sid", "installation_id",
                "user_id", "talkdesk_installation_id", "talkdesk_user_id", "connection", "next",
                "source_kind", "source_id"]
APPS = ["widget", "portal", "kb"]


@dataclass
class Fuzzed:
    method: str
    path: str
    query: str = ""
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        return (f"{self.method} {self.path[:200]}?{self.query[:200]} "
                f"body={(self.body or b'')[:200]!r} headers={self.headers}")


ROUTE_METHODS: dict[str, tuple[str, ...]] = {
    "/": ("GET",), "/widget": ("GET",), "/portal": ("GET",), "/kb": ("GET",),
    "/widget/": ("GET",), "/api/me": ("GET",), "/sso/{cid}/widget": ("GET",),
    "/sso/{cid}/{segment}": ("GET",), "/auth/callback": ("GET",), "/launch": ("GET",),
    "/events": ("POST",), "/auth/backchannel-logout": ("POST",),
    "/auth/frontchannel-logout": ("GET",), "/auth/frontchannel-logout/{cid}": ("GET",),
    "/logout": ("GET", "POST"), "/signed-out": ("GET",), "/admin": ("GET",),
    "/admin/sign-in": ("GET", "POST"), "/admin/sign-out": ("POST",),
    "/admin/connections": ("POST",), "/admin/connections/{cid}": ("POST",),
    "/admin/connections/{cid}/edit": ("GET",), "/admin/connections/{cid}/{action}": ("POST",),
    "/admin/connections/{cid}/delete": ("GET", "POST"),
    "/admin/errors/{cid}": ("GET",), "/api/admin/connections": ("GET", "POST"),
    "/api/admin/connections/{cid}": ("GET", "PUT", "PATCH", "DELETE"),
    "/api/admin/connections/{cid}/enable": ("POST",),
    "/api/admin/connections/{cid}/disable": ("POST",), "/api/admin/errors": ("GET",),
    "/api/admin/errors/{cid}": ("GET",), "/api/admin/installations": ("GET",),
    "/{segment}": ("GET", "POST"),
}
"""Every route of the relying party (and paths that are none), with the methods it takes."""
METHODS = st.sampled_from(["GET", "GET", "POST", "POST", "PUT", "PATCH", "DELETE", "HEAD",
                           "OPTIONS"])
segments = url_text.map(lambda s: quote(s, safe="") or "x")
printable = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30)
raw_queries = st.text(st.sampled_from("abc=&%+;#?/0123456789FfEeDd"), max_size=30)
HOSTS = st.sampled_from(["evil.example", "127.0.0.1:8500:1", "[::1", "", "127.0.0.1:99999",
                         "EVIL", "127.0.0.1:8500"])
ORIGINS = st.sampled_from([None, None, RP, "https://evil.example", "null", "http://127.0.0.1"])
ROUTES = st.sampled_from(sorted(ROUTE_METHODS))
OWN_METHOD = {route: st.sampled_from(methods) for route, methods in ROUTE_METHODS.items()}
ACTIONS = st.sampled_from(["enable", "disable", "delete", "x"])
QUERY_KINDS = st.sampled_from(["", "raw", "fields"])
BODY_KINDS = st.sampled_from(["none", "json", "json", "form", "form", "raw"])
JSON_TYPES = st.just("application/json") | CONTENT_TYPES
ONE_IN_TEN = st.integers(0, 9)


def requests(pools: Pools) -> st.SearchStrategy[Fuzzed]:
    """Requests for every route: real ids, tokens and cookies mixed with malformed values."""
    ids = st.sampled_from(pools.connection_ids) | segments
    real = st.sampled_from([*pools.connection_ids, *pools.installation_ids, *pools.states,
                            *pools.cookies.values(), *pools.id_tokens, ADMIN_TOKEN, "post",
                            "basic", "true", "disable", "/admin", REFERENCE_RP_CLIENT_ID])
    values = real | url_text
    query_fields = st.dictionaries(st.sampled_from(QUERY_FIELDS) | url_text, values, max_size=4)
    form_fields = st.dictionaries(st.sampled_from(FORM_FIELDS) | url_text, values, max_size=6)
    json_objects = st.dictionaries(st.sampled_from(CONNECTION_FIELDS) | json_text,
                                   json_values | values, max_size=5)
    json_bodies = json_objects | json_values
    cookie_values = {name: st.sampled_from([value, value, value + "x", "", "a.b", "A" * 300])
                     for name, value in pools.cookies.items()}
    cookies = st.fixed_dictionaries({}, optional=cookie_values)
    authorizations = st.one_of(
        st.none(), st.none(), st.just(f"Bearer {ADMIN_TOKEN}"), st.just(f"Bearer {ADMIN_TOKEN}"),
        url_text.map(lambda s: "Bearer " + s.encode().hex()), printable)

    @st.composite
    def build(draw: st.DrawFn) -> Fuzzed:
        route = draw(ROUTES)
        path = route.format(
            cid=draw(ids) if "{cid}" in route else "",
            segment=draw(segments) if "{segment}" in route else "",
            action=draw(ACTIONS) if "{action}" in route else "",
        )
        query = draw(QUERY_KINDS)
        if query == "raw":
            query = draw(raw_queries)
        elif query == "fields":
            query = str(httpx.QueryParams(draw(query_fields)))
        headers: dict[str, str] = {}
        if (authorization := draw(authorizations)) is not None:
            headers["Authorization"] = authorization
        if draw(ONE_IN_TEN) == 0:
            headers["Host"] = draw(HOSTS)
        if (origin := draw(ORIGINS)) is not None:
            headers["Origin"] = origin
        if jar := draw(cookies):
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in jar.items())
        kind = draw(BODY_KINDS)
        body: bytes | None = None
        if kind == "json":
            body = json.dumps(draw(json_bodies)).encode()
            headers["Content-Type"] = draw(JSON_TYPES)
        elif kind == "form":
            body = str(httpx.QueryParams(draw(form_fields))).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif kind == "raw":
            body = draw(raw_bodies)
            headers["Content-Type"] = draw(CONTENT_TYPES)
        if path == "/events" and body is not None and draw(ONE_IN_TEN) < 5:
            headers.update(sign_event(body))
        method = draw(METHODS) if draw(ONE_IN_TEN) < 2 else draw(OWN_METHOD[route])
        return Fuzzed(method, path, query, body, headers)

    return build()


async def send(client: httpx.AsyncClient, request: Fuzzed) -> httpx.Response:
    url = request.path + (f"?{request.query}" if request.query else "")
    headers = {k: v.encode("utf-8") for k, v in request.headers.items()}
    return await client.request(request.method, url, content=request.body, headers=headers)


def upstream_failure(response: httpx.Response) -> bool:
    """The RP's documented answer when sign-in cannot go on for a reason outside the request:
    the failure page with a reference (502 provider error, 503 no usable connection, 504
    provider timeout), or 503 when the platform's event keys cannot be fetched. Never 500."""
    if response.status_code in (502, 503, 504) and "Sign-in failed" in response.text:
        return re.search(r'id="error-ref">RP-[0-9A-F]{10}<', response.text) is not None
    return response.status_code == 503 and '"temporarily_unavailable"' in response.text


@pytest.mark.slow
def test_thousands_of_malformed_requests_leave_the_relying_party_working(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    client = world.client()
    sent = [0]
    in_app = [0.0]
    started, cpu = time.monotonic(), time.process_time()

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(st.lists(requests(world.pools), min_size=BATCH, max_size=BATCH))
    def fuzz(batch: list[Fuzzed]) -> None:
        for request in batch:
            client.cookies.clear()
            began = time.monotonic()
            response = world.run(send(client, request))
            in_app[0] += time.monotonic() - began
            if response.status_code >= 500 and request.method == "HEAD":
                # no body to tell the failure page by: the same request as a GET shows it
                request = replace(request, method="GET")
                response = world.run(send(client, request))
            assert response.status_code < 500 or upstream_failure(response), (
                response.status_code, request.describe(), response.text[:500])
            assert "Traceback" not in response.text and 'File "' not in response.text, (
                request.describe(), response.text[:500])
            sent[0] += 1

    with caplog.at_level(logging.ERROR):
        fuzz()
    elapsed, cpu = time.monotonic() - started, time.process_time() - cpu
    print(f"\n{sent[0]} malformed requests to the relying party in {elapsed:.1f} s "
          f"({in_app[0]:.1f} s answering them; {cpu:.1f} s of CPU)")
    assert sent[0] >= 5000
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors[:5]]

    # The relying party still works: a new connection, and alice signs in through the mock.
    # (From another address: the fuzzer's wrong admin tokens slow its own address down.)
    admin = world.client(address="192.0.2.10",
                         headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    # Made again under the id whose redirect URI the mock's registration lists (whatever the
    # fuzzer did to the first one).
    gone = world.run(admin.delete(f"/api/admin/connections/{REFERENCE_RP_CLIENT_ID}",
                                 headers={"If-Match": "*"}))
    assert gone.status_code in (204, 404), gone.text
    connection_id = world.run(add_connection(admin, world.clock))
    browser = world.run(sign_in(world, connection_id))
    world.run(browser.aclose())
    world.run(admin.aclose())
    world.run(client.aclose())


REFUSED_BATCHES = int(os.environ.get("FUZZ_RP_REFUSED_EXAMPLES", "13"))
"""``REFUSED_BATCHES`` batches of ``BATCH`` requests for the test below: 650 in all."""
STATE = ("/api/admin/connections", "/api/admin/installations", "/api/admin/users")
"""What a change may change."""
ERROR_LOG = ("recent_errors", "errors_before_secret")
"""A connection's failure references: a refused sign-in adds one, rightly."""


def _without_error_log(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_error_log(v) for k, v in value.items() if k not in ERROR_LOG}
    if isinstance(value, list):
        return [_without_error_log(v) for v in value]
    return value


@pytest.mark.slow
def test_a_refused_request_leaves_the_relying_party_as_it_was(world: World) -> None:
    client = world.client()
    admin = world.client(address="192.0.2.10", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})

    async def state() -> dict[str, Any]:
        return {path: _without_error_log((await admin.get(path)).json()) for path in STATE}

    before = [world.run(state())]

    @settings(max_examples=REFUSED_BATCHES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(st.lists(requests(world.pools), min_size=BATCH, max_size=BATCH))
    def fuzz(batch: list[Fuzzed]) -> None:
        for request in batch:
            client.cookies.clear()
            response = world.run(send(client, request))
            after = world.run(state())
            if 400 <= response.status_code < 500:
                changed = [path for path in STATE if after[path] != before[0][path]]
                assert not changed, (request.describe(), response.text[:300], changed)
            before[0] = after

    fuzz()
    world.run(admin.aclose())
    world.run(client.aclose())
