"""The authorization response as the redirect endpoint reads it (RFC 6749 §4.1.2): RFC 9207
``iss`` (oidc-rp-checks.md §2.8)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from .login_errors import ResponseIssuerMismatch
from .oidc.discovery import TENANT_PLACEHOLDER, ProviderMetadata

_GUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


def check_response_issuer(params: Mapping[str, str], metadata: ProviderMetadata) -> None:
    """RFC 9207 §2.4 (oidc-rp-checks.md §2.8), for error responses too: a provider that
    advertises ``authorization_response_iss_parameter_supported`` must send ``iss``, naming the
    expected issuer; one that does not may not send it (such a response SHOULD be discarded).
    Entra ID neither advertises nor sends it, and the ID token's ``iss`` is no mix-up defence
    there: in a mix-up the code is redeemed at the wrong token endpoint before any ID token is
    seen, and that endpoint's provider keeps it. The defence is the connection's own redirect
    URI, checked before the code is redeemed
    (:func:`relying_party.redirect_uris.check_redirect_uri`, RFC 9700 §4.4.2)."""
    iss = params.get("iss")
    supported = metadata.authorization_response_iss_parameter_supported
    if iss is None:
        if supported:
            raise ResponseIssuerMismatch(
                "no iss in the response, though the provider's discovery document advertises "
                "authorization_response_iss_parameter_supported")
        return
    if not supported:
        raise ResponseIssuerMismatch(
            f"iss {iss!r} in the response, though the provider's discovery document does not "
            "advertise authorization_response_iss_parameter_supported")
    expected = metadata.issuer
    if TENANT_PLACEHOLDER in expected:
        pattern = re.escape(expected).replace(re.escape(TENANT_PLACEHOLDER), _GUID)
        if re.fullmatch(pattern, iss):
            return
    elif iss == expected:
        return
    raise ResponseIssuerMismatch(f"iss {iss!r} != {expected!r}")
