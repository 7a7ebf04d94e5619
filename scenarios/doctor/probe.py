"""The doctor's HTTP calls: each returns an :class:`Exchange` (what came back, or why nothing did).

Requests never follow redirects and every one has a bounded timeout. Nothing here judges the
answers; :mod:`scenarios.doctor.checks` does, over the recorded exchanges.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

import httpx

from scenarios.ca_trust import public_trust
from scenarios.doctor.config import ca_context

__all__ = [
    "Clock",
    "Exchange",
    "Failure",
    "FailureKind",
    "authorize",
    "classify_error",
    "expects_tls",
    "get",
    "make_client",
    "post_form",
]

FailureKind = Literal[
    "tls-untrusted", "tls-hostname", "tls-expired", "tls-other",
    "timeout", "connect", "invalid-url", "protocol",
]
MAX_BODY = 200_000


class Clock(Protocol):
    def now(self) -> datetime: ...


@dataclass(frozen=True, kw_only=True)
class Failure:
    kind: FailureKind
    message: str


@dataclass(frozen=True, kw_only=True)
class Exchange:
    """One request and its response; ``failure`` is set when no response came."""

    method: str
    url: str
    received_at: datetime
    status: int | None = None
    headers: tuple[tuple[str, str], ...] = ()
    text: str = ""
    failure: Failure | None = None
    sent: Mapping[str, str] = field(default_factory=dict, repr=False)
    """Form fields sent, secrets left out (for reports)."""

    def header(self, name: str) -> str | None:
        """The last value of a header (servers behind a proxy may send some twice)."""
        values = self.header_values(name)
        return values[-1] if values else None

    def header_values(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def json(self) -> Any:
        """The body parsed as JSON, or None when it is not JSON."""
        import json

        try:
            return json.loads(self.text)
        except ValueError:
            return None


def make_client(*, ca_file: Path | None, timeout: float) -> httpx.Client:
    """A client trusting the usual CAs plus ``ca_file``; no redirects, bounded timeouts.

    Raises :class:`~scenarios.doctor.config.ConfigError` when ``ca_file`` holds no PEM CA."""
    verify = public_trust() if ca_file is None else ca_context(ca_file)
    return httpx.Client(
        verify=verify,
        timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
        follow_redirects=False,
        headers={"User-Agent": "sso-harness-doctor"},
    )


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def classify_error(exc: Exception, *, timeout: float | None = None) -> Failure:
    """Name why a request got no response: TLS (which kind), timeout, refused, bad URL.

    ``timeout``: the seconds the request was given, named in a timeout's message."""
    for cause in _chain(exc):
        if isinstance(cause, ssl.SSLCertVerificationError):
            reason = cause.verify_message or str(cause)
            code = cause.verify_code
            if code in (62, 64) or "mismatch" in reason.lower():
                return Failure(kind="tls-hostname", message=reason)
            if code == 10 or "expired" in reason.lower():
                return Failure(kind="tls-expired", message=reason)
            return Failure(kind="tls-untrusted", message=reason)
        if isinstance(cause, ssl.SSLError):
            return Failure(kind="tls-other", message=cause.reason or str(cause))
    text = str(exc) or type(exc).__name__
    if "CERTIFICATE_VERIFY_FAILED" in text:
        if "mismatch" in text.lower():
            return Failure(kind="tls-hostname", message=text)
        return Failure(kind="tls-untrusted", message=text)
    if isinstance(exc, httpx.TimeoutException):
        within = f"within {timeout:g} s" if timeout else "in time"
        return Failure(kind="timeout", message=f"no answer {within} ({type(exc).__name__})")
    if isinstance(exc, httpx.ConnectError):
        return Failure(kind="connect", message=text)
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL | ValueError):
        return Failure(kind="invalid-url", message=text)
    return Failure(kind="protocol", message=text)


def expects_tls(url: str, failure: Failure) -> bool:
    """Whether an ``http://`` URL's server most likely speaks TLS: it closed the connection
    without an answer (an HTTPS server given a plain request), or answered with a TLS alert
    record (content type 21, version 3.x) where an HTTP status line belongs."""
    if urlsplit(url).scheme != "http" or failure.kind != "protocol":
        return False
    return ("disconnected without sending a response" in failure.message
            or ("illegal status line" in failure.message and "\\x15\\x03" in failure.message))


def _send(
    http: httpx.Client, clock: Clock, method: str, url: str, *, sent: Mapping[str, str],
    **kwargs: Any,
) -> Exchange:
    try:
        response = http.request(method, url, **kwargs)
    except (httpx.HTTPError, ValueError) as exc:
        limit = (http.timeout.connect if isinstance(exc, httpx.ConnectTimeout)
                 else http.timeout.read)
        return Exchange(method=method, url=url, received_at=clock.now(),
                        failure=classify_error(exc, timeout=limit), sent=sent)
    return Exchange(
        method=method,
        url=str(response.request.url),
        received_at=clock.now(),
        status=response.status_code,
        headers=tuple(response.headers.multi_items()),
        text=response.text[:MAX_BODY],
        sent=sent,
    )


def get(http: httpx.Client, clock: Clock, url: str) -> Exchange:
    return _send(http, clock, "GET", url, sent={}, headers={"Accept": "application/json"})


def post_form(
    http: httpx.Client, clock: Clock, url: str, form: Mapping[str, str], *,
    headers: Mapping[str, str] | None = None, hidden: Sequence[str] = ("client_secret",),
) -> Exchange:
    """POST a form; fields named in ``hidden`` are left out of the recorded ``sent``."""
    shown = {k: v for k, v in form.items() if k not in hidden}
    return _send(http, clock, "POST", url, sent=shown, data=dict(form),
                 headers={"Accept": "application/json", **(headers or {})})


def authorize(
    http: httpx.Client, clock: Clock, authorization_uri: str, *, client_id: str,
    redirect_uri: str,
) -> Exchange:
    """Start a code flow and stop at the first response (the redirect is not followed).

    The request is built as the reference relying party builds it: a query already in
    ``authorization_uri`` is kept, and its own parameters replace those of the same name."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    params = {
        "client_id": client_id,
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "scope": "openid",
        "state": secrets.token_urlsafe(16),
        "nonce": secrets.token_urlsafe(16),
        "code_challenge": challenge.decode().rstrip("="),
        "code_challenge_method": "S256",
        "response_mode": "query",
    }
    try:
        url = httpx.URL(authorization_uri).copy_merge_params(params)
    except (httpx.InvalidURL, ValueError) as exc:
        return Exchange(method="GET", url=authorization_uri, received_at=clock.now(),
                        failure=classify_error(exc), sent=params)
    return _send(http, clock, "GET", str(url), sent=dict(url.params),
                 headers={"Accept": "text/html"})
