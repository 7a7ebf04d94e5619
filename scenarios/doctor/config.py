"""Doctor options: the command line, then ``SSO_DOCTOR_*`` environment variables, then a file.

The file is TOML (``.toml``) or JSON, with the option names as keys (``authorization_uri`` or
``authorization-uri``), at the top level or in a ``[doctor]`` table. A client secret never comes
from the file itself: name an environment variable (``client_secret_env``) or a file holding it
(``client_secret_file``).
"""

from __future__ import annotations

import argparse
import json
import os
import ssl
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from scenarios.ca_trust import CaFileError, trusting

__all__ = [
    "ENV_PREFIX",
    "ConfigError",
    "DoctorOptions",
    "Secret",
    "ca_context",
    "load_options",
    "read_config_file",
]

ENV_PREFIX = "SSO_DOCTOR_"
AuthMethod = Literal["post", "basic"]
_TEXT_OPTIONS = (
    "authorization_uri",
    "token_url",
    "client_id",
    "redirect_uri",
    "discovery_url",
    "scope",
    "client_auth_method",
    "ca_file",
    "timeout",
)
_FLAG_OPTIONS = ("json",)
_SECRET_KEYS = ("client_secret", "client_secret_env", "client_secret_file")
_FILE_KEYS = frozenset((*_TEXT_OPTIONS, *_FLAG_OPTIONS, *_SECRET_KEYS[1:]))
_YES, _NO = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


class ConfigError(ValueError):
    """Options are missing or malformed; the message says which and how to give them."""


class Secret:
    """A secret value that prints masked: ``str()``, ``repr()`` and f-strings never show it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    @property
    def masked(self) -> str:
        # Entra shows the first three characters as the secret's "hint"; only long values get one.
        hint = self._value[:3] if len(self._value) >= 16 else ""
        return f"{hint}***({len(self._value)} chars)"

    def __repr__(self) -> str:
        return f"Secret({self.masked!r})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True, kw_only=True)
class DoctorOptions:
    """What the doctor checks: a connection as an integrator would enter it in the RP."""

    authorization_uri: str
    """``""``: the discovery document's (``discovery_url`` is then given)."""
    token_url: str
    """``""``: the discovery document's."""
    client_id: str
    client_secret: Secret | None = None
    redirect_uri: str | None = None
    discovery_url: str | None = None
    """Override the discovery URL derived from the authorization URI."""
    scope: str | None = None
    """Scope of the client-credentials request (Entra default: Graph's ``/.default``)."""
    client_auth_method: AuthMethod | None = None
    """``post`` or ``basic``; default: Entra ``post``, others by the discovery document."""
    ca_file: Path | None = None
    """Extra CA certificates (PEM) to trust, for providers with a private CA."""
    timeout: float = 10.0
    """Seconds for each request (connecting: at most 5)."""
    json: bool = False
    """Print the result as JSON (for CI) instead of a table."""

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self.client_secret.reveal(),) if self.client_secret else ()


def read_config_file(path: Path) -> dict[str, Any]:
    """Options from a TOML or JSON file (keys normalised to underscores)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(raw)
        else:
            data = tomllib.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} is not valid {_kind(path)}: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a table of options")
    table = data.get("doctor", data)
    if not isinstance(table, dict):
        raise ConfigError(f"[doctor] in {path} must be a table")
    options = {str(k).replace("-", "_"): v for k, v in table.items()}
    if "client_secret" in options:
        raise ConfigError(
            f"{path} holds a client_secret: keep secrets out of config files; use "
            "client_secret_env (an environment variable's name) or client_secret_file"
        )
    unknown = sorted(set(options) - _FILE_KEYS - {"doctor"})
    if unknown:
        raise ConfigError(f"unknown option(s) in {path}: {', '.join(unknown)}")
    return options


def ca_context(ca_file: Path) -> ssl.SSLContext:
    """The public CAs and ``ca_file`` (:func:`scenarios.ca_trust.trusting`);
    :class:`ConfigError` names a file that holds no PEM certificate or cannot be read."""
    try:
        return trusting(ca_file)
    except CaFileError as exc:
        raise ConfigError(f"--ca-file {exc}") from None


def _kind(path: Path) -> str:
    return "JSON" if path.suffix.lower() == ".json" else "TOML"


def _merged(args: argparse.Namespace, environ: Mapping[str, str],
            file_values: Mapping[str, Any]) -> dict[str, Any]:
    """Every option but the secret (:func:`_secret`), each from the first source that gives it:
    the command line, then the environment, then the file."""
    values = {name: file_values[name] for name in _TEXT_OPTIONS if name in file_values}
    for name in _TEXT_OPTIONS:
        env_value = environ.get(ENV_PREFIX + name.upper())
        if env_value:
            values[name] = env_value
    for name in _TEXT_OPTIONS:
        cli_value = getattr(args, name, None)
        if cli_value is not None:
            values[name] = cli_value
    return values


def _flag(name: str, args: argparse.Namespace, environ: Mapping[str, str],
          file_values: Mapping[str, Any], config: object) -> bool:
    """An on/off option: on when the command line gives it, else as the environment says
    (``1``/``0``, ``true``/``false``, ``yes``/``no``, ``on``/``off``), else as the file does (a
    boolean, or one of those words); off when none does."""
    if getattr(args, name, None):
        return True
    variable = ENV_PREFIX + name.upper()
    if environ.get(variable):
        given, source = environ[variable], variable
    elif file_values.get(name) is not None:
        given, source = file_values[name], f"{name} in {config}"
    else:
        return False
    if isinstance(given, bool):
        return given
    word = str(given).strip().lower()
    if word not in (*_YES, *_NO):
        raise ConfigError(f"{source} must be true or false (or 1/0, yes/no, on/off), "
                          f"not {given!r}")
    return word in _YES


def _trimmed(value: str, source: str) -> Secret:
    """Leading and trailing whitespace dropped, as the reference RP drops it from a pasted
    secret."""
    text = value.strip()
    if not text:
        raise ConfigError(f"{source} (client secret) is empty")
    return Secret(text)


# How the secret is given (a key of _SECRET_KEYS), the value given, and its name in a message.
_SecretSource = tuple[str, str, str]
_GIVE = {"client_secret": "give the client secret",
         "client_secret_env": "name the environment variable that holds the client secret",
         "client_secret_file": "name the file that holds the client secret"}


def _one_source(given: list[_SecretSource]) -> _SecretSource | None:
    if len(given) > 1:
        raise ConfigError(f"{' and '.join(label for _, _, label in given)} both give the client "
                          "secret: give one")
    if given and not given[0][1].strip():
        key, _, label = given[0]
        raise ConfigError(f"{label} is empty: {_GIVE[key]}, or leave it out")
    return given[0] if given else None


def _secret_source(args: argparse.Namespace, environ: Mapping[str, str],
                   file_values: Mapping[str, Any], config: object) -> _SecretSource | None:
    """The first of the command line, the environment and the config file that gives the secret
    in any way decides it, so an option on the command line wins over the others whatever
    they give. A source given empty is an error, not "no secret"."""
    cli = [(key, str(value), "--" + key.replace("_", "-")) for key in _SECRET_KEYS
           if (value := getattr(args, key, None)) is not None]
    env = [(key, environ[ENV_PREFIX + key.upper()], ENV_PREFIX + key.upper())
           for key in _SECRET_KEYS if ENV_PREFIX + key.upper() in environ]
    in_file = [(key, str(file_values[key]), f"{key} in {config}") for key in _SECRET_KEYS
               if file_values.get(key) is not None]
    for given in (cli, env, in_file):
        if source := _one_source(given):
            return source
    return None


def _secret(args: argparse.Namespace, environ: Mapping[str, str],
            file_values: Mapping[str, Any]) -> Secret | None:
    source = _secret_source(args, environ, file_values, getattr(args, "config", None))
    if source is None:
        return None
    key, given, label = source
    if key == "client_secret":
        return _trimmed(given, label)
    if key == "client_secret_env":
        value = environ.get(given)
        if value is None:
            raise ConfigError(f"the environment variable {given} (client secret) is not set "
                              f"({label})")
        return _trimmed(value, f"the environment variable {given}")
    try:
        text = Path(given).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read client_secret_file {given}: {exc.strerror}") from None
    return _trimmed(text, f"client_secret_file {given}")


def _check_given_redirect_uri(args: argparse.Namespace, environ: Mapping[str, str]) -> None:
    """A redirect URI on the command line (or in the environment, when the command line gives
    none) that is not an absolute http(s) URL is a bad option, refused before any check runs.
    One from a config file is judged by the https check, which names it as a FAIL."""
    given = getattr(args, "redirect_uri", None)
    source = "--redirect-uri"
    if given is None:
        given, source = environ.get(ENV_PREFIX + "REDIRECT_URI"), ENV_PREFIX + "REDIRECT_URI"
        if not given:  # an empty variable is no value, as for every option
            return
    try:
        parts = urlsplit(given.strip())
        absolute = parts.scheme in ("http", "https") and bool(parts.hostname)
        parts.port  # noqa: B018 - a port out of range raises
    except ValueError as exc:
        raise ConfigError(f"{source} {given!r} is not a URL ({exc})") from None
    if not absolute:
        raise ConfigError(f"{source} {given!r} needs http:// or https:// (the full URI the app "
                          "registers: https://host/path)")


def load_options(
    args: argparse.Namespace, environ: Mapping[str, str] | None = None
) -> DoctorOptions:
    """Merge the sources (command line over environment over file) and validate."""
    env = os.environ if environ is None else environ
    config = getattr(args, "config", None)
    file_values = read_config_file(Path(config)) if config is not None else {}
    values = _merged(args, env, file_values)
    # The discovery document names both endpoints.
    needed = ("client_id",) if values.get("discovery_url") else (
        "authorization_uri", "token_url", "client_id")
    missing = [n for n in needed if not values.get(n)]
    if missing:
        flags = ", ".join("--" + n.replace("_", "-") for n in missing)
        instead = " (or --discovery-url)" if "token_url" in missing else ""
        raise ConfigError(f"missing {flags}{instead} (or {ENV_PREFIX}<NAME>, or the --config "
                          "file)")
    method = values.get("client_auth_method")
    if method not in (None, "post", "basic"):
        raise ConfigError("client_auth_method must be 'post' or 'basic'")
    try:
        timeout = float(values.get("timeout", 10.0))
    except (TypeError, ValueError):
        raise ConfigError("--timeout must be a number of seconds") from None
    if not 0 < timeout <= 120:
        raise ConfigError("--timeout must be more than 0 and at most 120 seconds")
    for name in ("authorization_uri", "token_url", "discovery_url"):
        if (url := str(values.get(name) or "").strip()) and "://" not in url:
            raise ConfigError(f"--{name.replace('_', '-')} {url} needs https:// (a full URL: "
                              "https://host/path)")
        try:
            urlsplit(url).port  # noqa: B018 - an unclosed [ or a port out of range raises
        except ValueError as exc:
            raise ConfigError(f"--{name.replace('_', '-')} {url!r} is not a URL ({exc})"
                              ) from None
    _check_given_redirect_uri(args, env)
    ca_file = Path(str(values["ca_file"])) if values.get("ca_file") else None
    if ca_file is not None and not ca_file.is_file():
        raise ConfigError(f"--ca-file {ca_file} is not a readable file")
    if ca_file is not None:
        ca_context(ca_file)
    return DoctorOptions(
        authorization_uri=str(values.get("authorization_uri") or "").strip(),
        token_url=str(values.get("token_url") or "").strip(),
        client_id=str(values["client_id"]).strip(),
        client_secret=_secret(args, env, file_values),
        redirect_uri=str(values["redirect_uri"]).strip() if values.get("redirect_uri") else None,
        discovery_url=str(values["discovery_url"]).strip() if values.get("discovery_url") else None,
        scope=str(values["scope"]) if values.get("scope") else None,
        client_auth_method=method,
        ca_file=ca_file,
        timeout=timeout,
        json=_flag("json", args, env, file_values, config),
    )
