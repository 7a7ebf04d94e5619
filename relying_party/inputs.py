"""Every input the relying party takes from outside is checked here, before it is used or stored.

- JSON (admin API bodies, platform events, provider responses): UTF-8 only, without a byte
  order mark (RFC 8259 §8.1), bounded size and nesting, valid Unicode everywhere (keys included;
  an unpaired surrogate such as ``"\\ud800"`` is refused), integers of bounded length, no ``NaN``
  or ``Infinity``, each member name once in its object (I-JSON, RFC 7493 §2.3: parsers keep
  the first or the last of a repeated member, so a signed event or a provider's answer could
  read one way to its sender and another way here).
- Request bodies (:mod:`relying_party.request_bodies`): JSON only as ``application/json`` in
  UTF-8; forms of bounded size and field count, parsed by python-multipart through Starlette.
- Text fields: strings, length-bounded, no control characters. Ids given by other systems
  (installation, account, client ids) are also refused with invisible format characters (bidi
  overrides, zero-width characters) or surrounding white space, never trimmed. Names shown to
  people: no bidi controls. OAuth client ids and secrets: printable ASCII (RFC 6749 App. A).
- JSON booleans: ``true`` or ``false`` only, not ``"yes"`` or ``null``.
- Key material (PEM or base64 text): printable ASCII and line breaks, length-bounded.
- URLs to be stored and called later: absolute ``http``/``https``, a host, a port in range, no
  control characters, whitespace, fragment or dot segments (``.``, ``..``, ``%2e``), and
  accepted by the HTTP client that will use them.

A refusal is an :class:`InputError` naming each offending field; the app renders it in the
shape of the route that received it (JSON or an HTML page), with a 4xx status, before anything
is stored.
"""

from __future__ import annotations

import ipaddress
import json
import re
import unicodedata
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx

MAX_JSON_BYTES = 64 * 1024
MAX_JSON_DEPTH = 16
MAX_PARSED_DEPTH = 500
"""Text nested deeper than this is refused before it is parsed, naming the whole text. Python's
parser gives up (``RecursionError``) at a depth that depends on its version and on the stack in
use (about 1,000 levels on 3.11, 10,000 on 3.13): left to it, the same text would be refused
naming the whole text on one version and the member it nests in on another."""
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKET = re.compile(r"[\[\]{}]")
MAX_INT_DIGITS = 20
MAX_FORM_FIELDS = 50
MAX_URL_LENGTH = 2048
MAX_NAMED_MEMBER = 64
"""The longest repeated member name a refusal names as it is."""
_NOT_IN_A_LINE = frozenset({"Cc", "Cs", "Zl", "Zp"})
"""Control characters, unpaired surrogates, line and paragraph separators."""
_FORMAT = "Cf"
"""Invisible format characters: bidi overrides and isolates, zero-width characters, the BOM."""
_INVISIBLE = _NOT_IN_A_LINE | {_FORMAT}
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                           "\u2066\u2067\u2068\u2069")
"""UAX #9 §2's bidi formatting characters: in a name they reorder what is shown after them."""
_VSCHAR = re.compile(r"[\x20-\x7e]*")
"""RFC 6749 Appendix A: ``client_id`` and ``client_secret`` are ``*VSCHAR`` (%x20-7E)."""
_URL_FORBIDDEN = re.compile(r"[\x00-\x20\x7f-\x9f\\]")
_KEY_TEXT = re.compile(r"[\x20-\x7e\r\n]*")
MAX_KEY_CHARS = 8192
"""Room for a PEM-encoded 8192-bit RSA private key."""


class InputError(ValueError):
    """Refused input; ``errors`` maps each offending field to a plain message."""

    def __init__(self, errors: Mapping[str, str], *, status: int = 400) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)
        self.status = status

    @classmethod
    def of(cls, field: str, message: str, *, status: int = 400) -> InputError:
        return cls({field: message}, status=status)


class _NumberTooLong(ValueError):
    """Valid JSON with a whole number of more digits than :data:`MAX_INT_DIGITS`."""


def _bounded_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise _NumberTooLong(digits)
    return int(digits)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class _Repeated(dict[str, Any]):
    """A JSON object that named ``member`` more than once (refused where its field is known)."""

    def __init__(self, pairs: list[tuple[str, Any]], member: str) -> None:
        super().__init__(pairs)
        self.member = member


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    members = dict(pairs)
    if len(members) == len(pairs):
        return members
    seen: set[str] = set()
    for name, _ in pairs:
        if name in seen:
            return _Repeated(pairs, name)
        seen.add(name)
    raise AssertionError("unreachable: fewer members than pairs means a repeated name")


def _repeat_problem(item: _Repeated) -> str:
    name = item.member.encode("utf-8", "backslashreplace").decode("utf-8")
    cut = name[:MAX_NAMED_MEMBER] + ("…" if len(name) > MAX_NAMED_MEMBER else "")
    return f'has the member "{cut}" more than once (RFC 7493 §2.3)'


def _deepest(text: str) -> int:
    """How deep ``text``'s arrays and objects nest (brackets inside strings left out), counted
    only when it has enough brackets to nest past :data:`MAX_PARSED_DEPTH`."""
    if text.count("[") + text.count("{") <= MAX_PARSED_DEPTH:
        return 0
    depth = deepest = 0
    for bracket in _BRACKET.findall(_JSON_STRING.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _decode(raw: bytes | str, field: str, max_bytes: int) -> Any:
    if len(raw) > max_bytes:
        raise InputError.of(field, f"must be at most {max_bytes} bytes", status=413)
    if isinstance(raw, bytes):
        # json.loads(bytes) would guess UTF-16 or UTF-32 and skip a BOM; RFC 8259 §8.1 says UTF-8
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError.of(field, "is not UTF-8 text (RFC 8259 §8.1)") from None
    if raw.startswith("\ufeff"):
        raise InputError.of(field, "must not start with a byte order mark (RFC 8259 §8.1)")
    if _deepest(raw) > MAX_PARSED_DEPTH:
        raise InputError.of(field, f"nests deeper than {MAX_JSON_DEPTH} levels")
    try:
        return json.loads(raw, parse_int=_bounded_int, parse_constant=_no_constant,
                          object_pairs_hook=_object)
    except RecursionError:
        raise InputError.of(field, f"nests deeper than {MAX_JSON_DEPTH} levels") from None
    except _NumberTooLong:
        raise InputError.of(field, f"holds a number of more than {MAX_INT_DIGITS} digits "
                            "(valid JSON, but too large)") from None
    except ValueError:
        raise InputError.of(field, "is not valid JSON") from None


def parse_json(raw: bytes | str, *, field: str = "body", max_bytes: int = MAX_JSON_BYTES) -> Any:
    """Decode JSON text within the bounds above; :class:`InputError` naming ``field`` if not."""
    value = _decode(raw, field, max_bytes)
    check_json_value(value, field=field)
    return value


def parse_json_object(raw: bytes | str, *, field: str = "body",
                      max_bytes: int = MAX_JSON_BYTES) -> dict[str, Any]:
    """A JSON object; a refusal inside a member names that member."""
    value = _decode(raw, field, max_bytes)
    if not isinstance(value, dict):
        raise InputError.of(field, "must be a JSON object")
    if isinstance(value, _Repeated):
        if valid_unicode(value.member) and len(value.member) <= MAX_NAMED_MEMBER:
            raise InputError.of(value.member, "is given more than once (RFC 7493 §2.3)")
        raise InputError.of(field, _repeat_problem(value))
    for key, member in value.items():
        if not valid_unicode(key):
            raise InputError.of(field, "has a member name that is not valid Unicode")
        check_json_value(member, field=key, max_depth=MAX_JSON_DEPTH - 1)
    return value


def check_json_value(value: Any, *, field: str, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Refuse nesting deeper than ``max_depth`` and strings (keys too) that are not valid
    Unicode. Iterative, so any depth is safe to inspect."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if not valid_unicode(item):
                raise InputError.of(field, "contains invalid Unicode (an unpaired surrogate)")
        elif isinstance(item, dict | list):
            if depth > max_depth:
                raise InputError.of(field, f"nests deeper than {MAX_JSON_DEPTH} levels")
            if isinstance(item, _Repeated):
                raise InputError.of(field, _repeat_problem(item))
            if isinstance(item, dict):
                stack.extend((k, depth) for k in item)
                stack.extend((v, depth + 1) for v in item.values())
            else:
                stack.extend((v, depth + 1) for v in item)


def ascii_digits(text: str, *, max_digits: int = MAX_INT_DIGITS) -> bool:
    """One or more ASCII digits, at most ``max_digits``: what ``int()`` reads as a bounded whole
    number (``str.isdigit`` also takes "²", which ``int()`` refuses, and "٣", which it reads)."""
    return 0 < len(text) <= max_digits and text.isascii() and text.isdigit()


def valid_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def text(value: object, field: str, *, max_length: int, required: bool = True) -> str:
    """A trimmed single-line string; ``""`` when absent and not required."""
    if value is None or value == "":
        if required:
            raise InputError.of(field, "is required")
        return ""
    if not isinstance(value, str):
        raise InputError.of(field, "must be a string")
    value = value.strip()
    if required and not value:
        raise InputError.of(field, "is required")
    if len(value) > max_length:
        raise InputError.of(field, f"must be at most {max_length} characters")
    if any(unicodedata.category(ch) in _NOT_IN_A_LINE for ch in value):
        raise InputError.of(field, "must not contain control characters or line breaks")
    return value


def identifier(value: object, field: str, *, max_length: int = 256, required: bool = True
               ) -> str:
    """An opaque id given by another system, exactly as given: :func:`text`, but surrounding
    white space is refused rather than trimmed, and so are invisible format characters, with
    which two different ids could look the same. ``""`` when absent and not required."""
    if isinstance(value, str) and value != value.strip():
        raise InputError.of(field, "must not start or end with white space")
    value = text(value, field, max_length=max_length, required=required)
    if any(unicodedata.category(ch) == _FORMAT for ch in value):
        raise InputError.of(field, "must not contain invisible characters such as bidi overrides")
    return value


def display_name(value: object, field: str, *, max_length: int, required: bool = True) -> str:
    """A name shown to people: :func:`text`, without bidi controls (U+202E and the others of
    UAX #9 §2), with which a name displays as something else than it is, and holding something
    visible when given: one of only invisible format characters (a zero-width space, a BOM)
    and white space would show as nothing."""
    value = text(value, field, max_length=max_length, required=required)
    if value and all(ch.isspace() or unicodedata.category(ch) == _FORMAT for ch in value):
        raise InputError.of(field, "must hold a visible character, not only invisible ones such "
                                   "as a zero-width space")
    if found := next((ch for ch in value if ch in _BIDI_CONTROLS), None):
        raise InputError.of(field, f"must not contain bidi control characters (it holds "
                                   f"U+{ord(found):04X}), which change how the text reads")
    return value


def client_credential(value: object, field: str, *, max_length: int, required: bool = True
                      ) -> str:
    """An OAuth client id or secret as typed by an admin: :func:`text`, printable ASCII only
    (RFC 6749 App. A.1, A.2: ``*VSCHAR``), so that a zero-width space or a full-width digit
    pasted with it is refused on save, not at every sign-in by the provider."""
    value = text(value, field, max_length=max_length, required=required)
    if not _VSCHAR.fullmatch(value):
        found = next(ch for ch in value if not _VSCHAR.fullmatch(ch))
        kind = ("an invisible character" if unicodedata.category(found) in _INVISIBLE
                else "a digit that is not an ASCII digit" if found.isdigit()
                else "a character that is not ASCII")
        raise InputError.of(field, f"must be printable ASCII only (RFC 6749 Appendix A); it "
                                   f"holds U+{ord(found):04X}, {kind}: copy it again")
    return value


def json_booleans(body: dict[str, Any], *fields: str) -> dict[str, Any]:
    """``body``, when each of ``fields`` it has is ``true`` or ``false`` (not ``"yes"``, not
    ``null``); else :class:`InputError` naming the first that is not."""
    for field in fields:
        if field in body and not isinstance(body[field], bool):
            raise InputError.of(field, "must be true or false (a JSON boolean)")
    return body


def key_text(value: object, field: str, *, max_length: int = MAX_KEY_CHARS) -> str:
    """Optional key material (PEM or base64) kept exactly as given: printable ASCII and line
    breaks, at most ``max_length`` characters; ``""`` when absent."""
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        raise InputError.of(field, "must be a string")
    if len(value) > max_length:
        raise InputError.of(field, f"must be at most {max_length} characters")
    if not _KEY_TEXT.fullmatch(value):
        raise InputError.of(field, "must be printable ASCII text (PEM or base64), line breaks "
                                   "allowed")
    return value


def escape_invisible(value: str) -> str:
    """``value`` with control, invisible format (bidi overrides, zero-width) and line-breaking
    characters written as ``\\xNN`` / ``\\uNNNN`` escapes, for showing text anyone could have
    sent. Backslashes are left alone, so escaping twice changes nothing."""
    if value.isprintable():
        return value
    return "".join(_escape(ch) if unicodedata.category(ch) in _INVISIBLE else ch for ch in value)


SHOWN_ID_CHARS = 64
"""The most characters of an id a request named that a message or the log shows."""


def shown_id(value: str) -> str:
    """An id a request named (a URL's connection or installation id), as a message or the log
    shows it: quoted and escaped (``repr``), its first :data:`SHOWN_ID_CHARS` characters, and
    its length when it had more, so a long unknown id never fills the log."""
    if len(value) <= SHOWN_ID_CHARS:
        return repr(value)
    return f"{value[:SHOWN_ID_CHARS]!r}… ({len(value)} characters)"


def _escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_text_problem(value: str) -> str | None:
    """Why ``value`` holds characters no URL may (spaces, backslashes, control characters,
    unpaired surrogates), or None."""
    if _URL_FORBIDDEN.search(value) or not valid_unicode(value):
        return "must not contain spaces, backslashes or control characters"
    return None


def has_dot_segments(path: str) -> bool:
    """Whether ``path`` holds a ``.`` or ``..`` segment, percent-encoded (``%2e``) or not: a
    provider endpoint never needs one, and what it names is not what its text says."""
    return any(segment in (".", "..") for segment in unquote(path).split("/"))


def remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4: the path a browser or an HTTP client sends for ``path``."""
    segments = path.split("/")
    kept: list[str] = []
    for segment in segments:
        if segment == "..":
            if kept and kept != [""]:  # never the empty first one of an absolute path
                kept.pop()
        elif segment != ".":
            kept.append(segment)
    if segments[-1] in (".", ".."):  # "/a/b/.." is "/a/", a directory
        kept.append("")
    return "/".join(kept)


def url_problem(value: str, *, allow_http: bool) -> str | None:
    """Why ``value`` cannot be stored as a provider endpoint, or None when it can."""
    if len(value) > MAX_URL_LENGTH:
        return f"must be at most {MAX_URL_LENGTH} characters"
    if problem := url_text_problem(value):
        return problem
    try:
        parts = urlsplit(value)
        host, port = parts.hostname, parts.port
    except ValueError as exc:  # an unclosed IPv6 bracket, a port out of range or not a number
        return f"is not a valid URL ({exc})"
    if parts.scheme not in ("https", "http") or not host:
        return "must be an absolute https URL"
    if port == 0:
        return "must not use port 0"
    if parts.scheme == "http" and not (allow_http or is_loopback(host)):
        return "must use https (http is allowed only for localhost)"
    if parts.fragment or "#" in value:
        return "must not contain a fragment"
    if parts.username is not None or parts.password is not None:
        return "must not contain a user name or password"
    if has_dot_segments(parts.path):
        sent = remove_dot_segments(unquote(parts.path))
        return ("must not contain '.' or '..' path segments (browsers and HTTP clients remove "
                f"them before sending: the path would be {sent!r})")
    try:
        httpx.Request("GET", value)  # what will call it later: IDNA host, percent-encoding
    except (httpx.InvalidURL, ValueError) as exc:
        return f"is not a valid URL ({exc})"
    return None
