"""``{name}`` templates in app profiles: which names exist where, checking and filling them.

A profile's strings may name values the harness knows only at run time: where the app and the
mock provider listen, the client id and secret it registered, values a configure call returned.
``{{`` and ``}}`` stand for literal braces.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from urllib.parse import quote

__all__ = [
    "APP_VARIABLES",
    "PROVIDER_VARIABLES",
    "TemplateError",
    "check_template",
    "placeholders",
    "render",
]

APP_VARIABLES: Mapping[str, str] = {
    "base_url": "the app's base URL (no trailing slash)",
    "port": "the app's port",
    "workdir": "a fresh directory the app may write to (deleted afterwards)",
    "python": "the Python interpreter running the harness (its packages are the app's too)",
    "admin_token": "a random secret made for this run: give it to the app and use it in "
                   "configure calls to authenticate them",
}

PROVIDER_VARIABLES: Mapping[str, str] = {
    "idp_url": "the mock provider's base URL, e.g. http://localhost:PORT",
    "authority": "{idp_url}/{tenant_id}: what MSAL calls the authority",
    "issuer": "the v2.0 issuer, {authority}/v2.0",
    "discovery_url": "{issuer}/.well-known/openid-configuration",
    "authorize_url": "the v2.0 authorization endpoint",
    "token_url": "the v2.0 token endpoint",
    "jwks_url": "the v2.0 key set",
    "end_session_url": "the v2.0 end-session (logout) endpoint",
    "graph_url": "Microsoft Graph's base URL, to which an app appends /v1.0/…: the mock's "
                 "Graph-shaped API, {idp_url}/graph, which answers a user's token of any "
                 "organization for that organization, as Graph does (with run --idp, the "
                 "provider's Graph, https://graph.microsoft.com on Entra's public cloud)",
    "tenant_id": "the tenant's id (a GUID)",
    "client_id": "the application (client) id registered for the app",
    "client_secret": "a client secret made for this run (in renew calls: the new one)",
    "client_auth_method": "how the app should send its secret to the token endpoint: post "
                          "(client_secret_post) or basic (client_secret_basic); the mock takes "
                          "either",
    "secret_expires_on": "the secret's end date, YYYY-MM-DD (in renew calls: the new one's)",
    "redirect_uri": "the first of [provider] redirect_uris",
    "post_logout_redirect_uri": "[provider] post_logout_redirect_uri, or empty",
    "ca_file": "the PEM file of the CA the mock's https certificate chains to; empty under "
               "http",
    "event_keys_url": "the platform's event-signing key set (partner apps verify events "
                      "with it)",
    "support_contact": "[failure] contact",
}


class TemplateError(ValueError):
    """A template names a value that does not exist, or is malformed."""


def placeholders(template: str) -> list[str]:
    """The names a template uses; raises :class:`TemplateError` when it is malformed."""
    names: list[str] = []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise TemplateError(f"malformed template ({exc}); write {{{{ and }}}} for braces"
                            ) from None
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name or spec or conversion or not name.replace("_", "").isalnum():
            raise TemplateError(f"{{{name}{'!' + conversion if conversion else ''}"
                                f"{':' + spec if spec else ''}}} is not a plain {{name}}")
        names.append(name)
    return names


def check_template(template: str, allowed: Iterable[str]) -> str | None:
    """``None`` when every name is allowed, else what is wrong (for a profile problem)."""
    known = set(allowed)
    try:
        used = placeholders(template)
    except TemplateError as exc:
        return str(exc)
    unknown = [n for n in used if n not in known]
    if unknown:
        return (f"unknown placeholder {', '.join('{' + n + '}' for n in unknown)} "
                f"(known here: {', '.join(sorted(known))})")
    return None


def render(template: str, values: Mapping[str, str], *, url_encode: Iterable[str] = ()) -> str:
    """Fill a template; names in ``url_encode`` are percent-encoded (query values)."""
    encoded = set(url_encode)
    filled = {name: quote(values[name], safe="") if name in encoded else values[name]
              for name in placeholders(template) if name in values}
    missing = [n for n in placeholders(template) if n not in values]
    if missing:
        raise TemplateError(f"no value for {', '.join('{' + n + '}' for n in missing)} in "
                            f"{template!r}")
    return template.format_map(filled)
