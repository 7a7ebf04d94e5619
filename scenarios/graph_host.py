"""Graph's own host in what an app printed or showed: an app that calls
``https://graph.microsoft.com`` itself (a tutorial's ``OAuth2Session.get``, a library's photo
fetch) fails every sign-in against the mock, which answers Graph at ``{graph_url}``;
:func:`graph_host_note` says so at the end of a failure message's first line
(:mod:`scenarios.refusals`)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from scenarios.protocol_view.names import provider_step_name

GRAPH_HOST_START = "; the app's output or page names graph.microsoft.com"
"""How :func:`graph_host_note` begins; the console shows it on a line of its own too."""

_GRAPH_HOST = re.compile(r"graph\.microsoft\.com(?!(?:/|%2F)(?:\.default|[A-Z]\w*\.[A-Z]\w*))",
                         re.IGNORECASE)
"""Graph's own host, not as the prefix of a scope: a permission (``User.Read``,
``Mail.ReadWrite.Shared``) or ``.default``."""

_BETTER_AUTH_ENTRA = re.compile(r"better-auth\S*/microsoft-entra-id\.m?js")
"""better-auth's ``microsoft`` social provider in a stack trace: 1.7's ``getUserInfo`` fetches
``https://graph.microsoft.com/v1.0/me/photos/…`` unless ``disableProfilePhoto`` is set, and
offers no other host for it (@better-auth/core, ``social-providers/microsoft-entra-id``)."""


def graph_host_note(entries: Iterable[Mapping[str, Any]], output: str) -> str:
    """Why an app that reads the person from Microsoft Graph may fail every sign-in: ``"; the
    app's output or page names graph.microsoft.com ..."`` when ``output`` (what it printed
    last, or the page it showed) names Graph's own host and it asked the mock's Graph nothing
    in ``entries``, else ``""``. A tutorial's app (requests-oauthlib's
    ``OAuth2Session.get("https://graph.microsoft.com/v1.0/me")``, Auth.js's photo fetch)
    writes the host itself; the mock answers Graph at ``{graph_url}``. A Graph scope
    (``https://graph.microsoft.com/User.Read``, ``…/.default``, URL-encoded or not, which an app
    asks the mock for as it asks Entra: learn.microsoft.com/entra/identity-platform/
    scopes-oidc) names no call to that host and is left out."""
    if not _GRAPH_HOST.search(output) or any(
            not entry.get("caller") and provider_step_name(
                str(entry.get("path", "")), str(entry.get("method", ""))) == "graph"
            for entry in entries):
        return ""
    fix = ("hand the app {graph_url} in [app.env] and have it call Microsoft Graph there"
           if not _BETTER_AUTH_ENTRA.search(output) else
           "set better-auth's disableProfilePhoto: true (its microsoft provider fetches the "
           "person's photo there and takes no other host for it; or a getUserInfo of your own)")
    return (f"{GRAPH_HOST_START}, Microsoft Graph's own host, which the mock does not answer "
            f"(nor may this machine reach it): {fix}")
