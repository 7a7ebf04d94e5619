"""Request-level helpers shared by the handlers: app state, cookies, sessions, CSRF tokens,
safe return paths, the same-origin check and routes that answer ``GET`` alone."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from .background import BackgroundCalls
from .db import Database, Session, User
from .middleware import content_security_policy
from .settings import Settings, origin_of
from .tokens import CSRF, BrowserTokens, new_token

if TYPE_CHECKING:
    from .admin_auth import AdminCredential, AdminThrottle
    from .provider import ProviderDirectory

__all__ = [
    "CSRF_FIELD",
    "AppState",
    "clear_cookie",
    "cookie",
    "csrf_valid",
    "current_session",
    "get_only",
    "new_token",
    "origin_allowed",
    "render_with_csrf",
    "safe_return_path",
    "set_cookie",
    "state_of",
    "templates",
]

SESSION_COOKIE = "rp_session"
LOGIN_COOKIE = "rp_login"
CSRF_COOKIE = "rp_csrf"
ADMIN_COOKIE = "rp_admin"
CSRF_FIELD = "csrf_token"

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def get_only(path: str, endpoint: Callable[[Request], Awaitable[Response]]) -> Route:
    """A route for ``GET`` alone, for a GET that changes something: consumes a sign-in's
    ``state``, starts a sign-in or ends sessions. Starlette answers ``HEAD`` with the ``GET``
    endpoint, so a link checker's or a mail scanner's ``HEAD`` would do the same, unseen (HEAD
    is meant to be safe, RFC 9110 §9.3.2): here it is a 405 with ``Allow: GET``, answered in
    the route's own shape, and changes nothing, the error log included."""
    route = Route(path, endpoint, methods=["GET"])
    route.methods = {"GET"}
    return route


@dataclass(frozen=True, kw_only=True)
class AppState:
    """Everything handlers need, stored on ``app.state.rp``."""

    settings: Settings
    db: Database
    providers: ProviderDirectory
    tokens: BrowserTokens
    admin_credential: AdminCredential
    """The admin credential, checked against its digest in the database."""
    admin_throttle: AdminThrottle
    """Wrong admin tokens per client address, and how long each must wait."""
    background: BackgroundCalls
    """Calls made after a request was answered (the platform's Apps API after its events)."""


def state_of(request: Request) -> AppState:
    rp: AppState = request.app.state.rp
    return rp


def cookie_name(settings: Settings, name: str) -> str:
    """Under https every cookie is a ``__Host-`` cookie: Secure, ``Path=/``, no ``Domain``, so
    no sibling or parent domain can set or shadow it."""
    return f"__Host-{name}" if settings.secure_cookies else name


def cookie(request: Request, name: str) -> str | None:
    return request.cookies.get(cookie_name(state_of(request).settings, name))


def set_cookie(
    response: Response,
    settings: Settings,
    name: str,
    value: str,
    *,
    max_age: int | None,
    samesite: str = "lax",
) -> None:
    response.set_cookie(
        cookie_name(settings, name),
        value,
        max_age=max_age,
        path="/",
        secure=settings.secure_cookies,
        httponly=True,
        samesite=samesite,  # type: ignore[arg-type]
    )


def clear_cookie(response: Response, settings: Settings, name: str) -> None:
    response.delete_cookie(
        cookie_name(settings, name), path="/", secure=settings.secure_cookies, httponly=True,
        samesite="lax",
    )


def current_session(request: Request) -> tuple[str, Session, User] | None:
    """The browser's live session and its user, or None."""
    token = cookie(request, SESSION_COOKIE)
    if not token:
        return None
    rp = state_of(request)
    session = rp.db.sessions.get(token, rp.settings.clock.now())
    if session is None:
        return None
    if not source_usable(rp, session):
        return None
    user = rp.db.users.get(session.user_id)
    if user is None:
        return None
    return token, session, user


def source_usable(rp: AppState, session: Session) -> bool:
    """Whether the connection (enabled) or installation (active) a session came from may
    still sign people in. Disabling, deleting and uninstalling end its sessions already; this
    refuses any that outlived it."""
    if session.source_kind == "connection":
        connection = rp.db.connections.get(session.source_id)
        return connection is not None and connection.enabled
    installation = rp.db.installations.get(session.source_id)
    return installation is not None and installation.active


def safe_return_path(value: str | None, default: str = "/") -> str:
    """Accept only same-origin absolute paths (``/x``), never ``//host``, schemes or backslashes."""
    if not value:
        return default
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value


def issue_csrf(response: Response, rp: AppState) -> str:
    """A new CSRF token, set as this browser's cookie (at sign-in: the old one is replaced)."""
    token = rp.tokens.mint(CSRF)
    set_cookie(response, rp.settings, CSRF_COOKIE, token, max_age=None, samesite="strict")
    return token


def csrf_valid(request: Request, submitted: object) -> bool:
    """The form's token equals the browser's CSRF cookie, and that cookie was issued here."""
    value = cookie(request, CSRF_COOKIE)
    if not value or not isinstance(submitted, str) or not submitted:
        return False
    if not state_of(request).tokens.issued(CSRF, value):
        return False
    return hmac.compare_digest(value.encode(), submitted.encode())


def render_with_csrf(
    request: Request, template: str, context: Mapping[str, Any], *, status: int = 200,
    form_targets: Sequence[str] = (),
) -> Response:
    """Render a page holding forms: ``csrf_token`` is the browser's token, issued if it has
    none that was issued here. Never cached. ``form_targets``: origins besides this app's that
    a form's response may redirect the browser to (CSP ``form-action``)."""
    rp = state_of(request)
    existing = cookie(request, CSRF_COOKIE)
    fresh = existing is None or not rp.tokens.issued(CSRF, existing)
    token = rp.tokens.mint(CSRF) if fresh or existing is None else existing
    response = templates.TemplateResponse(
        request, template, {**context, "csrf_token": token}, status_code=status
    )
    response.headers["Cache-Control"] = "no-store"
    if form_targets:
        response.headers["Content-Security-Policy"] = content_security_policy(
            request.url.path, form_targets)
    if fresh:
        set_cookie(response, rp.settings, CSRF_COOKIE, token, max_age=None, samesite="strict")
    return response


def origin_allowed(request: Request, settings: Settings) -> bool:
    """Refuse requests a browser sent from another origin. Only the configured public URL
    counts as this app's origin, never one built from the request's ``Host``.

    No ``Origin``, or ``Origin: null``, says nothing: browsers send ``null`` on every form POST
    from a page whose referrer policy is ``no-referrer`` (ours, and any page that chooses it).
    Forms are protected by their CSRF token, the admin API by its bearer token; this check
    adds a refusal for the origins a browser does name."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return True
    try:
        return origin_of(origin.rstrip("/")) == settings.public_origin
    except ValueError:
        return False
