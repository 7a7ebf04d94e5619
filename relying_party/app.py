"""The composition root: :func:`create_app` builds the relying party from :class:`Settings`."""

from __future__ import annotations

import logging
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import certifi
import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import (
    admin,
    admin_api,
    admin_auth,
    apps,
    callback,
    connection_pages,
    launch,
    logout,
    partner,
    user_admin,
)
from .acknowledgements import call_deadline
from .admin_auth import AdminCredential, AdminThrottle, provision_admin_token
from .background import BackgroundCalls
from .db import Database
from .failure import (
    FailureSource,
    SignInFailed,
    failure_response,
    new_ref,
    record_failure,
    render_record,
)
from .inputs import InputError, shown_id, url_problem, url_text_problem
from .login_errors import CallbackRefused, InternalError, LaunchRefused
from .middleware import (
    BodyLimit,
    SecurityHeaders,
    TrustedHost,
    answers_json,
    missing_security_headers,
)
from .oidc.errors import LoginError
from .provider import ProviderDirectory, default_trust, timeout_of
from .redirect_uris import is_callback_path
from .settings import Settings, origin_of
from .tokens import BrowserTokens
from .web import AppState, state_of, templates

logger = logging.getLogger("relying_party")


def _refused(request: Request, detail: str, status: int) -> Response | None:
    """The failure page for a request refused before it was read on a redirect endpoint
    (:func:`relying_party.redirect_uris.is_callback_path`; the default contact) or the
    standalone URL (the partner's); None on other routes.

    A ``HEAD`` there (a link checker's, a mail scanner's) is the status alone, kept out of the
    error log: its answer has no body, so no reference would reach anyone, and a checker
    walking links would otherwise fill the log with records nobody can point to. Other
    methods get the page, whose reference someone sees (a provider set to ``form_post``)."""
    path = request.url.path
    if request.method == "HEAD" and (is_callback_path(path) or path == launch.LAUNCH_PATH):
        return Response(status_code=status, headers={"Cache-Control": "no-store"})
    if is_callback_path(path):
        return failure_response(request, CallbackRefused(detail, status=status))
    if request.url.path == launch.LAUNCH_PATH:
        contact = state_of(request).settings.partner_support_contact
        return failure_response(request, LaunchRefused(detail, status=status),
                                FailureSource(kind=None, id=None, support_contact=contact))
    return None


async def _sign_in_failed(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInFailed)
    return failure_response(request, exc.error, exc.source)


async def _login_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginError)
    return failure_response(request, exc)


def _wants_json(request: Request) -> bool:
    return answers_json(request.url.path)


def _error_page(request: Request, status: int, title: str, message: str,
                headers: dict[str, str] | None = None) -> Response:
    return templates.TemplateResponse(
        request,
        "message.html",
        {"title": title, "message": message, "link": "/", "link_text": "Home"},
        status_code=status,
        headers={"Cache-Control": "no-store", **(headers or {})},
    )


async def _invalid_input(request: Request, exc: Exception) -> Response:
    """Refused input, in the route's shape: JSON naming each field, the failure page for a
    callback, or a page saying why."""
    assert isinstance(exc, InputError)
    if (refused := _refused(request, str(exc), exc.status)) is not None:
        return refused
    if _wants_json(request):
        return JSONResponse(
            {"error": "invalid_request", "error_description": str(exc), "fields": exc.errors},
            status_code=exc.status,
            headers={"Cache-Control": "no-store"},
        )
    return _error_page(request, exc.status, "Invalid request", f"Refused: {exc}.")


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code in (204, 304):
        return Response(status_code=exc.status_code, headers=exc.headers)
    detail = f"HTTP {exc.status_code}: {exc.detail}"
    if (response := _refused(request, detail, exc.status_code)) is not None:
        response.headers.update(exc.headers or {})
        return response
    if _wants_json(request):
        return JSONResponse(
            {"error": "http_error", "error_description": exc.detail},
            status_code=exc.status_code,
            headers=exc.headers,
        )
    return _error_page(request, exc.status_code, f"Error {exc.status_code}", exc.detail,
                       dict(exc.headers or {}))


async def _unexpected(request: Request, exc: Exception) -> Response:
    """The failure page (or JSON) for an exception nothing else handled; its reference is in
    the error log and, with the traceback, in the process log."""
    try:
        rp = state_of(request)
        source = FailureSource(kind=None, id=None,
                               support_contact=rp.settings.default_support_contact)
        error = InternalError(f"{type(exc).__name__} on {request.method} "
                              f"{shown_id(request.url.path)}: {exc}")
        record = record_failure(rp.db, rp.settings, error, source)
    except Exception:  # the error log itself is failing: the process log still has it
        logger.exception("could not record an unexpected error")
        record = None
    ref = record.ref if record is not None else new_ref()
    logger.error("unexpected error %s on %s %s", ref, request.method, shown_id(request.url.path),
                 exc_info=exc)
    if _wants_json(request):
        return JSONResponse({"error": "server_error", "ref": ref}, status_code=500)
    if record is None:
        return Response(f"Something went wrong on our side. Reference: {ref}",
                        status_code=500, media_type="text/plain")
    response = render_record(request, record)
    response.raw_headers.extend(missing_security_headers(
        response.raw_headers, request.url.path, hsts=state_of(request).settings.strict_transport))
    return response


def tls_verify(settings: Settings) -> ssl.SSLContext:
    """Certificate verification for back-channel calls: httpx's default trust store (one
    context per process, :func:`default_trust`), plus ``settings.ca_file`` when set."""
    if not settings.ca_file:
        return default_trust()
    context = ssl.create_default_context(cafile=certifi.where())
    context.load_verify_locations(cafile=settings.ca_file)
    return context


def public_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be the public URL, or None. Every URL the app hands out (the
    redirect URIs ``…/auth/callback/…`` first) is this one followed by a path, so it is a base:
    an http(s) origin and an optional path, nothing a browser would read otherwise."""
    if problem := url_text_problem(url):
        return problem
    try:
        parts = urlsplit(url)
        origin_of(url)  # a host (IDNA-encodable), a port in range
    except ValueError as exc:
        return f"is not an http(s) URL browsers can name ({exc})"
    if parts.username is not None or parts.password is not None:
        return "must not contain a user name or password"
    if parts.query or parts.fragment or "?" in url or "#" in url:
        return ("must not have a query or a fragment (the redirect URIs are this URL + "
                "/auth/callback/…)")
    return None


def graph_url_problem(url: str, *, allow_http: bool) -> str | None:
    """Why ``url`` cannot be Microsoft Graph's base URL (``Settings.graph_url``), or None: the
    user's token goes to ``url + /v1.0/…``, so a base as for the public URL, over https but on a
    loopback host (or with ``allow_http``)."""
    return public_url_problem(url) or url_problem(url, allow_http=allow_http)


def check_urls(settings: Settings) -> None:
    """Refuse, before serving, a public URL that cannot be the base of the app's URLs, and a
    Graph URL that cannot be the base of Graph's."""
    if problem := public_url_problem(settings.public_url):
        raise ValueError(f"public_url {settings.public_url!r} {problem}")
    if problem := graph_url_problem(settings.graph_url, allow_http=settings.allow_http_idp):
        raise ValueError(f"graph_url {settings.graph_url!r} {problem}")


def shutdown_wait(settings: Settings) -> float:
    """How long shutting down waits for calls still under way after their request was
    answered: long enough for one call to get a token and make its request."""
    return 2 * call_deadline(settings)


def create_app(settings: Settings, *, http_client: httpx.AsyncClient | None = None) -> Starlette:
    """Build the relying party. ``http_client`` carries every back-channel call (discovery, keys,
    token, userinfo, event keys, the platform's Apps API); tests route it in-process.

    Without :attr:`Settings.admin_token` and with a new database, an admin token is created
    and logged once (the CLI prints it instead)."""
    check_urls(settings)
    db = Database(settings.db_path)
    try:
        _, created = provision_admin_token(db, settings.admin_token)
    except BaseException:
        db.close()  # a refused admin token leaves no connection open
        raise
    if created is not None:
        logger.warning("admin token created (shown once; keep it): %s", created)
    owns_client = http_client is None
    http = http_client or httpx.AsyncClient(
        timeout=timeout_of(settings), follow_redirects=False, verify=tls_verify(settings)
    )
    state = AppState(
        settings=settings,
        db=db,
        providers=ProviderDirectory(http, settings),
        tokens=BrowserTokens.load(db),
        admin_credential=AdminCredential(db, settings.clock),
        admin_throttle=AdminThrottle(settings.clock),
        background=BackgroundCalls(),
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            try:
                await state.background.wait(timeout=shutdown_wait(settings))
            finally:
                try:
                    if owns_client:
                        await http.aclose()
                finally:
                    db.close()  # once the calls in the background are done with it

    app = Starlette(
        routes=[
            *apps.routes,
            *callback.routes,
            *partner.routes,
            *launch.routes,
            *logout.routes,
            *admin_auth.routes,
            *admin.routes,
            *connection_pages.routes,
            *admin_api.routes,
            *user_admin.routes,
            *admin_auth.API_FALLBACK,
        ],
        middleware=[
            Middleware(SecurityHeaders, hsts=settings.strict_transport),
            Middleware(TrustedHost, host=settings.public_host),
            Middleware(BodyLimit),
        ],
        exception_handlers={
            SignInFailed: _sign_in_failed,
            LoginError: _login_error,
            InputError: _invalid_input,
            HTTPException: _http_error,
            Exception: _unexpected,
        },
        lifespan=lifespan,
    )
    app.state.rp = state
    return app
