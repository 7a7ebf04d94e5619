"""The by-name rule for free text: the value a sensitive name holds, found in the spellings apps
print a name and its value, masked as the mock's log masks it.

A name is tied to its value by ``=``, ``:`` or their URL encodings (``%3D``, ``%3A``; twice
encoded ``%253D``, inside a parameter that is itself URL-encoded), and each of them may be
quoted, in the quote as it is written once escaped: ``"``, ``'``, ``\\"`` (JSON inside a
string) and ``\\\\\\"`` (twice), ``\\u0022`` (JSON's or JavaScript's escape), ``&quot;``,
``&#34;``, ``&#x22;``, ``&apos;``, ``&#39;`` (HTML, as a page prints JSON), ``%22`` (URL-encoded
JSON). A name stands after a boundary: a character no name holds, a terminal's colour, or an
escape (``%26`` of ``state=…%26client_secret%3D…``, ``\\u0022``). A quoted value ends at its
closing quote, not at one escaped inside it; an unquoted one at a space, a quote, a separator
(``&``, ``%26``) or a colour.
"""

from __future__ import annotations

import re

from mock_idp.redaction import kind_of, looks_like_token, mask_jwt, mask_value

__all__ = ["COLOUR", "mask_named", "shown_by_name"]

COLOUR = r"\x1b\[[0-9;]*m"
"""A terminal's colour (SGR), as an app's output or a page quoting it carries one."""
_QUOTE = (r"\\{0,7}[\"']|\\u002[27]|&quot;|&apos;|&#0*3[49];|&#[xX]0*2[27];"
          r"|%2[27]|%252[27]")
"""A quote as written: as it is or backslash-escaped (once, twice), escaped in JSON, in HTML, or
URL-encoded (once, twice)."""
_BOUNDARY = (rf"(?:{COLOUR}){{1,4}}(?:{_QUOTE})?|(?<![A-Za-z0-9_])|(?<=%[0-9A-Fa-f]{{2}})"
             r"|(?<=%25[0-9A-Fa-f]{2})|(?<=\\u00[0-9A-Fa-f]{2})")
_SEPARATOR = r"=(?![=>])|:|%3[DdAa]|%253[DdAa]|\\u003[dD]"
_PAIR = re.compile(
    rf"(?:{_BOUNDARY})(?P<name>[A-Za-z][A-Za-z0-9_-]{{0,79}})(?:{_QUOTE})?(?:{COLOUR}){{0,4}}"
    rf"(?:[ \t]|%20)*(?:{_SEPARATOR})(?:[ \t]|%20)*(?:{COLOUR}[ \t]*){{0,4}}"
    rf"(?P<quote>{_QUOTE})?")
"""A name and what ties a value to it: ``name=``, ``name = '``, ``"name": "``, ``name: ``,
``\\"name\\": \\"``, ``&quot;name&quot;: &quot;``, ``\\u0022name\\u0022:\\u0022``,
``%26name%3D``, with the colours a terminal's output gives a name or a value (Node's
``util.inspect`` colours a value, ``clientSecret: \\x1b[32m'…'``, and a key it quotes,
``\\x1b[32m'client-secret'\\x1b[39m:``; pretty loggers colour every key,
``\\x1b[36mclient_secret\\x1b[39m:``): a colour is a boundary as a space is; not a comparison
(``code == 'x'``)."""
_UNQUOTED = re.compile(r"(?:(?!%26|%2526)[^\s\"'&#,;)}<>\\\x1b])+")
"""An unquoted value: up to a space, a quote, a separator or a terminal's colour (its reset)."""
_QUOTED_MAX = 4096


def mask_named(text: str) -> str:
    """``text`` with the value of each sensitive ``name=value`` (in any of :data:`_PAIR`'s
    forms, any case, ``snake_case`` or ``camelCase``) masked (:func:`shown_by_name`)."""
    out: list[str] = []
    pos = 0
    while (match := _PAIR.search(text, pos)) is not None:
        out.append(text[pos:match.end()])
        pos = match.end()
        name = match["name"]
        if kind_of(name) is None:
            continue
        value = _value_at(text, pos, match["quote"])
        out.append(shown_by_name(name, value))
        pos += len(value)
    out.append(text[pos:])
    return "".join(out)


def shown_by_name(name: str, value: str) -> str:
    """A secret's, a code's or a token's value as the mock's log shows it
    (:func:`~mock_idp.redaction.mask_value`). In free text a JWT's name (``id_token``) holds
    one only when its value looks like a token, as any other token's name does (``ADMIN_TOKEN``,
    ``csrfToken``): ``token: expired`` or ``id_token: missing`` stay as they are."""
    if kind_of(name) == "jwt":
        return mask_jwt(value) if looks_like_token(value) else value
    return mask_value(name, value)


def _value_at(text: str, start: int, quote: str | None) -> str:
    """The value that starts at ``start``: up to its closing ``quote`` on the same line, or
    unquoted."""
    if quote:
        end = _closing(text, start, quote)
        if end != -1 and "\n" not in text[start:end]:
            return text[start:end]
    unquoted = _UNQUOTED.match(text, start)
    return unquoted.group(0) if unquoted else ""


def _closing(text: str, start: int, quote: str) -> int:
    """Where the ``quote`` that closes a value starting at ``start`` stands, or -1. A quote
    written with ``n`` backslashes (JSON nested ``log2(n + 1)`` deep) closes where the
    backslashes before it number ``n`` modulo ``2(n + 1)``: with more, it is a quote escaped
    inside the value (``"a\\"b"``, ``\\"a\\\\\\"b\\"``), or follows an escaped backslash. A
    URL-encoded quote is escaped by a URL-encoded backslash (``%22a%5C%22b%22``)."""
    core = quote.lstrip("\\") if quote[-1] in "\"'" else quote
    escapes = len(quote) - len(core)
    backslash = _BACKSLASHES.get(core[:-2].upper(), "\\")
    pos, limit = start, start + _QUOTED_MAX
    while (end := text.find(core, pos, limit)) != -1:
        before, count = end, 0
        while (before - len(backslash) >= start
               and text[before - len(backslash):before].upper() == backslash):
            before, count = before - len(backslash), count + 1
        if core.startswith("\\u") or count % (2 * (escapes + 1)) == escapes:
            return end - escapes
        pos = end + 1
    return -1


_BACKSLASHES = {"%": "%5C", "%25": "%255C"}
"""A backslash as a URL-encoded quote (``%22``, ``%2522``: what precedes its last two hex
digits) writes it."""
