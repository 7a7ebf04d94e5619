"""The provider's configuration: tenants, app registrations and users, as frozen data.

``IdpConfig.default()`` is the embedded directory the CLI starts with; ``IdpConfig.from_toml``
reads an ``idp.toml`` describing any number of tenants. The running provider copies this into
its mutable :mod:`mock_idp.store`, which the management API then changes.
"""

from __future__ import annotations

import tomllib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from .clock import Clock, MockClock

_OID_NAMESPACE = uuid.UUID("3f6b8d0e-2a4c-4e71-9d5b-7c1a0f2e6b94")


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
    start: datetime | None = None
    end: datetime | None = None
    """The registration's validity; default: the certificate's own."""


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
    sign_v1_id_tokens: bool = False
    """Sign the ID tokens of the v1.0 token endpoint. Entra returns them unsigned
    (``alg: none``); turn this on for a test that wants a signed one there."""
    admin_consented: bool = True
    """An administrator consented for every user (an ``AllPrincipals`` permission grant), so
    no one sees the consent page; ``False``: each user consents at first sign-in."""


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
    show_keep_me_signed_in: bool = True
    """Company branding's "Show option to remain signed in": ask "Stay signed in?" after a
    password sign-in (Entra's default); ``False`` skips it (a browser-session cookie)."""


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
    device_code_lifetime: timedelta = timedelta(minutes=15)
    device_code_interval: int = 5
    """Seconds a device-code client waits between polls (``interval``); Entra sends 5."""
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
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ConfigError(f"{where}.{key} is not an ISO 8601 date-time") from exc
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise ConfigError(f"{where}.{key} must be a date-time")


def _known(d: Mapping[str, Any], where: str, allowed: set[str]) -> None:
    unknown = sorted(set(d) - allowed)
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r}")


def _secret(d: Mapping[str, Any], where: str) -> SecretConfig:
    _known(d, where, {"value", "key_id", "display_name", "start", "end", "expires_in_days"})
    days = d.get("expires_in_days", 180)
    if not isinstance(days, int | float) or isinstance(days, bool):
        raise ConfigError(f"{where}.expires_in_days must be a number")
    return SecretConfig(
        value=_str(d, "value", where), key_id=_opt_str(d, "key_id", where),
        display_name=d.get("display_name", "client secret"), start=_when(d, "start", where),
        end=_when(d, "end", where), expires_in=timedelta(days=days),
    )


def _app(d: Mapping[str, Any], where: str) -> AppConfig:
    _known(d, where, {
        "client_id", "name", "redirect_uris", "logout_url", "backchannel_logout_uri",
        "events_url", "secrets", "certificates", "assignment_required", "assigned",
        "public_client", "allow_id_token", "allow_access_token", "identifier_uris", "app_roles",
        "group_claims", "frontchannel_logout_iss", "sign_v1_id_tokens", "admin_consented",
    })
    certs = []
    for i, c in enumerate(d.get("certificates", [])):
        cw = f"{where}.certificates[{i}]"
        _known(c, cw, {"pem", "pem_file", "key_id", "display_name", "start", "end"})
        pem = c.get("pem") or (Path(c["pem_file"]).read_text() if "pem_file" in c else None)
        if not pem:
            raise ConfigError(f"{cw} needs pem or pem_file")
        certs.append(CertificateConfig(pem=pem, key_id=c.get("key_id"),
                                       display_name=c.get("display_name", "certificate"),
                                       start=_when(c, "start", cw), end=_when(c, "end", cw)))
    return AppConfig(
        client_id=_str(d, "client_id", where), name=_str(d, "name", where, "app"),
        redirect_uris=_strs(d, "redirect_uris", where),
        logout_url=_opt_str(d, "logout_url", where),
        backchannel_logout_uri=_opt_str(d, "backchannel_logout_uri", where),
        events_url=_opt_str(d, "events_url", where),
        secrets=tuple(
            _secret(s, f"{where}.secrets[{i}]") for i, s in enumerate(d.get("secrets", []))
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
        sign_v1_id_tokens=_bool(d, "sign_v1_id_tokens", where, False),
        admin_consented=_bool(d, "admin_consented", where, True),
    )


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
    _known(d, where, {"id", "domain", "name", "region", "apps", "users",
                      "show_keep_me_signed_in"})
    tid = _str(d, "id", where)
    try:
        uuid.UUID(tid)
    except ValueError as exc:
        raise ConfigError(f"{where}.id must be a GUID") from exc
    return TenantConfig(
        id=tid.lower(), domain=_str(d, "domain", where).lower(),
        name=_str(d, "name", where, d.get("domain", "tenant")),
        region=d.get("region", "NA"),
        apps=tuple(_app(a, f"{where}.apps[{i}]") for i, a in enumerate(d.get("apps", []))),
        users=tuple(_user(u, f"{where}.users[{i}]", tid) for i, u in enumerate(d.get("users", []))),
        show_keep_me_signed_in=_bool(d, "show_keep_me_signed_in", where, True),
    )
