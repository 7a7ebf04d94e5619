"""Response faults: what an endpoint answers instead of its work.

An AADSTS error (rendered the endpoint's own way), a 5xx or an outage, a 429 with
``Retry-After``, or a connection that drops after the first bytes. Latency and hangs are applied
by the registry before any of these.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ..consent import GRAPH_APP_ID
from ..endpoints.common import error_json, error_page, idp
from ..errors import EntraError
from ..protocol.claims import GRAPH_RESOURCE_URI
from ..protocol.users import grant_time
from .holds import CLIENT_LEFT_STATUS
from .spec import BROWSER_ENDPOINTS, Fault
from .spec import Scope as FaultScope

DROPPED_LENGTH = 4096
"""The body length a dropped answer's ``Content-Length`` promises; two bytes of it come."""


class InjectedDrop(ConnectionAbortedError):
    """Raised to break off a response on purpose; the server's error log leaves it out."""


class DroppedConnection(Response):
    """Starts a response promising a body, then breaks off: the client sees a dropped
    connection."""

    def __init__(self) -> None:
        super().__init__(status_code=200)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(DROPPED_LENGTH).encode()),
                                (b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": b'{"', "more_body": True})
        raise InjectedDrop("fault injection: connection dropped")


class Unanswered(Response):
    """The answer to a request whose client left while a hang held it: nothing reaches the
    client, and the request log shows :data:`~mock_idp.faults.holds.CLIENT_LEFT_STATUS`
    (a server ignores what is sent on a closed connection)."""

    def __init__(self) -> None:
        super().__init__(status_code=CLIENT_LEFT_STATUS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": CLIENT_LEFT_STATUS, "headers": []})
        await send({"type": "http.response.body", "body": b""})


class _QuietInjectedDrops(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, InjectedDrop)


_QUIET = _QuietInjectedDrops()


def quiet_injected_drops() -> None:
    """Keep dropped connections injected on purpose out of uvicorn's error log."""
    logger = logging.getLogger("uvicorn.error")
    if _QUIET not in logger.filters:
        logger.addFilter(_QUIET)


def render(fault: Fault, request: Request, endpoint: str,
           scope: FaultScope) -> Response | EntraError:
    """The answer for a taken response fault other than latency or a hang."""
    p = fault.params
    if fault.kind == "error":
        code = int(p["code"])
        return EntraError(code, _placeholders(request, scope, code), error=p.get("error"),
                          status=p.get("status"),
                          extra={"suberror": p["suberror"]} if "suberror" in p else {})
    if fault.kind in ("status", "outage", "throttle"):
        if fault.kind == "throttle":
            err = EntraError(50196, status=429)
            headers = {"Retry-After": str(int(p["retry_after"]))}
        else:
            status = int(p["status"])
            err = EntraError(50000 if status == 500 else 90033, status=status,
                             error="server_error" if status == 500
                             else "temporarily_unavailable")
            headers = {}
        return _answer(request, endpoint, err, headers)
    return DroppedConnection()


def timed_out(request: Request, endpoint: str) -> Response:
    """The answer for a hang that ran its course: 504, AADSTS90033."""
    err = EntraError(90033, status=504, error="temporarily_unavailable")
    return _answer(request, endpoint, err, {})


def _answer(request: Request, endpoint: str, err: EntraError,
            headers: dict[str, str]) -> Response:
    """``err`` as an HTML page at an endpoint a browser visits, else as Entra's JSON."""
    if endpoint in BROWSER_ENDPOINTS:
        page = error_page(request, err)
        page.headers.update(headers)
        return page
    return error_json(request, err, headers=headers)


MASKED_USER = "{EmailHidden}"
"""How Entra names a user in the messages it serves (AADSTS50034 "The user account
{EmailHidden} does not exist in the … directory", Microsoft365DSC #801, s-KaiNet/spsave #61)."""
_REASONS = {
    700027: " [Reason - The provided signature value did not match the expected signature value.]",
    50013: "The provided signature value did not match the expected signature value.",
    70011: "openid scope is required",
}


def _placeholders(request: Request, scope: FaultScope, code: int) -> dict[str, str]:
    """A plausible value for every placeholder of the catalogue's messages, since an injected
    error answers no request of its own: the scope's app and tenant, the masked user, Microsoft
    Graph as the resource, the provider's clock for instants (an assertion that expired five
    minutes ago)."""
    state = idp(request)
    now, app_id, tenant = state.clock.now(), scope.get("app") or "", scope.get("tenant") or ""
    found = state.store.find_app_any(app_id) if app_id else None
    return {
        "app_id": app_id, "app_name": found[1].name if found else "app", "tenant": tenant,
        "upn": MASKED_USER, "identifier": MASKED_USER, "idp": f"https://sts.windows.net/{tenant}/",
        "issued": grant_time(now), "valid_from": grant_time(now), "now": grant_time(now),
        "nbf": grant_time(now - timedelta(minutes=15)),
        "exp": grant_time(now - timedelta(minutes=5)),
        "resource": GRAPH_RESOURCE_URI, "resource_id": GRAPH_APP_ID,
        "resource_name": "Microsoft Graph", "aud": GRAPH_RESOURCE_URI,
        "scope": f"{GRAPH_RESOURCE_URI}/User.Read", "reason": _REASONS.get(code, ""),
        "alg": "HS256", "count": "2", "name": "scope", "mode": "query",
        "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
        "method": "POST", "received": "GET", "origin": "http://localhost:3000",
        "redirect_uri": "http://localhost:3000/auth/callback",
        "code_redirect_uri": "http://localhost:3000/callback",
        "listed": ", ".join(found[1].api_permissions) if found else "",
    }
