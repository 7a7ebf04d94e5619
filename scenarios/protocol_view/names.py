"""What a request is, from where it went: the names the diagram gives its steps.

Pure: paths, methods and parameters in, a short name out (``authorize``, ``sign-in``,
``callback``, ``token``...). The provider's paths are Entra's (tenant-scoped v1 and v2); an app's
are recognised by what they carry (a code or an error with a state is a callback).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlsplit

__all__ = ["app_step_name", "is_authorize", "origin", "provider_step_name", "query_pairs",
           "short_url"]

_PROVIDER: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"/oauth2/(v2\.0/)?authorize$"), "authorize"),
    (re.compile(r"/oauth2/(v2\.0/)?token$"), "token"),
    (re.compile(r"/oauth2/(v2\.0/)?devicecode$"), "device code"),
    (re.compile(r"/oauth2/(v2\.0/)?logout$"), "logout"),
    (re.compile(r"/discovery/(v2\.0/)?keys$"), "keys"),
    (re.compile(r"/\.well-known/openid-configuration$"), "discovery"),
    # MSAL's first call, before the tenant's discovery document; an authority Entra does not
    # know ends there (AADSTS50049). Microsoft's MSAL.NET docs, "Custom authority aliases":
    # learn.microsoft.com/entra/msal/dotnet/advanced/custom-authority-aliases
    (re.compile(r"/discovery/instance$"), "instance discovery"),
    (re.compile(r"/\.well-known/platform-event-keys\.json$"), "event keys"),
    (re.compile(r"userinfo$"), "userinfo"),
    # Graph's tenant-less root is answered at /v1.0 on the provider's host too, where a client
    # resolving /v1.0/me against {graph_url} asks (mock_idp.endpoints.graph_root).
    (re.compile(r"^/(graph/|v1\.0(/|$))"), "graph"),
    (re.compile(r"/login$"), "sign-in"),
    (re.compile(r"/GetCredentialType$"), "username lookup"),
    (re.compile(r"/kmsi$"), "stay signed in?"),
    (re.compile(r"/Consent/Set$"), "consent"),
    (re.compile(r"/passwordreset$"), "password reset"),
    (re.compile(r"/devicelogin$"), "device sign-in"),
)
BROWSER_NAMES = frozenset({"authorize", "sign-in", "username lookup", "stay signed in?",
                           "consent", "password reset", "logout", "device sign-in"})
"""Provider steps a browser makes; the others are the app's back-channel calls."""


def origin(url: str | None) -> str | None:
    """``scheme://host:port`` of ``url`` (``None`` for none), lower-cased."""
    if not url:
        return None
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def query_pairs(query: str) -> list[tuple[str, str]]:
    return parse_qsl(query, keep_blank_values=True)


def provider_step_name(path: str, method: str, form: Mapping[str, str] | None = None) -> str:
    for pattern, name in _PROVIDER:
        if pattern.search(path):
            return name
    if form and any(k in form for k in ("passwd", "password", "login")):
        return "sign-in"
    return "provider page" if method == "GET" else "provider call"


def is_authorize(url: str) -> bool:
    """Whether ``url`` (a path, a URL or a step's short URL) is a v1 or v2 authorize endpoint's,
    whatever a browser-only diagram named the request (``page``, ``redirect``)."""
    return provider_step_name(urlsplit(url).path, "GET") == "authorize"


APP_REDIRECTS = {"authorize": "sign-in start", "logout": "sign-out start"}
"""An app's redirect to the provider, named by the provider's endpoint it sends the browser to
(another one's is a plain ``redirect``)."""


def app_step_name(path: str, params: Mapping[str, str], status: int | None,
                  location: str | None, provider_origin: str | None) -> str:
    """What an app's answer to the browser is: a callback (it carries the provider's answer),
    the start of a sign-in or a sign-out (a redirect to the provider's authorize or logout
    endpoint, ``location``), another redirect, or a page."""
    if ("code" in params or "error" in params or "id_token" in params) and (
            "state" in params or "callback" in path):
        return "callback"
    if status is not None and 300 <= status < 400 and provider_origin is not None \
            and location is not None and origin(location) == provider_origin:
        return _app_redirect(location)
    if status is not None and 300 <= status < 400:
        return "redirect"
    return "page"


def _app_redirect(location: str) -> str:
    """An app's redirect to its provider, by the endpoint (Entra's paths) or, for a provider with
    paths of its own, by what it carries: an authorization request's ``response_type``, a
    logout request's ``post_logout_redirect_uri``, ``id_token_hint`` or ``logout_hint``."""
    parts = urlsplit(location)
    named = APP_REDIRECTS.get(provider_step_name(parts.path, "GET"))
    if named is not None:
        return named
    carried = {key for key, _ in query_pairs(parts.query)}
    if "response_type" in carried:
        return "sign-in start"
    if carried & {"post_logout_redirect_uri", "id_token_hint", "logout_hint"}:
        return "sign-out start"
    return "redirect"


def short_url(url: str, *, provider_origin: str | None, app_origin: str | None) -> str:
    """``app /path`` or ``provider /path`` (or the URL without its query, for other sites)."""
    parts = urlsplit(url)
    where = origin(url)
    if where is not None and where == provider_origin:
        return f"provider {parts.path or '/'}"
    if where is not None and (where == app_origin or app_origin is None):
        return f"app {parts.path or '/'}"
    return f"{where or ''}{parts.path}"
