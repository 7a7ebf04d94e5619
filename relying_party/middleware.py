"""Pure ASGI middleware of the relying party: security headers, trusted hosts, a bound on
request bodies."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .inputs import ascii_digits

FRAMEABLE_PREFIX = "/auth/frontchannel-logout"
MAX_BODY_BYTES = 1024 * 1024
HSTS = "max-age=31536000"
"""A year; no ``includeSubDomains``: the RP's host says nothing of its siblings."""
JSON_PATHS = ("/api/", "/events", "/auth/backchannel-logout")
"""Routes whose documented errors are JSON; every other route answers with an HTML page."""
PRIVATE_PREFIXES = ("/admin", "/api/")
"""Admin pages, the admin API and the signed-in user's JSON: never stored by a cache."""
_CSP_ORIGIN = re.compile(r"https?://(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?")


class SecurityHeaders:
    """Conservative security headers on every HTTP response.

    Only the front-channel logout endpoints may be framed (the provider loads them in an
    iframe). A response that sets its own ``Content-Security-Policy`` (a page whose form may
    lead to a provider: :func:`content_security_policy`) keeps it, and one that says how it
    may be cached keeps that.
    """

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                message["headers"] = [
                    *headers, *missing_security_headers(headers, path, hsts=self.hsts)]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def content_security_policy(path: str, form_targets: Iterable[str] = ()) -> str:
    """The policy of a response for ``path``. Forms post to this app only; ``form_targets``
    are the origins a form's response may redirect to (the sign-out form's goes on to the
    provider's end-session endpoint, and browsers check ``form-action`` along redirects)."""
    frameable = path == FRAMEABLE_PREFIX or path.startswith(FRAMEABLE_PREFIX + "/")
    ancestors = "*" if frameable else "'none'"
    targets = "".join(f" {t}" for t in dict.fromkeys(form_targets) if _CSP_ORIGIN.fullmatch(t))
    return ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; "
            f"base-uri 'none'; form-action 'self'{targets}; frame-ancestors {ancestors}")


def missing_security_headers(headers: Iterable[tuple[bytes, bytes]], path: str, *,
                             hsts: bool) -> list[tuple[bytes, bytes]]:
    """The headers :class:`SecurityHeaders` adds to a response for ``path`` that has
    ``headers`` (also to the error page of an unexpected exception, which is sent from outside
    the middleware): :func:`security_headers`, but none the response sets itself."""
    given = {name.lower() for name, _ in headers}
    return [h for h in security_headers(path, hsts=hsts) if h[0] not in given]


def security_headers(path: str, *, hsts: bool = False) -> list[tuple[bytes, bytes]]:
    """The security headers of a response for ``path``. ``hsts``: the public URL is https,
    so browsers are to keep to https (RFC 6797)."""
    frameable = path == FRAMEABLE_PREFIX or path.startswith(FRAMEABLE_PREFIX + "/")
    headers = [
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"content-security-policy", content_security_policy(path).encode()),
    ]
    if not frameable:
        headers.append((b"x-frame-options", b"DENY"))
    if hsts:
        headers.append((b"strict-transport-security", HSTS.encode()))
    if path.startswith(PRIVATE_PREFIXES):
        headers.append((b"cache-control", b"no-store"))
    return headers


def answers_json(path: str) -> bool:
    """Whether a refusal of a request for ``path`` is JSON (``{"error", "error_description"}``)
    rather than a page: the one place that decides, for the middleware and the app alike."""
    return path.startswith(JSON_PATHS)


def host_of(value: str) -> str | None:
    """The host name in a ``Host`` header (lower case, brackets of IPv6 removed), or None when
    the header is not a host with an optional port."""
    if not value or any(ch in value for ch in "/?#@\\ ") or not value.isascii():
        return None
    try:
        parts = urlsplit(f"//{value}")
        if parts.port is None and value.endswith(":"):
            return None
    except ValueError:
        return None
    return parts.hostname.rstrip(".") if parts.hostname else None


class TrustedHost:
    """Answer 400 to any request whose ``Host`` is not ``host``, the public URL's
    (:attr:`~relying_party.settings.Settings.public_host`).

    Under DNS rebinding the ``Host`` is the attacker's name, so this also keeps every URL the
    app builds from the request (Starlette's trailing-slash redirect, for one) on its own host.
    """

    def __init__(self, app: ASGIApp, *, host: str) -> None:
        self.app = app
        self.host = host

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get("host", "")
        if host_of(given) != self.host:
            response: Response = PlainTextResponse("Invalid host header", status_code=400)
            if answers_json(scope["path"]):
                response = JSONResponse({
                    "error": "invalid_host",
                    "error_description": "The Host header does not name this app's host (its "
                                         "public URL's)"}, status_code=400)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


class BodyTooLarge(HTTPException):
    def __init__(self) -> None:
        super().__init__(413, f"The request body is larger than {MAX_BODY_BYTES} bytes.")


class BodyLimit:
    """Stop reading a request body past ``max_bytes``: :class:`BodyTooLarge` (413) is raised where
    the handler reads it, so the route's own error shape answers."""

    def __init__(self, app: ASGIApp, *, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        received = 0

        async def bounded() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge()
            return message

        if declared is not None and ascii_digits(declared) and int(declared) > self.max_bytes:
            async def refuse() -> Message:
                raise BodyTooLarge()
            await self.app(scope, refuse, send)
            return
        await self.app(scope, bounded, send)
