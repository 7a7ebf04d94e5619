"""Helpers shared by the thin HTTP handlers: base URL, Entra headers, error rendering."""

from __future__ import annotations

import functools
import json
import logging
import uuid
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from ..errors import EntraError, ErrorContext, error_body
from ..request_log import annotate
from ..signin import server_data

if TYPE_CHECKING:
    from jinja2 import Environment, Template

    from ..state import IdpState
    from ..store import Session

log = logging.getLogger(__name__)


class _Templates:
    """The provider's pages, with jinja2 loaded on the first page rendered, not at start-up."""

    @functools.cached_property
    def environment(self) -> Environment:
        from jinja2 import Environment, PackageLoader, select_autoescape

        from ..signin import ids

        env = Environment(loader=PackageLoader("mock_idp", "templates"),
                          autoescape=select_autoescape(["html"]))
        env.globals["ids"] = ids
        return env

    def get_template(self, name: str) -> Template:
        return self.environment.get_template(name)


templates = _Templates()

MAX_PARAM_LENGTH = 8192
WRONG_METHODS = ["GET", "PUT", "DELETE", "PATCH"]
"""The methods a POST-only endpoint answers with AADSTS900561 (``HEAD`` comes with ``GET``)."""
NO_CACHE = {"Pragma": "no-cache", "Expires": "-1"}
"""Headers of every token-endpoint answer, as Entra sends them."""
NOT_FRAMED = {"X-Frame-Options": "DENY", "Content-Security-Policy": "frame-ancestors 'none'"}
"""Headers of the pages a user types into, which Entra's forbid framing by: MSAL.js #494,
#1459, #7458, #8211 and ADAL.js #79 report its sign-in page refused in an iframe. Not on
redirects, the ``form_post`` page or the signed-out page (it frames the apps' logout URLs)."""


def idp(request: Request) -> IdpState:
    state: IdpState = request.app.state.idp
    return state


def base_url(request: Request) -> str:
    """The issuer base: ``public_url`` when configured, else the scheme and host requested."""
    configured = idp(request).config.public_url
    if configured:
        return configured.rstrip("/")
    return f"{request.url.scheme}://{request.url.netloc}"


def entra_headers(request: Request, *, trace_id: str | None = None) -> dict[str, str]:
    return {
        "x-ms-request-id": trace_id or str(uuid.uuid4()),
        "x-ms-ests-server": "2.1.mock - sso-harness",
        "X-Content-Type-Options": "nosniff",
        **_returned_client_request_id(request),
    }


def _returned_client_request_id(request: Request) -> dict[str, str]:
    """The caller's ``client-request-id`` header sent back, when it asked with
    ``return-client-request-id: true``, as MSAL does on every call: the response header the
    token service echoes it in (the MSAL.NET maintainers on their token client, PR #6070;
    Azure Identity's debug logs list ``client-request-id`` among the token response's
    headers). An id longer than the body's correlation id takes (64), or not printable ASCII,
    is not echoed."""
    if request.headers.get("return-client-request-id", "").strip().lower() != "true":
        return {}
    sent = request.headers.get("client-request-id", "")
    if not sent or len(sent) > 64 or not (sent.isascii() and sent.isprintable()):
        return {}
    return {"client-request-id": sent}


def json_response(request: Request, body: Any, status: int = 200, *,
                  cache: str = "no-store, no-cache", headers: dict[str, str] | None = None,
                  cors: bool = True) -> Response:
    """A JSON answer with Entra's headers; ``cors``: readable cross-origin
    (``Access-Control-Allow-Origin: *``), as Entra's token endpoint answers are."""
    all_headers = {
        **entra_headers(request), "Cache-Control": cache, "Pragma": "no-cache",
        **({"Access-Control-Allow-Origin": "*"} if cors else {}), **(headers or {}),
    }
    return Response(
        json.dumps(body, separators=(",", ":")), status_code=status, headers=all_headers,
        media_type="application/json; charset=utf-8",
    )


def error_context(request: Request) -> ErrorContext:
    correlation = request.headers.get("client-request-id") or request.query_params.get(
        "client-request-id"
    )
    if correlation is not None and len(correlation) > 64:
        correlation = None
    return ErrorContext(now=idp(request).clock.now(), base_url=base_url(request),
                        correlation_id=correlation)


def note_error(request: Request, err: EntraError) -> None:
    """Write the AADSTS error being answered into the request's log entry."""
    annotate(request.scope, {"target": "error", "code": f"AADSTS{err.code}",
                             "error": err.error_value, "message": err.message[:300]})


def error_json(request: Request, err: EntraError, headers: dict[str, str] | None = None,
               *, cors: bool = True) -> Response:
    note_error(request, err)
    ctx = error_context(request)
    return json_response(request, error_body(err, ctx), err.http_status, cors=cors,
                         headers={"x-ms-request-id": ctx.trace_id, **(headers or {})})


def error_page(request: Request, err: EntraError) -> HTMLResponse:
    """Entra's own "trouble signing you in" page, used when it must not redirect."""
    note_error(request, err)
    ctx = error_context(request)
    correlation = ctx.correlation
    html = templates.get_template("signin/error.html").render(
        code=err.code, message=err.message, error=err.error_value, trace_id=ctx.trace_id,
        correlation_id=correlation, timestamp=ctx.timestamp,
        server_data=server_data.error_config(code=err.code, message=err.message,
                                             correlation_id=correlation,
                                             session_id=ctx.trace_id),
    )
    return HTMLResponse(html, status_code=err.http_status if err.http_status >= 400 else 400,
                        headers={**entra_headers(request, trace_id=ctx.trace_id), **NOT_FRAMED})


def consumers_error_page(request: Request, err: EntraError) -> HTMLResponse:
    """Microsoft account's own error page, which ``/consumers`` shows for an app it does not
    serve (:func:`mock_idp.protocol.tenants.refused_at_consumers`); ``err`` is logged."""
    note_error(request, err)
    html = templates.get_template("signin/consumers_error.html").render()
    return HTMLResponse(html, status_code=400,
                        headers={**entra_headers(request), **NOT_FRAMED})


def plain_error(status: int, message: str, **fields: Any) -> JSONResponse:
    """The test-control and management APIs' error: ``{"error": {"code", "message", "field"}}``."""
    return JSONResponse({"error": {"code": _code_for(status), "message": message, **fields}},
                        status_code=status)


def _code_for(status: int) -> str:
    return {400: "BadRequest", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed",
            409: "Conflict", 413: "RequestEntityTooLarge", 415: "UnsupportedMediaType",
            422: "BadRequest", 500: "InternalServerError"}.get(status, "Error")


async def tell_apps(request: Request, sessions: list[Session], trigger: str) -> None:
    """Send the logout notifications for ``sessions`` that a change ended (``trigger`` says
    which); a failure to notify is logged and never fails the request that ended them."""
    try:
        await idp(request).notifier.sessions_ended(base_url(request), sessions, trigger)
    except Exception:
        log.exception("sending logout notifications failed")
