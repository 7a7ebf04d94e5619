"""What an app registration may hold, as Entra's application model checks it: redirect and other
URLs, identifier URIs and app role values.

Each ``*_problem`` function returns why a value is refused (the words that follow its field's
name, e.g. ``"is longer than 256 characters"``) or ``None``, so ``idp.toml``
(:mod:`mock_idp.config`) and Graph (:mod:`mock_idp.endpoints.graph_model`) refuse the same
values, each in its own error shape.

Sources: learn.microsoft.com/entra/identity-platform/reply-url ("Redirect URI (reply URL)
restrictions": https, http only for localhost, at most 256 characters, at most 256 URIs for
work-or-school audiences and 100 with personal accounts, no wildcards for personal-account
audiences, the IPv6 loopback ``[::1]`` not supported) and learn.microsoft.com/graph/api/
resources/approle (``value``: at most 120 characters, no spaces, not starting with ``.``).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence

from .protocol import redirect
from .protocol.urls import UrlError, is_url, split_url

MAX_URI = 256
"""Characters in a redirect URI (reply-url page, "Maximum URI length"); Graph takes no longer
logout URL or identifier URI either."""
MAX_REDIRECT_URIS = 256
"""Redirect URIs of an app that signs in work or school accounts only (reply-url page); one
that also signs in personal accounts takes :data:`redirect.PERSONAL_ACCOUNT_MAX_URIS`."""
MAX_APP_ROLE_VALUE = 120
_ROLE_VALUE = re.compile(r"[!#-\[\]-~]+")
"""appRole ``value``: printable ASCII but space, ``"`` and ``\\`` (Graph's appRole reference
lists the characters allowed)."""


def web_url_problem(value: str) -> str | None:
    """A URL Entra sends a browser or a request to (a redirect, logout or notification URL):
    absolute http(s), at most :data:`MAX_URI` characters, no wildcard, no fragment."""
    if len(value) > MAX_URI:
        return f"is longer than {MAX_URI} characters"
    try:
        split_url(value)
    except UrlError as exc:
        return str(exc)
    if "*" in value:
        # Entra takes a wildcard only from the manifest editor of a work-or-school app, and
        # matches redirect URIs exactly otherwise; the mock matches exactly, as Graph does.
        return "must not contain a wildcard (*)"
    if "#" in value:  # RFC 6749 section 3.1.2: the endpoint URI must not include a fragment
        return "must not contain a fragment (#)"
    return None


def redirect_uri_problem(value: str) -> str | None:
    """:func:`web_url_problem`, and not the IPv6 loopback address, which Entra's redirect URI
    restrictions say is not supported (``127.0.0.1`` or ``localhost`` is)."""
    problem = web_url_problem(value)
    if problem is not None:
        return problem
    host = split_url(value).hostname or ""
    if ":" not in host:
        return None
    try:
        loopback = ipaddress.ip_address(host.partition("%")[0]).is_loopback
    except ValueError:  # a bracketed host that is no IPv6 address (RFC 3986's IPvFuture)
        return "has a host in brackets that is not an IPv6 address"
    if loopback:
        return "uses the IPv6 loopback address [::1], which Entra does not support; use 127.0.0.1"
    return None


def redirect_count_problem(web: Sequence[str], spa: Sequence[str]) -> str | None:
    """At most :data:`MAX_REDIRECT_URIS` redirect URIs, web and SPA ones together (an app that
    signs in personal accounts: fewer, see :func:`redirect_list_problem`)."""
    if len(web) + len(spa) > MAX_REDIRECT_URIS:
        return f"at most {MAX_REDIRECT_URIS} redirect URIs in an app (web and spa together)"
    return None


def redirect_list_problem(web: Sequence[str], spa: Sequence[str], audience: str
                          ) -> tuple[str, int | None, str] | None:
    """:func:`mock_idp.protocol.redirect.registration_problem` (characters, and the limits of
    apps that sign in personal accounts), then :func:`redirect_count_problem`, as
    ``(list, index, why)``."""
    problem = redirect.registration_problem(web, spa, audience)
    count = redirect_count_problem(web, spa)
    return problem or (None if count is None else ("web", None, count))


def identifier_uri_problem(value: str) -> str | None:
    """An Application ID URI: an absolute URI such as ``api://<appId>``."""
    if len(value) > MAX_URI:
        return f"is longer than {MAX_URI} characters"
    if not is_url(value, schemes=None):
        return "must be an absolute URI such as api://<appId>"
    return None


def identifier_uri_key(value: str) -> str:
    """The form in which two identifier URIs are the same one: a scope or resource names an
    app by it in any case, with or without a trailing ``/``
    (:mod:`mock_idp.protocol.resources`)."""
    return value.rstrip("/").lower()


def app_role_value_problem(value: str) -> str | None:
    """An app role's ``value`` (the ``roles`` claim), per Graph's appRole reference."""
    if len(value) > MAX_APP_ROLE_VALUE:
        return f"is longer than {MAX_APP_ROLE_VALUE} characters"
    if any(c.isspace() for c in value):
        return "must not contain spaces"
    if not _ROLE_VALUE.fullmatch(value):
        return "may hold only A-Z, a-z, 0-9 and the symbols Graph allows (no \" or \\)"
    if value.startswith("."):
        return "must not start with ."
    return None
