"""The identity space of an issuer: what users and sessions are keyed by, together with ``sub``.

Entra ID names one tenant's issuer in two ways: ``https://sts.windows.net/{tid}/`` on its v1.0
endpoints and ``https://login.microsoftonline.com/{tid}/v2.0`` on v2.0, while ``sub`` (pairwise
per app), ``oid`` and ``tid`` stay the same for a user of one app. A connection moved from one
set of endpoints to the other must keep its users, so both spellings share the key
``entra:{tid}``. Every other issuer is its own key (OpenID Connect Core 1.0 §2: ``sub`` is
unique only within its issuer).

https://learn.microsoft.com/entra/identity-platform/id-token-claims-reference
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from .discovery import ENTRA_V1_ISSUER_HOST

__all__ = [
    "ENTRA_KEY_PREFIX",
    "entra_tenant",
    "issuer_key",
    "spelt_issuer_key",
    "stored_issuer_key",
]

ENTRA_KEY_PREFIX = "entra:"
_GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_V1_PATH = re.compile(rf"/(?P<tid>{_GUID})/")
_V2_PATH = re.compile(rf"/(?P<tid>{_GUID})/v2\.0")


def entra_tenant(issuer: str) -> str | None:
    """The tenant (a GUID, in lower case) an Entra issuer names: v1
    ``https://sts.windows.net/{tid}/`` or v2 ``https://{host}/{tid}/v2.0``, nothing before or
    after. ``None`` for any other issuer."""
    try:
        parts = urlsplit(issuer)
        port = parts.port
    except ValueError:
        return None
    if (parts.scheme != "https" or not parts.hostname or parts.username is not None
            or parts.password is not None or parts.query or parts.fragment
            or "?" in issuer or "#" in issuer):
        return None
    if parts.hostname == ENTRA_V1_ISSUER_HOST and port is None:
        match = _V1_PATH.fullmatch(parts.path)
    else:
        match = _V2_PATH.fullmatch(parts.path)
    return match["tid"].lower() if match else None


def issuer_key(issuer: str, *, tid: str | None) -> str:
    """The key of a validated token's issuer: ``entra:{tid}`` for an Entra issuer whose tenant
    is the token's ``tid`` claim, the issuer itself otherwise (no ``tid``, or another one)."""
    tenant = entra_tenant(issuer)
    if tenant is None or tid is None or tid.lower() != tenant:
        return issuer
    return f"{ENTRA_KEY_PREFIX}{tenant}"


def spelt_issuer_key(issuer: str) -> str:
    """The key of an issuer known by its spelling alone (the ``iss`` of a front-channel logout
    request, of a logout token without ``tid``): the tenant is the one the issuer names."""
    return issuer_key(issuer, tid=entra_tenant(issuer))


def stored_issuer_key(stored: str) -> str:
    """The key of an issuer as stored: a key ``entra:{tid}`` as it is, a literal issuer (kept
    before keys existed, or on a session) by its spelling."""
    return stored if stored.startswith(ENTRA_KEY_PREFIX) else spelt_issuer_key(stored)
