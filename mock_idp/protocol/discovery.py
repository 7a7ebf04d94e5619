"""Entra's OpenID configuration documents (v1 and v2), the instance-discovery answer and home
realm discovery.

Tenant documents name every endpoint by the tenant GUID; ``common`` and ``organizations``
documents keep their segment and carry the literal ``{tenantid}`` issuer template. The v2
``consumers`` document keeps its segment in the endpoints but names the Microsoft account tenant
in its issuer, as the live document does (clients that check it hard-code that issuer for
``consumers``, e.g. Go verifiers that special-case it beside ``{tenantid}`` for the others).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from .claims import V1_ISSUER_BASE

if TYPE_CHECKING:
    from ..store import Store

MULTI_TENANT = ("common", "organizations", "consumers")
MSA_TENANT_ID = "9188040d-6c67-4c5b-b112-36a304b66dad"
"""The Microsoft account tenant, which ``consumers`` stands for (``entra-id.md`` §1.3)."""


def v2_issuer_tenant(segment: str, tenant_id: str | None) -> str:
    """The tenant a v2 issuer names for a path segment: the tenant's GUID, the Microsoft account
    tenant for ``consumers``, else the literal ``{tenantid}`` template."""
    if tenant_id is not None:
        return tenant_id
    return MSA_TENANT_ID if segment.lower() == "consumers" else "{tenantid}"


def v2_document(base: str, segment: str, *, tenant_id: str | None, region: str | None
                ) -> dict[str, Any]:
    t = tenant_id or segment
    issuer_tid = v2_issuer_tenant(segment, tenant_id)
    return {
        "token_endpoint": f"{base}/{t}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": [
            "client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": f"{base}/{t}/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": f"{base}/{issuer_tid}/v2.0",
        "request_uri_parameter_supported": False,
        "userinfo_endpoint": f"{base}/oidc/userinfo",
        "authorization_endpoint": f"{base}/{t}/oauth2/v2.0/authorize",
        "device_authorization_endpoint": f"{base}/{t}/oauth2/v2.0/devicecode",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{base}/{t}/oauth2/v2.0/logout",
        "claims_supported": [
            "sub", "iss", "cloud_instance_name", "cloud_instance_host_name",
            "cloud_graph_host_name", "msgraph_host", "aud", "exp", "iat", "auth_time", "acr",
            "nonce", "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"],
        "kerberos_endpoint": f"{base}/{t}/kerberos",
        "tenant_region_scope": region,
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
        "rbac_url": "https://pas.windows.net",
    }


def v1_document(base: str, segment: str, *, tenant_id: str | None, region: str | None
                ) -> dict[str, Any]:
    t = tenant_id or segment
    issuer_tid = tenant_id or "{tenantid}"
    return {
        "token_endpoint": f"{base}/{t}/oauth2/token",
        "token_endpoint_auth_methods_supported": [
            "client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": f"{base}/{t}/discovery/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "token id_token",
                                     "token"],
        "scopes_supported": ["openid"],
        "issuer": f"{V1_ISSUER_BASE}/{issuer_tid}/",
        "microsoft_multi_refresh_token": True,
        "authorization_endpoint": f"{base}/{t}/oauth2/authorize",
        "device_authorization_endpoint": f"{base}/{t}/oauth2/devicecode",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{base}/{t}/oauth2/logout",
        "claims_supported": [
            "sub", "iss", "cloud_instance_name", "cloud_instance_host_name",
            "cloud_graph_host_name", "msgraph_host", "aud", "exp", "iat", "auth_time", "acr",
            "amr", "nonce", "email", "given_name", "family_name", "nickname"],
        "check_session_iframe": f"{base}/{t}/oauth2/checksession",
        "userinfo_endpoint": f"{base}/{t}/openid/userinfo",
        "kerberos_endpoint": f"{base}/{t}/kerberos",
        "tenant_region_scope": region,
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
        "rbac_url": "https://pas.windows.net",
    }


def for_app(doc: dict[str, Any], appid: str | None) -> dict[str, Any]:
    """The document asked with ``?appid=<app id>``: its ``jwks_uri`` carries the same query,
    pointing at that app's signing keys (an app with custom signing keys, from claims mapping
    or SAML single sign-on, validates against them): "Access tokens in the Microsoft identity
    platform", *Validate the signature* (https://learn.microsoft.com/entra/identity-platform/
    access-tokens). python-social-auth's Azure AD tenant backends ask for it so (social-core
    #695). The mock signs every app's tokens with the tenant's keys, which that URL answers."""
    if not appid:
        return doc
    return {**doc, "jwks_uri": f"{doc['jwks_uri']}?appid={quote(appid, safe='')}"}


def instance_discovery(base: str, authorization_endpoint: str | None, api_version: str
                       ) -> dict[str, Any] | None:
    """The answer to ``/common/discovery/instance``; ``None`` for a host the mock is not.

    An ``authorization_endpoint`` on the mock's host without a port names the mock too: MSAL
    Python sends its authority's host without the port (AzureAD/microsoft-authentication-
    library-for-python #259), so a mock on ``localhost:8443`` is asked about ``localhost``."""
    host = urlsplit(base).netloc.lower()
    tenant = "common"
    if authorization_endpoint:
        try:
            parts = urlsplit(authorization_endpoint)
            portless = parts.port is None
        except ValueError:
            return None
        if parts.netloc.lower() != host and not (
                portless and parts.hostname == urlsplit(base).hostname):
            return None
        segments = [p for p in parts.path.split("/") if p]
        if segments:
            tenant = segments[0]
    return {
        "tenant_discovery_endpoint": f"{base}/{tenant}/v2.0/.well-known/openid-configuration",
        "api-version": api_version,
        "metadata": [
            {"preferred_network": host, "preferred_cache": host, "aliases": [host]},
        ],
    }


def user_realm(store: Store, username: str) -> dict[str, str]:
    """The answer to ``/common/userrealm/{username}``, home realm discovery, which MSAL asks
    before a password grant: a domain of one of the mock's tenants is ``Managed`` (its
    passwords are checked by the provider itself, so MSAL posts the password grant), any other
    ``Unknown``. Members and their order as recorded answers show them (a Windows sign-in log
    quoted in public troubleshooting notes; MSAL Go's test double); the ``Unknown`` shape is
    the managed one without ``domain_name``."""
    domain = username.rpartition("@")[2].strip().lower() if "@" in username else ""
    known = bool(domain) and any(
        tenant.domain == domain or any(u.upn.lower().endswith(f"@{domain}")
                                       for u in tenant.users.values())
        for tenant in store.tenants.values())
    answer = {"ver": "1.0", "account_type": "Managed" if known else "Unknown"}
    if known:
        answer["domain_name"] = domain
    answer.update({"cloud_instance_name": "microsoftonline.com",
                   "cloud_audience_urn": "urn:federation:MicrosoftOnline"})
    return answer
