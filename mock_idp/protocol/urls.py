"""Parsing URLs that come from outside: registered redirect, logout and event URLs, and the
``redirect_uri`` / ``post_logout_redirect_uri`` a client sends.

One place decides what a usable URL is (RFC 3986 syntax as :func:`urllib.parse.urlsplit` reads
it): no control characters, spaces or invisible format characters (a bidi override such as
U+202E would make the URL read as another), a scheme, a host for http(s), a port from 0 to
65535, and brackets only around a valid IPv6 address. Every caller gets a :class:`UrlError`
with a reason instead of whatever ``urlsplit`` or ``.port`` would raise.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from urllib.parse import SplitResult, urlsplit

WEB_SCHEMES = ("http", "https")
MAX_URL = 2048
_FORBIDDEN = re.compile(r"[\x00-\x20\x7f-\x9f\\<>\"`{}|^]|[\ud800-\udfff]")
_UNSEEN = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})
"""Unicode categories refused beyond ASCII: controls, format characters (bidi marks, zero-width
ones) and spaces or line breaks of any kind."""
_HOST = re.compile(r"^[A-Za-z0-9._~!$&'()*+,;=%-]+$")


class UrlError(ValueError):
    """A URL that cannot be used; the message says why without echoing it."""


def split_url(value: str, *, schemes: Collection[str] | None = WEB_SCHEMES,
              max_len: int = MAX_URL) -> SplitResult:
    """``value`` split into its parts, or :class:`UrlError`.

    ``schemes`` lists the schemes accepted (``None``: any scheme, as registered redirect URIs of
    public clients may use their own). An http(s) URL must name a host.
    """
    if len(value) > max_len:
        raise UrlError(f"is longer than {max_len} characters")
    bad = _FORBIDDEN.search(value)
    char = bad.group() if bad is not None else next(
        (c for c in value if not c.isascii() and unicodedata.category(c) in _UNSEEN), None)
    if char is not None:
        raise UrlError(f"contains a character not allowed in a URL (U+{ord(char):04X})")
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        raise UrlError(f"is not a valid URL ({_reason(exc)})") from None
    scheme = parts.scheme.lower()
    if not scheme:
        raise UrlError("is not an absolute URL (no scheme)")
    if schemes is not None and scheme not in schemes:
        raise UrlError(f"must use {' or '.join(schemes)}, not {scheme!r}")
    if scheme in WEB_SCHEMES or parts.netloc:
        host = parts.hostname or ""
        if not host:
            raise UrlError("has no host")
        if ":" not in host and not _HOST.match(host):
            raise UrlError("has a host with characters a host name cannot have")
    if port is not None and not 0 < port:
        raise UrlError("has port 0")
    return parts


def is_url(value: str, *, schemes: Collection[str] | None = WEB_SCHEMES) -> bool:
    try:
        split_url(value, schemes=schemes)
    except UrlError:
        return False
    return True


def _reason(exc: ValueError) -> str:
    text = str(exc)
    if "IPv6" in text:
        return "a bracketed host must be a valid IPv6 address"
    if "Port" in text or "port" in text:
        return "the port must be a number from 1 to 65535"
    return "unparseable"
