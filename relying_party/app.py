"""The composition root: :func:`create_app` builds the relying party from :class:`Settings`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import admin, admin_api, apps, callback, logout, partner
from .db import Database
from .failure import SignInFailed, failure_response, new_ref
from .oidc.errors import LoginError
from .provider import ProviderDirectory, default_trust, timeout_of
from .settings import Settings
from .web import AppState, templates

logger = logging.getLogger("relying_party")

FRAMEABLE_PATHS = frozenset({"/auth/frontchannel-logout"})


class SecurityHeaders:
    """Pure ASGI middleware adding conservative security headers to every HTTP response.

    Only the front-channel logout endpoint may be framed (the provider loads it in an iframe).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        frameable = scope["path"] in FRAMEABLE_PATHS

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                ancestors = "*" if frameable else "'none'"
                headers += [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (
                        b"content-security-policy",
                        (
                            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; "
                            f"base-uri 'none'; frame-ancestors {ancestors}"
                        ).encode(),
                    ),
                ]
                if not frameable:
                    headers.append((b"x-frame-options", b"DENY"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _sign_in_failed(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInFailed)
    return failure_response(request, exc.error, exc.source)


async def _login_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginError)
    return failure_response(request, exc)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/events"


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code in (204, 304):
        return Response(status_code=exc.status_code, headers=exc.headers)
    if _wants_json(request):
        return JSONResponse(
            {"error": "http_error", "error_description": exc.detail},
            status_code=exc.status_code,
            headers=exc.headers,
        )
    return templates.TemplateResponse(
        request,
        "message.html",
        {"title": f"Error {exc.status_code}", "message": exc.detail, "link": "/",
         "link_text": "Home"},
        status_code=exc.status_code,
        headers=exc.headers,
    )


async def _unexpected(request: Request, exc: Exception) -> Response:
    ref = new_ref()
    logger.error("unexpected error %s on %s %s", ref, request.method, request.url.path,
                 exc_info=exc)
    message = f"Something went wrong on our side. Reference: {ref}"
    if _wants_json(request):
        return JSONResponse({"error": "server_error", "ref": ref}, status_code=500)
    return Response(message, status_code=500, media_type="text/plain")


def create_app(settings: Settings, *, http_client: httpx.AsyncClient | None = None) -> Starlette:
    """Build the relying party. ``http_client`` carries every back-channel call (discovery, keys,
    token, userinfo, event keys); tests route it in-process."""
    owns_client = http_client is None
    http = http_client or httpx.AsyncClient(timeout=timeout_of(settings), follow_redirects=False,
                                            verify=default_trust())
    db = Database(settings.db_path)
    state = AppState(settings=settings, db=db, providers=ProviderDirectory(http, settings))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if owns_client:
                await http.aclose()

    app = Starlette(
        routes=[
            *apps.routes,
            *callback.routes,
            *partner.routes,
            *logout.routes,
            *admin.routes,
            *admin_api.routes,
        ],
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers={
            SignInFailed: _sign_in_failed,
            LoginError: _login_error,
            HTTPException: _http_error,
            Exception: _unexpected,
        },
        lifespan=lifespan,
    )
    app.state.rp = state
    return app
