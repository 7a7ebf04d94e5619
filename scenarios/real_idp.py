"""Integrator mode: the reference relying party alone, connected to a REAL identity provider.

``python -m scenarios run --idp CONFIG`` reads a TOML file like this one::

    [provider]
    discovery_url = "https://login.microsoftonline.com/<tenant>/v2.0/.well-known/openid-configuration"
    # or: authority = "https://login.microsoftonline.com/<tenant>"   (Entra; v2.0 assumed)
    # or: issuer = "https://keycloak.example/realms/acme"
    client_id = "<application (client) id>"        # or client_id_env = "SSO_IDP_CLIENT_ID"
    client_secret_env = "SSO_IDP_CLIENT_SECRET"   # or client_secret_file = "secret.txt"
    client_auth_method = "post"                    # or "basic"
    # ca_file = "corp-ca.pem"

    [user]
    username_env = "SSO_IDP_USERNAME"              # or username = "tester@contoso.example"
    password_env = "SSO_IDP_PASSWORD"              # or password_file = "password.txt"
    display_name = "Terry Tester"                  # the name the RP should show (optional)
    # totp_secret_env = "SSO_IDP_TOTP_SECRET"      # an authenticator app's base32 secret, when
                                                   # the account must give its code (entra driver)

    [driver]
    kind = "entra"                                 # or "form" (see scenarios.drivers)
    # form: username_field, password_field, submit_button, next_button, consent_button,
    #       cancel_control, sign_out_button

    [rp]
    port = 0            # a fixed port when the provider needs an exact redirect URI
    host = "127.0.0.1"
    support_contact = "helpdesk@example.test"

Register ``http://<host>:<port>/auth/callback/<client id>`` (the connection's own redirect
URI: its profile names it after the client id) as a redirect URI of the client and
``http://<host>:<port>/signed-out`` as a post-logout redirect URI (Entra ignores the port of
``http://localhost`` / ``127.0.0.1`` redirect URIs, so ``port = 0`` is fine there). On Entra,
give its ID token the optional claims ``email`` and ``xms_edov``: the reference RP keeps a
user's address only when Entra vouches for it (:func:`relying_party.callback._email`).
Secrets are read from the environment or files and never printed. An unknown section or
key is an error, named with the nearest known one, so a misspelt key never passes as missing.

Long because: it is the schema of the ``--idp`` file (each key above, checked as it is read)
and the relying party built from it; the checks and their use read in one place.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import ssl
import tempfile
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from mock_idp import totp
from mock_idp.testing import RunningServer
from relying_party.connections import normalise_discovery_url
from scenarios.app.adapter import ProfileAdapter
from scenarios.app.calls import CallError
from scenarios.app.port_reservation import listening_socket
from scenarios.app.profile import load_profile
from scenarios.app.servers import AppAddress, AppServer, AppStartError
from scenarios.app.validation import LineIndex, Reader
from scenarios.ca_trust import CaFileError, public_trust, trusting
from scenarios.doctor.config import Secret
from scenarios.drivers import DRIVER_OPTIONS, EntraDriver, SignInDriver, driver_from_config
from scenarios.profiles import REFERENCE_RP
from scenarios.protocol_view import ProtocolSources
from scenarios.protocol_view.tokens import printable, value_mask
from scenarios.real_idp_problems import (
    ENTRA_AUTHORITY,
    discovery_answer_problem,
    fetch_problem,
    rp_refusal,
)
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


class IdpConfigError(ValueError):
    """The ``--idp`` file is missing something or a secret cannot be read."""


@dataclass(frozen=True)
class TestUser:
    """The provider account the scenarios sign in with; the password prints masked."""

    __test__ = False

    username: str
    password: Secret = field(repr=False)
    display_name: str | None = None


@dataclass(frozen=True, kw_only=True)
class RealIdpConfig:
    discovery_url: str
    client_id: str
    client_secret: Secret = field(repr=False)
    client_auth_method: str = "post"
    ca_file: Path | None = None
    user: TestUser
    driver: SignInDriver
    rp_host: str = "127.0.0.1"
    rp_port: int = 0
    support_contact: str = "helpdesk@example.test"
    name: str = "Integrator provider"
    provider_key: str = "discovery_url"
    """The ``[provider]`` key the discovery URL comes from: discovery_url, authority, issuer."""

    @property
    def secrets(self) -> tuple[str, ...]:
        second = self.driver.totp_secret if isinstance(self.driver, EntraDriver) else None
        return (self.client_secret.reveal(), self.user.password.reveal(),
                *((second.reveal(),) if second is not None else ()))


def _secret(table: Mapping[str, Any], key: str, environ: Mapping[str, str], where: str,
            base: Path) -> Secret:
    if key in table:
        raise IdpConfigError(f"{where}.{key}: keep secrets out of the file; use {key}_env (an "
                             f"environment variable's name) or {key}_file")
    if env_name := table.get(f"{key}_env"):
        value = environ.get(str(env_name))
        if not value:
            raise IdpConfigError(f"{where}.{key}_env: the variable {env_name} is not set")
        if not value.strip():  # as doctor refuses it (and its file), not a secret of spaces
            raise IdpConfigError(f"{where}.{key}_env: the variable {env_name} is empty")
        return Secret(value.strip())
    if file_name := table.get(f"{key}_file"):
        path = base / str(file_name)
        try:
            text = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise IdpConfigError(f"{where}.{key}_file: cannot read {path}: {exc.strerror}"
                                 ) from None
        if not text:
            raise IdpConfigError(f"{where}.{key}_file: {path} is empty")
        return Secret(text)
    raise IdpConfigError(f"{where}: give {key}_env or {key}_file")


def _plain(table: Mapping[str, Any], key: str, environ: Mapping[str, str], where: str) -> str:
    if value := table.get(key):
        return str(value)
    if env_name := table.get(f"{key}_env"):
        if value := environ.get(str(env_name)):
            return value
        raise IdpConfigError(f"{where}.{key}_env: the variable {env_name} is not set")
    raise IdpConfigError(f"{where}: give {key} or {key}_env")


def _base_url(provider: Mapping[str, Any], key: str) -> str:
    """``[provider].<key>``, an authority or issuer: an http(s) URL, trimmed, without a query
    or fragment (the discovery path is appended to it)."""
    text = str(provider[key]).strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise IdpConfigError(f"[provider].{key}: {text!r} is not an http(s) URL")
    if parts.query or parts.fragment or text.endswith(("?", "#")):
        raise IdpConfigError(
            f"[provider].{key}: {text!r} has a query or fragment; give the URL alone (for "
            f"Entra https://login.microsoftonline.com/<tenant>), or a discovery_url")
    text = text.rstrip("/")
    if "/.well-known/" in text + "/":
        raise IdpConfigError(f"[provider].{key}: {text!r} is a discovery URL; write "
                             f'discovery_url = "{text}" instead')
    if key == "authority" and (shape := _ENTRA_PATH.search(text)):
        base = text[:shape.start()]
        # An authority means v2.0; v1.0's endpoints (as partner guides have admins copy them)
        # are tested through their own document, which the reference RP reads as v1.0.
        other = (f'discovery_url = "{base}/.well-known/openid-configuration" to test the v1.0 '
                 "endpoints as copied" if _ENTRA_V1_ENDPOINT.search(text) else "discovery_url")
        raise IdpConfigError(
            f"[provider].authority: {text!r} is not a tenant's URL (it ends in "
            f"{shape.group()!r}; /v2.0/.well-known/openid-configuration is appended to an "
            f'authority): write authority = "{base}" (as "{ENTRA_AUTHORITY}"), or give '
            f"{other}")
    return text


_ENTRA_PATH = re.compile(r"/(oauth2(/.*)?|v2\.0)$")
_ENTRA_V1_ENDPOINT = re.compile(r"/oauth2/(authorize|token)$")
"""What follows the tenant in Entra's endpoints, never in an authority (``/v2.0`` and the
discovery path are appended to it)."""


def _provider_key(provider: Mapping[str, Any]) -> str:
    return next((key for key in ("discovery_url", "authority", "issuer")
                 if str(provider.get(key) or "").strip()), "discovery_url")


def _discovery_url(provider: Mapping[str, Any]) -> str:
    if url := str(provider.get("discovery_url") or "").strip():
        return normalise_discovery_url(url)
    if provider.get("authority"):
        text = _base_url(provider, "authority")
        return normalise_discovery_url(text + "/v2.0")
    if provider.get("issuer"):
        return normalise_discovery_url(_base_url(provider, "issuer"))
    raise IdpConfigError("[provider]: give discovery_url, authority (Entra) or issuer")


_KEYS: Mapping[str, frozenset[str]] = {
    "provider": frozenset({
        "discovery_url", "authority", "issuer", "client_id", "client_id_env", "client_secret",
        "client_secret_env", "client_secret_file", "client_auth_method", "ca_file", "name"}),
    "user": frozenset({
        "username", "username_env", "password", "password_env", "password_file", "display_name",
        "totp_secret", "totp_secret_env", "totp_secret_file"}),
    "driver": frozenset(),  # by kind: _DRIVER_KEYS
    "rp": frozenset({"port", "host", "support_contact"}),
}
"""The keys of each section (``password`` and the like are known, to be refused as secrets)."""

_DRIVER_KEYS: Mapping[str, frozenset[str]] = {
    kind: options | {"kind"} for kind, options in DRIVER_OPTIONS.items()}
"""The ``[driver]`` keys of each kind (``-`` may stand for ``_``)."""


def _unknown_keys(data: Mapping[str, object], text: str) -> list[str]:
    """Every section and key the file has but nobody reads, with the nearest known name."""
    reader = Reader(lines=LineIndex(text))
    top = reader.table(data)
    for name, known in _KEYS.items():
        if not isinstance(section := data.get(name), dict):
            continue
        top.has(name)
        if name == "driver":
            # an unknown kind is driver_from_config's to report, with the kinds there are
            known = _DRIVER_KEYS.get(str(section.get("kind", "form")), frozenset(section))
        table = reader.table(section, (name,))
        for key in section:
            if key.replace("-", "_") in known:
                table.has(key)
        table.done(known)
    top.done(_KEYS)
    return [str(problem) for problem in reader.problems]


def load_idp_config(path: Path, environ: Mapping[str, str] | None = None) -> RealIdpConfig:
    """Read and check an ``--idp`` file; relative file names are relative to it.

    An unknown section or key is an error (a misspelt key would otherwise pass as missing)."""
    env = os.environ if environ is None else environ
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except OSError as exc:
        raise IdpConfigError(f"cannot read {path}: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise IdpConfigError(f"{path} is not valid TOML: {exc}") from None
    base = path.parent
    provider, user, rp = (data.get(k, {}) for k in ("provider", "user", "rp"))
    driver_table = data.get("driver", {"kind": "form"})
    for name, table in (("provider", provider), ("user", user), ("rp", rp),
                        ("driver", driver_table)):
        if not isinstance(table, dict):
            raise IdpConfigError(f"[{name}] must be a table")
    if unknown := _unknown_keys(data, text):
        raise IdpConfigError("\n".join(unknown))
    method = str(provider.get("client_auth_method", "post"))
    if method not in ("post", "basic"):
        raise IdpConfigError("[provider].client_auth_method must be 'post' or 'basic'")
    try:
        driver = driver_from_config(driver_table)
    except ValueError as exc:
        raise IdpConfigError(str(exc)) from None
    if any(f"totp_secret{suffix}" in user for suffix in ("", "_env", "_file")):
        if not isinstance(driver, EntraDriver):
            raise IdpConfigError("[user].totp_secret: only the entra driver types an "
                                 "authenticator app's code; set [driver] kind = \"entra\"")
        second = _secret(user, "totp_secret", env, "[user]", base)
        try:
            totp.decode_secret(second.reveal())
        except ValueError as exc:
            raise IdpConfigError(f"[user].totp_secret: {exc}") from None
        driver = replace(driver, totp_secret=second)
    ca_file = base / str(provider["ca_file"]) if provider.get("ca_file") else None
    if ca_file is not None and not ca_file.is_file():
        raise IdpConfigError(f"[provider].ca_file: {ca_file} is not a file")
    _ssl_context(ca_file)  # a file that is no PEM certificate is the config's error, named
    port = _rp_port(rp.get("port", 0), LineIndex(text).line_of(("rp", "port")))
    return RealIdpConfig(
        discovery_url=_discovery_url(provider),
        client_id=_plain(provider, "client_id", env, "[provider]"),
        client_secret=_secret(provider, "client_secret", env, "[provider]", base),
        client_auth_method=method,
        ca_file=ca_file,
        user=TestUser(
            username=_plain(user, "username", env, "[user]"),
            password=_secret(user, "password", env, "[user]", base),
            display_name=str(user["display_name"]) if user.get("display_name") else None,
        ),
        driver=driver,
        rp_host=str(rp.get("host", "127.0.0.1")),
        rp_port=port,
        support_contact=str(rp.get("support_contact", "helpdesk@example.test")),
        name=str(provider.get("name", "Integrator provider")),
        provider_key=_provider_key(provider),
    )


def _rp_port(value: object, line: int | None) -> int:
    """``[rp].port``: a whole number (``8080`` or ``"8080"``) from 0 to 65535."""
    where = f"line {line}: " if line else ""
    try:
        port = int(value) if isinstance(value, int | str) and not isinstance(value, bool) else None
    except ValueError:
        port = None
    if port is None:
        raise IdpConfigError(f"{where}[rp].port must be a number")
    if not 0 <= port <= 65535:
        raise IdpConfigError(f"{where}[rp].port must be from 0 to 65535 (0: any free port)")
    return port


def _ssl_context(ca_file: Path | None) -> ssl.SSLContext:
    """The public CAs plus ``ca_file``; :class:`IdpConfigError` when it holds no PEM
    certificate (DER, a key, an empty file)."""
    if ca_file is None:
        return public_trust()
    try:
        return trusting(ca_file)
    except CaFileError as exc:
        raise IdpConfigError(f"[provider].ca_file: {exc}") from None


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
    verify = _ssl_context(config.ca_file)
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
