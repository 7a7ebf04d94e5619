"""Integrator mode: the reference relying party alone, connected to a REAL identity provider.

``python -m scenarios run --idp CONFIG`` reads the TOML file :mod:`scenarios.real_idp_config`
describes (every key, and what to register at the provider); this module starts the reference
relying party from its profile with one connection to that provider
(:func:`real_idp_stack`). The config's names are importable from here too.
"""

from __future__ import annotations

import contextlib
import re
import socket
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from mock_idp.testing import RunningServer
from scenarios.app.adapter import ProfileAdapter
from scenarios.app.calls import CallError
from scenarios.app.port_reservation import listening_socket
from scenarios.app.profile import load_profile
from scenarios.app.servers import AppAddress, AppServer, AppStartError
from scenarios.drivers import SignInDriver
from scenarios.profiles import REFERENCE_RP
from scenarios.protocol_view import ProtocolSources
from scenarios.protocol_view.tokens import printable, value_mask
from scenarios.real_idp_config import (
    IdpConfigError,
    RealIdpConfig,
    TestUser,
    load_idp_config,
    ssl_context,
)
from scenarios.real_idp_problems import discovery_answer_problem, fetch_problem, rp_refusal
from scenarios.stack_app import new_admin_token

__all__ = [
    "IdpConfigError",
    "RealIdpConfig",
    "RealIdpStack",
    "TestUser",
    "load_idp_config",
    "real_idp_stack",
    "rp_port_taken",
    "rp_timeouts",
]

_GRAPH_HOST = re.compile(r"^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$")
"""A lower-case host name, as Entra writes ``msgraph_host``."""


@dataclass
class RealIdpStack:
    """The running relying party, its connection to the provider, the test user and driver."""

    config: RealIdpConfig
    rp: RunningServer
    metadata: Mapping[str, Any]
    app: ProfileAdapter
    """The reference relying party through its profile (configure call, error log)."""
    http: httpx.Client
    refused: str | None = None
    """Why the provider refused the test user, once it has in this run (then no scenario
    signs in again: :func:`scenarios.real_idp_signin.unless_refused`)."""
    app_refused: str | None = None
    """Why no scenario signs in again, once the provider has refused the relying party's app
    registration in this run, alike for every sign-in: its redirect URI, its client id, a
    disabled app, its client secret (:func:`scenarios.real_idp_signin.unless_refused`)."""
    address_held: bool | None = None
    """Whether the relying party holds an e-mail address for the test user, as its first
    sign-in in this run found (``None``: not asked yet): :mod:`scenarios.real_idp_notes`."""

    @property
    def connection_id(self) -> str:
        return self.app.values["connection_id"]

    @property
    def driver(self) -> SignInDriver:
        return self.config.driver

    @property
    def user(self) -> TestUser:
        return self.config.user

    @property
    def idp_origin(self) -> str:
        parts = urlsplit(str(self.metadata["authorization_endpoint"]))
        return f"{parts.scheme}://{parts.netloc}"

    def rp_url(self, path: str) -> str:
        return self.rp.url(path)

    @property
    def protocol_sources(self) -> ProtocolSources:
        """A real provider keeps its logs: the exchange is the browser's side only."""
        failure = self.app.profile.failure
        return ProtocolSources(provider_url=self.idp_origin, app_url=self.rp.base_url,
                               mock=False,
                               reference=failure.reference if failure is not None else None)

    def sign_in_url(self, app: str = "widget") -> str:
        return self.app.sign_in_url(app)

    def rp_error(self, reference: str) -> Mapping[str, object]:
        logged = self.app.logged_error(reference)
        assert logged is not None, "the reference relying party's profile has no error log"
        return logged


def graph_url(metadata: Mapping[str, Any]) -> str:
    """Microsoft Graph for the provider, where the RP looks up a user in too many groups for a
    token: Entra's discovery names its cloud's Graph in ``msgraph_host`` (``graph.microsoft.us``
    in a national cloud); anything else gets the public cloud's."""
    host = metadata.get("msgraph_host")
    if isinstance(host, str) and _GRAPH_HOST.match(host):
        return f"https://{host}"
    return "https://graph.microsoft.com"


def _fetch_metadata(http: httpx.Client, config: RealIdpConfig) -> dict[str, Any]:
    """The provider's discovery document; :class:`IdpConfigError` naming the key to change."""
    url, key = config.discovery_url, config.provider_key
    try:
        response = http.get(url)
    except (httpx.HTTPError, ValueError) as exc:
        raise IdpConfigError(fetch_problem(key, url, exc, ca_file=config.ca_file,
                                           timeout=float(http.timeout.read or 0))) from None
    if (problem := discovery_answer_problem(key, url, response)) is not None:
        raise IdpConfigError(problem)
    body: dict[str, Any] = response.json()
    return body


def rp_port_taken(config: RealIdpConfig, exc: OSError) -> str:
    """Why the RP cannot listen on its fixed ``[rp] port`` (``exc``: the bind's error)."""
    return (f"[rp] port {config.rp_port} on {config.rp_host} is not free "
            f"({exc.strerror or exc}): stop what uses it, or choose another port "
            "(and register its redirect URIs)")


def rp_timeouts(browser_timeout: float) -> tuple[float, float]:
    """The connect and read timeouts (seconds) of the relying party started for a real
    provider: the usual 5 and 10 s across the internet, cut to a quarter and a half of the
    browser's timeout, so that a provider too slow for the RP gets the RP's own "took too
    long" page before the browser gives up waiting for the RP's callback."""
    return min(5.0, browser_timeout / 4), min(10.0, browser_timeout / 2)


@contextlib.contextmanager
def real_idp_stack(config: RealIdpConfig, *, workdir: Path | None = None,
                   sock: socket.socket | None = None,
                   browser_timeout: float = 20.0) -> Iterator[RealIdpStack]:
    """Start the reference RP alone (from its profile), with one connection to the configured
    provider made by the profile's configure call.

    ``sock`` (from :func:`mock_idp.testing.bind_socket`): serve the RP on it, for providers that
    were told the exact redirect URI before the RP started; else it listens on ``[rp]`` host
    and port, its port reserved (:func:`~scenarios.app.port_reservation.listening_socket`).
    ``browser_timeout``: the seconds the browser waits for a navigation (:func:`rp_timeouts`).
    """
    verify = ssl_context(config.ca_file)
    shipped = load_profile(REFERENCE_RP)
    connect, read = rp_timeouts(browser_timeout)
    profile = replace(shipped, app=replace(shipped.app, env={
        **shipped.app.env, "RP_READ_TIMEOUT": f"{read:g}", "RP_CONNECT_TIMEOUT": f"{connect:g}"}))
    with contextlib.ExitStack() as stack:
        if workdir is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sso-idp-")))
        http = stack.enter_context(httpx.Client(timeout=15, verify=verify))
        metadata = _fetch_metadata(http, config)
        reservation = None
        if sock is None:
            # As the harness's other listeners: on a port no other run of it has planned for
            # an app, reserved while the RP serves ([rp] port, when given, taken as it is).
            try:
                sock, reservation = listening_socket(config.rp_host, config.rp_port)
            except OSError as exc:
                if not config.rp_port:
                    raise
                raise IdpConfigError(rp_port_taken(config, exc)) from None  # taken meanwhile
        host, port = sock.getsockname()[:2]
        rp_base = f"http://{'localhost' if config.rp_host == 'localhost' else host}:{port}"
        server = stack.enter_context(AppServer(profile, AppAddress(
            base_url=rp_base, port=port, sock=sock, reservation=reservation), workdir=workdir))
        values = {
            **server.own_values,
            "authorize_url": str(metadata["authorization_endpoint"]),
            "token_url": str(metadata["token_endpoint"]),
            "discovery_url": config.discovery_url,
            "client_id": config.client_id,
            "client_secret": config.client_secret.reveal(),
            "client_auth_method": config.client_auth_method,
            "secret_expires_on": (datetime.now(UTC) + timedelta(days=365)).date().isoformat(),
            "support_contact": config.support_contact,
            "admin_token": new_admin_token(),
            "ca_file": str(config.ca_file) if config.ca_file is not None else "",
            "event_keys_url": "",
            "graph_url": graph_url(metadata),
        }
        try:
            server.start(values)
            app = ProfileAdapter(profile, server, values, http, contact=config.support_contact)
            app.configure()
        except AppStartError as exc:
            raise IdpConfigError(f"the relying party did not start: {exc}") from None
        except CallError as exc:
            if exc.status is None:
                raise IdpConfigError(f"the relying party did not answer: {exc}") from None
            hide = value_mask(config.secrets)
            # The harness's own words: masked by the secrets' values, not by the word after
            # a secret's name (which here is the reason, "looks like …", "is required").
            raise IdpConfigError(printable(hide(rp_refusal(config.provider_key, exc.status,
                                                           exc.body)))) from None
        yield RealIdpStack(config=config, rp=RunningServer(base_url=rp_base, port=port),
                           metadata=metadata, app=app, http=http)
