"""The provider's own outgoing HTTP client: back-channel logout and platform event delivery."""

from __future__ import annotations

import functools
import ssl

import httpx

# No keep-alive: a pooled connection must not outlive the event loop that opened it
# (TestClient runs each request outside a ``with`` block on a fresh loop).
LIMITS = httpx.Limits(max_keepalive_connections=0)


@functools.cache
def default_trust() -> ssl.SSLContext:
    """httpx's default certificate verification, built once per process.

    Loading the CA bundle is most of what making a client costs (tens of milliseconds), and an
    ``SSLContext`` is safe to share, so every provider in the process reuses this one.
    """
    return httpx.create_ssl_context()


class LazyTransport(httpx.AsyncBaseTransport):
    """httpx's own transport, made on the first request rather than with the client.

    Most providers never call out; the ones that do pay for the TLS set-up then, not at start.
    """

    def __init__(self) -> None:
        self._transport: httpx.AsyncHTTPTransport | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._transport is None:
            self._transport = httpx.AsyncHTTPTransport(verify=default_trust(), limits=LIMITS)
        return await self._transport.handle_async_request(request)

    async def aclose(self) -> None:
        if self._transport is not None:
            await self._transport.aclose()


def new_client() -> httpx.AsyncClient:
    """A client for the provider's outgoing calls when the caller injects none."""
    return httpx.AsyncClient(transport=LazyTransport())
