"""Discovery: URL derivation, the §4.3 issuer check with Entra's tenant rule, fetching, caching."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import loops
import pytest
from rp_oidc_testkit import TID, FakeClock

from relying_party.oidc import errors
from relying_party.oidc.discovery import (
    WELL_KNOWN,
    DiscoveryCache,
    ProviderMetadata,
    check_discovery_issuer,
    derive_discovery_url,
    fetch_provider_metadata,
    issuer_from_discovery_url,
)

B = "https://login.mock.test"
Handler = Callable[[httpx.Request], httpx.Response]


def v2_document(tenant_segment: str = TID) -> dict[str, Any]:
    return {
        "issuer": f"{B}/{tenant_segment}/v2.0",
        "authorization_endpoint": f"{B}/{tenant_segment}/oauth2/v2.0/authorize",
        "token_endpoint": f"{B}/{tenant_segment}/oauth2/v2.0/token",
        "jwks_uri": f"{B}/{tenant_segment}/discovery/v2.0/keys",
        "userinfo_endpoint": f"{B}/oidc/userinfo",
        "end_session_endpoint": f"{B}/{tenant_segment}/oauth2/v2.0/logout",
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "frontchannel_logout_supported": True,
    }


@pytest.mark.parametrize(
    ("authorization_uri", "discovery_url"),
    [
        (
            f"{B}/{TID}/oauth2/v2.0/authorize",
            f"{B}/{TID}/v2.0/.well-known/openid-configuration",
        ),
        (
            f"{B}/contoso.onmicrosoft.com/oauth2/v2.0/authorize?client_id=x",
            f"{B}/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration",
        ),
        (f"{B}/common/oauth2/v2.0/authorize/", f"{B}/common/v2.0/.well-known/openid-configuration"),
        (f"{B}/{TID}/oauth2/authorize", f"{B}/{TID}/.well-known/openid-configuration"),
        (
            "http://127.0.0.1:8400/organizations/oauth2/authorize",
            "http://127.0.0.1:8400/organizations/.well-known/openid-configuration",
        ),
        (
            "https://kc.test/realms/acme/protocol/openid-connect/auth",
            "https://kc.test/realms/acme/.well-known/openid-configuration",
        ),
        (
            "https://acme.okta.test/oauth2/default/v1/authorize",
            "https://acme.okta.test/oauth2/default/.well-known/openid-configuration",
        ),
        ("https://idp.test/authorize", "https://idp.test/.well-known/openid-configuration"),
    ],
)
def test_derive_discovery_url(authorization_uri: str, discovery_url: str) -> None:
    assert derive_discovery_url(authorization_uri) == discovery_url


@pytest.mark.parametrize("bad", ["login.mock.test/x/oauth2/authorize", "ftp://x/authorize", ""])
def test_derive_discovery_url_needs_an_absolute_http_url(bad: str) -> None:
    with pytest.raises(ValueError):
        derive_discovery_url(bad)


def test_issuer_from_discovery_url() -> None:
    url = f"{B}/{TID}/v2.0/.well-known/openid-configuration"
    assert issuer_from_discovery_url(url) == f"{B}/{TID}/v2.0"
    with pytest.raises(ValueError):
        issuer_from_discovery_url(f"{B}/{TID}/v2.0")


@pytest.mark.parametrize(("authorization_uri", "discovery_url"), [
    (f"http://LOCALHOST:18431/{TID.upper()}/oauth2/v2.0/authorize",
     f"http://localhost:18431/{TID}/v2.0/.well-known/openid-configuration"),
    (f"HTTPS://Login.Mock.Test/{TID.upper()}/OAuth2/Authorize",
     f"{B}/{TID}/.well-known/openid-configuration"),
    (f"{B}/{TID}/OAuth2/V2.0/Authorize", f"{B}/{TID}/v2.0/.well-known/openid-configuration"),
    # Only a GUID tenant and the host are lowered: a domain's case is the issuer's business.
    (f"{B}/Contoso.onmicrosoft.com/oauth2/authorize",
     f"{B}/Contoso.onmicrosoft.com/.well-known/openid-configuration"),
    ("https://KC.test/realms/Acme/protocol/openid-connect/Auth",
     "https://kc.test/realms/Acme/.well-known/openid-configuration"),
])
def test_the_derived_discovery_url_lowers_the_host_and_a_tenant_guid(
        authorization_uri: str, discovery_url: str) -> None:
    assert derive_discovery_url(authorization_uri) == discovery_url


def test_the_issuer_of_a_discovery_url_lowers_the_host_and_a_tenant_guid() -> None:
    url = f"https://LOGIN.mock.test/{TID.upper()}/v2.0/.well-known/openid-configuration"
    assert issuer_from_discovery_url(url) == f"{B}/{TID}/v2.0"
    assert issuer_from_discovery_url(f"{B}/Realms/Acme{WELL_KNOWN}") == f"{B}/Realms/Acme"


def test_an_upper_case_tenant_guid_fetches_the_lower_case_issuer() -> None:
    """Entra's document names the tenant id in lower case, whatever case the URL gave it."""
    url = derive_discovery_url(f"https://LOGIN.mock.test/{TID.upper()}/oauth2/v2.0/authorize")
    assert fetch(lambda request: httpx.Response(200, json=v2_document()), url).issuer == (
        f"{B}/{TID}/v2.0")


# --- issuer check ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document_issuer", "expected"),
    [
        (f"{B}/{TID}/v2.0", f"{B}/{TID}/v2.0"),
        (f"{B}/{{tenantid}}/v2.0", f"{B}/common/v2.0"),
        (f"{B}/{{tenantid}}/v2.0", f"{B}/organizations/v2.0"),
        (f"{B}/{TID}/v2.0", f"{B}/contoso.onmicrosoft.com/v2.0"),
    ],
)
def test_issuer_check_accepts(document_issuer: str, expected: str) -> None:
    check_discovery_issuer(document_issuer, expected)


@pytest.mark.parametrize(
    ("document_issuer", "expected"),
    [
        (f"{B}/{TID}/v2.0INVALID", f"{B}/{TID}/v2.0"),
        ("https://example.com", f"{B}/{TID}/v2.0"),
        (f"{B}/0d1e2f30-4a5b-4c6d-8e7f-9a0b1c2d3e4f/v2.0", f"{B}/{TID}/v2.0"),
        (f"https://evil.test/{TID}/v2.0", f"{B}/common/v2.0"),
        (f"{B}/{TID}/v2.0/extra", f"{B}/common/v2.0"),
        (f"{B}/{TID}/v1.0", f"{B}/common/v2.0"),
        (f"{B}/not-a-guid/v2.0", f"{B}/common/v2.0"),
        (f"{B}/{TID}/", f"{B}/{TID}"),
    ],
)
def test_issuer_check_rejects(document_issuer: str, expected: str) -> None:
    with pytest.raises(errors.DiscoveryIssuerMismatch):
        check_discovery_issuer(document_issuer, expected)


def test_trailing_slash_allowed_only_for_an_issuer_derived_from_the_url() -> None:
    check_discovery_issuer(f"{B}/{TID}/", f"{B}/{TID}", allow_trailing_slash=True)


STS = "https://sts.windows.net"


@pytest.mark.parametrize(
    ("document_issuer", "expected"),
    [
        (f"{STS}/{TID}/", f"{B}/{TID}"),
        (f"{STS}/{TID}/", f"{B}/{TID}/"),
        (f"{STS}/{TID}/", "http://localhost:8443/contoso.onmicrosoft.com"),
        (f"{STS}/{{tenantid}}/", f"{B}/common"),
        (f"{STS}/{{tenantid}}/", f"{B}/organizations"),
    ],
)
def test_entras_v1_issuer_on_sts_windows_net_is_accepted(document_issuer: str,
                                                         expected: str) -> None:
    # Every Entra v1 document names https://sts.windows.net/<tid>/, whichever host serves it.
    check_discovery_issuer(document_issuer, expected, allow_trailing_slash=True)


@pytest.mark.parametrize(
    ("document_issuer", "expected"),
    [
        (f"{STS}/0d1e2f30-4a5b-4c6d-8e7f-9a0b1c2d3e4f/", f"{B}/{TID}"),  # another tenant
        (f"{STS}/{{tenantid}}/", f"{B}/{TID}"),  # a GUID tenant must be named
        (f"{STS}/{TID}/v2.0", f"{B}/{TID}/v2.0"),  # v2 issuers stay on the sign-in host
        (f"http://sts.windows.net/{TID}/", f"{B}/{TID}"),
        (f"https://sts.windows.net.evil.test/{TID}/", f"{B}/{TID}"),
        (f"{STS}/{TID}/extra/", f"{B}/{TID}"),
        (f"{STS}/{TID}/?x=1", f"{B}/{TID}"),
        (f"{STS}/not-a-guid/", f"{B}/common"),
    ],
)
def test_other_issuers_on_sts_windows_net_are_refused(document_issuer: str,
                                                      expected: str) -> None:
    with pytest.raises(errors.DiscoveryIssuerMismatch):
        check_discovery_issuer(document_issuer, expected, allow_trailing_slash=True)


# --- fetching --------------------------------------------------------------------------------


def fetch(handler: Handler, url: str, **kwargs: Any) -> ProviderMetadata:
    async def run() -> ProviderMetadata:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            return await fetch_provider_metadata(client, url, **kwargs)

    return loops.run(run())


V2_URL = f"{B}/{TID}/v2.0/.well-known/openid-configuration"


def test_fetch_parses_the_document() -> None:
    metadata = fetch(lambda request: httpx.Response(200, json=v2_document()), V2_URL)
    assert metadata.issuer == f"{B}/{TID}/v2.0"
    assert metadata.jwks_uri == f"{B}/{TID}/discovery/v2.0/keys"
    assert metadata.end_session_endpoint == f"{B}/{TID}/oauth2/v2.0/logout"
    assert metadata.token_endpoint_auth_methods_supported == (
        "client_secret_post",
        "client_secret_basic",
    )
    assert metadata.frontchannel_logout_supported and not metadata.backchannel_logout_supported
    assert metadata.raw["userinfo_endpoint"] == f"{B}/oidc/userinfo"


def test_a_document_served_with_a_byte_order_mark_is_read() -> None:
    # IIS and .NET servers prefix JSON with one; RFC 8259 §8.1 lets a parser ignore it.
    body = b"\xef\xbb\xbf" + json.dumps(v2_document()).encode()
    metadata = fetch(lambda request: httpx.Response(
        200, content=body, headers={"content-type": "application/json"}), V2_URL)
    assert metadata.issuer == f"{B}/{TID}/v2.0"


def test_fetch_common_document_keeps_the_tenant_template() -> None:
    url = f"{B}/common/v2.0/.well-known/openid-configuration"
    doc = v2_document("{tenantid}")
    assert fetch(lambda request: httpx.Response(200, json=doc), url).issuer.count("{tenantid}")


def test_fetch_v1_document_with_trailing_slash_issuer() -> None:
    url = f"{B}/{TID}/.well-known/openid-configuration"
    doc = {**v2_document(), "issuer": f"{B}/{TID}/"}
    assert fetch(lambda request: httpx.Response(200, json=doc), url).issuer == f"{B}/{TID}/"


def test_fetch_rejects_an_issuer_mismatch() -> None:
    doc = {**v2_document(), "issuer": f"{B}/{TID}/v2.0INVALID"}
    with pytest.raises(errors.DiscoveryIssuerMismatch):
        fetch(lambda request: httpx.Response(200, json=doc), V2_URL)


def test_fetch_checks_an_explicit_expected_issuer() -> None:
    with pytest.raises(errors.DiscoveryIssuerMismatch):
        fetch(
            lambda request: httpx.Response(200, json=v2_document()),
            V2_URL,
            expected_issuer="https://example.com",
        )


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(404, json={"error": "invalid_tenant"}),
        httpx.Response(200, text="<html>"),
        httpx.Response(200, json=["not", "an", "object"]),
        httpx.Response(200, json={**v2_document(), "jwks_uri": None}),
        httpx.Response(200, json={k: v for k, v in v2_document().items() if k != "token_endpoint"}),
    ],
    ids=["404", "html", "list", "null-jwks", "no-token-endpoint"],
)
def test_fetch_reports_unusable_documents(response: httpx.Response) -> None:
    with pytest.raises(errors.DiscoveryFailed):
        fetch(lambda request: response, V2_URL)


@pytest.mark.parametrize("member", ["authorization_endpoint", "token_endpoint", "jwks_uri",
                                    "userinfo_endpoint", "end_session_endpoint"])
def test_a_plain_http_endpoint_off_loopback_is_refused_unless_allowed(member: str) -> None:
    doc = {**v2_document(), member: "http://login.mock.test/endpoint"}
    with pytest.raises(errors.DiscoveryFailed, match=member):
        fetch(lambda request: httpx.Response(200, json=doc), V2_URL)
    allowed = fetch(lambda request: httpx.Response(200, json=doc), V2_URL, allow_http=True)
    assert getattr(allowed, member) == "http://login.mock.test/endpoint"


@pytest.mark.parametrize("url", ["http://localhost:8400/oidc/userinfo",
                                 "http://127.0.0.1/oidc/userinfo", "http://[::1]:80/userinfo",
                                 "https://graph.microsoft.com/oidc/userinfo"])
def test_loopback_http_and_other_https_origins_are_accepted(url: str) -> None:
    doc = {**v2_document(), "userinfo_endpoint": url}
    assert fetch(lambda request: httpx.Response(200, json=doc), V2_URL).userinfo_endpoint == url


def _raise(exc: Exception) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return handler


def test_fetch_timeout_is_idp_timeout() -> None:
    with pytest.raises(errors.IdpTimeout) as info:
        fetch(_raise(httpx.ReadTimeout("slow")), V2_URL)
    assert info.value.endpoint == "discovery"


def test_fetch_connection_refused_is_idp_unreachable() -> None:
    with pytest.raises(errors.IdpUnreachable) as info:
        fetch(_raise(httpx.ConnectError("refused")), V2_URL)
    assert type(info.value) is errors.IdpUnreachable


# --- caching ---------------------------------------------------------------------------------


def test_cache_keeps_metadata_for_its_ttl_and_does_not_cache_failures() -> None:
    calls: list[str] = []
    status = {"code": 503}

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        if status["code"] != 200:
            return httpx.Response(status["code"])
        return httpx.Response(200, json=v2_document())

    clock = FakeClock()
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    cache = DiscoveryCache(client, clock=clock, ttl=timedelta(hours=1))

    async def get() -> ProviderMetadata:
        return await cache.get(V2_URL)

    with pytest.raises(errors.DiscoveryFailed):
        loops.run(get())
    status["code"] = 200
    first = loops.run(get())
    assert loops.run(get()) is first
    assert len(calls) == 2
    clock.advance(hours=1)
    loops.run(get())
    assert len(calls) == 3
    cache.invalidate(V2_URL)
    loops.run(get())
    assert len(calls) == 4
