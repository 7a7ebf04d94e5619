"""What of a URL's query a failure message shows: nothing but ``?…`` (a query may carry a code
or a token), except the failure an OmniAuth app names in it.

OmniAuth (Ruby: Rails, Sinatra, GitLab) ends a failed sign-in by redirecting to its failure
path with ``message=<key>&origin=…&strategy=<name>`` (``OmniAuth::FailureEndpoint``'s
``redirect_to_failure``; the key is a symbol such as ``csrf_detected``, ``invalid_credentials``
or the provider's ``error``, e.g. ``invalid_request``). The page an app shows there rarely says
more than "Sign-in failed", so the key is the one actionable word: it is kept, with the
strategy's name, when both are plain keys."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit

__all__ = ["query_shown"]

_KEY = re.compile(r"[A-Za-z0-9_.-]{1,60}")
_OMNIAUTH = ("message", "strategy")


def query_shown(url: str) -> str:
    """``""`` for a URL without a query, ``?message=invalid_request&strategy=…&…`` for
    OmniAuth's failure redirect (``&…`` when more was in it), else ``?…``."""
    query = urlsplit(url).query
    if not query:
        return ""
    params = dict(parse_qsl(query, keep_blank_values=True))
    kept = [(key, params[key]) for key in _OMNIAUTH if key in params]
    if len(kept) < len(_OMNIAUTH) or not all(_KEY.fullmatch(value) for _, value in kept):
        return "?…"
    return f"?{urlencode(kept)}" + ("&…" if len(params) > len(kept) else "")
