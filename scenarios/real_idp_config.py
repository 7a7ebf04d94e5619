"""The ``--idp`` file of integrator mode: its schema, read and checked key by key.

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
"""

from __future__ import annotations

import os
import re
import ssl
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mock_idp import totp
from relying_party.connections import normalise_discovery_url
from scenarios.app.validation import LineIndex, Reader
from scenarios.ca_trust import CaFileError, public_trust, trusting
from scenarios.doctor.config import Secret
from scenarios.drivers import DRIVER_OPTIONS, EntraDriver, SignInDriver, driver_from_config
from scenarios.real_idp_problems import ENTRA_AUTHORITY

__all__ = [
    "IdpConfigError",
    "RealIdpConfig",
    "TestUser",
    "load_idp_config",
    "ssl_context",
]


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
    ssl_context(ca_file)  # a file that is no PEM certificate is the config's error, named
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


def ssl_context(ca_file: Path | None) -> ssl.SSLContext:
    """The public CAs plus ``ca_file``; :class:`IdpConfigError` when it holds no PEM
    certificate (DER, a key, an empty file)."""
    if ca_file is None:
        return public_trust()
    try:
        return trusting(ca_file)
    except CaFileError as exc:
        raise IdpConfigError(f"[provider].ca_file: {exc}") from None

