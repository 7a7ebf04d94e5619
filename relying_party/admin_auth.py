"""Who may use the admin page and the admin API: whoever holds the admin credential.

The credential is one random token. Given in :attr:`Settings.admin_token` (the CLI reads
``RP_ADMIN_TOKEN`` or ``--admin-token-file``) it is used as is; otherwise the RP creates one on
its first start, keeps only its SHA-256 digest, and shows it once (``python -m relying_party``
prints it; :func:`relying_party.create_app` logs it). ``--new-admin-token`` replaces it.

- The JSON API takes it as a bearer token: ``Authorization: Bearer <token>``.
- The admin page has a sign-in form; signing in starts a server-side admin session (cookie
  ``rp_admin``, ``__Host-rp_admin`` under https, SameSite=Strict) and issues a new CSRF token.

Without it: 401 (the API's JSON error, or the sign-in form with status 401). The digest is
kept in the database, so a replaced token stops working in running workers too, and every admin
session ends with it. After a few wrong tokens in a row a client waits, longer each time: 429
with ``Retry-After``.
"""

from __future__ import annotations

import hmac
import math
from collections.abc import Awaitable, Callable, Collection
from datetime import datetime, timedelta
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route, request_response
from starlette.types import Receive, Scope, Send

from .clock import Clock
from .db import Database, digest
from .request_bodies import read_form
from .tokens import new_token
from .web import (
    ADMIN_COOKIE,
    CSRF_FIELD,
    clear_cookie,
    cookie,
    csrf_valid,
    issue_csrf,
    origin_allowed,
    render_with_csrf,
    safe_return_path,
    set_cookie,
    state_of,
)

Handler = Callable[[Request], Awaitable[Response]]
ADMIN_TOKEN_KEY = "admin_token_sha256"
MIN_TOKEN_LENGTH = 16
SIGN_IN_PATH = "/admin/sign-in"
CREDENTIAL_TTL = timedelta(seconds=5)
"""How long a worker may keep using the credential's digest before reading it again."""
THROTTLE_FREE = 5
"""Wrong admin tokens a client may present in a row before it has to wait."""
THROTTLE_LONGEST = timedelta(minutes=5)
"""The longest wait imposed after wrong admin tokens."""


def provision_admin_token(db: Database, given: str | None) -> tuple[str, str | None]:
    """The digest to check the admin credential against, and a token created now (to show
    once) or None. A given token becomes the stored credential; when it differs from the one
    stored before, every admin session ends (they were opened with the old one)."""
    if given is not None:
        if len(given) < MIN_TOKEN_LENGTH:
            raise ValueError(f"the admin token must be at least {MIN_TOKEN_LENGTH} characters")
        if given != given.strip():
            raise ValueError("the admin token must not start or end with white space")
        expected = digest(given)
        with db.transaction():
            if db.keys.get(ADMIN_TOKEN_KEY) != expected:
                db.keys.put(ADMIN_TOKEN_KEY, expected)
                db.admin_sessions.end_all()
        return expected, None
    token = new_token()
    stored, created = db.keys.get_or_create(ADMIN_TOKEN_KEY, digest(token))
    return stored, token if created else None


def replace_admin_token(db: Database) -> str:
    """A new admin token; the old one stops working and every admin session ends."""
    token = new_token()
    with db.transaction():
        db.keys.put(ADMIN_TOKEN_KEY, digest(token))
        db.admin_sessions.end_all()
    return token


class AdminCredential:
    """The admin credential's digest as the database holds it now, so a token replaced by
    another process (``--new-admin-token``, a restart with a new ``RP_ADMIN_TOKEN``) stops
    working in running workers too. Read at most once per ``ttl`` on ``clock``."""

    def __init__(self, db: Database, clock: Clock, *, ttl: timedelta = CREDENTIAL_TTL) -> None:
        self._db = db
        self._clock = clock
        self._ttl = ttl
        self._cached: tuple[str, datetime] | None = None

    def digest(self, *, fresh: bool = False) -> str | None:
        now = self._clock.now()
        if not fresh and self._cached is not None:
            value, read_at = self._cached
            if read_at <= now < read_at + self._ttl:
                return value
        stored = self._db.keys.get(ADMIN_TOKEN_KEY)
        self._cached = (stored, now) if stored is not None else None
        return stored

    def matches(self, presented: str, *, fresh: bool = False) -> bool:
        expected = self.digest(fresh=fresh)
        if expected is None:
            return False
        return hmac.compare_digest(digest(presented).encode(), expected.encode())


class AdminThrottle:
    """Slows down guessing of the admin token, per client address (:func:`client_address`):
    the ``free``-th wrong token in a row closes the door for 1 s, and each further one for
    twice as long as the last (2 s, 4 s, … up to ``longest``), the right token included: after
    ``free`` wrong tokens, the next try waits. The right
    token, once let in, resets it. Kept in memory on the injected clock; each worker counts on
    its own."""

    def __init__(self, clock: Clock, *, free: int = THROTTLE_FREE,
                 longest: timedelta = THROTTLE_LONGEST, capacity: int = 4096) -> None:
        if free < 1:
            raise ValueError("free must be at least 1")
        self._clock = clock
        self._free = free
        self._longest = longest
        self._capacity = capacity
        self._failures: dict[str, tuple[int, datetime]] = {}

    def retry_after(self, client: str) -> int | None:
        """Seconds ``client`` must wait before trying again, or None."""
        entry = self._failures.get(client)
        if entry is None:
            return None
        wait = entry[1] - self._clock.now()
        if wait <= timedelta(0):
            return None
        return max(1, math.ceil(wait.total_seconds()))

    def failed(self, client: str) -> None:
        now = self._clock.now()
        count = self._failures.pop(client, (0, now))[0] + 1
        over = count - self._free + 1
        delay = min(timedelta(seconds=2 ** min(over - 1, 30)), self._longest) if over > 0 else None
        self._failures[client] = (count, now + delay if delay else now)
        if len(self._failures) > self._capacity:
            self._forget_oldest(now)

    def succeeded(self, client: str) -> None:
        self._failures.pop(client, None)

    def _forget_oldest(self, now: datetime) -> None:
        """Past ``capacity`` addresses: forget those not waiting, then the oldest."""
        for key in [k for k, (_, until) in self._failures.items() if until <= now]:
            del self._failures[key]
        while len(self._failures) > self._capacity:
            del self._failures[next(iter(self._failures))]


def client_address(request: Request) -> str:
    """Whom the throttle counts a wrong token against: the address the request came from, as
    the server gives it. The app reads no ``X-Forwarded-For`` itself, and ``python -m
    relying_party`` has uvicorn read it only from the proxies named by
    ``--forwarded-allow-ips`` (then it is the client that proxy names); so without that option
    every client behind a proxy shares the proxy's count, and none can name its own address.
    No address at all (another transport): one shared count."""
    return request.client.host if request.client else ""


def _matches(request: Request, presented: str, *, fresh: bool = False) -> bool:
    rp = state_of(request)
    ok = rp.admin_credential.matches(presented, fresh=fresh)
    if ok:
        rp.admin_throttle.succeeded(client_address(request))
    else:
        rp.admin_throttle.failed(client_address(request))
    return ok


def _retry_after(request: Request) -> int | None:
    return state_of(request).admin_throttle.retry_after(client_address(request))


def _bearer(request: Request) -> str | None:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    return credentials.strip() or None if scheme.lower() == "bearer" else None


def api_error(status: int, error: str, description: str, **headers: str) -> JSONResponse:
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=status,
        headers={"Cache-Control": "no-store", **headers},
    )


def requires_token(handler: Handler) -> Handler:
    """Admin API: a valid bearer token, and no foreign ``Origin``."""

    async def guarded(request: Request) -> Response:
        token = _bearer(request)
        wait = _retry_after(request) if token is not None else None
        if wait is not None:
            return api_error(429, "too_many_requests",
                             f"too many wrong admin tokens; try again in {wait} s",
                             **{"Retry-After": str(wait)})
        if token is None or not _matches(request, token):
            error = "invalid_token" if token is not None else "unauthorized"
            challenge = 'Bearer realm="relying-party-admin"'
            if token is not None:
                challenge += ', error="invalid_token"'
            return api_error(401, error, "an admin bearer token is required",
                             **{"WWW-Authenticate": challenge})
        if not origin_allowed(request, state_of(request).settings):
            return api_error(403, "forbidden", "cross-origin request refused")
        return await handler(request)

    return guarded


class _AdminEndpoint:
    """An admin API route's ASGI endpoint, which Starlette routes every method to: the token
    is checked first (:func:`requires_token`), the method then, so that without the token
    ``OPTIONS``, an unknown method or a path under ``/api/admin/`` that is no route is a 401
    too, not a 405 or a 404 telling what the API has."""

    def __init__(self, handler: Handler, methods: Collection[str] | None) -> None:
        self._methods = None if methods is None else frozenset(
            {*methods, *(("HEAD",) if "GET" in methods else ())})
        self._handler = handler
        self._app = request_response(requires_token(self._dispatch))

    async def _dispatch(self, request: Request) -> Response:
        if self._methods is not None and request.method not in self._methods:
            raise HTTPException(405, headers={"Allow": ", ".join(sorted(self._methods))})
        return await self._handler(request)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app(scope, receive, send)


def api_route(path: str, handler: Handler, methods: Collection[str]) -> Route:
    """An admin API route: ``handler`` answers ``methods`` (and ``HEAD`` with ``GET``) to
    whoever holds the token; every other method is 405, once the token is checked."""
    return Route(path, _AdminEndpoint(handler, methods))


async def _no_route(request: Request) -> Response:
    path = request.url.path
    hint = " (without the trailing slash?)" if path.endswith("/") and len(path) > 11 else ""
    raise HTTPException(404, detail=f"no such admin API route{hint}")


_FALLBACK = _AdminEndpoint(_no_route, None)
API_FALLBACK = [Route("/api/admin", _FALLBACK), Route("/api/admin/{rest:path}", _FALLBACK)]
"""After every admin API route: a path under ``/api/admin`` that is none of them (one with a
trailing slash too, which is not redirected) is a 404 to the admin only."""


def signed_in(request: Request) -> bool:
    token = cookie(request, ADMIN_COOKIE)
    rp = state_of(request)
    return bool(token) and rp.db.admin_sessions.live(token or "", rp.settings.clock.now())


def sign_in_page(request: Request, *, next_path: str, status: int = 401,
                 error: str | None = None) -> Response:
    return render_with_csrf(
        request, "admin_sign_in.html", {"next": next_path, "error": error}, status=status
    )


def requires_session(handler: Handler) -> Handler:
    """Admin page: a live admin session, else the sign-in form (401)."""

    async def guarded(request: Request) -> Response:
        if not signed_in(request):
            next_path = request.url.path if request.method == "GET" else "/admin"
            return sign_in_page(request, next_path=next_path)
        return await handler(request)

    return guarded


async def show_sign_in(request: Request) -> Response:
    next_path = safe_return_path(request.query_params.get("next"), "/admin")
    return sign_in_page(request, next_path=next_path, status=200)


async def sign_in(request: Request) -> Response:
    rp = state_of(request)
    fields = await read_form(request)
    next_path = safe_return_path(fields.get("next"), "/admin")
    if not next_path.startswith("/admin"):
        next_path = "/admin"
    if not origin_allowed(request, rp.settings) or not csrf_valid(request, fields.get(CSRF_FIELD)):
        return sign_in_page(request, next_path=next_path, status=403,
                            error="This form expired. Please try again.")
    wait = _retry_after(request)
    if wait is not None:
        response = sign_in_page(request, next_path=next_path, status=429,
                                error=f"Too many wrong tokens. Try again in {wait} seconds.")
        response.headers["Retry-After"] = str(wait)
        return response
    # Read afresh: a session opened with a token that was just replaced would outlive it.
    if not _matches(request, fields.get("admin_token", "").strip(), fresh=True):
        return sign_in_page(request, next_path=next_path,
                            error="That is not the admin token.")
    now = rp.settings.clock.now()
    token = new_token()
    rp.db.admin_sessions.create(token, now, now + rp.settings.admin_session_lifetime)
    response = RedirectResponse(next_path, status_code=303)
    response.headers["Cache-Control"] = "no-store"
    old = cookie(request, ADMIN_COOKIE)
    if old:
        rp.db.admin_sessions.delete(old)
    set_cookie(response, rp.settings, ADMIN_COOKIE, token, max_age=None, samesite="strict")
    issue_csrf(response, rp)
    return response


async def sign_out(request: Request) -> Response:
    rp = state_of(request)
    fields = await read_form(request)
    if not origin_allowed(request, rp.settings) or not csrf_valid(request, fields.get(CSRF_FIELD)):
        return sign_in_page(request, next_path="/admin", status=403,
                            error="This form expired. Please try again.")
    token = cookie(request, ADMIN_COOKIE)
    if token:
        rp.db.admin_sessions.delete(token)
    response = RedirectResponse(f"{SIGN_IN_PATH}?next={quote('/admin')}", status_code=303)
    clear_cookie(response, rp.settings, ADMIN_COOKIE)
    return response


routes = [
    Route(SIGN_IN_PATH, show_sign_in, methods=["GET"]),
    Route(SIGN_IN_PATH, sign_in, methods=["POST"]),
    Route("/admin/sign-out", sign_out, methods=["POST"]),
]
