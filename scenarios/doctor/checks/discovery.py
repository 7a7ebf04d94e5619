"""The discovery document and what it advertises: issuer, endpoints and signing keys."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import jwt

from relying_party.oidc.discovery import (
    ProviderMetadata,
    any_organization,
    check_discovery_issuer,
    derive_discovery_url,
    issuer_from_discovery_url,
)
from relying_party.oidc.errors import DiscoveryFailed, DiscoveryIssuerMismatch
from scenarios.doctor.checks.entra import (
    PORTAL_ENDPOINTS,
    PORTAL_OVERVIEW,
    Flavour,
    aadsts_code,
    entra_error,
    entra_failure,
    is_entra,
    looks_like_guid,
    provider_flavour,
)
from scenarios.doctor.checks.result import CheckResult, failed
from scenarios.doctor.checks.transport import provider_trouble, unreachable
from scenarios.doctor.probe import Exchange

__all__ = [
    "check_discovery",
    "check_endpoints",
    "check_issuer",
    "check_jwks",
    "token_tenant_discovery_url",
]

_SHAPES = {"entra-v2": " (Entra ID v2.0)", "entra-v1": " (Entra ID v1.0)"}
_ENTRA_PATHS = {"entra-v2": "oauth2/v2.0", "entra-v1": "oauth2"}
"""Each version's endpoints under the tenant: advice keeps the version the user chose."""
_VERSIONS = {"entra-v2": "v2.0", "entra-v1": "v1.0"}


def check_discovery(
    url: str, exchange: Exchange, flavour: Flavour, *, answered: Collection[str] = (),
    given: bool = False,
) -> tuple[CheckResult, dict[str, Any] | None]:
    """The discovery document was fetched and holds what a relying party needs. ``given``:
    ``url`` is the user's --discovery-url, not derived from the authorization URI."""
    name = "discovery"
    if exchange.failure is not None:
        return unreachable(name, "discovery document", exchange, answered=answered), None
    if trouble := provider_trouble(name, "discovery document", exchange):
        return trouble, None
    body = exchange.json()
    code = aadsts_code(exchange.text, body)
    if exchange.status != 200:
        if code is not None:
            description = str(body.get("error_description", "")) if isinstance(body, dict) else ""
            return entra_failure(name, code, description), None
        fix = ("Check --discovery-url: it should be the provider's "
               ".well-known/openid-configuration URL (or its issuer)."
               if given else
               "Check the authorization URI: it should look like "
               f"https://login.microsoftonline.com/<tenant>/{_ENTRA_PATHS[flavour]}/authorize."
               if is_entra(flavour) else
               "Set --discovery-url to the provider's .well-known/openid-configuration URL "
               "(it could not be derived from the authorization URI).")
        return failed(name, f"GET {url} answered HTTP {exchange.status}", fix,
                      PORTAL_ENDPOINTS if is_entra(flavour) else None), None
    if not isinstance(body, dict):
        return failed(name, f"{url} did not return a JSON object",
                      "Set --discovery-url to the provider's .well-known/openid-configuration "
                      "URL."), None
    try:
        ProviderMetadata.from_document(body)
    except DiscoveryFailed as exc:
        return failed(name, str(exc), "Fix the provider's discovery document, or point "
                      "--discovery-url at the right one."), None
    shape = ""
    if is_entra(flavour):
        # The document's own shape: a --discovery-url may be of the other version than the URIs.
        shape = _SHAPES.get(provider_flavour(str(body.get("authorization_endpoint", ""))), "")
    return CheckResult(name=name, status="PASS", detail=f"{url}{shape}"), body


def check_issuer(document: Mapping[str, Any], discovery_url: str) -> CheckResult:
    """Discovery §4.3 as the reference RP applies it (Entra tenant aliases allowed)."""
    issuer = str(document.get("issuer"))
    try:
        expected = issuer_from_discovery_url(discovery_url)
        check_discovery_issuer(issuer, expected, allow_trailing_slash=True)
    except (ValueError, DiscoveryIssuerMismatch):
        return failed("issuer", f"the document's issuer {issuer} does not match the URL it was "
                      f"fetched from ({discovery_url}); relying parties refuse it",
                      "Use the discovery URL of the issuer itself (--discovery-url), or set the "
                      "provider's public issuer URL (behind a proxy: its external address).")
    return CheckResult(name="issuer", status="PASS", detail=issuer)


def _tenant_and_rest(url: str) -> tuple[str, str, str]:
    try:
        parts = urlsplit(url)
    except ValueError:  # a document's endpoint that is no URL: it matches nothing given
        return "", "", url
    segments = parts.path.rstrip("/").split("/")
    tenant = segments[1] if len(segments) > 1 else ""
    return f"{parts.scheme}://{parts.netloc}".lower(), tenant, "/".join(segments[2:])


def _same_endpoint(given: str, advertised: str, flavour: Flavour) -> bool:
    if given.split("?")[0].rstrip("/") == advertised.split("?")[0].rstrip("/"):
        return True
    if not is_entra(flavour):
        return False
    g_origin, g_tenant, g_rest = _tenant_and_rest(given)
    a_origin, a_tenant, a_rest = _tenant_and_rest(advertised)
    # A document fetched by domain (or /organizations) names the tenant GUID instead.
    alias = not looks_like_guid(g_tenant) and (looks_like_guid(a_tenant) or a_tenant == g_tenant)
    return g_origin == a_origin and g_rest == a_rest and (g_tenant == a_tenant or alias)


def token_tenant_discovery_url(authorization_uri: str, token_url: str) -> str | None:
    """The discovery URL of the tenant the Entra token URL names, when only its discovery
    document can tell whether that is the authorization URI's tenant: the two URLs name their
    tenants differently and the token URL's is not a GUID (a domain, or an alias). None
    otherwise."""
    flavour = provider_flavour(authorization_uri)
    parts = urlsplit(token_url)
    path = parts.path.rstrip("/")
    if not is_entra(flavour) or not path.endswith("/token"):
        return None
    _, a_tenant, _ = _tenant_and_rest(authorization_uri)
    _, t_tenant, _ = _tenant_and_rest(token_url)
    if a_tenant.lower() == t_tenant.lower() or looks_like_guid(t_tenant):
        return None
    authorize = urlunsplit((parts.scheme, parts.netloc, path[: -len("token")] + "authorize",
                            "", ""))
    if not is_entra(provider_flavour(authorize)):
        return None
    try:
        return derive_discovery_url(authorize)
    except ValueError:
        return None


def _issuer_tenant(document: Mapping[str, Any]) -> str | None:
    """The tenant ID (a GUID) that the document's issuer names: ``…/{tid}/v2.0`` or
    ``https://sts.windows.net/{tid}/``."""
    try:
        segments = urlsplit(str(document.get("issuer", ""))).path.strip("/").split("/")
    except ValueError:
        return None
    return segments[0].lower() if looks_like_guid(segments[0]) else None


def _tenant_mismatch(
    document: Mapping[str, Any], a_tenant: str, t_tenant: str, token_tenant: Exchange | None
) -> CheckResult | None:
    """Whether the two tenant segments are one tenant, by the tenant IDs the provider resolves
    them to: a GUID as it is, a domain by its discovery document's issuer."""
    name = "endpoints"
    mine = a_tenant.lower() if looks_like_guid(a_tenant) else _issuer_tenant(document)
    theirs: str | None = t_tenant.lower() if looks_like_guid(t_tenant) else None
    if theirs is None and token_tenant is not None:
        if token_tenant.failure is not None or provider_trouble(name, "", token_tenant):
            return CheckResult(
                name=name, status="WARN",
                detail=f"the authorization URI names tenant {a_tenant}, the token URL "
                f"{t_tenant}; the discovery document of {t_tenant} could not be fetched, so "
                "whether they are one tenant is not known",
                fix="Run doctor again, or put the same tenant ID in both URLs.")
        body = token_tenant.json()
        if token_tenant.status == 200 and isinstance(body, dict):
            theirs = _issuer_tenant(body)
        else:
            code = aadsts_code(token_tenant.text, body)
            known = entra_error(code) if code is not None else None
            said = f"AADSTS{code}: {known[0]}" if code is not None and known else (
                f"HTTP {token_tenant.status}")
            return failed(name, f"the token URL names tenant {t_tenant}, which the provider does "
                          f"not resolve ({said})",
                          f"Put the tenant of the authorization URI ({a_tenant}) in the token "
                          "URL too.", PORTAL_OVERVIEW)
    if mine is not None and theirs is not None:
        if mine == theirs:
            return None
        a_said = a_tenant if mine == a_tenant.lower() else f"{a_tenant} ({mine})"
        t_said = t_tenant if theirs == t_tenant.lower() else f"{t_tenant} ({theirs})"
        return failed(name, f"the authorization URI names tenant {a_said}, the token URL "
                      f"{t_said}: two different tenants",
                      "Use the same tenant in both URLs: the Directory (tenant) ID or one of its "
                      "verified domains.", PORTAL_OVERVIEW)
    return failed(name, f"the authorization URI names tenant {a_tenant}, the token URL "
                  f"{t_tenant}", "Use the same tenant ID in both URLs.", PORTAL_OVERVIEW)


def check_endpoints(
    document: Mapping[str, Any], *, authorization_uri: str, token_url: str, flavour: Flavour,
    token_tenant: Exchange | None = None,
) -> CheckResult:
    """The URIs given are the ones the discovery document advertises.

    Tenants named differently in the two Entra URLs (a domain in one, the GUID in the other)
    are one tenant when the provider resolves them to the same tenant ID: the document's issuer
    for the authorization URI's, ``token_tenant`` (the discovery document fetched at
    :func:`token_tenant_discovery_url`) for a token URL that does not name a GUID."""
    name = "endpoints"
    token_flavour = provider_flavour(token_url.replace("/token", "/authorize"))
    if is_entra(flavour) and token_flavour != flavour and is_entra(token_flavour):
        want = _VERSIONS[flavour]
        return failed(name, f"the authorization URI is Entra {want} but the token URL is Entra "
                      f"{_VERSIONS[token_flavour]}",
                      f"Use the {want} token URL: the authorization URI with 'authorize' replaced "
                      "by 'token'.", PORTAL_ENDPOINTS, blames=("token URL",))
    tenants = None
    if is_entra(flavour):
        _, a_tenant, _ = _tenant_and_rest(authorization_uri)
        _, t_tenant, _ = _tenant_and_rest(token_url)
        if a_tenant.lower() != t_tenant.lower():
            tenants = _tenant_mismatch(document, a_tenant, t_tenant, token_tenant)
        if tenants is not None and tenants.status == "FAIL":
            return replace(tenants, blames=("token URL",))
    problems = []
    for label, given, key in (("authorization URI", authorization_uri, "authorization_endpoint"),
                              ("token URL", token_url, "token_endpoint")):
        advertised = str(document.get(key, ""))
        if not _same_endpoint(given, advertised, flavour):
            problems.append((label, given, advertised))
    if problems:
        return failed(name,
                      ", and ".join(f"the {label} {given} is not the advertised {advertised}"
                                    for label, given, advertised in problems),
                      "Use " + " and ".join(f"{advertised} as the {label}"
                                            for label, _, advertised in problems) + ".",
                      PORTAL_ENDPOINTS if is_entra(flavour) else None,
                      blames=tuple(label for label, _, _ in problems))
    if tenants is not None:
        return tenants
    if is_entra(flavour) and (tenant := any_organization(authorization_uri)):
        # Through these, a multi-tenant app signs in users of every organization, each with a
        # token of their own tenant (and a single-tenant app gets AADSTS50194).
        return CheckResult(
            name=name, status="WARN",
            detail=f"the URLs say '{tenant}' instead of a tenant: a multi-tenant app signs in "
            "users of every organization there, each with their own tenant's tokens",
            fix="Put your Directory (tenant) ID in both URLs, unless the app is meant to take "
            "any organization's users (then check each token's tid against the ones you serve).",
            portal=PORTAL_OVERVIEW)
    return CheckResult(name=name, status="PASS",
                       detail="authorization URI and token URL match the discovery document")


def check_jwks(document: Mapping[str, Any], exchange: Exchange | None) -> CheckResult:
    """The key set has usable RSA signing keys and RS256 is advertised for ID tokens.

    The URI is the provider's own: no answer, a 429 or a 5xx there is a provider that is down
    or busy, not a wrong URI (a 404 may be one)."""
    name = "jwks"
    label = "key set (jwks_uri)"
    if exchange is None:
        return failed(name, "the discovery document has no jwks_uri",
                      "The provider must publish its signing keys (jwks_uri).")
    if exchange.failure is not None:
        return unreachable(name, label, exchange, advertised=True)
    if trouble := provider_trouble(name, label, exchange):
        return trouble
    body = exchange.json()
    if exchange.status != 200 or not isinstance(body, dict) or not isinstance(
            body.get("keys"), list):
        return failed(name, f"GET {exchange.url} answered HTTP {exchange.status} without a key "
                      "set", "Fix jwks_uri in the provider's discovery document.")
    usable, broken = 0, 0
    for key in body["keys"]:
        if not isinstance(key, dict) or key.get("kty") != "RSA" or key.get("use") not in (
                None, "sig"):
            continue
        try:
            jwt.PyJWK(key, algorithm="RS256")
        except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError):
            broken += 1
            continue
        usable += 1
    if not usable:
        more = f" ({broken} RSA key(s) could not be read)" if broken else ""
        return failed(name, f"no usable RSA signing key at {exchange.url}{more}",
                      "The provider must publish the RSA public keys it signs ID tokens with.")
    algs = document.get("id_token_signing_alg_values_supported")
    if isinstance(algs, list) and "RS256" not in algs:
        return CheckResult(name=name, status="WARN",
                           detail=f"{usable} RSA key(s), but ID tokens are signed with "
                           f"{', '.join(map(str, algs))}, not RS256",
                           fix="Configure the client to receive RS256-signed ID tokens.")
    return CheckResult(name=name, status="PASS", detail=f"{usable} RSA signing key(s), RS256")
