"""The spellings a secret value takes once written into a URL, a form body, JSON or HTML.

A known value (a password, a client secret, a code) is masked wherever it stands, and it stands
encoded as often as not: each writer encodes it its own way, and masking only the spelling
Python's :func:`~urllib.parse.quote` gives misses the others. A client secret in Entra's shape
always holds a ``~`` (``abc1Q~…``), which a browser's form and JavaScript's ``URLSearchParams``
write ``%7E`` (the WHATWG URL standard's application/x-www-form-urlencoded serializer encodes
every byte but ASCII alphanumerics and ``*-._``); ``encodeURIComponent`` leaves ``!'()*~``
as they are; .NET's ``HttpUtility.UrlEncode`` writes lower-case hex (``%2f``); JSON escapes a
quote or a backslash, and an HTML-safe JSON writer (Go's ``encoding/json``, Django's
``json_script``) ``<``, ``>`` and ``&`` as ``\\u003c`` or ``\\u003C``, some writers ``/`` as
``\\/`` or ``\\u002f``; a page writes ``&`` as ``&amp;`` and a quote as ``&quot;``,
``&#34;``, ``&#x27;`` or ``&#39;``.

:func:`written_forms` gives each of them for one value; a value of letters, digits and
``-._`` alone (codes, tokens) is written the same everywhere and costs nothing.
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote, quote_plus

__all__ = ["written_forms"]

_PLAIN = re.compile(r"[A-Za-z0-9._-]*")
"""A value every encoding writes as it is."""
_URL_SAFE = ("", "!'()*~", "*")
"""What is left unencoded: RFC 3986's unreserved characters alone (Python's ``quote``),
``encodeURIComponent``'s, and the WHATWG form encoding's (``~`` encoded too)."""
_HEX = re.compile(r"%[0-9A-F]{2}")
_HTML_SAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "'": "\\u0027"}
_SLASHES = ("/", "\\/", "\\u002f", "\\u002F")
_QUOTES: tuple[dict[str, str], ...] = (
    {'"': "&quot;", "'": "&#x27;"}, {'"': "&#34;", "'": "&#39;"}, {})


def _url_forms(raw: str) -> set[str]:
    forms: set[str] = set()
    for safe in _URL_SAFE:
        for encode in (quote, quote_plus):
            form = encode(raw, safe=safe)
            if "~" not in safe:
                form = form.replace("~", "%7E")
            forms |= {form, _HEX.sub(lambda m: m.group(0).lower(), form)}
    forms.add(quote(raw, safe=""))  # Python's own: ``~`` kept
    return forms


def _json_forms(raw: str) -> set[str]:
    forms: set[str] = set()
    for ascii_only in (True, False):
        base = json.dumps(raw, ensure_ascii=ascii_only)[1:-1]
        for html_safe in (base, "".join(_HTML_SAFE.get(c, c) for c in base)):
            for text in (html_safe, _upper_escapes(html_safe)):
                forms |= {text.replace("/", slash) for slash in _SLASHES}
    return forms


def _upper_escapes(text: str) -> str:
    """``text`` with the hex digits of its ``\\u`` escapes in upper case."""
    return re.sub(r"\\u[0-9a-f]{4}", lambda m: "\\u" + m.group(0)[2:].upper(), text)


def _html_forms(raw: str) -> set[str]:
    escaped = raw.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return {"".join(quotes.get(c, c) for c in escaped) for quotes in _QUOTES}


def written_forms(raw: str) -> set[str]:
    """``raw`` and each spelling it takes URL-encoded (as a URL's or a form's part, by any of
    the common writers), escaped in JSON or in HTML."""
    if _PLAIN.fullmatch(raw):
        return {raw}
    return {raw} | _url_forms(raw) | _json_forms(raw) | _html_forms(raw)
