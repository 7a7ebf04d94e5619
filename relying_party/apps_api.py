"""The platform's Apps API, as a partner app calls it: an account-level token from the
installation's client credentials, then a change of state.

- **Approving an installation**, after ``app.installed``:
  ``POST {api_root}/apps/{app_id}/installations/{installation_id}/state`` with
  ``{"state": "approve"}`` (scope ``apps:write``): 200, else 403 or 404
  (https://docs.talkdesk.com/reference/appsapp_idinstallationsidstate). An installation left
  unconfirmed times out after 7 days (https://docs.talkdesk.com/docs/app-enablement).
- **Acknowledging rotated credentials**, after ``app.credentials_rotated``:
  ``POST {api_root}/apps/{app_id}/installations/{installation_id}/credentials/{client_id}/state``
  with ``{"state": "acknowledged"}``: 202, else 401, 403, 404 or 409. Both the old and the new
  credentials work for a 7-day grace period; the acknowledgement ends the old ones at once
  (https://docs.talkdesk.com/reference/appcredentials_rotated,
  https://docs.talkdesk.com/reference/appsapp_idinstallationsinstallation_idcredentialsclient_idstate).
  The token is obtained with the new credentials: that proves the app stored them.
- **The bearer token**: the client-credentials grant (RFC 6749 §4.4) at the installation's token
  endpoint, with its ``client_id`` and ``client_secret`` in the form
  (https://docs.talkdesk.com/docs/app-enablement).

Nothing here raises for what the network or the platform does: each call ends in a
:class:`CallOutcome`, done or the reason it failed. An answer is read up to
:data:`MAX_ANSWER_BYTES` and must be a JSON object (:mod:`relying_party.inputs`); a success
must name the state asked for. Each request, the token's and the state change's, has
``deadline`` seconds in all, however slowly an answer trickles in.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from .inputs import ascii_digits, escape_invisible
from .oidc._http import answer_object
from .oidc.errors import parse_aadsts

__all__ = [
    "MAX_ANSWER_BYTES",
    "CallOutcome",
    "Target",
    "access_token",
    "acknowledge_credentials",
    "approve_installation",
    "credentials_state_url",
    "installation_state_url",
    "state_outcome",
]

MAX_ANSWER_BYTES = 64 * 1024
MAX_ACCESS_TOKEN = 16 * 1024
MAX_QUOTED = 200
"""The most characters of a text from the platform (an error's code, message) a reason keeps."""
_TOKEN_CHARS = re.compile(r"[\x21-\x7e]+")
"""What an access token may hold to be sent in a header (RFC 6750 §2.1 is stricter still)."""
TOKEN_ENDPOINT = "token endpoint"
APPS_API = "Apps API"


@dataclass(frozen=True, kw_only=True)
class Target:
    """The installation a call is about: where its Apps API and token endpoint are, and its
    ids and credentials."""

    api_root: str
    app_id: str
    installation_id: str
    client_id: str
    client_secret: str = field(repr=False)
    token_url: str


@dataclass(frozen=True, kw_only=True)
class CallOutcome:
    """How a call ended: ``ok``, or why not (``reason``, with what the answer said)."""

    ok: bool
    reason: str
    """The state the platform reports, or why the call failed."""
    status: int | None = None
    """The HTTP status of the answer that decided it; None when there was no answer."""
    code: str | None = None
    """The platform's error ``code``, or the token endpoint's OAuth ``error``."""
    aadsts: int | None = None
    """The token endpoint's ``AADSTSnnnn`` code, when an Entra-shaped one gave one."""
    timed_out: bool = False


class _Failed(Exception):
    def __init__(self, outcome: CallOutcome) -> None:
        super().__init__(outcome.reason)
        self.outcome = outcome


def _fail(reason: str, **details: Any) -> _Failed:
    return _Failed(CallOutcome(ok=False, reason=reason, **details))


def _quoted(value: str) -> str:
    value = escape_invisible(value)
    return value if len(value) <= MAX_QUOTED else value[:MAX_QUOTED] + "…"


def _segment(value: str) -> str:
    return quote(value, safe="")


def installation_state_url(target: Target) -> str:
    return (f"{target.api_root.rstrip('/')}/apps/{_segment(target.app_id)}/installations/"
            f"{_segment(target.installation_id)}/state")


def credentials_state_url(target: Target) -> str:
    return (f"{target.api_root.rstrip('/')}/apps/{_segment(target.app_id)}/installations/"
            f"{_segment(target.installation_id)}/credentials/{_segment(target.client_id)}/state")


async def _read(response: httpx.Response, what: str) -> bytes:
    declared = response.headers.get("content-length", "")
    if ascii_digits(declared) and int(declared) > MAX_ANSWER_BYTES:
        raise _fail(f"{what} answer is larger than {MAX_ANSWER_BYTES} bytes",
                    status=response.status_code)
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > MAX_ANSWER_BYTES:
            raise _fail(f"{what} answer is larger than {MAX_ANSWER_BYTES} bytes",
                        status=response.status_code)
    return bytes(body)


async def _post(http: httpx.AsyncClient, what: str, url: str, *, timeout: httpx.Timeout,
                deadline: float, **request: Any) -> tuple[int, dict[str, Any] | None]:
    """POST; the answer's status and its body as a JSON object (None when it is not one)."""
    try:
        async with asyncio.timeout(deadline):
            async with http.stream("POST", url, timeout=timeout, follow_redirects=False,
                                   **request) as response:
                status, raw = response.status_code, await _read(response, what)
    except (TimeoutError, httpx.TimeoutException):
        raise _fail(f"{what} timed out", timed_out=True) from None
    except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
        # ValueError: a URL httpx cannot turn into a request (e.g. an invalid IDNA host)
        raise _fail(f"{what} unreachable ({type(exc).__name__}: {_quoted(str(exc))})") from None
    return status, answer_object(raw, max_bytes=MAX_ANSWER_BYTES)


def _text(body: Mapping[str, Any] | None, name: str) -> str | None:
    value = body.get(name) if body is not None else None
    return _quoted(value) if isinstance(value, str) and value else None


def access_token(status: int, body: Mapping[str, Any] | None) -> str | CallOutcome:
    """The ``access_token`` of a token endpoint's answer, or the failure saying what is wrong
    with it (an OAuth error, RFC 6749 §5.2, with Entra's ``AADSTSnnnn`` code)."""
    if status != 200:
        error = _text(body, "error")
        if error is None:
            return CallOutcome(ok=False, status=status,
                               reason=f"{TOKEN_ENDPOINT} answered HTTP {status} without an "
                               "OAuth error")
        aadsts = parse_aadsts(_text(body, "error_description"))
        suffix = f" (AADSTS{aadsts})" if aadsts is not None else ""
        return CallOutcome(ok=False, reason=f"{TOKEN_ENDPOINT} answered HTTP {status} "
                           f"{error}{suffix}", status=status, code=error, aadsts=aadsts)
    if body is None:
        return CallOutcome(ok=False, reason=f"{TOKEN_ENDPOINT} answer is not a JSON object",
                           status=status)
    token = body.get("access_token")
    if (not isinstance(token, str) or len(token) > MAX_ACCESS_TOKEN
            or not _TOKEN_CHARS.fullmatch(token)):
        return CallOutcome(ok=False, reason=f"{TOKEN_ENDPOINT} answer has no usable "
                           "access_token", status=status)
    token_type = body.get("token_type", "Bearer")
    if not isinstance(token_type, str) or token_type.lower() != "bearer":
        return CallOutcome(ok=False, status=status, reason=f"{TOKEN_ENDPOINT} answer has "
                           f"token_type {_quoted(str(token_type))}, not Bearer")
    return token


def state_outcome(status: int, body: Mapping[str, Any] | None, expected: str) -> CallOutcome:
    """A state change's answer: done when a 2xx answer reports ``expected``; otherwise the
    platform's error (``{"code", "message", "fields": [{"name", "description"}]}``)."""
    if not 200 <= status < 300:
        code, message = _text(body, "code"), _text(body, "message")
        fields = body.get("fields") if body is not None else None
        names = [_quoted(f["name"]) for f in fields if isinstance(f, dict)
                 and isinstance(f.get("name"), str)] if isinstance(fields, list) else []
        reason = f"{APPS_API} answered HTTP {status}" + (f" {code}" if code else "")
        reason += (f": {message}" if message else "") + (
            f" (fields: {', '.join(names[:5])})" if names else "")
        return CallOutcome(ok=False, reason=reason, status=status, code=code)
    if body is None:
        return CallOutcome(ok=False, reason=f"{APPS_API} answer is not a JSON object",
                           status=status)
    state = body.get("state")
    if state != expected:
        shown = _quoted(state) if isinstance(state, str) else type(state).__name__
        return CallOutcome(ok=False, status=status,
                           reason=f"{APPS_API} answered state {shown}, not {expected}")
    return CallOutcome(ok=True, reason=expected, status=status)


async def _change_state(http: httpx.AsyncClient, target: Target, url: str,
                        asked: Mapping[str, str], expected: str, *, scope: str,
                        timeout: httpx.Timeout, deadline: float) -> CallOutcome:
    form = {"grant_type": "client_credentials", "client_id": target.client_id,
            "client_secret": target.client_secret, "scope": scope}
    try:
        status, body = await _post(http, TOKEN_ENDPOINT, target.token_url, timeout=timeout,
                                   deadline=deadline, data=form,
                                   headers={"Accept": "application/json"})
        token = access_token(status, body)
        if isinstance(token, CallOutcome):
            return token
        status, body = await _post(
            http, APPS_API, url, timeout=timeout, deadline=deadline, json=dict(asked),
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
    except _Failed as failed:
        return failed.outcome
    return state_outcome(status, body, expected)


async def approve_installation(http: httpx.AsyncClient, target: Target, *, scope: str,
                               timeout: httpx.Timeout, deadline: float) -> CallOutcome:
    """Approve the installation; done when the platform reports it ``completed``."""
    return await _change_state(http, target, installation_state_url(target),
                               {"state": "approve"}, "completed", scope=scope,
                               timeout=timeout, deadline=deadline)


async def acknowledge_credentials(http: httpx.AsyncClient, target: Target, *,
                                  scope: str, timeout: httpx.Timeout, deadline: float
                                  ) -> CallOutcome:
    """Acknowledge the installation's credentials (``target`` holds the new ones); done when
    the platform reports them ``acknowledged``."""
    return await _change_state(http, target, credentials_state_url(target),
                               {"state": "acknowledged"}, "acknowledged", scope=scope,
                               timeout=timeout, deadline=deadline)
