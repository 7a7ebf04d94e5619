"""The servers a worker starts once and resets between scenarios.

A scenario used to start its own mock provider and app server and stop both afterwards (about
0.2 s of every scenario, most of it uvicorn's fixed shutdown sleep). A worker now starts, once:

- the mock provider (:func:`start_provider`), reset before each scenario through its control
  API, ``POST /_mock/reset`` with ``clock``: the directory back to its configuration (users,
  apps, secrets, tenants as configured), no sessions, codes, tokens, faults, notifications,
  installations, platform events or logged requests, and the clock back to real time. The
  signing keys are kept unless a scenario changed them (rotated, published another): then they
  are reset too, so every scenario starts with the provider's one key;
- the harness's HTTP client (:attr:`SharedServers.http`, the scenarios' ``stack.http``), whose
  cookies are forgotten at the same time: a provider session a scenario started through it
  (``POST /_mock/sessions``), or an app's cookie, would otherwise ride on the next scenario's
  calls, as on no freshly started worker's;
- for an in-process (``asgi``) app, an :class:`~scenarios.app.host.AppHost`: each scenario
  builds a new app instance (new database, new secrets) and mounts it there.

``tests/scenarios_runner/test_isolation.py`` shows that faults, the clock, sessions, users and
keys of one scenario never reach the next; ``test_isolation_cookies.py``, nor the cookies of
its HTTP calls.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from mock_idp import IdpConfig, MockClock
from mock_idp import create_app as create_idp
from mock_idp.request_log import CALLER_HEADER
from mock_idp.testing import RunningServer, run_in_thread
from mock_idp.tls import TlsFiles
from scenarios.app.host import AppHost
from scenarios.app.port_reservation import held_listener
from scenarios.app.profile import AppProfile
from scenarios.ca_trust import public_trust

__all__ = ["RunningProvider", "SharedServers", "forget_cookies_of", "published_keys",
           "reset_provider", "shared_servers", "start_provider"]


@dataclass(frozen=True, eq=False)
class RunningProvider:
    app: Any
    """The provider's ASGI app (its state is ``app.state.idp``)."""
    server: RunningServer
    clock: MockClock
    tls: TlsFiles | None = None
    """Its certificate and CA when it serves https."""


@contextlib.contextmanager
def start_provider(*, port: int = 0, tls: TlsFiles | None = None) -> Iterator[RunningProvider]:
    """The mock provider in this process, on its own :class:`MockClock` (on https with
    ``tls``), reached as ``localhost`` (the app under test is reached as ``127.0.0.1``: two
    sites, as in production, so the browser keeps their cookies apart; a front-channel logout
    iframe carries no app cookie and must be matched by sid)."""
    clock = MockClock()
    app = create_idp(IdpConfig.default(clock=clock))
    scheme = "https" if tls else "http"
    # On a port no other worker has planned for its app (a per-scenario https provider too),
    # reserved while it serves, so that no app is planned on it either (not even on [::1],
    # which the browser may try first for localhost).
    with (held_listener("127.0.0.1", port) as sock,
          run_in_thread(app, sock=sock, ssl=tls) as served):
        yield RunningProvider(app=app, clock=clock, tls=tls, server=RunningServer(
            base_url=f"{scheme}://localhost:{served.port}", port=served.port, stop=served.stop))


@dataclass(eq=False)
class SharedServers:
    """What a worker's scenarios share: the provider, an HTTP client, the app host."""

    provider: RunningProvider
    http: httpx.Client
    app_host: AppHost | None
    """For ``asgi`` profiles; ``None``: each scenario starts the app as its profile says."""
    _keys: bytes = b""

    def reset(self) -> None:
        """The provider back to where a freshly started one is, and the HTTP client without
        the last scenario's cookies (see the module's text)."""
        self.http.cookies.clear()
        self._keys = reset_provider(self.http, self.provider.server.base_url, self._keys)


def published_keys(http: httpx.Client, provider_url: str) -> bytes:
    """The provider's signing keys as its control API lists them (``GET /_mock/keys``): a GET
    of the tenant's key set would land in the request log, where lifecycle.key-rotation counts
    the app's own fetches."""
    response = http.get(f"{provider_url}/_mock/keys")
    response.raise_for_status()
    return _canonical(response.json())


def _canonical(keys: object) -> bytes:
    """A key listing as bytes to compare, whichever answer carried it."""
    return json.dumps(keys, sort_keys=True).encode()


def reset_provider(http: httpx.Client, provider_url: str, keys: bytes) -> bytes:
    """``POST /_mock/reset`` with ``clock`` (see the module's text), and with ``keys`` too
    when the provider no longer publishes ``keys`` (:func:`published_keys`, taken before):
    the keys it publishes afterwards. The provider's cookies in ``http`` go too: they name
    sessions the reset dropped."""
    forget_cookies_of(http, provider_url)
    if _reset(http, provider_url, keys=False) == keys:
        return keys
    return _reset(http, provider_url, keys=True)


def forget_cookies_of(http: httpx.Client, url: str) -> None:
    """Drop the cookies ``http`` keeps for ``url``'s host (a host name without a dot, such as
    ``localhost``, is kept as ``<host>.local``, as :mod:`http.cookiejar` keys it)."""
    host = (urlsplit(url).hostname or "").lower()
    jar = http.cookies.jar
    for cookie in list(jar):
        if cookie.domain.lstrip(".").lower() in (host, f"{host}.local"):
            jar.clear(cookie.domain, cookie.path, cookie.name)


def _reset(http: httpx.Client, provider_url: str, *, keys: bool) -> bytes:
    """The reset, and the keys the provider publishes after it (its answer lists them, as
    :func:`published_keys` does; one request less per scenario)."""
    response = http.post(f"{provider_url}/_mock/reset", json={"clock": True, "keys": keys})
    response.raise_for_status()
    return _canonical(response.json()["signing_keys"])


@contextlib.contextmanager
def shared_servers(profile: AppProfile) -> Iterator[SharedServers]:
    """Start the provider (and, for an ``asgi`` profile on ``{port}``, the app host) once."""
    with contextlib.ExitStack() as stack:
        provider = stack.enter_context(start_provider())
        host = None
        template = profile.app.base_url
        if profile.app.mode == "asgi" and "{port}" in template:
            address = urlsplit(template.replace("{port}", "0")).hostname or "127.0.0.1"
            host = stack.enter_context(AppHost(address))
        # Unwound first: the provider is told to stop before the app host is waited for, so
        # the two stop side by side.
        stack.callback(provider.server.stop)
        # The provider logs its calls as the harness's (the protocol view leaves them out).
        http = stack.enter_context(httpx.Client(timeout=10, verify=public_trust(),
                                                headers={CALLER_HEADER: "harness"}))
        shared = SharedServers(provider=provider, http=http, app_host=host)
        shared._keys = published_keys(http, provider.server.base_url)
        yield shared
