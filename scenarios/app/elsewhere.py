"""What to say of an app that sent the browser to a server that is neither its own nor the mock
provider's: one wording for a run's navigation (:mod:`scenarios.goto`), ``app check`` and the
conformance preflight.

A host on another machine (Entra's ``login.microsoftonline.com``) means the app is pointed at
another provider. A loopback address (``localhost`` and names under it, 127.0.0.0/8, ``::1``:
:func:`~mock_idp.endpoints.browser_sessions.is_loopback`) is no other provider but a setting
left from the app's own set-up: a stale base URL or port (``http://localhost:5000/callback``),
or the mock's address from another run when the target is an authorization endpoint.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from mock_idp.endpoints.browser_sessions import is_loopback

__all__ = ["HANDED_OWN_URL", "OTHER_PROVIDER", "bare", "local_address", "on_this_machine"]

HANDED_OWN_URL = ("hand the app its own URL: {base_url} or {port}, and {redirect_uri}, in "
                  "[app.env] or its command")
"""The profile's placeholders that give an app the harness starts its own URL (README's
template names)."""

OTHER_PROVIDER = ("the app is pointed at another provider (check which settings it reads: "
                  "[app.env], [[configure]]; a library that writes Entra's hosts itself, as "
                  "fastapi-sso's MicrosoftSSO and arctic's MicrosoftEntraId do, must be handed "
                  "the mock's endpoints where it lets an app override them)")
"""Why an app sent the browser to another machine's host (Entra's own): a run's navigation and
``app check`` say it alike, since a library with Entra's host written in (arctic 3's
``MicrosoftEntraId``) has no setting to check."""

_HANDED_PROVIDER = ("hand the app the mock's: {authority}, or {issuer} or {discovery_url}, in "
                    "[app.env] or its command")

_AUTHORIZE_PATHS = ("/oauth2/v2.0/authorize", "/oauth2/authorize")
"""Entra's authorization endpoints (v2.0 and v1), as the mock serves them: an app's own route
named ``/authorize`` (a sign-in start) on a stale address is its base URL's setting."""


def on_this_machine(url: str) -> bool:
    """Whether ``url``'s host is a loopback name or address."""
    return is_loopback(urlsplit(url).hostname)


def bare(url: str) -> str:
    """``url`` without its query and fragment (which may carry codes and tokens)."""
    return urlsplit(url)._replace(query="", fragment="").geturl()


def local_address(target: str, *, app: str, provider: str, hint: str | None = HANDED_OWN_URL,
                  mock: str = "the mock provider") -> str:
    """Why the app's redirect to ``target``, a loopback address that is neither the app at
    ``app`` nor ``mock`` at ``provider``, is a setting of the app's: its own URL (a base URL
    or port setting), or, for an authorization endpoint (Entra's ``…/oauth2/v2.0/authorize``
    and ``…/oauth2/authorize``), the provider's. ``hint`` names where the app gets its own URL
    (``None``: an app the harness did not start, told to be given ``app``)."""
    if urlsplit(target).path.rstrip("/").endswith(_AUTHORIZE_PATHS):
        fix = _HANDED_PROVIDER if hint else f"give it this mock's authority, {provider}/<tenant>"
        setting = ("an authority, issuer or discovery URL setting of the app is not where the "
                   f"mock provider runs ({fix})")
    elif hint:
        setting = ("a base URL or port setting of the app is not where the harness serves it "
                   f"({hint})")
    else:
        setting = f"a base URL or port setting of the app is not where it runs (give it {app})"
    return f"a local address that is neither the app at {app} nor {mock} at {provider}: {setting}"
