"""The doctor's checks: pure functions from recorded exchanges to :class:`CheckResult`.

Each result names what was checked, PASS / WARN / FAIL (or SKIP when a prerequisite failed), a
one-line detail, and for a FAIL the fix in one sentence plus, for Entra ID, where in the admin
center to make it. Entra's codes are from its error reference (AADSTS7000215, 7000222, 700016,
90002, 7000218, 50011, ...); other providers are judged by RFC 6749 §5.2 error codes.

One module per subject: :mod:`.result` (the result type), :mod:`.entra` (endpoint shapes and
the AADSTS codes explained), :mod:`.transport` (https, TLS, and a provider unreachable, busy or
down), :mod:`.discovery` (the document, issuer, endpoints and keys), :mod:`.authorize` (a query
pasted with the authorization URI), :mod:`.clock` (skew) and :mod:`.client` (token endpoint,
client credentials, redirect URI).
"""

from __future__ import annotations

from scenarios.doctor.checks.authorize import check_authorization_query
from scenarios.doctor.checks.client import (
    check_client_credentials,
    check_redirect_uri,
    check_token_endpoint,
    needs_credential_fallback,
    refine_client_credentials,
)
from scenarios.doctor.checks.clock import CLOCK_FAIL_SECONDS, CLOCK_WARN_SECONDS, check_clock
from scenarios.doctor.checks.discovery import (
    check_discovery,
    check_endpoints,
    check_issuer,
    check_jwks,
    token_tenant_discovery_url,
)
from scenarios.doctor.checks.entra import (
    Flavour,
    aadsts_code,
    is_entra,
    looks_like_guid,
    provider_flavour,
)
from scenarios.doctor.checks.result import CheckResult, Status, skipped, unless_blamed
from scenarios.doctor.checks.transport import answered_hosts, check_tls, check_transport

__all__ = [
    "CLOCK_FAIL_SECONDS",
    "CLOCK_WARN_SECONDS",
    "CheckResult",
    "Flavour",
    "Status",
    "aadsts_code",
    "answered_hosts",
    "check_authorization_query",
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
    "is_entra",
    "looks_like_guid",
    "needs_credential_fallback",
    "provider_flavour",
    "refine_client_credentials",
    "skipped",
    "unless_blamed",
    "token_tenant_discovery_url",
]
