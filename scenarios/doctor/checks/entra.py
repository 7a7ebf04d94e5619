"""What the doctor knows about Entra ID: its endpoint shapes, the AADSTS codes it explains, and
where in the admin center each fix is made. Codes are from Entra's error reference."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import urlsplit

from scenarios.doctor.checks.result import CheckResult, failed

__all__ = [
    "PORTAL_AUTHENTICATION",
    "PORTAL_ENDPOINTS",
    "PORTAL_OVERVIEW",
    "PORTAL_SECRETS",
    "PORTAL_TOKEN_CONFIGURATION",
    "Flavour",
    "aadsts_code",
    "entra_error",
    "entra_failure",
    "is_entra",
    "looks_like_guid",
    "provider_flavour",
]

Flavour = Literal["entra-v2", "entra-v1", "generic"]

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_AADSTS = re.compile(r"AADSTS(\d+)")
_ENTRA_V2_PATH = re.compile(r"^/[^/]+/oauth2/v2\.0/(authorize|token)/?$")
_ENTRA_V1_PATH = re.compile(r"^/[^/]+/oauth2/(authorize|token)/?$")
_PORTAL = "Microsoft Entra admin center → App registrations → <app> → "
PORTAL_SECRETS = _PORTAL + "Certificates & secrets"
PORTAL_OVERVIEW = _PORTAL + "Overview"
PORTAL_AUTHENTICATION = _PORTAL + "Authentication"
PORTAL_TOKEN_CONFIGURATION = _PORTAL + "Token configuration"
PORTAL_ENDPOINTS = "Microsoft Entra admin center → App registrations → Endpoints"


def provider_flavour(authorization_uri: str) -> Flavour:
    """Entra's v2 or v1 endpoint shape (``/{tenant}/oauth2[/v2.0]/authorize``) or anything else."""
    try:
        path = urlsplit(authorization_uri).path
    except ValueError:  # not a URL at all: a discovery document's, judged where it is read
        return "generic"
    if _ENTRA_V2_PATH.match(path):
        return "entra-v2"
    if _ENTRA_V1_PATH.match(path):
        return "entra-v1"
    return "generic"


def is_entra(flavour: Flavour) -> bool:
    return flavour != "generic"


def looks_like_guid(value: str) -> bool:
    """Entra's Secret ID (``keyId``) is a GUID; secret values are not."""
    return bool(_GUID.match(value.strip()))


def aadsts_code(text: str, body: Any = None) -> int | None:
    """The first AADSTS code of an Entra error: ``error_codes[0]`` or the text's ``AADSTSnnnn``."""
    if isinstance(body, Mapping):
        codes = body.get("error_codes")
        if isinstance(codes, list) and codes and isinstance(codes[0], int):
            return int(codes[0])
    match = _AADSTS.search(text)
    return int(match.group(1)) if match else None


def entra_error(code: int) -> tuple[str, str, str | None] | None:
    """(what it means, fix, portal place) for the Entra codes the doctor explains."""
    table: dict[int, tuple[str, str, str | None]] = {
        7000215: (
            "invalid client secret",
            "Copy the Value of a secret of this app (the client ID given: Entra refuses another "
            "app's secret the same way) again, as it is shown only when created, or create a "
            "new client secret, and update the connection.",
            PORTAL_SECRETS,
        ),
        7000222: (
            "the client secret has expired",
            "Create a new client secret, update the connection with its Value, then delete the "
            "expired one.",
            PORTAL_SECRETS,
        ),
        700016: (
            "no application with this client ID in the tenant (wrong app or wrong tenant)",
            "Use the Application (client) ID from the app's Overview page and the Directory "
            "(tenant) ID of the tenant the app is registered in.",
            PORTAL_OVERVIEW,
        ),
        90002: (
            "tenant not found",
            "Put the Directory (tenant) ID from the app's Overview page (or a verified domain) "
            "in the authorization and token URLs.",
            PORTAL_OVERVIEW,
        ),
        7000218: (
            "no client secret was sent",
            "Give the client secret (--client-secret-env NAME); the app is a confidential client.",
            PORTAL_SECRETS,
        ),
        9001023: (
            "client credentials are not allowed over /common or /consumers",
            "Use the tenant ID instead of common or consumers in the token URL.",
            PORTAL_ENDPOINTS,
        ),
        50194: (
            "the app is single-tenant, and the URL says /common or /organizations",
            "Put the Directory (tenant) ID in place of common or organizations in the "
            "authorization and token URLs, or make the app multi-tenant (Supported account "
            "types).",
            PORTAL_AUTHENTICATION,
        ),
        900023: (
            "the tenant segment is neither a GUID nor a domain",
            "Put the Directory (tenant) ID in the URLs.",
            PORTAL_OVERVIEW,
        ),
        50011: (
            "the redirect URI is not registered for the app",
            "Add the redirect URI exactly as sent under Authentication → Web → Redirect URIs "
            "(for http://localhost the port may differ).",
            PORTAL_AUTHENTICATION,
        ),
        500117: (
            "the redirect URI is http on a host other than localhost",
            "Use an https redirect URI (http is allowed for localhost only).",
            PORTAL_AUTHENTICATION,
        ),
        500113: (
            "the app has no redirect URI registered",
            "Add the redirect URI under Authentication → Web → Redirect URIs.",
            PORTAL_AUTHENTICATION,
        ),
        700025: (
            "the app is a public client, so it cannot use a secret",
            "Set 'Allow public client flows' to No and use a Web platform redirect URI.",
            PORTAL_AUTHENTICATION,
        ),
    }
    return table.get(code)


def entra_failure(name: str, code: int, description: str, *, extra: str = "") -> CheckResult:
    known = entra_error(code)
    if known is None:
        first = description.split(" Trace ID:")[0].split("\r\n")[0].strip()
        return failed(name, first or f"AADSTS{code}",
                      f"Look the code up at https://login.microsoftonline.com/error?code={code} "
                      "and correct the app registration or the connection.")
    meaning, fix, portal = known
    return failed(name, f"AADSTS{code}: {meaning}{extra}", fix, portal)
