"""The provider's configuration: tenants, app registrations and users, as frozen data.

``IdpConfig.default()`` is the embedded directory the CLI starts with; ``IdpConfig.from_toml``
reads an ``idp.toml`` describing any number of tenants. The running provider copies this into
its mutable :mod:`mock_idp.store`, which the management API then changes.
"""

from __future__ import annotations

import re
import tomllib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509

from .clock import Clock, MockClock
from .protocol.urls import WEB_SCHEMES, UrlError, split_url

_OID_NAMESPACE = uuid.UUID("3f6b8d0e-2a4c-4e71-9d5b-7c1a0f2e6b94")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
                     r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
MAX_DAYS = 36500


def stable_oid(tenant_id: str, name: str) -> str:
    return str(uuid.uuid5(_OID_NAMESPACE, f"{tenant_id}/{name.lower()}"))


class ConfigError(ValueError):
    """An ``idp.toml`` (or programmatic config) that cannot describe a directory."""


@dataclass(frozen=True, kw_only=True)
class SecretConfig:
    value: str
    key_id: str | None = None
    display_name: str = "client secret"
    start: datetime | None = None
    end: datetime | None = None
    expires_in: timedelta = timedelta(days=180)
    """Used when ``end`` is absent: the secret ends this long after the provider starts."""


@dataclass(frozen=True, kw_only=True)
class CertificateConfig:
    pem: str
    """A PEM certificate whose private key signs ``client_assertion`` JWTs."""
    key_id: str | None = None
    display_name: str = "certificate"


@dataclass(frozen=True, kw_only=True)
class AppConfig:
    client_id: str
    name: str
    redirect_uris: tuple[str, ...] = ()
    logout_url: str | None = None
    """Front-channel logout URL (Graph ``web.logoutUrl``)."""
    backchannel_logout_uri: str | None = None
    events_url: str | None = None
    """Where the platform POSTs lifecycle events for installations of this app."""
    secrets: tuple[SecretConfig, ...] = ()
    certificates: tuple[CertificateConfig, ...] = ()
    assignment_required: bool = False
    assigned: tuple[str, ...] = ()
    """UPNs (or object ids) of users assigned to the app."""
    public_client: bool = False
    allow_id_token: bool = False
    """Implicit/hybrid ``id_token`` responses (``oauth2AllowIdTokenImplicitFlow``)."""
    allow_access_token: bool = False
    identifier_uris: tuple[str, ...] = ()
    app_roles: tuple[str, ...] = ()
    group_claims: bool = True
    frontchannel_logout_iss: bool = False
    """Add ``iss`` next to ``sid`` on front-channel logout requests."""


@dataclass(frozen=True, kw_only=True)
class UserConfig:
    upn: str
    name: str
    password: str
    email: str | None = None
    oid: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    groups: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    enabled: bool = True


@dataclass(frozen=True, kw_only=True)
class TenantConfig:
    id: str
    domain: str
    name: str
    region: str = "NA"
    apps: tuple[AppConfig, ...] = ()
    users: tuple[UserConfig, ...] = ()


DEFAULT_TENANT_ID = "6f2c1a9e-3b7d-4e58-a1c4-92d0b7e5f318"
DEFAULT_DOMAIN = "contoso.onmicrosoft.com"
REFERENCE_RP_CLIENT_ID = "2b8e4f61-9c3a-4d7e-b5f2-08a6c1d9e473"
REFERENCE_RP_SECRET = "rp7Q~Reference.Relying.Party.Secret-Value01"


@dataclass(frozen=True, kw_only=True)
class IdpConfig:
    """Everything the provider needs; pass it to :func:`mock_idp.create_app`."""

    tenants: tuple[TenantConfig, ...]
    public_url: str | None = None
    """Issuer/base URL when the mock sits behind a proxy; otherwise taken from each request."""
    clock: Clock = field(default_factory=MockClock)
    code_lifetime: timedelta = timedelta(minutes=10)
    id_token_lifetime: timedelta = timedelta(hours=1)
    access_token_lifetime: timedelta = timedelta(minutes=75)
    refresh_token_lifetime: timedelta = timedelta(days=90)
    session_lifetime: timedelta = timedelta(hours=24)
    key_retention: timedelta = timedelta(hours=24)
    """How long a rotated-out signing key stays in the JWKS."""
    event_timeout: timedelta = timedelta(seconds=5)
    logout_timeout: timedelta = timedelta(seconds=5)

    @classmethod
    def default(cls, **overrides: Any) -> IdpConfig:
        return cls(tenants=(default_tenant(),), **overrides)

    @classmethod
    def from_toml(cls, path: str | Path, **overrides: Any) -> IdpConfig:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read {path}: {exc}") from exc
        return cls.from_mapping(data, **overrides)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], **overrides: Any) -> IdpConfig:
        tenants = tuple(_tenant(t, f"tenants[{i}]") for i, t in enumerate(data.get("tenants", [])))
        if not tenants:
            raise ConfigError("the config needs at least one [[tenants]] entry")
        settings = {k: v for k, v in data.items() if k != "tenants"}
        for key in settings:
            if key != "public_url":
                raise ConfigError(f"unknown top-level key {key!r}")
        return cls(tenants=tenants, **{**settings, **overrides})


def default_tenant() -> TenantConfig:
    def user(first: str, last: str, **kw: Any) -> UserConfig:
        upn = f"{first.lower()}@{DEFAULT_DOMAIN}"
        return UserConfig(
            upn=upn, name=f"{first} {last}", given_name=first, family_name=last, email=upn,
            password=f"P@ssw0rd-{first.lower()}", oid=stable_oid(DEFAULT_TENANT_ID, upn), **kw,
        )

    users = (
        user("Alice", "Adams", groups=("b7d3a1c2-5e4f-4a6b-8c9d-0e1f2a3b4c5d",), roles=("Agent",)),
        user("Bob", "Brown"),
        user("Carol", "Clark", enabled=False),
        user("Dave", "Davis"),
    )
    loopback = ("http://localhost", "http://127.0.0.1")
    rp = AppConfig(
        client_id=REFERENCE_RP_CLIENT_ID,
        name="Reference relying party",
        redirect_uris=tuple(f"{h}{p}" for p in ("/auth/callback", "/signed-out") for h in loopback),
        secrets=(SecretConfig(value=REFERENCE_RP_SECRET, display_name="reference rp"),),
        assignment_required=True,
        assigned=tuple(u.upn for u in users[:3]),
        app_roles=("Agent",),
    )
    return TenantConfig(
        id=DEFAULT_TENANT_ID, domain=DEFAULT_DOMAIN, name="Contoso", apps=(rp,), users=users,
    )


# --- TOML parsing -------------------------------------------------------------------------------

def _str(d: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = d.get(key, default)
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}.{key} must be a non-empty string")
    return value


def _opt_str(d: Mapping[str, Any], key: str, where: str) -> str | None:
    value = d.get(key)
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"{where}.{key} must be a string")
    return value


def _strs(d: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = d.get(key, [])
    if not isinstance(value, Sequence) or isinstance(value, str) or not all(
        isinstance(v, str) for v in value
    ):
        raise ConfigError(f"{where}.{key} must be a list of strings")
    return tuple(value)


def _url(value: str, name: str, schemes: tuple[str, ...] | None = WEB_SCHEMES) -> str:
    try:
        split_url(value, schemes=schemes)
    except UrlError as exc:
        raise ConfigError(f"{name} {exc}") from None
    return value


def _opt_url(d: Mapping[str, Any], key: str, where: str) -> str | None:
    value = _opt_str(d, key, where)
    return None if value is None else _url(value, f"{where}.{key}")


def _tables(d: Mapping[str, Any], key: str, where: str) -> list[Mapping[str, Any]]:
    value = d.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise ConfigError(f"{where}.{key} must be a list of tables")
    return value


def _bool(d: Mapping[str, Any], key: str, where: str, default: bool) -> bool:
    value = d.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}.{key} must be true or false")
    return value


def _when(d: Mapping[str, Any], key: str, where: str) -> datetime | None:
    value = d.get(key)
    if value is None:
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ConfigError(f"{where}.{key} is not an ISO 8601 date-time") from exc
    else:
        raise ConfigError(f"{where}.{key} must be a date-time")
    if not 1971 <= parsed.year < 9000:
        raise ConfigError(f"{where}.{key} must be a date-time between 1971 and 9000")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _known(d: Mapping[str, Any], where: str, allowed: set[str]) -> None:
    unknown = sorted(set(d) - allowed)
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r}")


def _secret(d: Mapping[str, Any], where: str) -> SecretConfig:
    _known(d, where, {"value", "key_id", "display_name", "start", "end", "expires_in_days"})
    days = d.get("expires_in_days", 180)
    if not isinstance(days, int | float) or isinstance(days, bool) or not (
            -MAX_DAYS <= days <= MAX_DAYS):
        raise ConfigError(f"{where}.expires_in_days must be a number from {-MAX_DAYS} to "
                          f"{MAX_DAYS}")
    return SecretConfig(
        value=_str(d, "value", where), key_id=_opt_str(d, "key_id", where),
        display_name=_str(d, "display_name", where, "client secret"),
        start=_when(d, "start", where),
        end=_when(d, "end", where), expires_in=timedelta(days=days),
    )


def _app(d: Mapping[str, Any], where: str) -> AppConfig:
    _known(d, where, {
        "client_id", "name", "redirect_uris", "logout_url", "backchannel_logout_uri",
        "events_url", "secrets", "certificates", "assignment_required", "assigned",
        "public_client", "allow_id_token", "allow_access_token", "identifier_uris", "app_roles",
        "group_claims", "frontchannel_logout_iss",
    })
    certs = [_certificate(c, f"{where}.certificates[{i}]")
             for i, c in enumerate(_tables(d, "certificates", where))]
    redirect_uris = _strs(d, "redirect_uris", where)
    for i, uri in enumerate(redirect_uris):
        _url(uri, f"{where}.redirect_uris[{i}]", schemes=None)
    return AppConfig(
        client_id=_str(d, "client_id", where), name=_str(d, "name", where, "app"),
        redirect_uris=redirect_uris,
        logout_url=_opt_url(d, "logout_url", where),
        backchannel_logout_uri=_opt_url(d, "backchannel_logout_uri", where),
        events_url=_opt_url(d, "events_url", where),
        secrets=tuple(
            _secret(s, f"{where}.secrets[{i}]")
            for i, s in enumerate(_tables(d, "secrets", where))
        ),
        certificates=tuple(certs),
        assignment_required=_bool(d, "assignment_required", where, False),
        assigned=_strs(d, "assigned", where),
        public_client=_bool(d, "public_client", where, False),
        allow_id_token=_bool(d, "allow_id_token", where, False),
        allow_access_token=_bool(d, "allow_access_token", where, False),
        identifier_uris=_strs(d, "identifier_uris", where),
        app_roles=_strs(d, "app_roles", where),
        group_claims=_bool(d, "group_claims", where, True),
        frontchannel_logout_iss=_bool(d, "frontchannel_logout_iss", where, False),
    )


def _certificate(c: Mapping[str, Any], where: str) -> CertificateConfig:
    _known(c, where, {"pem", "pem_file", "key_id", "display_name"})
    if "pem_file" in c:
        pem = Path(_str(c, "pem_file", where)).read_text()
    else:
        pem = _str(c, "pem", where)
    try:
        x509.load_pem_x509_certificate(pem.encode())
    except ValueError as exc:
        raise ConfigError(f"{where}.pem is not a PEM certificate") from exc
    return CertificateConfig(pem=pem, key_id=_opt_str(c, "key_id", where),
                             display_name=_str(c, "display_name", where, "certificate"))


def _user(d: Mapping[str, Any], where: str, tenant_id: str) -> UserConfig:
    _known(d, where, {"upn", "name", "password", "email", "oid", "given_name", "family_name",
                      "groups", "roles", "enabled"})
    upn = _str(d, "upn", where)
    return UserConfig(
        upn=upn, name=_str(d, "name", where, upn.split("@")[0]),
        password=_str(d, "password", where), email=_opt_str(d, "email", where) or upn,
        oid=_opt_str(d, "oid", where) or stable_oid(tenant_id, upn),
        given_name=_opt_str(d, "given_name", where),
        family_name=_opt_str(d, "family_name", where),
        groups=_strs(d, "groups", where), roles=_strs(d, "roles", where),
        enabled=_bool(d, "enabled", where, True),
    )


def _tenant(d: Mapping[str, Any], where: str) -> TenantConfig:
    if not isinstance(d, Mapping):
        raise ConfigError(f"{where} must be a table")
    _known(d, where, {"id", "domain", "name", "region", "apps", "users"})
    tid = _str(d, "id", where)
    try:
        uuid.UUID(tid)
    except ValueError as exc:
        raise ConfigError(f"{where}.id must be a GUID") from exc
    domain = _str(d, "domain", where).lower()
    if len(domain) > 253 or not _DOMAIN.match(domain):
        raise ConfigError(f"{where}.domain must be a DNS name such as contoso.onmicrosoft.com")
    region = _str(d, "region", where, "NA")
    if len(region) > 16:
        raise ConfigError(f"{where}.region must be at most 16 characters")
    return TenantConfig(
        id=tid.lower(), domain=domain, name=_str(d, "name", where, domain), region=region,
        apps=tuple(_app(a, f"{where}.apps[{i}]")
                   for i, a in enumerate(_tables(d, "apps", where))),
        users=tuple(_user(u, f"{where}.users[{i}]", tid)
                    for i, u in enumerate(_tables(d, "users", where))),
    )
