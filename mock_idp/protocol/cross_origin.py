"""Token requests from a browser: Entra's rules for the ``Origin`` header, and for the codes and
refresh tokens of single-page apps (redirect URIs of the ``spa`` platform).

- A request with an ``Origin`` header is a cross-origin redemption. Entra allows one only for a
  code or refresh token issued to a single-page app, and answers anything else with
  AADSTS9002326, whatever the grant: client credentials too (scalar #7424), and a code sent to
  a web redirect URI by MSAL.js (ms-identity-javascript-angular-tutorial #37).
- A single-page app's code or refresh token is redeemed only cross-origin (AADSTS9002327:
  MSAL.js #2458, oauth2c #108, nuxt-auth #301), by a public client: a secret or an assertion
  gets AADSTS700025 (oauth2ms #19, where the fix was a web redirect URI instead), and a code
  only with PKCE (AADSTS9002325, ``entra-id.md`` §4.2).
- The checks come in that order, PKCE first. A server that sends its secret, without an
  ``Origin``, for a code asked for without ``code_challenge`` hears AADSTS9002325, not 700025
  or 9002327: PHP's oauth2-microsoft #26, nuxt-auth-utils #319, the Graph PHP sample
  (msgraph-sdk-php #1057) and MMM-MicrosoftToDo #27, all server apps with a secret and no
  PKCE. Servers on MSAL Python, which sends PKCE by default, hear AADSTS700025 instead
  (oauth2ms #19, ms-identity-python-webapp #113).
- A single-page app's refresh token lives 24 hours from its sign-in; each refreshed one keeps
  the first one's end (MSAL.js's ``token-lifetimes.md``: "a lifetime equal to the remaining
  lifetime of the original refresh token"), then AADSTS700084 (MSAL.js #6765).
- A cross-origin request gets CORS headers on its answer, errors included: MSAL.js reports the
  AADSTS9002326 body, which a browser hides from the page without them. Other token answers
  carry none (``entra-id.md`` §4.8). The value, ``*``, is the one recorded on Entra's discovery
  answers; no recording of a token answer's value was found, and a page's ``fetch`` without
  credentials (MSAL.js's) reads either ``*`` or its own origin. Nor was Entra's answer to a
  preflight found: the mock allows ``POST`` and the headers asked for, which MSAL.js never
  needs (its token requests are simple ones).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ..errors import EntraError
from .client_auth import ClientCredentials
from .users import grant_time

__all__ = ["ALLOW_ORIGIN", "MAX_ORIGIN", "SPA_REFRESH_LIFETIME", "allowed_origin", "check",
           "origin_of", "preflight_headers", "refresh_expired"]

SPA_REFRESH_LIFETIME = timedelta(hours=24)
MAX_ORIGIN = 256
"""An ``Origin`` longer than this is cut where an error message quotes it."""
MAX_REQUESTED_HEADERS = 1024
ALLOW_ORIGIN = "Access-Control-Allow-Origin"


def origin_of(header: str | None) -> str | None:
    """The request's origin: ``None`` for a request without one (a server's; a browser sends
    one with every ``POST``)."""
    return header or None


def check(origin: str | None, *, spa: bool, creds: ClientCredentials,
          pkce: bool | None = None) -> None:
    """Refuse what Entra refuses of a redemption. ``spa``: the code or refresh token was issued
    to a single-page app; ``pkce``: the code was asked for with a ``code_challenge`` (``None``
    for a refresh token)."""
    if origin is not None and not spa:
        raise EntraError(9002326, {"origin": origin[:MAX_ORIGIN]})
    if not spa:
        return
    if pkce is False:
        raise EntraError(9002325)
    if creds.secret or creds.assertion:
        raise EntraError(700025)
    if origin is None:
        raise EntraError(9002327)


def refresh_expired(issued_at: datetime) -> EntraError:
    """A single-page app's refresh token past its fixed end; Entra names the token's issue
    time with seven fractional digits (``2023-12-11T12:31:44.1947275Z``)."""
    return EntraError(700084, {"issued": grant_time(issued_at)})


def allowed_origin(origin: str | None) -> str | None:
    """A token answer's ``Access-Control-Allow-Origin``: ``*`` for a browser's request, none
    for any other."""
    return "*" if origin is not None else None


def preflight_headers(requested: str | None) -> dict[str, str]:
    """The answer to a browser's CORS preflight of a token request."""
    headers = {ALLOW_ORIGIN: "*",
               "Access-Control-Allow-Methods": "POST, OPTIONS"}
    if requested and len(requested) <= MAX_REQUESTED_HEADERS:
        headers["Access-Control-Allow-Headers"] = requested
    return headers
