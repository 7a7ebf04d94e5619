"""Where the app took its ID token from, for the scenarios about its signature.

OpenID Connect Core 1.0 §3.1.3.7 (6): an ID token the client receives straight from the token
endpoint over TLS may be trusted on TLS server validation instead of its signature (MSAL's
way). Over plain http nothing else vouches for the token, and an ID token that comes through
the browser (implicit, hybrid, ``form_post`` of an ``id_token``) must have its signature
checked. ``conformance`` judges its signature and key rows so
(:mod:`scenarios.conformance.judging`); ``failure.bad-signature`` and ``lifecycle.key-rotation``
say "not exercised" for such an app with the reason this module gives, where they would
otherwise fail it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from scenarios.catalogue.failures import response_types_asked
from scenarios.conformance.judging import front_channel_id_token
from scenarios.live import LiveStack
from scenarios.protocol_view.names import provider_step_name

__all__ = ["from_token_endpoint_over_tls"]


def from_token_endpoint_over_tls(stack: LiveStack) -> str | None:
    """Why the app may rely on TLS instead of its ID token's signature, when it took its ID
    token straight from the provider's token endpoint over https: every authorize request it
    sent asked for no ID token through the browser, and it called the token endpoint; ``None``
    otherwise (a provider on plain http, an ID token through the browser, or no authorize
    request or token request in the provider's log)."""
    if urlsplit(stack.idp.base_url).scheme != "https":
        return None
    asked = response_types_asked(stack)
    if not asked or any(front_channel_id_token(kind) for kind in asked):
        return None
    requests = stack.provider_requests()
    if not any(entry.get("method") == "POST" and provider_step_name(
            str(entry.get("path", "")), "POST") == "token" for entry in requests):
        return None
    flows = " or ".join(f"response_type={kind}" for kind in sorted(asked))
    return (f"it took the ID token straight from the provider's token endpoint over TLS "
            f"({flows}), where the client MAY rely on TLS server validation instead of the "
            "signature (OpenID Connect Core 3.1.3.7 (6); over plain http, or for an ID token "
            "that comes through the browser, it must check it)")
