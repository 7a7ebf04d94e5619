"""Cookie values masked, their names kept: cookies are bearer credentials, whoever holds one is
signed in (the provider's session cookies, an app's session, login and CSRF cookies, a Flask
session that carries whole ID tokens), so no report, log or trace shows one.

``Cookie`` and ``Set-Cookie`` headers are masked wherever they stand: in free text (a header
line, a header in a printed dict) by :func:`mask_cookie_lines`, and in JSON text (a Playwright
trace's network log and actions: header entries, header objects, HAR ``cookies`` lists) by
:func:`mask_cookies_json`. Each value reads as its fingerprint (``[redacted-1a2b3c]``), so a
reader can still tell one cookie from the next; an empty value (a cookie being deleted) and a
value already masked stay as they are. A ``Set-Cookie`` header keeps its attributes (``Path``,
``Max-Age``, ``HttpOnly``, ...).
"""

from __future__ import annotations

import re

from mock_idp.redaction import fingerprint, masked

__all__ = ["mask_cookie_header", "mask_cookie_lines", "mask_cookies_json"]

_JSON_STRING = r'(?:[^"\\]|\\.)*'
_NAME = r"(?i:set-cookie|cookie)"
_JSON_HEADER = re.compile(
    rf'(?:"name":\s*"(?P<entry>{_NAME})",\s*"value":\s*"|"(?P<member>{_NAME})":\s*")'
    rf'(?P<value>{_JSON_STRING})"')
"""A header in JSON: an entry (``{"name": "Cookie", "value": "…"}``) or a member
(``{"cookie": "…"}``)."""
_JSON_COOKIES = re.compile(rf'"cookies":\s*\[(?P<list>(?:[^\]"]|"{_JSON_STRING}")*)\]')
"""A HAR (or ``addCookies``) list of cookie objects, each with its ``value``."""
_JSON_VALUE = re.compile(rf'"value":\s*"(?P<value>{_JSON_STRING})"')
_TEXT_HEADER = re.compile(
    rf"(?<![\w-])(?P<name>{_NAME})(?P<sep>['\"]?[ \t]*[:,][ \t]*(?P<quote>b?['\"])?)"
    r"(?P<value>[^\r\n]*)")
"""A header in free text: ``Cookie: a=b; c=d`` as a line of a request, or ``'Set-Cookie':
'a=b; Path=/'`` (``("set-cookie", "a=b")``) as a printed dict (list) of headers."""
_MARKERS = ("ookie", "OOKIE")


def _hidden(value: str) -> bool:
    """Whether ``value`` has nothing to mask: empty (``""``, also escaped in JSON), or masked."""
    bare = value.replace("\\", "").replace('"', "").strip()
    return not bare or masked(bare)


def _pair(pair: str) -> str:
    """``name=value`` with its value masked."""
    name, equals, value = pair.partition("=")
    if not equals or _hidden(value):
        return pair
    return f"{name}={fingerprint(value.strip())}"


def mask_cookie_header(value: str, *, set_cookie: bool, lines: str = "\n") -> str:
    """A ``Cookie`` header's value with every cookie's value masked; a ``Set-Cookie`` header's
    (one cookie a line, ``lines`` apart, as Playwright joins them) with each cookie's value
    masked and its attributes kept."""
    if not set_cookie:
        return ";".join(_pair(pair) for pair in value.split(";"))
    out = []
    for line in value.split(lines):
        first, semicolon, attributes = line.partition(";")
        out.append(_pair(first) + semicolon + attributes)
    return lines.join(out)


def mask_cookies_json(text: str) -> str:
    """JSON text (whole or in lines) with the values of its ``Cookie`` and ``Set-Cookie``
    headers and of its lists of cookies masked."""
    if not any(marker in text for marker in _MARKERS):  # most of a trace: read once, fast
        return text

    def header(match: re.Match[str]) -> str:
        name = match["entry"] or match["member"]
        value = mask_cookie_header(match["value"], set_cookie=name.lower() == "set-cookie",
                                   lines="\\n")  # a line break, escaped in JSON
        start = match.start("value") - match.start()
        return f'{match.group(0)[:start]}{value}"'

    def listed(match: re.Match[str]) -> str:
        return _JSON_VALUE.sub(_masked_member, match.group(0))

    return _JSON_COOKIES.sub(listed, _JSON_HEADER.sub(header, text))


def _masked_member(match: re.Match[str]) -> str:
    value = match["value"]
    if _hidden(value):
        return match.group(0)
    start = match.start("value") - match.start()
    return f'{match.group(0)[:start]}{fingerprint(value)}"'


def mask_cookie_lines(text: str) -> str:
    """Free text with the values of the ``Cookie`` and ``Set-Cookie`` headers it shows masked,
    up to the header's closing quote or the end of its line."""
    if not any(marker in text for marker in _MARKERS):
        return text

    def header(match: re.Match[str]) -> str:
        value, rest = match["value"], ""
        if match["quote"]:
            end = value.find(match["quote"][-1])
            if end != -1:
                value, rest = value[:end], value[end:]
        shown = mask_cookie_header(value, set_cookie=match["name"].lower() == "set-cookie")
        return f"{match['name']}{match['sep']}{shown}{rest}"

    return _TEXT_HEADER.sub(header, text)
