"""What a front-channel logout request (``GET /auth/frontchannel-logout…``) may name before
anything of it is kept.

Anyone can send one (the provider loads the URL in an iframe, unsigned), and a logout is
remembered for twice the login timeout so that a sign-in waiting on the provider makes no
session (:mod:`relying_party.in_flight`). So a ``sid`` or an ``iss`` no provider sends ends
nothing and is kept nowhere; otherwise every anonymous request would store as much as its URL
can carry. A ``sid`` has the syntax of an OAuth client identifier (OIDC Front-Channel Logout
1.0 §3, "sid": RFC 6749's VSCHAR, printable ASCII); this app takes up to
:data:`MAX_SID_CHARS` of them, without surrounding spaces. An ``iss`` is a URL: at most
:data:`~relying_party.inputs.MAX_URL_LENGTH` characters, none a URL may not hold.
"""

from __future__ import annotations

import re

from .inputs import MAX_URL_LENGTH, url_text_problem

MAX_SID_CHARS = 256
"""The longest ``sid`` a front-channel logout may name (Entra ID's is a GUID)."""
_SID = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?")


def frontchannel_problem(sid: str | None, iss: str | None) -> str | None:
    """Why a front-channel logout naming ``sid`` and ``iss`` (None: not given) is refused,
    or None when it may end sessions (and be remembered)."""
    if sid and (len(sid) > MAX_SID_CHARS or not _SID.fullmatch(sid)):
        return (f"sid: must be 1 to {MAX_SID_CHARS} printable ASCII characters, not starting "
                f"or ending with a space ({len(sid)} characters given)")
    if iss is not None:
        if len(iss) > MAX_URL_LENGTH:
            return f"iss: must be at most {MAX_URL_LENGTH} characters ({len(iss)} given)"
        if problem := url_text_problem(iss):
            return f"iss: {problem}"
    return None
