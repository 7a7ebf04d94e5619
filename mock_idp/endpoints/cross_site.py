"""Telling a request that a page of another origin made, which the test-control API refuses.

A browser lets any page send a "simple" request anywhere without asking first: a form post, or
a ``fetch`` with ``mode: "no-cors"`` and no body, a form or a ``text/plain`` one. The page never
reads the answer, but the server acts on the request all the same, so without this check a page
of any site could reset the mock or rotate its keys. What a browser adds says where the request
came from: ``Origin`` on every request but ``GET`` and ``HEAD`` (the Fetch standard's "append a
request `Origin` header"), and the Fetch Metadata header ``Sec-Fetch-Site`` (``cross-site``,
``same-site``, ``same-origin`` or ``none`` for what the user typed or opened). HTTP clients
(curl, httpx, Starlette's test client, Playwright's ``APIRequestContext``) send neither and are
let through, as are the mock's own pages (its signed-out page reports each app's logout frame
loaded with a same-origin ``fetch``).
"""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import urlsplit

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""Methods that change nothing; the others are checked."""
TRUSTED_FETCH_SITES = frozenset({"same-origin", "none"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of an absolute http(s) URL as a browser's ``Origin`` spells it
    (lower case, the scheme's default port left out), or None for anything else (``null``, an
    opaque origin's)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    if ":" in host:  # IPv6: urlsplit took the brackets off
        host = f"[{host}]"
    return f"{scheme}://{host}" if port in (None, _DEFAULT_PORTS[scheme]) else \
        f"{scheme}://{host}:{port}"


def foreign_page(origin: str | None, fetch_site: str | None, own: Collection[str]) -> bool:
    """Whether a page of another origin sent the request: by its ``Origin`` when it has one
    (anything but one of ``own``, ``null`` included), else by ``Sec-Fetch-Site`` (anything but
    ``same-origin`` or ``none``). Without either header it is no browser page's."""
    if origin is not None:
        return origin_of(origin) not in own
    if fetch_site is None:
        return False
    return fetch_site.strip().lower() not in TRUSTED_FETCH_SITES
