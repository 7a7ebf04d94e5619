"""What the request log never shows: secrets, passwords, codes, refresh tokens and signatures.

The log keeps what it saw in memory; these functions mask it whenever it is read
(``/_mock/requests``, ``/_mock/activity``, the console), so no secret leaves the provider
through its own logs. Three masks:

* a secret (client secret, password, refresh token, code verifier, ``Basic`` credentials) is
  replaced by :data:`REDACTED`;
* an authorization or device code by ``[redacted-1a2b3c]``: the first six hex digits of its
  SHA-256, so a reader can tell which code a callback carried and which one the token call
  redeemed without learning either (codes are random and long, so the digits give nothing away);
* a JWT (ID, access, logout tokens, client assertions) keeps its header and claims and loses its
  signature (``<header>.<claims>.[redacted]``): readable, and no longer usable.

Masking twice gives the same as masking once, so readers of the log (the scenarios' protocol
view) mask whatever they show again without harm.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .endpoints.payload import BadInput, parse_json

__all__ = [
    "CODES",
    "JWTS",
    "REDACTED",
    "SECRETS",
    "fingerprint",
    "mask_authorization",
    "mask_form",
    "mask_json",
    "mask_jwt",
    "mask_query",
    "mask_url",
    "mask_value",
    "masked",
    "masked_body",
]

REDACTED = "[redacted]"
SECRETS = frozenset({
    "client_secret", "password", "passwd", "code_verifier", "refresh_token", "secrettext",
    "secret", "new_password", "newpassword", "current_password",
    # "Update your password"'s fields, and an authenticator app's secret (and its otpauth URI,
    # which carries it).
    "currentpasswd", "newpasswd", "confirmnewpasswd", "totp_secret", "otpauth_uri",
})
"""Names whose values are replaced by :data:`REDACTED` (compared lower-cased)."""
CODES = frozenset({"code", "device_code", "user_code", "otc", "additionalauthdata"})
"""Names whose values are replaced by a short fingerprint."""
JWTS = frozenset({
    "access_token", "id_token", "id_token_hint", "logout_token", "client_assertion",
    "assertion",
})
"""Names whose values, when they are JWTs, keep header and claims; otherwise redacted."""
MAX_TEXT = 2048
_JWT = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")


def fingerprint(value: str) -> str:
    return f"[redacted-{hashlib.sha256(value.encode()).hexdigest()[:6]}]"


def masked(value: str) -> bool:
    """Whether ``value`` is already masked (masking again changes nothing)."""
    return value.startswith("[redacted") or value.endswith(f".{REDACTED}")


def mask_jwt(token: str) -> str:
    """A JWT without its signature (an unsigned ``alg: none`` one unchanged); anything that is
    not a JWT is redacted whole."""
    if masked(token):
        return token
    if not _JWT.match(token):
        return REDACTED
    head, body, signature = token.split(".")
    return f"{head}.{body}.{REDACTED}" if signature else token


def mask_value(name: str, value: str) -> str:
    """``value`` as the log shows it, given the parameter or field ``name`` it came in."""
    key = name.lower()
    if key in SECRETS:
        return REDACTED
    if masked(value):
        return value
    if key in CODES:
        # An error's code ("NotFound") is a short word; an authorization code never is.
        return value if len(value) < 16 and value.isalpha() else fingerprint(value)
    if key in JWTS:
        return mask_jwt(value)
    return value


def mask_query(query: str) -> str:
    """A query string (or form body) with every sensitive value masked, at most
    :data:`MAX_TEXT` characters."""
    if not query:
        return ""
    pairs = parse_qsl(query, keep_blank_values=True)
    masked = urlencode([(k, mask_value(k, v)) for k, v in pairs], safe="[]")
    return masked[:MAX_TEXT]


def mask_url(url: str) -> str:
    """A URL with its query and fragment masked (codes and tokens come back in either)."""
    try:
        parts = urlsplit(url)
    except ValueError:  # not a URL the mock wrote; nothing of it is shown
        return REDACTED
    return urlunsplit((parts.scheme, parts.netloc, parts.path, mask_query(parts.query),
                       mask_query(parts.fragment)))[:MAX_TEXT]


def mask_form(body: str) -> dict[str, str]:
    """A form-encoded body as a mapping of its (first) values, masked."""
    out: dict[str, str] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        out.setdefault(key[:200], mask_value(key, value)[:MAX_TEXT])
    return out


def mask_json(value: Any, name: str = "") -> Any:
    """A JSON value with the values of sensitive members masked, however deep they sit."""
    if isinstance(value, Mapping):
        # An error object's ``code`` (Graph's "Request_ResourceNotFound", beside its
        # ``message``) names the error; it is no authorization code.
        error = "message" in value
        return {str(k): v if error and k == "code" and isinstance(v, str)
                else mask_json(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_json(v, name) for v in value]
    if isinstance(value, str) and name:
        return mask_value(name, value)
    return value


def mask_authorization(header: str) -> str:
    """An ``Authorization`` header: a bearer JWT without its signature, anything else
    redacted after its scheme."""
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "bearer":
        return f"{scheme} {mask_jwt(credentials.strip())}"
    return f"{scheme} {REDACTED}" if credentials else REDACTED


def masked_body(content_type: str, body: bytes) -> dict[str, Any] | None:
    """A recorded request or response body, masked: ``{"form": {...}}``, ``{"json": ...}``,
    or ``None`` when it is neither (or not readable)."""
    kind = content_type.split(";")[0].strip().lower()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if kind == "application/x-www-form-urlencoded":
        return {"form": mask_form(text)}
    if kind == "application/json" or kind.endswith("+json"):
        try:
            return {"json": mask_json(parse_json(body))}
        except BadInput:  # refused when it came in (not JSON, or not valid Unicode): not shown
            return None
    return None
