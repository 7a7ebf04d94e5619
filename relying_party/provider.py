"""Who the RP talks to for one sign-in: client settings per connection or installation, plus the
shared discovery and key caches."""

from __future__ import annotations

import functools
import ssl
from dataclasses import dataclass
from datetime import datetime

import httpx

from .connections import discovery_url_for
from .db import Connection, Installation, SourceKind
from .failure import FailureSource
from .oidc.discovery import DiscoveryCache, ProviderMetadata
from .oidc.issuer_key import served_origin
from .oidc.jwks import SIGN_IN, JwksCache, KeyResolver
from .settings import Settings

AUTH_METHODS = {"post": "client_secret_post", "basic": "client_secret_basic"}


@dataclass(frozen=True, kw_only=True)
class ClientConfig:
    """The OAuth client one sign-in runs as, and the endpoints it was configured with."""

    source_kind: SourceKind
    source_id: str
    client_id: str
    client_secret: str
    auth_method: str
    """``client_secret_post`` or ``client_secret_basic``."""
    authorization_endpoint: str
    token_endpoint: str
    discovery_url: str
    userinfo_endpoint: str | None
    """Explicit userinfo link (installations); None means the discovered one."""
    support_contact: str
    lifetime: str = ""
    """The connection's :attr:`~relying_party.db.Connection.lifetime` (``''``: an
    installation), which a sign-in it starts keeps."""
    secret_saved_at: datetime | None = None
    """When the connection's ``client_secret`` was saved (None: an installation), so that a
    refusal of it is known to be of that secret, whatever was saved since."""

    @property
    def identity_origin(self) -> str | None:
        """Where this client's tokens come from, as the identity space sees it
        (:func:`~relying_party.oidc.issuer_key.served_origin`): ``None`` when Entra's own hosts
        serve its discovery document and token endpoint, else their origins."""
        return served_origin(self.discovery_url, self.token_endpoint)

    @property
    def source(self) -> tuple[SourceKind, str]:
        return self.source_kind, self.source_id

    @property
    def failure_source(self) -> FailureSource:
        return FailureSource(
            kind=self.source_kind, id=self.source_id, support_contact=self.support_contact,
            secret_saved_at=self.secret_saved_at,
        )


def client_for_connection(connection: Connection) -> ClientConfig:
    return ClientConfig(
        source_kind="connection",
        source_id=connection.id,
        client_id=connection.client_id,
        client_secret=connection.client_secret,
        auth_method=AUTH_METHODS[connection.client_auth_method],
        authorization_endpoint=connection.authorization_uri,
        token_endpoint=connection.token_url,
        discovery_url=discovery_url_for(connection),
        userinfo_endpoint=None,
        support_contact=connection.support_contact,
        lifetime=connection.lifetime,
        secret_saved_at=connection.secret_since,
    )


def client_for_installation(installation: Installation, settings: Settings) -> ClientConfig:
    return ClientConfig(
        source_kind="installation",
        source_id=installation.installation_id,
        client_id=installation.client_id,
        client_secret=installation.client_secret,
        auth_method="client_secret_post",
        authorization_endpoint=installation.authorization_url,
        token_endpoint=installation.token_url,
        discovery_url=installation.openid_configuration_url,
        userinfo_endpoint=installation.userinfo_url or None,
        support_contact=settings.partner_support_contact,
    )


@functools.cache
def default_trust() -> ssl.SSLContext:
    """httpx's default certificate verification, built once per process: loading the CA
    bundle is most of what making a client costs (tens of milliseconds), and an ``SSLContext``
    is safe to share between the app instances of one process."""
    return httpx.create_ssl_context()


def timeout_of(settings: Settings) -> httpx.Timeout:
    return httpx.Timeout(
        settings.read_timeout, connect=settings.connect_timeout, pool=settings.connect_timeout
    )


class ProviderDirectory:
    """Discovery documents and signing keys of every provider, cached by the injected clock."""

    def __init__(self, http: httpx.AsyncClient, settings: Settings) -> None:
        timeout = timeout_of(settings)
        self.http = http
        self.timeout = timeout
        self.discovery = DiscoveryCache(
            http, clock=settings.clock, ttl=settings.metadata_cache_ttl, timeout=timeout,
            allow_http=settings.allow_http_idp,
        )
        self.jwks = JwksCache(
            http, clock=settings.clock, ttl=settings.metadata_cache_ttl, timeout=timeout
        )

    async def metadata(self, client: ClientConfig) -> ProviderMetadata:
        return await self.discovery.get(client.discovery_url)

    def cached_metadata(self, client: ClientConfig) -> ProviderMetadata | None:
        """The client's provider metadata if fetched before (never fetches)."""
        return self.discovery.cached(client.discovery_url)

    def keys(self, metadata: ProviderMetadata, *, lane: str = SIGN_IN) -> KeyResolver:
        """The provider's signing keys; tokens anyone can post ask in the lane ``POSTED``
        (:mod:`relying_party.oidc.jwks`)."""
        return self.jwks.keys_for(metadata.jwks_uri, lane=lane)

    def forget(self, discovery_url: str) -> None:
        self.discovery.invalidate(discovery_url)
