"""Reaching the provider: https on every endpoint, verified certificates, and why an endpoint
could not be reached."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

from scenarios.doctor.checks.result import CheckResult, failed, skipped
from scenarios.doctor.probe import Exchange

__all__ = ["check_tls", "check_transport", "host_of", "unreachable"]


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
    hosts = sorted({host_of(e.url) for e in exchanges if urlsplit(e.url).scheme == "https"})
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
    if not hosts:
        return skipped("tls", "no https endpoint was contacted")
    return CheckResult(name="tls", status="PASS",
                       detail=f"certificate verified: {', '.join(hosts)}")


def unreachable(name: str, label: str, exchange: Exchange) -> CheckResult:
    failure = exchange.failure
    assert failure is not None
    host = host_of(exchange.url)
    if failure.kind.startswith("tls-"):
        return failed(name, f"{label} at {host}: TLS failed (see the tls check)",
                      _TLS_FIXES[failure.kind])
    if failure.kind == "timeout":
        return failed(name, f"{label} at {host}: no answer in time",
                      "Check that this machine can reach the provider (proxy, firewall, VPN) and "
                      "that the host and port are right.")
    if failure.kind == "invalid-url":
        return failed(name, f"{label}: {failure.message}", "Give an absolute https URL.")
    return failed(name, f"{label} at {host}: cannot connect ({failure.message})",
                  "Check the host name and port in the URL, and that this machine can reach the "
                  "provider (proxy, firewall, VPN).")
