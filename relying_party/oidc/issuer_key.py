"""The identity space of an issuer: what users and sessions are keyed by, together with ``sub``.

Entra ID names one tenant's issuer in two ways: ``https://sts.windows.net/{tid}/`` on its v1.0
endpoints and ``https://login.microsoftonline.com/{tid}/v2.0`` on v2.0, while ``sub`` (pairwise
per app), ``oid`` and ``tid`` stay the same for a user of one app. A connection moved from one
set of endpoints to the other must keep its users, so both spellings share the key
``entra:{tid}``. Every other issuer is its own key (OpenID Connect Core 1.0 §2: ``sub`` is
unique only within its issuer).

Neither spelling proves who issued the token: the v1 issuer names ``sts.windows.net`` whichever
host serves the document (Entra's own v1 documents do, so the RP accepts it from any host), and
a v2-shaped ``https://{host}/{tid}/v2.0`` is any host's to claim. What does is the origin the
discovery document and the token endpoint were fetched from (TLS to it; the keys, and an
unsigned v1 ID token, come from there). So the bare ``entra:{tid}`` belongs to Entra's own
login hosts (:data:`ENTRA_ORIGINS`); a tenant served from anywhere else is
``entra:{tid}@{origin}``, and two providers on different origins never share a user.

https://learn.microsoft.com/entra/identity-platform/id-token-claims-reference
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from ..settings import endpoint_origin
from .discovery import ENTRA_V1_ISSUER_HOST

__all__ = [
    "ENTRA_KEY_PREFIX",
    "ENTRA_ORIGINS",
    "entra_tenant",
    "issuer_key",
    "served_origin",
    "session_keys",
    "spelt_issuer_key",
    "stored_issuer_key",
]

ENTRA_KEY_PREFIX = "entra:"
ENTRA_ORIGINS = frozenset(f"https://{host}" for host in (
    # The public cloud and the aliases Entra's instance discovery lists for it
    # (/common/discovery/instance: "aliases"; sts.windows.net is the v1 issuer host).
    "login.microsoftonline.com", "login.windows.net", "login.microsoft.com", "sts.windows.net",
    # The national clouds (learn.microsoft.com/entra/identity-platform/authentication-national-
    # cloud), with their instance-discovery aliases: US Government, and China (21Vianet).
    "login.microsoftonline.us", "login.usgovcloudapi.net", "login-us.microsoftonline.com",
    "login.partner.microsoftonline.cn", "login.chinacloudapi.cn",
))
"""Entra ID's own sign-in origins: a tenant served from one of these is the tenant."""
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


def served_origin(*urls: str) -> str | None:
    """Where tokens fetched through ``urls`` (a discovery document, a token endpoint) come
    from: ``None`` when Entra's own login hosts serve every one of them over https, else the
    origins of those that are not, in order, separated by spaces."""
    foreign = dict.fromkeys(o for o in map(endpoint_origin, urls) if o not in ENTRA_ORIGINS)
    return " ".join(foreign) or None


def issuer_key(issuer: str, *, tid: str | None, origin: str | None) -> str:
    """The key of a validated token's issuer, fetched from ``origin`` (:func:`served_origin`):
    ``entra:{tid}`` for an Entra issuer whose tenant is the token's ``tid`` claim, the issuer
    itself otherwise (no ``tid``, or another one); an Entra-shaped issuer served from anywhere
    but Entra is qualified by that ``@{origin}``."""
    tenant = entra_tenant(issuer)
    if tenant is None:
        return issuer  # Discovery §4.3 binds any other issuer to the host serving it
    key = issuer if tid is None or tid.lower() != tenant else f"{ENTRA_KEY_PREFIX}{tenant}"
    return key if origin is None else f"{key}@{origin}"


def spelt_issuer_key(issuer: str) -> str:
    """The key of an issuer known by its spelling alone (the ``iss`` of a front-channel logout
    request, an identity stored before keys existed): the tenant is the one the issuer names,
    served from the issuer's own origin (``https://sts.windows.net/{tid}/`` is Entra's)."""
    return issuer_key(issuer, tid=entra_tenant(issuer), origin=served_origin(issuer))


def session_keys(issuer: str, origin: str | None) -> frozenset[str]:
    """The keys a session's literal issuer may stand for, signed in through a client served
    from ``origin``: its tenant's key and, had the token named another ``tid``, its own."""
    return frozenset({issuer_key(issuer, tid=entra_tenant(issuer), origin=origin),
                      issuer_key(issuer, tid=None, origin=origin)})


def stored_issuer_key(stored: str) -> str:
    """The key of an identity's issuer as stored: a key as it is, a literal issuer (kept
    before keys existed) by its spelling."""
    return stored if stored.startswith(ENTRA_KEY_PREFIX) else spelt_issuer_key(stored)
