"""The request log behind ``GET /_mock/requests``: a pure ASGI middleware.

Each HTTP request outside ``/_mock/`` appends a :class:`LoggedRequest` to
``store.request_log`` (a bounded deque: the oldest entries fall off). What a reader needs to draw
the exchange is kept: the redirect target, the form or JSON bodies of requests and responses (at
most :data:`MAX_BODY` bytes each, a longer one only by its size; HTML pages are not kept), the
``Authorization`` header, who made it when a test's own client says so (:data:`CALLER_HEADER`),
the real time the request started (to order it against a browser's log) and notes the handlers
add with :func:`annotate` (which fault changed what, which AADSTS error was answered).

Nothing is formatted or masked on the hot path: :meth:`LoggedRequest.to_json` does both when the
log is read, through :mod:`mock_idp.redaction`, so no secret, password, code, refresh token or
signature leaves the provider through its log. :meth:`LoggedRequest.hidden` gives a reader in
the provider's process (the scenario runner) the values it masks, so they can be masked
wherever else they show up. Capturing a body tees what the app reads; the handlers still
receive it untouched.
"""

from __future__ import annotations

import base64
import itertools
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import unquote_plus, urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .clock import Clock
from .endpoints.payload import BadInput, parse_json
from .redaction import (
    MAX_TEXT,
    REDACTED,
    hidden_json,
    hidden_query,
    mask_authorization,
    mask_jwt,
    mask_query,
    mask_url,
    masked_body,
)

__all__ = ["CALLER_HEADER", "MAX_BODY", "REDACTED", "LoggedRequest", "RequestLogMiddleware",
           "annotate", "redact_query"]

MAX_LOGGED = MAX_TEXT
MAX_BODY = 16 * 1024
NOTES = "mock_idp.request_notes"
"""The scope key of the current request's notes (a list the middleware puts there)."""
CALLER_HEADER = "X-Mock-Caller"
"""A header a test's own client sends on its calls (the scenario harness's say ``harness``),
logged as the entry's ``caller`` so that a reader of the log (the protocol view) tells the
test's set-up calls (Graph's management API, a token request of its own) from the app's. Entra
has no such header; the mock does nothing with it but log it."""
_CALLER = CALLER_HEADER.lower().encode()
MAX_CALLER = 40
_KEPT_TYPES = (b"application/x-www-form-urlencoded", b"application/json")
_SEQUENCE = itertools.count(1)

redact_query = mask_query
"""The query string with secrets masked (the name the log has always exported)."""


def annotate(scope: Scope, note: dict[str, Any]) -> None:
    """Add ``note`` (JSON-able, nothing secret in it) to the log entry of the request being
    handled; outside a logged request it goes nowhere."""
    notes = scope.get(NOTES)
    if isinstance(notes, list):
        notes.append(note)


def _kept(content_type: bytes) -> bool:
    kind = content_type.split(b";")[0].strip().lower()
    return kind in _KEPT_TYPES or kind.endswith(b"+json")


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    """One request as the middleware saw it; :meth:`to_json` formats and masks it."""

    at: datetime
    method: str
    path: str
    query_string: bytes
    status: int
    duration_ms: float
    seq: int = 0
    wall: float = 0.0
    """Real time the request started, seconds since the epoch (the provider's clock may be
    moved; this one is comparable with a browser's)."""
    location: bytes = b""
    authorization: bytes = b""
    request_type: bytes = b""
    request_body: bytes | None = None
    """The body when its type is kept and it fits :data:`MAX_BODY`; ``None`` otherwise."""
    response_type: bytes = b""
    response_body: bytes | None = None
    notes: tuple[dict[str, Any], ...] = ()
    request_size: int = 0
    """The size of a body of a kept type (the body itself is dropped past :data:`MAX_BODY`)."""
    response_size: int = 0
    caller: bytes = b""
    """The :data:`CALLER_HEADER` the request carried (empty: none)."""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "seq": self.seq,
            "time": _iso(self.at),
            "wall": round(self.wall, 3),
            "method": self.method,
            "path": self.path,
            "query": mask_query(self.query_string.decode("latin-1")),
            "status": self.status,
            "duration_ms": round(self.duration_ms, 2),
        }
        if self.location:
            out["location"] = mask_url(self.location.decode("latin-1"))
        if self.caller:
            out["caller"] = "".join(c if c.isprintable() else "?"
                                    for c in self.caller.decode("latin-1"))
        if self.authorization:
            out["authorization"] = mask_authorization(self.authorization.decode("latin-1"))
        for name, kind, body, size in (
                ("request", self.request_type, self.request_body, self.request_size),
                ("response", self.response_type, self.response_body, self.response_size)):
            if body is not None:
                shown = masked_body(kind.decode("latin-1"), body)
                out[name] = {"content_type": kind.decode("latin-1")[:100],
                             **(shown or {"bytes": len(body)})}
            elif size > MAX_BODY:
                out[name] = {"content_type": kind.decode("latin-1")[:100], "bytes": size,
                             "too_large": True}
        if self.notes:
            out["notes"] = list(self.notes)
        return out

    def hidden(self) -> dict[str, str]:
        """Each value :meth:`to_json` masks (a secret, a code, a token's signature), with what
        it shows instead: raw value -> its mask."""
        found = hidden_query(self.query_string.decode("latin-1"))
        if self.location:
            target = urlsplit(self.location.decode("latin-1"))
            found.update(hidden_query(target.query))
            found.update(hidden_query(target.fragment))
        scheme, _, credentials = self.authorization.decode("latin-1").partition(" ")
        credentials = credentials.strip()
        if credentials and (shown := mask_jwt(credentials)) != credentials:
            found[credentials] = shown
        if scheme.lower() == "basic" and credentials:
            found.update(_basic_secret(credentials))
        for kind, body in ((self.request_type, self.request_body),
                           (self.response_type, self.response_body)):
            found.update(_hidden_body(kind.decode("latin-1"), body))
        return found


def _basic_secret(credentials: str) -> dict[str, str]:
    """The client secret in ``Basic`` credentials (``client_id:secret``, each form-encoded)."""
    try:
        pair = base64.b64decode(credentials, validate=True).decode("utf-8")
    except ValueError:
        return {}
    secret = unquote_plus(pair.partition(":")[2])
    return {secret: REDACTED} if secret else {}


def _hidden_body(content_type: str, body: bytes | None) -> dict[str, str]:
    kind = content_type.split(";")[0].strip().lower()
    if body is None:
        return {}
    if kind == "application/x-www-form-urlencoded":
        return hidden_query(body.decode("utf-8", "replace"))
    if kind == "application/json" or kind.endswith("+json"):
        try:
            return hidden_json(parse_json(body))
        except BadInput:
            return {}
    return {}


def _kept_query(query: bytes) -> bytes:
    """The query string as logged: whole, up to :data:`MAX_BODY` bytes; a longer one (the
    server takes about 64 KiB) only by its parameters that fit whole, so no value is kept cut
    (a secret's start would then be masked without its end), and an entry is never as large
    as any URL a caller sends, 2,000 times over. What is shown is :data:`MAX_LOGGED`
    characters of it anyway."""
    if len(query) <= MAX_BODY:
        return query
    return query[:MAX_BODY + 1].rpartition(b"&")[0]


def skipped(path: str) -> bool:
    return path == "/_mock" or path.startswith("/_mock/")


class _Capture:
    """What one request and its response carried, gathered as they pass."""

    __slots__ = ("location", "request_chunks", "request_size", "response_chunks",
                 "response_size", "response_type", "status")

    def __init__(self, keep_request: bool) -> None:
        self.status = 500
        self.location = b""
        self.response_type = b""
        self.request_chunks: list[bytes] | None = [] if keep_request else None
        self.request_size = 0
        self.response_chunks: list[bytes] | None = None
        self.response_size = 0

    def request_body(self) -> bytes | None:
        if self.request_chunks is None or self.request_size > MAX_BODY:
            return None
        return b"".join(self.request_chunks)

    def response_body(self) -> bytes | None:
        if self.response_chunks is None or self.response_size > MAX_BODY:
            return None
        return b"".join(self.response_chunks)


class LogHolder(Protocol):
    """Where the log lives: the provider's store (kept across resets, which clear it)."""

    request_log: deque[LoggedRequest]


class RequestLogMiddleware:
    """Log every request (but the test-control API's own) into the provider's store."""

    def __init__(self, app: ASGIApp, *, store: LogHolder, clock: Clock) -> None:
        self.app = app
        self.store = store
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or skipped(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        # The log as the request begins: a reset while it is answered puts a new log in the
        # store, and the request belongs to the one it began in, not to the next scenario's.
        log = self.store.request_log
        wall = time.time()
        started = time.perf_counter()
        request_type = authorization = caller = b""
        for name, value in scope.get("headers", ()):
            if name == b"content-type":
                request_type = value
            elif name == b"authorization":
                authorization = value
            elif name == _CALLER:
                caller = value[:MAX_CALLER]
        capture = _Capture(keep_request=_kept(request_type))
        notes: list[dict[str, Any]] = []
        scope[NOTES] = notes

        async def receive_and_keep() -> Message:
            message = await receive()
            chunks = capture.request_chunks
            if chunks is not None and message["type"] == "http.request":
                body = message.get("body", b"")
                capture.request_size += len(body)
                if capture.request_size <= MAX_BODY:
                    chunks.append(body)
            return message

        async def send_and_note(message: Message) -> None:
            if message["type"] == "http.response.start":
                capture.status = int(message["status"])
                for name, value in message.get("headers", ()):
                    if name == b"location":
                        capture.location = value
                    elif name == b"content-type":
                        capture.response_type = value
                if _kept(capture.response_type):
                    capture.response_chunks = []
            elif message["type"] == "http.response.body" and capture.response_chunks is not None:
                body = message.get("body", b"")
                capture.response_size += len(body)
                if capture.response_size <= MAX_BODY:
                    capture.response_chunks.append(body)
            await send(message)

        try:
            await self.app(scope, receive_and_keep if capture.request_chunks is not None
                           else receive, send_and_note)
        finally:
            self._record(log, scope, capture, wall, (time.perf_counter() - started) * 1000,
                         authorization, request_type, notes, caller)

    def _record(self, log: deque[LoggedRequest], scope: Scope, capture: _Capture, wall: float,
                duration_ms: float, authorization: bytes, request_type: bytes,
                notes: list[dict[str, Any]], caller: bytes) -> None:
        log.append(LoggedRequest(
            at=self.clock.now(), method=scope.get("method", ""),
            path=scope.get("path", "")[:MAX_LOGGED],
            query_string=_kept_query(scope.get("query_string", b"")),
            status=capture.status, duration_ms=duration_ms, seq=next(_SEQUENCE), wall=wall,
            location=capture.location[:MAX_LOGGED], authorization=authorization[:MAX_BODY],
            request_type=request_type, request_body=capture.request_body(),
            response_type=capture.response_type, response_body=capture.response_body(),
            notes=tuple(notes), request_size=capture.request_size,
            response_size=capture.response_size, caller=caller))
