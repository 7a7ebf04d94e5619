"""The doctor's checks: pure functions from recorded exchanges to :class:`CheckResult`.

Each result names what was checked, PASS / WARN / FAIL (or SKIP when a prerequisite failed), a
one-line detail, and for a FAIL the fix in one sentence plus, for Entra ID, where in the admin
center to make it. Entra's codes are from its error reference (AADSTS7000215, 7000222, 700016,
90002, 7000218, 50011, ...); other providers are judged by RFC 6749 §5.2 error codes.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

import jwt

from relying_party.oidc.discovery import (
    ProviderMetadata,
    check_discovery_issuer,
    issuer_from_discovery_url,
)
from relying_party.oidc.errors import DiscoveryFailed, DiscoveryIssuerMismatch
from scenarios.doctor.probe import Exchange

__all__ = [
    "CLOCK_FAIL_SECONDS",
    "CLOCK_WARN_SECONDS",
    "CheckResult",
    "Flavour",
    "Status",
    "aadsts_code",
    "check_client_credentials",
    "check_clock",
    "check_discovery",
    "check_endpoints",
    "check_issuer",
    "check_jwks",
    "check_redirect_uri",
    "check_tls",
    "check_token_endpoint",
    "check_transport",
    "looks_like_guid",
    "needs_credential_fallback",
    "provider_flavour",
    "refine_client_credentials",
    "skipped",
]

Status = Literal["PASS", "WARN", "FAIL", "SKIP"]
Flavour = Literal["entra-v2", "entra-v1", "generic"]
CLOCK_WARN_SECONDS = 60
CLOCK_FAIL_SECONDS = 300

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_AADSTS = re.compile(r"AADSTS(\d+)")
_ENTRA_V2_PATH = re.compile(r"^/[^/]+/oauth2/v2\.0/(authorize|token)/?$")
_ENTRA_V1_PATH = re.compile(r"^/[^/]+/oauth2/(authorize|token)/?$")
_PORTAL = "Microsoft Entra admin center → App registrations → <app> → "
PORTAL_SECRETS = _PORTAL + "Certificates & secrets"
PORTAL_OVERVIEW = _PORTAL + "Overview"
PORTAL_AUTHENTICATION = _PORTAL + "Authentication"
PORTAL_ENDPOINTS = "Microsoft Entra admin center → App registrations → Endpoints"


@dataclass(frozen=True, kw_only=True)
class CheckResult:
    name: str
    status: Status
    detail: str
    fix: str | None = None
    portal: str | None = None
    """Where to make the fix in the Entra admin center (Entra ID only)."""


def skipped(name: str, why: str) -> CheckResult:
    return CheckResult(name=name, status="SKIP", detail=why)


def _fail(name: str, detail: str, fix: str, portal: str | None = None) -> CheckResult:
    return CheckResult(name=name, status="FAIL", detail=detail, fix=fix, portal=portal)


def provider_flavour(authorization_uri: str) -> Flavour:
    """Entra's v2 or v1 endpoint shape (``/{tenant}/oauth2[/v2.0]/authorize``) or anything else."""
    path = urlsplit(authorization_uri).path
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


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _host(url: str) -> str:
    parts = urlsplit(url)
    return parts.netloc or url


# --- transport ------------------------------------------------------------------------------


def check_transport(urls: Mapping[str, str | None]) -> CheckResult:
    """Every endpoint is an absolute https URL; plain http only on a loopback host."""
    local: list[str] = []
    for label, url in urls.items():
        if not url:
            continue
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return _fail("https", f"the {label} {url!r} is not an absolute http(s) URL",
                         f"Give the full {label}, starting with https://.")
        if parts.scheme == "http" and not _is_loopback(parts.hostname):
            return _fail("https", f"the {label} uses http on {parts.hostname}",
                         f"Use the https:// form of the {label}; sign-in over plain http is "
                         "refused (and Entra allows http redirect URIs only for localhost).")
        if parts.scheme == "http":
            local.append(label)
    if local:
        return CheckResult(name="https", status="PASS",
                           detail=f"http only on loopback ({', '.join(local)}): local testing")
    return CheckResult(name="https", status="PASS", detail="every endpoint uses https")


_TLS_PROBLEMS = {
    "tls-untrusted": "certificate not trusted",
    "tls-hostname": "certificate not valid for this host",
    "tls-expired": "certificate expired",
    "tls-other": "TLS handshake failed",
}
_TLS_FIXES = {
    "tls-untrusted": "Pass --ca-file with the CA certificate (PEM) that signed the provider's "
    "certificate, or have the server send its full certificate chain.",
    "tls-hostname": "Use the host name the certificate was issued for (its subject alternative "
    "names), or reissue the certificate for this host.",
    "tls-expired": "Renew the provider's TLS certificate (or correct this machine's clock).",
    "tls-other": "Check that the URL points at a TLS server and that it accepts TLS 1.2+.",
}


def check_tls(exchanges: Sequence[Exchange], *, ca_file_given: bool) -> CheckResult:
    """Certificates verified on every https endpoint; names the first TLS problem met."""
    hosts = sorted({_host(e.url) for e in exchanges if urlsplit(e.url).scheme == "https"})
    for exchange in exchanges:
        failure = exchange.failure
        if failure is None or not failure.kind.startswith("tls-"):
            continue
        fix = _TLS_FIXES[failure.kind]
        if failure.kind == "tls-untrusted" and ca_file_given:
            fix = ("The CA in --ca-file did not sign this certificate: pass the CA that did, or "
                   "the full chain.")
        what = _TLS_PROBLEMS[failure.kind]
        return _fail("tls", f"{_host(exchange.url)}: {what} ({failure.message})", fix)
    if not hosts:
        return skipped("tls", "no https endpoint was contacted")
    return CheckResult(name="tls", status="PASS",
                       detail=f"certificate verified: {', '.join(hosts)}")


def _unreachable(name: str, label: str, exchange: Exchange) -> CheckResult:
    failure = exchange.failure
    assert failure is not None
    host = _host(exchange.url)
    if failure.kind.startswith("tls-"):
        return _fail(name, f"{label} at {host}: TLS failed (see the tls check)",
                     _TLS_FIXES[failure.kind])
    if failure.kind == "timeout":
        return _fail(name, f"{label} at {host}: no answer in time",
                     "Check that this machine can reach the provider (proxy, firewall, VPN) and "
                     "that the host and port are right.")
    if failure.kind == "invalid-url":
        return _fail(name, f"{label}: {failure.message}", "Give an absolute https URL.")
    return _fail(name, f"{label} at {host}: cannot connect ({failure.message})",
                 "Check the host name and port in the URL, and that this machine can reach the "
                 "provider (proxy, firewall, VPN).")


# --- discovery ------------------------------------------------------------------------------


def _entra_error(code: int) -> tuple[str, str, str | None] | None:
    """(what it means, fix, portal place) for the Entra codes the doctor explains."""
    table: dict[int, tuple[str, str, str | None]] = {
        7000215: (
            "invalid client secret",
            "Copy the secret's Value again (it is shown only when created) or create a new "
            "client secret, and update the connection.",
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


def _entra_fail(name: str, code: int, description: str, *, extra: str = "") -> CheckResult:
    known = _entra_error(code)
    if known is None:
        first = description.split(" Trace ID:")[0].split("\r\n")[0].strip()
        return _fail(name, first or f"AADSTS{code}",
                     f"Look the code up at https://login.microsoftonline.com/error?code={code} "
                     "and correct the app registration or the connection.")
    meaning, fix, portal = known
    return _fail(name, f"AADSTS{code}: {meaning}{extra}", fix, portal)


def check_discovery(
    url: str, exchange: Exchange, flavour: Flavour
) -> tuple[CheckResult, dict[str, Any] | None]:
    """The discovery document was fetched and holds what a relying party needs."""
    name = "discovery"
    if exchange.failure is not None:
        return _unreachable(name, "discovery document", exchange), None
    body = exchange.json()
    code = aadsts_code(exchange.text, body)
    if exchange.status != 200:
        if code is not None:
            description = str(body.get("error_description", "")) if isinstance(body, dict) else ""
            return _entra_fail(name, code, description), None
        fix = ("Check the authorization URI: it should look like "
               "https://login.microsoftonline.com/<tenant>/oauth2/v2.0/authorize."
               if is_entra(flavour) else
               "Set --discovery-url to the provider's .well-known/openid-configuration URL "
               "(it could not be derived from the authorization URI).")
        return _fail(name, f"GET {url} answered HTTP {exchange.status}", fix,
                     PORTAL_ENDPOINTS if is_entra(flavour) else None), None
    if not isinstance(body, dict):
        return _fail(name, f"{url} did not return a JSON object",
                     "Set --discovery-url to the provider's .well-known/openid-configuration "
                     "URL."), None
    try:
        ProviderMetadata.from_document(body)
    except DiscoveryFailed as exc:
        return _fail(name, str(exc), "Fix the provider's discovery document, or point "
                     "--discovery-url at the right one."), None
    shape = {"entra-v2": " (Entra ID v2.0)", "entra-v1": " (Entra ID v1.0)"}.get(flavour, "")
    return CheckResult(name=name, status="PASS", detail=f"{url}{shape}"), body


def check_issuer(document: Mapping[str, Any], discovery_url: str) -> CheckResult:
    """Discovery §4.3 as the reference RP applies it (Entra tenant aliases allowed)."""
    issuer = str(document.get("issuer"))
    try:
        expected = issuer_from_discovery_url(discovery_url)
        check_discovery_issuer(issuer, expected, allow_trailing_slash=True)
    except (ValueError, DiscoveryIssuerMismatch):
        return _fail("issuer", f"the document's issuer {issuer} does not match the URL it was "
                     f"fetched from ({discovery_url}); relying parties refuse it",
                     "Use the discovery URL of the issuer itself (--discovery-url), or set the "
                     "provider's public issuer URL (behind a proxy: its external address).")
    return CheckResult(name="issuer", status="PASS", detail=issuer)


def _tenant_and_rest(url: str) -> tuple[str, str, str]:
    parts = urlsplit(url)
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


def check_endpoints(
    document: Mapping[str, Any], *, authorization_uri: str, token_url: str, flavour: Flavour
) -> CheckResult:
    """The URIs given are the ones the discovery document advertises."""
    name = "endpoints"
    token_flavour = provider_flavour(token_url.replace("/token", "/authorize"))
    if is_entra(flavour) and token_flavour != flavour and is_entra(token_flavour):
        want = "v2.0" if flavour == "entra-v2" else "v1.0"
        return _fail(name, f"the authorization URI is Entra {want} but the token URL is not",
                     f"Use the {want} token URL: the authorization URI with 'authorize' replaced "
                     "by 'token'.", PORTAL_ENDPOINTS)
    if is_entra(flavour):
        _, a_tenant, _ = _tenant_and_rest(authorization_uri)
        _, t_tenant, _ = _tenant_and_rest(token_url)
        if a_tenant.lower() != t_tenant.lower():
            return _fail(name, f"the authorization URI names tenant {a_tenant}, the token URL "
                         f"{t_tenant}", "Use the same tenant ID in both URLs.", PORTAL_OVERVIEW)
    problems = []
    for label, given, key in (("authorization URI", authorization_uri, "authorization_endpoint"),
                              ("token URL", token_url, "token_endpoint")):
        advertised = str(document.get(key, ""))
        if not _same_endpoint(given, advertised, flavour):
            problems.append((label, given, advertised))
    if problems:
        label, given, advertised = problems[0]
        return _fail(name, f"the {label} {given} is not the advertised {advertised}",
                     f"Use {advertised} as the {label}.",
                     PORTAL_ENDPOINTS if is_entra(flavour) else None)
    return CheckResult(name=name, status="PASS",
                       detail="authorization URI and token URL match the discovery document")


def check_jwks(document: Mapping[str, Any], exchange: Exchange | None) -> CheckResult:
    """The key set has usable RSA signing keys and RS256 is advertised for ID tokens."""
    name = "jwks"
    if exchange is None:
        return _fail(name, "the discovery document has no jwks_uri",
                     "The provider must publish its signing keys (jwks_uri).")
    if exchange.failure is not None:
        return _unreachable(name, "key set (jwks_uri)", exchange)
    body = exchange.json()
    if exchange.status != 200 or not isinstance(body, dict) or not isinstance(
            body.get("keys"), list):
        return _fail(name, f"GET {exchange.url} answered HTTP {exchange.status} without a key "
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
        return _fail(name, f"no usable RSA signing key at {exchange.url}{more}",
                     "The provider must publish the RSA public keys it signs ID tokens with.")
    algs = document.get("id_token_signing_alg_values_supported")
    if isinstance(algs, list) and "RS256" not in algs:
        return CheckResult(name=name, status="WARN",
                           detail=f"{usable} RSA key(s), but ID tokens are signed with "
                           f"{', '.join(map(str, algs))}, not RS256",
                           fix="Configure the client to receive RS256-signed ID tokens.")
    return CheckResult(name=name, status="PASS", detail=f"{usable} RSA signing key(s), RS256")


def check_clock(exchanges: Sequence[Exchange]) -> CheckResult:
    """The provider's ``Date`` header against this machine's clock at the response."""
    name = "clock"
    for exchange in exchanges:
        value = exchange.header("date")
        if not value:
            continue
        try:
            theirs = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            continue
        if theirs.tzinfo is None:
            continue
        return _judge_skew(name, theirs, exchange.received_at, _host(exchange.url))
    return CheckResult(name=name, status="WARN", detail="no response carried a Date header; "
                       "clocks not compared", fix="Make sure this machine's clock is synchronised.")


def _judge_skew(name: str, theirs: datetime, ours: datetime, host: str) -> CheckResult:
    skew = (theirs - ours).total_seconds()
    size = abs(skew)
    direction = "ahead of" if skew > 0 else "behind"
    minutes, seconds = divmod(round(size), 60)
    amount = f"{minutes} min {seconds} s" if minutes else f"{seconds} s"
    detail = f"{host} is {amount} {direction} this machine"
    fix = ("Synchronise both clocks with NTP; ID tokens are refused when clocks are more than a "
           "few minutes apart.")
    if size > CLOCK_FAIL_SECONDS:
        return _fail(name, detail, fix)
    if size > CLOCK_WARN_SECONDS:
        return CheckResult(name=name, status="WARN", detail=detail, fix=fix)
    return CheckResult(name=name, status="PASS", detail=detail if size >= 2 else
                       f"{host} agrees with this machine")


# --- token endpoint -------------------------------------------------------------------------


def check_token_endpoint(exchange: Exchange) -> CheckResult:
    """Something that speaks OAuth answers at the token URL (any JSON answer will do)."""
    name = "token-endpoint"
    if exchange.failure is not None:
        return _unreachable(name, "token endpoint", exchange)
    body = exchange.json()
    if not isinstance(body, dict) or exchange.status in (404, 405):
        return _fail(name, f"POST {exchange.url} answered HTTP {exchange.status} without an "
                     "OAuth JSON body: this is not a token endpoint",
                     "Use the token_endpoint from the provider's discovery document.")
    return CheckResult(name=name, status="PASS", detail=f"answered HTTP {exchange.status}")


def needs_credential_fallback(exchange: Exchange, flavour: Flavour) -> bool:
    """A generic provider refused the grant itself, not the client: try another grant."""
    if is_entra(flavour) or exchange.failure is not None:
        return False
    body = exchange.json()
    error = body.get("error") if isinstance(body, dict) else None
    return error in ("unauthorized_client", "unsupported_grant_type", "invalid_scope",
                     "invalid_request", "invalid_target")


def check_client_credentials(
    exchange: Exchange, *, flavour: Flavour, secret: str | None,
    fallback: Exchange | None = None,
) -> CheckResult:
    """The client ID and secret are accepted, judged by a client-credentials request.

    ``fallback``: for providers that refuse that grant for the client, an authorization-code
    request with an unusable code; ``invalid_grant`` there means the client authenticated.
    """
    name = "client-credentials"
    if secret is None:
        return CheckResult(name=name, status="WARN", detail="no client secret given: not tested",
                           fix="Give the secret with --client-secret-env NAME.")
    if exchange.failure is not None:
        return skipped(name, "the token endpoint was not reached")
    body = exchange.json()
    if not isinstance(body, dict):
        return _fail(name, f"the token endpoint answered HTTP {exchange.status} without JSON",
                     "Use the token_endpoint from the provider's discovery document.")
    granted = " ".join(f"{k} {v}" for k, v in exchange.sent.items()
                       if k in ("scope", "resource"))
    if exchange.status == 200 and body.get("access_token"):
        return CheckResult(name=name, status="PASS",
                           detail="token issued" + (f" ({granted})" if granted else ""))
    error = str(body.get("error", ""))
    description = str(body.get("error_description", ""))
    code = aadsts_code(description, body)
    if code is not None:
        if code in (1002012, 70011, 500011):
            return CheckResult(
                name=name, status="WARN",
                detail=f"AADSTS{code}: the scope was refused ({granted}); the secret is not "
                "proven", fix="Pass --scope <resource>/.default for an API the app may call.")
        extra = ""
        if code == 7000215 and looks_like_guid(secret):
            extra = ("; the value given has the shape of a Secret ID (a GUID): the secret ID was "
                     "pasted instead of the secret value")
        result = _entra_fail(name, code, description, extra=extra)
        if code == 7000215 and looks_like_guid(secret):
            return CheckResult(name=name, status="FAIL", detail=result.detail,
                               fix="Paste the secret's Value, not its Secret ID; if the value "
                               "was not saved when the secret was created, create a new secret.",
                               portal=PORTAL_SECRETS)
        return result
    if fallback is not None and fallback.failure is None:
        fallback_body = fallback.json()
        fallback_error = fallback_body.get("error") if isinstance(fallback_body, dict) else None
        if fallback_error == "invalid_grant":
            return CheckResult(
                name=name, status="PASS",
                detail=f"client authenticated ({error} for client_credentials; an unusable "
                "authorization code was refused as invalid_grant)")
        if fallback_error == "invalid_client":
            error, description = "invalid_client", str(fallback_body.get("error_description", ""))
    said = f"{error}: {description}" if description else error or f"HTTP {exchange.status}"
    if error == "invalid_client":
        return _fail(name, f"the provider refused the client ({said})",
                     "Check the client ID, copy the client secret again from the provider's "
                     "client settings, and use the authentication method the client is "
                     "registered with (--client-auth-method basic|post).")
    if error in ("unauthorized_client", "unsupported_grant_type", "invalid_scope"):
        return CheckResult(name=name, status="WARN",
                           detail=f"the grant was refused ({said}); the secret is not proven",
                           fix="Allow the client the client_credentials grant, or pass --scope.")
    return _fail(name, f"token request failed ({said})",
                 "Read the provider's error above and correct the client settings.")


# --- redirect URI ---------------------------------------------------------------------------

_GENERIC_REDIRECT_ERRORS = ("invalid_redirect_uri", "invalid parameter: redirect_uri",
                            "redirect_uri did not match", "redirect uri mismatch",
                            "redirect_uri_mismatch", "invalid redirect_uri",
                            "redirect_uri is not registered")
_GENERIC_CLIENT_ERRORS = ("invalid_client", "client not found", "unknown client",
                          "client is invalid")


def check_redirect_uri(
    exchange: Exchange | None, *, redirect_uri: str | None, flavour: Flavour
) -> CheckResult:
    """The redirect URI is registered: judged by the authorization endpoint's first answer."""
    name = "redirect-uri"
    if redirect_uri is None or exchange is None:
        return skipped(name, "no --redirect-uri given")
    if exchange.failure is not None:
        return _unreachable(name, "authorization endpoint", exchange)
    status = exchange.status or 0
    location = exchange.header("location")
    if 300 <= status < 400 and location:
        target, wanted = urlsplit(location), urlsplit(redirect_uri)
        if (target.scheme, target.netloc, target.path) == (wanted.scheme, wanted.netloc,
                                                            wanted.path):
            error = parse_qs(target.query).get("error", [""])[0]
            if error:
                return CheckResult(name=name, status="PASS",
                                   detail=f"registered (the provider sent error={error} back "
                                   "to it, which it only does for a registered URI)")
            return CheckResult(name=name, status="PASS",
                               detail="registered (the provider redirected back to it)")
        return CheckResult(name=name, status="PASS",
                           detail="registered (the provider went on to its sign-in page)")
    text = exchange.text
    code = aadsts_code(text)
    if code is not None:
        return _entra_fail(name, code, "", extra=f" ({redirect_uri})" if code == 50011 else "")
    lowered = text.lower()
    if any(marker in lowered for marker in _GENERIC_REDIRECT_ERRORS):
        return _fail(name, f"{redirect_uri} is not registered for this client",
                     f"Register {redirect_uri} exactly (scheme, host, port and path) as a "
                     "redirect URI of the client at the provider.")
    if any(marker in lowered for marker in _GENERIC_CLIENT_ERRORS):
        return _fail(name, "the authorization endpoint does not know this client ID",
                     "Use the client ID of the client registered at the provider.")
    if status == 200:
        return CheckResult(name=name, status="PASS",
                           detail="registered (the provider showed its sign-in page)")
    return _fail(name, f"the authorization endpoint answered HTTP {status}",
                 "Open the authorization URI in a browser to read the provider's error, and "
                 "correct the client's redirect URIs.")


def refine_client_credentials(credentials: CheckResult, redirect: CheckResult) -> CheckResult:
    """A generic ``invalid_client`` names no culprit; the authorization endpoint may have."""
    if (credentials.status == "FAIL" and "invalid_client" in credentials.detail
            and redirect.status == "FAIL" and "client ID" in redirect.detail):
        return CheckResult(name=credentials.name, status="FAIL",
                           detail="the client ID is unknown to the provider (invalid_client; the "
                           "authorization endpoint does not know it either)",
                           fix="Use the client ID of the client registered at the provider.")
    return credentials
