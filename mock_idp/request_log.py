"""The request log behind ``GET /_mock/requests``: a pure ASGI middleware.

Each HTTP request outside ``/_mock/`` appends a :class:`LoggedRequest` to
``store.request_log``; ``GET /_mock/requests`` shows them as ``{time, method, path, query,
status, duration_ms}``, secrets in the query string redacted. Formatting and redaction happen
when the log is read, not on every request. The body is never read, so handlers still receive
it untouched.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REDACTED = "[redacted]"
SENSITIVE = frozenset({
    "client_secret", "password", "client_assertion", "code_verifier", "refresh_token",
    "access_token", "id_token",
})
MAX_LOGGED = 2048


def redact_query(query: str) -> str:
    """The query string with the values of :data:`SENSITIVE` parameters replaced."""
    if not query:
        return ""
    pairs = parse_qsl(query, keep_blank_values=True)
    redacted = urlencode([(k, REDACTED if k.lower() in SENSITIVE else v) for k, v in pairs],
                         safe="[]")
    return redacted[:MAX_LOGGED]


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    """One request as the middleware saw it; :meth:`to_json` formats and redacts it."""

    at: datetime
    method: str
    path: str
    query_string: bytes
    status: int
    duration_ms: float

    def to_json(self) -> dict[str, Any]:
        return {
            "time": self.at.astimezone(UTC).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "method": self.method,
            "path": self.path,
            "query": redact_query(self.query_string.decode("latin-1")),
            "status": self.status,
            "duration_ms": round(self.duration_ms, 2),
        }


def skipped(path: str) -> bool:
    return path == "/_mock" or path.startswith("/_mock/")


class RequestLogMiddleware:
    """Log every request (but the test-control API's own) into the provider's store."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or skipped(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            self._record(scope, status, (time.perf_counter() - started) * 1000)

    @staticmethod
    def _record(scope: Scope, status: int, duration_ms: float) -> None:
        app: Any = scope.get("app")
        state = getattr(getattr(app, "state", None), "idp", None)
        if state is None:
            return
        state.store.request_log.append(LoggedRequest(
            at=state.clock.now(), method=scope.get("method", ""),
            path=scope.get("path", "")[:MAX_LOGGED], query_string=scope.get("query_string", b""),
            status=status, duration_ms=duration_ms))
