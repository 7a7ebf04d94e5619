"""``create_app(config)``: the mock identity provider as one Starlette application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match, Route

from .config import IdpConfig
from .date_header import ClockDateHeader
from .endpoints import (
    activity,
    admin_consent,
    apps_api,
    authorize,
    consent_pages,
    console,
    control,
    credential_type,
    device,
    discovery,
    error_lookup,
    graph,
    graph_consent,
    logout,
    platform_users,
    sas,
    signin,
    token,
    userinfo,
)
from .endpoints import faults as fault_routes
from .endpoints import platform as platform_routes
from .endpoints.common import NO_CACHE, error_json, plain_error
from .endpoints.graph_cors import GraphCors
from .endpoints.graph_http import graph_error
from .endpoints.graph_root import GraphRoot
from .endpoints.host_check import ControlHostCheck
from .errors import EntraError
from .faults import quiet_injected_drops
from .platform.middleware import RunDueEvents
from .request_log import RequestLogMiddleware
from .state import IdpState


async def _http_error(request: Request, exc: Exception) -> Response:
    """A route the router could not match (404) or a method it does not take (405), in the
    error shape of the API the path belongs to."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405 and request.url.path.split("/")[2:3] == ["oauth2"]:
        return _wrong_method(request)
    return _api_error(request, exc.status_code, str(exc.detail),
                      "method" if exc.status_code == 405 else "path") or JSONResponse(
        {"error": {"code": "NotFound" if exc.status_code == 404 else "Error",
                   "message": exc.detail}}, status_code=exc.status_code)


def _wrong_method(request: Request) -> Response:
    """A method an OAuth endpoint (``/{tenant}/oauth2/…``) does not take: AADSTS900561 naming
    the ones it does, in Entra's OAuth error body, as Entra answers a GET of its token
    endpoint ("The endpoint only accepts POST, OPTIONS requests. Received a GET request.":
    BitySA/oauth2-auth-code-pkce #30, nbarbettini/oidc-debugger #87), not the test-control
    API's error."""
    taken: set[str] = set()
    for route in request.app.router.routes:
        if isinstance(route, Route) and route.methods and \
                route.matches(request.scope)[0] is not Match.NONE:
            taken |= route.methods
    taken.discard("HEAD")  # answered with GET
    return error_json(request, EntraError(900561, {
        "method": ", ".join(sorted(taken)), "received": request.method[:20]}),
        headers=NO_CACHE, cors=False)


async def _server_error(request: Request, exc: Exception) -> Response:
    """What nothing else caught: never a traceback, and the API's own shape under ``/graph``
    and ``/_mock``; elsewhere Entra's AADSTS50000 in its whole error body (``timestamp``,
    ``trace_id``, ``correlation_id`` and the description's tail, as every other refusal of the
    token endpoints), which MSAL reads as any refusal."""
    message = "the mock provider failed on this request; this is a bug in the mock"
    answer = _api_error(request, 500, message, None)
    if answer is not None:
        return answer
    try:
        return error_json(request, EntraError(50000), headers=NO_CACHE)
    except Exception:  # the provider's state itself failing: the body without its context
        return JSONResponse(
            {"error": "server_error", "error_description": EntraError(50000).description_head,
             "error_codes": [50000]}, status_code=500)


def _api_error(request: Request, status: int, message: str, field: str | None
               ) -> Response | None:
    path = request.url.path
    if path.startswith("/graph/"):
        return graph_error(request, status, message, target=field)
    if path == "/_mock" or path.startswith("/_mock/"):
        return plain_error(status, message, field=field)
    if path.startswith("/apps/"):
        return apps_api.error(status, message, field or "body")
    return None


def create_app(config: IdpConfig | None = None, *,
               http_client: httpx.AsyncClient | None = None) -> Starlette:
    """Build the provider. Everything (directory, keys, clock) lives on this instance.

    ``http_client`` carries the provider's own outgoing calls (back-channel logout, platform
    events); tests pass one routed in-process with ``httpx.ASGITransport``.
    """
    cfg = config or IdpConfig.default()
    state = IdpState.create(cfg, http_client=http_client)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await state.aclose()

    # Due platform-event retries start (in the background) as each request arrives, on the
    # provider's clock. The test-control API and the console answer only the mock's own host
    # names (DNS rebinding: endpoints.host_check).
    middleware = [
        Middleware(RunDueEvents, platform=state.platform),
        Middleware(ClockDateHeader, clock=cfg.clock),
        Middleware(ControlHostCheck, public_url=cfg.public_url, allowed=cfg.control_hosts),
        Middleware(RequestLogMiddleware, store=state.store, clock=cfg.clock),
        Middleware(GraphCors),  # pages read UserInfo and Graph's root (before its 401)
        Middleware(GraphRoot),  # Graph's tenant-less root: the token's tenant
    ]
    # The protocol endpoints come first, a login flow's two requests (authorize, token) first
    # of all: the router tries routes in order, and a login flow should not be matched against
    # the sign-in pages' and every management and test-control route before its own.
    routes: list[BaseRoute] = [
        *authorize.routes,
        *token.routes,
        *signin.routes,
        *consent_pages.routes,
        *admin_consent.routes,
        *credential_type.routes,
        *sas.routes,
        *device.routes,
        *discovery.routes,
        *error_lookup.routes,
        *userinfo.routes,
        *logout.routes,
        *graph_consent.routes,
        *graph.routes,
        *control.routes,
        *fault_routes.routes,
        *platform_routes.routes,
        *apps_api.routes,
        *platform_users.routes,
        *activity.routes,
        *console.routes,
        *control.fallback_routes,
    ]
    app = Starlette(
        routes=routes, middleware=middleware, lifespan=lifespan,
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
    )
    app.state.idp = state
    app.state.serves_date_header = True
    app.state.release_held = state.faults.release_held  # when its server stops (serving.py)
    quiet_injected_drops()
    return app
