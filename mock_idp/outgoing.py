"""The provider's own outgoing HTTP client: back-channel logout and platform event delivery."""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def default_trust() -> ssl.SSLContext:
    """httpx's default certificate verification, built once per process.

    Loading the CA bundle is most of what making a client costs (tens of milliseconds), and an
    ``SSLContext`` is safe to share, so every provider in the process reuses this one.
    """
    return httpx.create_ssl_context()


def new_client() -> httpx.AsyncClient:
    """A client for the provider's outgoing calls when the caller injects none.

    No keep-alive: a pooled connection must not outlive the event loop that opened it
    (TestClient runs each request outside a ``with`` block on a fresh loop).
    """
    return httpx.AsyncClient(verify=default_trust(),
                             limits=httpx.Limits(max_keepalive_connections=0))
