"""``create_app(config)``: the mock identity provider as one Starlette application."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from .config import IdpConfig
from .date_header import ClockDateHeader
from .endpoints import authorize, discovery, token, userinfo
from .state import IdpState

_OPTIONAL_ROUTES = (
    "mock_idp.endpoints.logout",
    "mock_idp.endpoints.graph",
    "mock_idp.endpoints.control",
    "mock_idp.endpoints.faults",
    "mock_idp.endpoints.platform",
)


def _optional_routes() -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    for name in _OPTIONAL_ROUTES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        routes.extend(module.routes)
    return routes


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return JSONResponse({"error": {"code": "NotFound" if exc.status_code == 404 else "Error",
                                   "message": exc.detail}}, status_code=exc.status_code)


async def _server_error(request: Request, exc: Exception) -> Response:
    return JSONResponse({"error": "server_error",
                         "error_description": "AADSTS50000: There was an error issuing a "
                         "token or an issue with our sign-in service.",
                         "error_codes": [50000]}, status_code=500)


def create_app(config: IdpConfig | None = None, *,
               http_client: httpx.AsyncClient | None = None) -> Starlette:
    """Build the provider. Everything (directory, keys, clock) lives on this instance.

    ``http_client`` carries the provider's own outgoing calls (back-channel logout, platform
    events); tests pass one routed in-process with ``httpx.ASGITransport``.
    """
    cfg = config or IdpConfig.default()
    state = IdpState.create(cfg)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        closer = state.extensions.get("aclose")
        if closer is not None:
            await closer()

    middleware: list[Middleware] = [Middleware(ClockDateHeader, clock=cfg.clock)]
    try:
        from .endpoints.control import RequestLogMiddleware
    except ImportError:
        pass
    else:
        middleware.append(Middleware(RequestLogMiddleware))
    from .endpoints.control import fallback_routes

    # The protocol endpoints come first: the router tries routes in order, and a login flow
    # should not be matched against every management and test-control route before its own.
    routes: list[BaseRoute] = [
        *authorize.routes,
        *token.routes,
        *discovery.routes,
        *userinfo.routes,
        *_optional_routes(),
        *fallback_routes,
    ]
    app = Starlette(
        routes=routes, middleware=middleware, lifespan=lifespan,
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
    )
    app.state.idp = state
    app.state.serves_date_header = True
    for install in _installers():
        if "http_client" in inspect.signature(install).parameters:
            install(app, state, http_client=http_client)
        else:
            install(app, state)
    state.extensions["on_reset"] = _reset_extensions(state)
    return app


def _reset_extensions(state: IdpState) -> Callable[[], None]:
    """What ``POST /_mock/reset`` clears beyond the store: faults, notifications, platform."""

    def reset() -> None:
        for name in ("faults", "notifier", "platform"):
            part = state.extensions.get(name)
            if part is None:
                continue
            if name == "faults":
                part.clear()
            elif name == "notifier":
                part.clear()
            else:
                part.reset()

    return reset


def _installers() -> list[Callable[..., object]]:
    out: list[Callable[..., object]] = []
    for name in ("mock_idp.faults", "mock_idp.notifications", "mock_idp.platform"):
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        install = getattr(module, "install", None)
        if install is not None:
            out.append(install)
    return out
