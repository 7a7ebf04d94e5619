"""The protocol core against the in-process mock provider: every tenant form discovers cleanly."""

from __future__ import annotations

import functools

import httpx
import loops
import pytest
from starlette.applications import Starlette

from mock_idp import create_app
from relying_party.oidc.discovery import (
    ProviderMetadata,
    derive_discovery_url,
    fetch_provider_metadata,
)
from relying_party.oidc.jwks import parse_jwks, select_key

B = "http://idp.test"
TID = "6f2c1a9e-3b7d-4e58-a1c4-92d0b7e5f318"


@functools.cache
def mock_app() -> Starlette:
    return create_app()


def discover(authorization_uri: str) -> tuple[ProviderMetadata, dict[str, object]]:
    async def run() -> tuple[ProviderMetadata, dict[str, object]]:
        transport = httpx.ASGITransport(app=mock_app())
        async with httpx.AsyncClient(transport=transport) as client:
            # plain http off loopback, as an RP run with allow_http_idp takes it
            metadata = await fetch_provider_metadata(
                client, derive_discovery_url(authorization_uri), allow_http=True
            )
            keys = (await client.get(metadata.jwks_uri)).json()
            return metadata, keys

    return loops.run(run())


@pytest.mark.parametrize("tenant", [TID, "contoso.onmicrosoft.com", "common", "organizations"])
@pytest.mark.parametrize(
    ("path", "issuer_tail"),
    [("/oauth2/v2.0/authorize", "/v2.0"), ("/oauth2/authorize", "/")],
    ids=["v2", "v1"],
)
def test_discovery_and_jwks_of_every_tenant_form(tenant: str, path: str, issuer_tail: str) -> None:
    metadata, document = discover(f"{B}/{tenant}{path}")
    tenant_segment = "{tenantid}" if tenant in ("common", "organizations") else TID
    # Entra's v1 issuer is on sts.windows.net, not on the host that serves the document.
    host = B if issuer_tail == "/v2.0" else "https://sts.windows.net"
    assert metadata.issuer == f"{host}/{tenant_segment}{issuer_tail}"
    keys = parse_jwks(document)
    assert keys
    assert select_key(keys[:1], kid=keys[0].kid, alg="RS256").kid == keys[0].kid


def test_platform_event_keys_parse_as_p256() -> None:
    async def run() -> dict[str, object]:
        transport = httpx.ASGITransport(app=mock_app())
        async with httpx.AsyncClient(transport=transport) as client:
            return (await client.get(f"{B}/.well-known/platform-event-keys.json")).json()

    keys = parse_jwks(loops.run(run()))
    assert keys and all(k.fits("ES256") for k in keys)
