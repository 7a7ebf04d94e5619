"""Request-level helpers shared by the handlers: app state, cookies, sessions, safe return paths."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from .db import Database, Session, User
from .settings import Settings

if TYPE_CHECKING:
    from .provider import ProviderDirectory

SESSION_COOKIE = "rp_session"
LOGIN_COOKIE = "rp_login"
CSRF_COOKIE = "rp_csrf"
CSRF_FIELD = "csrf_token"

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


@dataclass(frozen=True, kw_only=True)
class AppState:
    """Everything handlers need, stored on ``app.state.rp``."""

    settings: Settings
    db: Database
    providers: ProviderDirectory


def state_of(request: Request) -> AppState:
    rp: AppState = request.app.state.rp
    return rp


def new_token() -> str:
    return secrets.token_urlsafe(32)


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
        name,
        value,
        max_age=max_age,
        path="/",
        secure=settings.secure_cookies,
        httponly=True,
        samesite=samesite,  # type: ignore[arg-type]
    )


def clear_cookie(response: Response, settings: Settings, name: str) -> None:
    response.delete_cookie(
        name, path="/", secure=settings.secure_cookies, httponly=True, samesite="lax"
    )


def current_session(request: Request) -> tuple[str, Session, User] | None:
    """The browser's live session and its user, or None."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    rp = state_of(request)
    session = rp.db.sessions.get(token, rp.settings.clock.now())
    if session is None:
        return None
    user = rp.db.users.get(session.user_id)
    if user is None:
        return None
    return token, session, user


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


def csrf_token_for(request: Request) -> tuple[str, bool]:
    """The browser's CSRF token, and whether it is new (and must be set as a cookie)."""
    existing = request.cookies.get(CSRF_COOKIE)
    if existing and len(existing) >= 32:
        return existing, False
    return new_token(), True


def csrf_valid(request: Request, submitted: object) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or not isinstance(submitted, str) or not submitted:
        return False
    return hmac.compare_digest(cookie.encode(), submitted.encode())


def origin_allowed(request: Request, settings: Settings) -> bool:
    """Refuse browser requests sent from another origin (no Origin header: not a browser form)."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    public = urlsplit(settings.public_url)
    own = f"{request.url.scheme}://{request.url.netloc}"
    return origin.rstrip("/") in (f"{public.scheme}://{public.netloc}", own)
