"""Known values inside base64 that is not an ``Authorization`` header's: an unsigned JWT's claims,
a cookie or a ``state`` that base64-encodes JSON.

Express's ``cookie-session`` writes its session as base64 JSON
(https://github.com/expressjs/cookie-session), Flask's session cookie as base64url JSON
(``itsdangerous``, https://itsdangerous.palletsprojects.com/: the payload, then a timestamp and
a signature after dots; compressed first when that is shorter, and then there is nothing to
read), some apps their ``state`` as base64 JSON; an encrypted cookie (Auth.js's JWE, ASP.NET
Core's data protection) holds nothing to find. Such a value is read where it stands, as its
own run of base64 characters after a boundary (``=``, a quote, a dot, or an escaped one whose
hex digits are base64 characters too: ``state%3D…`` in a URL-encoded parameter, ``%253D`` in
one encoded twice, ``\\u003d`` in JSON): a run is decoded, and when the text it holds is UTF-8
with a known value in it, the whole run is replaced by what that value is shown as. A run
longer than :data:`MAX_RUN` (a picture's ``data:`` URI, a font) is not decoded: cookies are at
most 4 KB, and the cost of a trace stays that of one more plain search.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable

__all__ = ["MAX_RUN", "mask_in_base64"]

MAX_RUN = 65_536
"""The longest run of base64 characters decoded and looked into."""
_RUN = re.compile(r"(?P<escape>(?<=%)(?:25)?[0-9A-Fa-f]{2}|(?<=\\)u00[0-9A-Fa-f]{2})?"
                  r"(?P<run>[A-Za-z0-9+/_-]{8,}={0,2})")
"""A run of base64 (standard or URL-safe) characters and its padding, after the rest of an
escape (``%3D``, ``%253D``, ``\\u003d``) whose characters are base64 ones too."""
_URL_SAFE = str.maketrans("-_", "+/")


def mask_in_base64(text: str, shown: Callable[[str], str | None]) -> str:
    """``text`` with each run of base64 characters (at most :data:`MAX_RUN` long) replaced whole
    by what ``shown`` gives for the text it decodes to: a known value's mask when that text holds
    one, ``None`` to keep the run as it is."""
    out: list[str] = []
    copied = 0
    for run in _RUN.finditer(text):
        if len(run.group(0)) > MAX_RUN:
            continue
        # after an escape's hex digits first, then with them
        for start in dict.fromkeys((run.start("run"), run.start())):
            decoded = _decoded(text[start:run.end()])
            if decoded is not None and (mask := shown(decoded)) is not None:
                out += [text[copied:start], mask]
                copied = run.end()
                break
    out.append(text[copied:])
    return "".join(out)


def _decoded(run: str) -> str | None:
    """The UTF-8 text ``run`` (base64, either alphabet, padded or not) decodes to; ``None``
    when it is no such text (a word, a hex id, a compressed or encrypted value). A run without
    a capital letter is a name or a hex id, not read: base64 of text has some."""
    run = run.rstrip("=")
    if len(run) % 4 == 1 or run.islower():
        return None
    data = run.translate(_URL_SAFE) + "=" * (-len(run) % 4)
    try:
        return base64.b64decode(data, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
