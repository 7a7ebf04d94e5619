"""Response faults: what an endpoint answers instead of its work.

An AADSTS error (rendered the endpoint's own way), a 5xx or an outage, a 429 with
``Retry-After``, or a connection that drops after the first bytes. Latency and hangs are applied
by the registry before any of these.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ..endpoints.common import error_json, error_page
from ..errors import EntraError
from .spec import BROWSER_ENDPOINTS, Fault
from .spec import Scope as FaultScope


class InjectedDrop(ConnectionAbortedError):
    """Raised to break off a response on purpose; the server's error log leaves it out."""


class DroppedConnection(Response):
    """Starts a response promising a body, then breaks off: the client sees a dropped
    connection."""

    def __init__(self) -> None:
        super().__init__(status_code=200)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", b"4096"),
                                (b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": b'{"', "more_body": True})
        raise InjectedDrop("fault injection: connection dropped")


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
        return EntraError(int(p["code"]), _placeholders(scope), error=p.get("error"),
                          status=p.get("status"))
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


def _placeholders(scope: FaultScope) -> dict[str, str]:
    return {"app_id": scope.get("app") or "", "tenant": scope.get("tenant") or "",
            "upn": "{EmailHidden}", "app_name": "app"}
