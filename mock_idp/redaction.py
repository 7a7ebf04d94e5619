"""What the request log never shows: secrets, passwords, codes, refresh tokens and signatures.

The log keeps what it saw in memory; these functions mask it whenever it is read
(``/_mock/requests``, ``/_mock/activity``, the console), so no secret leaves the provider
through its own logs. Three masks:

* a secret (client secret, password, refresh token, code verifier, ``Basic`` credentials) is
  replaced by :data:`REDACTED`;
* an authorization or device code by ``[redacted-1a2b3c]``: the first six hex digits of its
  SHA-256, so a reader can tell which code a callback carried and which one the token call
  redeemed without learning either (codes are random and long, so the digits give nothing away).
  A value no code looks like (an error's ``AADSTS50105``, ``nonce_mismatch``, ``NotFound``)
  is shown;
* a JWT (ID, access, logout tokens, client assertions) keeps its header and claims and loses its
  signature (``<header>.<claims>.[redacted]``): readable, and no longer usable. An encrypted one
  (a JWE) keeps only its header (``<header>.[redacted]``);
* any other value under a name ending in ``token`` (a CSRF token: Auth.js's ``csrfToken``,
  Django's ``csrfmiddlewaretoken``, an ``X-CSRF-Token`` header; the sign-in page's
  ``flowToken``; an ``ADMIN_TOKEN``) or ``canary`` (the sign-in page's anti-forgery value)
  is masked as a JWT is when it looks like a token (eight or more token characters, no plain
  word): ``token_type=Bearer`` or ``token: expired`` stay readable. A paging cursor (Graph's
  ``$skiptoken``, ``$deltatoken``) is no secret and is shown.

Names are compared without case, ``_`` or ``-`` (``client_secret``, ``clientSecret``,
``CLIENT-SECRET``), and a name ending in a secret's (``OIDC_CLIENT_SECRET``, ``db_password``)
is one, as is a field a form nests in brackets or dots by the last name in it
(``user[password]``, ``login.pin``). An empty value stays empty: that nothing was sent is the
diagnosis.

Masking twice gives the same as masking once, so readers of the log (the scenarios' protocol
view) mask whatever they show again without harm.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .endpoints.payload import BadInput, parse_json

__all__ = [
    "BARE_JWT",
    "CODES",
    "JWTS",
    "MIN_HIDDEN",
    "REDACTED",
    "SECRETS",
    "Kind",
    "could_be_code",
    "fingerprint",
    "hidden_json",
    "hidden_query",
    "jwe_header",
    "kind_of",
    "looks_like_token",
    "mask_authorization",
    "mask_form",
    "mask_json",
    "mask_jwt",
    "mask_query",
    "mask_url",
    "mask_value",
    "plain_name",
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
    # A platform installation's key pair (app.installed's data).
    "private_key",
    # What sign-in forms of other sites (an app's own) call a password, a PIN or a one-time
    # password; a one-time password is a secret, not a code to fingerprint: six digits are
    # read back from their fingerprint at once.
    "pwd", "pass", "passcode", "passphrase", "pin", "otp",
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
Kind = Literal["secret", "code", "jwt", "token"]
TOKEN_ENDINGS = ("token", "canary")
"""A name that ends in one of these (compared as :func:`plain_name` gives it) holds a token:
an anti-forgery ``canary`` too, as Entra's sign-in pages post one beside their ``flowToken``
(``$Config``'s ``canary`` and ``apiCanary``, :mod:`mock_idp.signin.server_data`)."""
CURSORS = frozenset({"$skiptoken", "$deltatoken", "skiptoken", "deltatoken"})
"""Names ending in ``token`` that hold a paging cursor, no secret (Graph's ``@odata.nextLink``
and ``@odata.deltaLink`` carry them: https://learn.microsoft.com/graph/paging)."""
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9._~+/=-]{8,}")
_JWT = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")
BARE_JWT = re.compile(r"eyJ[A-Za-z0-9_-]*\.eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+")
"""A signed JWT wherever it stands (its header and claims are JSON objects, ``eyJ``): also
right after a letter or digit, as in an encoded URL (``id_token_hint%3DeyJ...``) or a JSON
escape (``\\u003deyJ...``); and with no boundary to look for first, it is found at the speed of
a plain search."""
_SEGMENT = re.compile(r"[A-Za-z0-9_-]*")
_NESTING = re.compile(r"[\[\].]+")
"""What nests one name of a form field in another: ``user[password]``, ``user.password``."""
_NOT_A_CODE = re.compile(r"AADSTS\d+|[A-Za-z]{1,15}|[A-Za-z]+(?:_[A-Za-z]+)+|\d{1,4}")
"""Values a ``code`` may hold that no authorization or one-time code looks like: an AADSTS
code, a short word, words joined by ``_`` (``nonce_mismatch``, ``Request_ResourceNotFound``),
an HTTP status."""
_ERROR_NUMBER = re.compile(r"\d{5,8}|0x[0-9A-Fa-f]{8}")
"""A number under the plain name ``code`` is an error's (an error page's "Error code: 50194", a
Windows HRESULT): no authorization code is one, and a one-time code comes as ``otc``."""
_MAX_WORDS = 64
MIN_HIDDEN = 6
"""Values shorter than this are not looked for in other text (they would match by chance)."""


def plain_name(name: str) -> str:
    """``name`` as the masks compare names: without case, ``_`` or ``-``."""
    return name.replace("_", "").replace("-", "").lower()


_KINDS: dict[str, Kind] = {
    **{plain_name(n): "jwt" for n in JWTS}, **{plain_name(n): "code" for n in CODES},
    **{plain_name(n): "secret" for n in SECRETS}}
_SECRET_ENDINGS = tuple(sorted(plain_name(n) for n in SECRETS))
_ONLY_CODES = frozenset(plain_name(n) for n in CODES) - {"code"}
"""Names that only ever carry codes (``user_code``, ``otc``…): unlike the plain ``code``, never
an error's word."""


def kind_of(name: str) -> Kind | None:
    """What the value of ``name`` is to the masks: a secret, a code, a JWT, another token, or
    ``None`` (shown). Case, ``_`` and ``-`` do not count, a name that ends in a secret's is one
    (``OIDC_CLIENT_SECRET``, ``newPassword``), one that ends in ``token`` or ``canary`` is a
    token (``csrfToken``, ``flowToken``, ``canary``) but for a paging cursor (:data:`CURSORS`),
    and a nested form field's is that of the last name in it (``user[password]``,
    ``user.password``, ``user[password][]``)."""
    key = plain_name(name)
    found = _KINDS.get(key)
    if found is None and key.endswith(_SECRET_ENDINGS):
        return "secret"
    if found is None and (last := _last_name(name)) != name:
        return kind_of(last)
    if found is None and key.endswith(TOKEN_ENDINGS) and key not in CURSORS:
        return "token"
    return found


def looks_like_token(value: str) -> bool:
    """Whether ``value`` may be a token (eight or more token characters, not a word an error or
    a status gives: ``expired``, ``invalid_grant``), and so is masked under a token's name."""
    return bool(_TOKEN_CHARS.fullmatch(value)) and could_be_code(value)


def _last_name(name: str) -> str:
    """The last name a nested form field's carries (``user[password]``: ``password``), or
    ``name`` itself when it nests nothing."""
    names = [part for part in _NESTING.split(name) if part]
    return names[-1] if names else name


def could_be_code(value: str, name: str = "") -> bool:
    """Whether ``value`` (given under ``name``) may be an authorization, device or one-time
    code: not an error's code (``AADSTS50105``, ``invalid_grant``, ``code: 50194``) nor a short
    word (``NotFound``)."""
    if plain_name(name) in _ONLY_CODES:
        return True  # a device code's user code may be letters alone (ABCDEFGHJ…)
    if plain_name(name) == "code" and _ERROR_NUMBER.fullmatch(value):
        return False
    return not (len(value) <= _MAX_WORDS and _NOT_A_CODE.fullmatch(value))


def fingerprint(value: str) -> str:
    return f"[redacted-{hashlib.sha256(value.encode()).hexdigest()[:6]}]"


_MASK = re.compile(r"\[redacted(?:-[0-9a-f]{6})?\]")
"""A value masked whole: :data:`REDACTED` or a :func:`fingerprint`."""


def masked(value: str) -> bool:
    """Whether ``value`` is already masked (masking again changes nothing): masked whole, or a
    JWT's header and claims without its signature. A value that only starts with a mask (a
    cookie holding a CSRF token masked by value and, after it, the token's hash) is not."""
    return bool(_MASK.fullmatch(value)) or value.endswith(f".{REDACTED}")


def jwe_header(token: str) -> dict[str, Any] | None:
    """The (protected, not secret) header of an encrypted JWT in compact form: five parts, or
    the header and ``[redacted]`` once masked; ``None`` for anything else."""
    parts = token.strip().split(".")
    if len(parts) not in (2, 5) or (len(parts) == 2 and parts[1] != REDACTED):
        return None
    if len(parts) == 5 and not all(_SEGMENT.fullmatch(p) for p in parts):
        return None
    try:
        header = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except ValueError:
        return None
    return header if isinstance(header, dict) and "enc" in header else None


def mask_jwt(token: str) -> str:
    """A JWT without its signature (an unsigned ``alg: none`` one unchanged), an encrypted one
    with its header alone; anything else that is not a JWT is redacted whole, an empty value
    left empty."""
    if not token or masked(token):
        return token
    if jwe_header(token) is not None:
        return f"{token.split('.')[0]}.{REDACTED}"
    if not _JWT.match(token):
        return REDACTED
    head, body, signature = token.split(".")
    return f"{head}.{body}.{REDACTED}" if signature else token


def mask_value(name: str, value: str) -> str:
    """``value`` as the log shows it, given the parameter or field ``name`` it came in (see
    :func:`kind_of`); a signed JWT under any other name loses its signature."""
    if not value:
        return value
    kind = kind_of(name)
    if kind == "secret":
        return REDACTED
    if masked(value):
        return value
    if kind == "code":
        return fingerprint(value) if could_be_code(value, name) else value
    if kind == "token":
        return mask_jwt(value) if looks_like_token(value) else value
    if kind == "jwt" or BARE_JWT.fullmatch(value):
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
    """A JSON value with the values of sensitive members masked, however deep they sit. A
    masked member's value is masked in its siblings' text too (the device code answer's
    ``message`` quotes its ``user_code``)."""
    if isinstance(value, Mapping):
        # An error object's ``code`` (Graph's "Request_ResourceNotFound", beside its
        # ``message``) names the error; it is no authorization code.
        error = "message" in value
        out = {str(k): v if error and k == "code" and isinstance(v, str)
               else mask_json(v, str(k)) for k, v in value.items()}
        hidden = {v: out[str(k)] for k, v in value.items()
                  if isinstance(v, str) and len(v) >= MIN_HIDDEN and out[str(k)] != v}
        if not hidden:
            return out
        return {k: _replaced(v, hidden) if isinstance(v, str) and v == value[k] else v
                for k, v in out.items()}
    if isinstance(value, list):
        return [mask_json(v, name) for v in value]
    if isinstance(value, str) and name:
        return mask_value(name, value)
    return value


def _replaced(text: str, hidden: Mapping[str, str]) -> str:
    for raw in sorted(hidden, key=len, reverse=True):
        text = text.replace(raw, hidden[raw])
    return text


def hidden_json(value: Any, name: str = "") -> dict[str, str]:
    """Each value :func:`mask_json` masks in ``value``, with what it shows instead."""
    found: dict[str, str] = {}
    if isinstance(value, Mapping):
        for key, member in value.items():
            found.update(hidden_json(member, str(key)))
    elif isinstance(value, list):
        for member in value:
            found.update(hidden_json(member, name))
    elif isinstance(value, str) and name and (shown := mask_value(name, value)) != value:
        found[value] = shown
    return found


def hidden_query(query: str) -> dict[str, str]:
    """Each value :func:`mask_query` masks in a query string or form body, with what it shows
    instead."""
    return {value: shown for name, value in parse_qsl(query, keep_blank_values=True)
            if (shown := mask_value(name, value)) != value}


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
