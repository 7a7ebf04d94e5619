"""Which of Entra ID's endpoints a URL is, by its path: ``/{tenant}/oauth2/authorize`` and
``/{tenant}/oauth2/token`` (v1.0), ``/{tenant}/oauth2/v2.0/authorize`` and ``…/token`` (v2.0),
``/{tenant}/.well-known/openid-configuration`` (v1.0) and
``/{tenant}/v2.0/.well-known/openid-configuration`` (v2.0), on any host (sovereign clouds, the
mock provider).

The tenant segment is what Entra takes there: a GUID, a domain name (with a dot), or
``common``, ``organizations`` or ``consumers``. Other providers' paths of the same shape have
another first segment (AD FS ``/adfs/oauth2/authorize``, Salesforce
``/services/oauth2/authorize``) and are not Entra's.
"""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import urlsplit

__all__ = ["EntraEndpoint", "entra_endpoint", "entra_tenant_guid"]

EntraEndpoint = Literal["authorize", "token", "discovery"]

_GUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_TENANT = rf"(?:(?P<guid>{_GUID})|[^/.]+(?:\.[^/.]+)+|common|organizations|consumers)"
_ENDPOINT = re.compile(
    rf"^/{_TENANT}(?:/oauth2(?P<v2>/v2\.0)?/(?P<endpoint>authorize|token)/?"
    rf"|(?P<v2d>/v2\.0)?/\.well-known/openid-configuration)$", re.IGNORECASE)


def _match(url: str) -> re.Match[str] | None:
    try:
        return _ENDPOINT.match(urlsplit(url).path)
    except ValueError:
        return None


def entra_endpoint(url: str, endpoint: EntraEndpoint) -> str | None:
    """``"v1.0"`` or ``"v2.0"`` when ``url`` is that version of Entra's ``endpoint``, else
    None."""
    match = _match(url)
    if match is None:
        return None
    # Read whatever its case (``/OAuth2/Authorize``), as the version: a path that escaped
    # here would pass the checks of one version and fail every sign-in.
    found = (match["endpoint"] or "discovery").lower()
    if found != endpoint:
        return None
    return "v2.0" if match["v2"] or match["v2d"] else "v1.0"


def entra_tenant_guid(url: str) -> str | None:
    """The tenant GUID (lowercased) of an Entra endpoint URL that names its tenant by GUID;
    None for a domain, an alias or another URL."""
    match = _match(url)
    return match["guid"].lower() if match is not None and match["guid"] else None
