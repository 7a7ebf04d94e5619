"""Who may use the admin page and the admin API: whoever holds the admin credential.

The credential is one random token. Given in :attr:`Settings.admin_token` (the CLI reads
``RP_ADMIN_TOKEN`` or ``--admin-token-file``) it is used as is; otherwise the RP creates one on
its first start, keeps only its SHA-256 digest, and shows it once (``python -m relying_party``
prints it; :func:`relying_party.create_app` logs it). ``--new-admin-token`` replaces it.

- The JSON API takes it as a bearer token: ``Authorization: Bearer <token>``.
- The admin page has a sign-in form; signing in starts a server-side admin session (cookie
  ``rp_admin``, ``__Host-rp_admin`` under https, SameSite=Strict) and issues a new CSRF token.

Without it: 401 (the API's JSON error, or the sign-in form with status 401).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from .db import Database, digest
from .inputs import read_form
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


def provision_admin_token(db: Database, given: str | None) -> tuple[str, str | None]:
    """The digest to check the admin credential against, and a token created now (to show
    once) or None."""
    if given is not None:
        if len(given) < MIN_TOKEN_LENGTH:
            raise ValueError(f"the admin token must be at least {MIN_TOKEN_LENGTH} characters")
        return digest(given), None
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


def _matches(request: Request, presented: str) -> bool:
    expected = state_of(request).admin_token_hash
    return hmac.compare_digest(digest(presented).encode(), expected.encode())


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
    if not _matches(request, fields.get("admin_token", "").strip()):
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
