"""Reaching the provider: https on every endpoint, verified certificates, and why an endpoint
could not be reached."""

from __future__ import annotations

import ipaddress
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from scenarios.doctor.checks.entra import aadsts_code, provider_flavour
from scenarios.doctor.checks.result import CheckResult, failed, skipped
from scenarios.doctor.probe import Exchange, expects_tls

__all__ = [
    "answered_hosts",
    "check_tls",
    "check_transport",
    "host_of",
    "provider_trouble",
    "retry_after",
    "unreachable",
]

_TRANSIENT_AADSTS = frozenset({50196, 90033})
"""Entra's "request loop / throttled" and "a transient error has occurred"."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def host_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.netloc or url


def check_transport(urls: Mapping[str, str | None]) -> CheckResult:
    """Every endpoint is an absolute https URL; plain http only on a loopback host."""
    local: list[str] = []
    for label, url in urls.items():
        if not url:
            continue
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return failed("https", f"the {label} {url!r} is not an absolute http(s) URL",
                          f"Give the full {label}, starting with https://.")
        if parts.scheme == "http" and not is_loopback(parts.hostname):
            return failed("https", f"the {label} uses http on {parts.hostname}",
                          f"Use the https:// form of the {label}; sign-in over plain http is "
                          "refused (and Entra allows http redirect URIs only for localhost).")
        if parts.scheme == "http":
            local.append(label)
        if parts.scheme == "http" and label == "token URL" and provider_flavour(url) == (
                "entra-v1"):
            # The v1.0 token endpoint's ID tokens are unsigned; the reference relying party
            # trusts them only over verified TLS (relying_party/oidc/unsigned.py).
            return failed("https", f"the token URL {url} is Entra ID's v1.0 token endpoint over "
                          "http: its ID tokens are unsigned, and the reference relying party "
                          "refuses them over http (id_token_unsigned_over_http), so every "
                          "sign-in of run --idp fails",
                          "Use the https token URL, or switch to the v2.0 endpoints "
                          "(…/oauth2/v2.0/authorize and …/oauth2/v2.0/token), whose ID tokens "
                          "are signed.")
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


def answered_hosts(exchanges: Sequence[Exchange]) -> frozenset[str]:
    """The hosts (``host:port``) that sent a response to at least one request."""
    return frozenset(host_of(e.url) for e in exchanges if e.failure is None)


def check_tls(exchanges: Sequence[Exchange], *, ca_file_given: bool) -> CheckResult:
    """Certificates verified on every https endpoint that answered; names the first TLS
    problem met. A host that never answered (no such name, refused, timed out) is not vouched
    for."""
    https = [e for e in exchanges if urlsplit(e.url).scheme == "https"]
    verified = sorted(answered_hosts(https))
    unreached = sorted({host_of(e.url) for e in https} - set(verified))
    for exchange in exchanges:
        failure = exchange.failure
        if failure is None or not failure.kind.startswith("tls-"):
            continue
        fix = _TLS_FIXES[failure.kind]
        if failure.kind == "tls-untrusted" and ca_file_given:
            fix = ("The CA in --ca-file did not sign this certificate: pass the CA that did, or "
                   "the full chain.")
        what = _TLS_PROBLEMS[failure.kind]
        return failed("tls", f"{host_of(exchange.url)}: {what} ({failure.message})", fix)
    if not https:
        return skipped("tls", "no https endpoint was contacted")
    if not verified:
        return skipped("tls", f"no https endpoint answered ({', '.join(unreached)}): no "
                       "certificate was seen")
    more = f"; not checked (no answer): {', '.join(unreached)}" if unreached else ""
    return CheckResult(name="tls", status="PASS",
                       detail=f"certificate verified: {', '.join(verified)}{more}")


def unreachable(name: str, label: str, exchange: Exchange, *,
                answered: Collection[str] = (), advertised: bool = False) -> CheckResult:
    """Why ``exchange`` got no response, and the fix.

    ``answered``: hosts that responded to other requests (a time-out there is a slow answer,
    not a network that blocks the host). ``advertised``: the URL came from the provider's
    discovery document, so it is not the integrator's to correct."""
    failure = exchange.failure
    assert failure is not None
    host = host_of(exchange.url)
    if failure.kind.startswith("tls-"):
        return failed(name, f"{label} at {host}: TLS failed (see the tls check)",
                      _TLS_FIXES[failure.kind])
    if failure.kind == "timeout":
        said = failure.message.split(" (")[0]
        if host in answered:
            return failed(name, f"{label} at {host}: {said}, though {host} answered other "
                          "requests: the provider is slow",
                          "Run doctor again with a larger --timeout (seconds per request); if "
                          "the provider stays this slow, sign-ins will time out too.")
        if advertised:
            return failed(name, f"{label} at {host}: {said}",
                          "The provider's discovery document advertises this URL: retry later; "
                          "if it persists, check that this machine can reach that host (proxy, "
                          "firewall, VPN).")
        return failed(name, f"{label} at {host}: {said}",
                      "Check that this machine can reach the provider (proxy, firewall, VPN) and "
                      "that the host and port are right.")
    if failure.kind == "invalid-url":
        return failed(name, f"{label}: {failure.message}", "Give an absolute https URL.")
    detail = f"{label} at {host}: cannot connect ({failure.message})"
    if expects_tls(exchange.url, failure):
        return failed(name, detail, "The server closed a plain HTTP request without an answer, "
                      "as an HTTPS server does: use https:// in the URL.")
    if advertised:
        return failed(name, detail, "The provider's discovery document advertises this URL, so "
                      "the provider (or this part of it) is down or unreachable from here: retry "
                      "later; if it persists, check that this machine can reach the host (proxy, "
                      "firewall, VPN).")
    if host in answered:
        return failed(name, detail, f"{host} answered other requests, so the URL's host and "
                      "port are right: retry later.")
    return failed(name, detail, "Check the host name and port in the URL, and that this machine "
                  "can reach the provider (proxy, firewall, VPN).")


def retry_after(exchange: Exchange) -> int | None:
    """Seconds to wait by the response's ``Retry-After`` (delta-seconds or an HTTP date)."""
    value = (exchange.header("retry-after") or "").strip()
    if not value:
        return None
    if value.isdigit():
        return int(value)
    try:
        when: datetime = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0, round((when - exchange.received_at).total_seconds()))


def provider_trouble(name: str, label: str, exchange: Exchange) -> CheckResult | None:
    """A provider that throttles (HTTP 429) or is unavailable (5xx, Entra's transient errors):
    nothing to correct in the set-up, only to wait and retry. None for any other answer."""
    if exchange.failure is not None:
        return None
    status = exchange.status or 0
    code = aadsts_code(exchange.text, exchange.json())
    if status != 429 and status < 500 and code not in _TRANSIENT_AADSTS:
        return None
    host = host_of(exchange.url)
    said = f"HTTP {status}" + (f", AADSTS{code}" if code is not None else "")
    seconds = retry_after(exchange)
    wait = f"{seconds} s (the provider's Retry-After)" if seconds is not None else None
    if status == 429 or code == 50196:
        return failed(name, f"{label} at {host}: the provider is throttling requests ({said})",
                      f"Wait {wait or 'a minute'} and run doctor again; nothing in the set-up "
                      "needs changing for this.")
    return failed(name, f"{label} at {host}: the provider is temporarily unavailable ({said})",
                  f"Retry {'after ' + wait if wait else 'later'}; nothing in the set-up needs "
                  "changing for this (if it persists, check the provider's service status).")
