"""The running provider's state: the directory (tenants, apps, users) and the protocol records.

Built from an :class:`~mock_idp.config.IdpConfig` at start and changed by the management API.
Everything lives on the app instance, so several differently configured providers can share a
process.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from collections import deque
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from .config import AppConfig, IdpConfig, TenantConfig, UserConfig, stable_oid
from .expiry import ExpiringMap, ExpiringSet, after

if TYPE_CHECKING:
    from .request_log import LoggedRequest


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def new_guid() -> str:
    return str(uuid.uuid4())


def generate_secret_value() -> str:
    """A secret in the portal's current shape: three characters, a digit, ``Q~``, then 34 more."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_~."
    head = "".join(secrets.choice(alphabet) for _ in range(3))
    tail = "".join(secrets.choice(alphabet + "-") for _ in range(34))
    return f"{head}{secrets.randbelow(10)}Q~{tail}"


@dataclass
class PasswordCredential:
    key_id: str
    display_name: str
    value: str
    start: datetime
    end: datetime

    @property
    def hint(self) -> str:
        return self.value[:3]

    def graph(self, *, include_secret: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "customKeyIdentifier": None,
            "displayName": self.display_name,
            "endDateTime": _iso(self.end),
            "hint": self.hint,
            "keyId": self.key_id,
            "secretText": self.value if include_secret else None,
            "startDateTime": _iso(self.start),
        }
        return out


@dataclass
class KeyCredential:
    key_id: str
    display_name: str
    certificate: x509.Certificate

    @property
    def public_key(self) -> Any:
        return self.certificate.public_key()

    @property
    def x5t(self) -> str:
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        return _b64url(hashlib.sha1(der).digest())

    @property
    def x5t_s256(self) -> str:
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        return _b64url(hashlib.sha256(der).digest())


@dataclass
class Application:
    id: str
    client_id: str
    name: str
    tenant_id: str
    redirect_uris: list[str]
    logout_url: str | None
    backchannel_logout_uri: str | None
    events_url: str | None
    secrets: list[PasswordCredential]
    certificates: list[KeyCredential]
    assignment_required: bool
    assigned: set[str]
    public_client: bool
    allow_id_token: bool
    allow_access_token: bool
    identifier_uris: list[str]
    app_roles: list[str]
    group_claims: bool
    frontchannel_logout_iss: bool

    def graph(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "appId": self.client_id,
            "displayName": self.name,
            "identifierUris": list(self.identifier_uris),
            "isFallbackPublicClient": self.public_client,
            "appRoles": [
                {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.client_id}/{r}")),
                 "value": r, "displayName": r, "allowedMemberTypes": ["User"], "isEnabled": True}
                for r in self.app_roles
            ],
            "passwordCredentials": [s.graph() for s in self.secrets],
            "keyCredentials": [
                {"keyId": c.key_id, "displayName": c.display_name, "type": "AsymmetricX509Cert",
                 "usage": "Verify", "customKeyIdentifier": c.x5t}
                for c in self.certificates
            ],
            "web": {
                "redirectUris": list(self.redirect_uris),
                "logoutUrl": self.logout_url,
                "implicitGrantSettings": {
                    "enableIdTokenIssuance": self.allow_id_token,
                    "enableAccessTokenIssuance": self.allow_access_token,
                },
            },
            "backchannelLogoutUri": self.backchannel_logout_uri,
            "eventsUrl": self.events_url,
            "appRoleAssignmentRequired": self.assignment_required,
        }


@dataclass
class User:
    id: str
    upn: str
    name: str
    password: str
    email: str | None
    given_name: str | None
    family_name: str | None
    groups: list[str]
    roles: list[str]
    enabled: bool
    tokens_valid_from: datetime

    def graph(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "userPrincipalName": self.upn,
            "displayName": self.name,
            "givenName": self.given_name,
            "surname": self.family_name,
            "mail": self.email,
            "accountEnabled": self.enabled,
            "signInSessionsValidFromDateTime": _iso(self.tokens_valid_from),
        }


@dataclass
class Tenant:
    id: str
    domain: str
    name: str
    region: str
    apps: dict[str, Application] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)

    def find_user(self, name_or_id: str) -> User | None:
        key = name_or_id.strip().lower()
        if key in self.users:
            return self.users[key]
        return next((u for u in self.users.values() if u.upn.lower() == key), None)

    def find_app(self, client_id_or_object_id: str) -> Application | None:
        key = client_id_or_object_id.strip().lower()
        if key in self.apps:
            return self.apps[key]
        return next((a for a in self.apps.values() if a.id == key), None)

    def graph(self) -> dict[str, Any]:
        return {"id": self.id, "displayName": self.name, "domain": self.domain,
                "tenantRegionScope": self.region,
                "applications": len(self.apps), "users": len(self.users)}


@dataclass
class Session:
    """An IdP browser session (the cookie behind automatic login)."""

    id: str
    tenant_id: str
    user_id: str
    auth_time: datetime
    expires_at: datetime
    apps: dict[str, datetime] = field(default_factory=dict)
    active: bool = True


@dataclass(frozen=True)
class AuthorizationCode:
    code: str
    tenant_id: str
    client_id: str
    redirect_uri: str
    user_id: str
    scopes: tuple[str, ...]
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    session_id: str
    auth_time: datetime
    expires_at: datetime
    version: str
    resource: str | None = None


@dataclass(frozen=True)
class RefreshToken:
    token: str
    tenant_id: str
    client_id: str
    user_id: str
    scopes: tuple[str, ...]
    issued_at: datetime
    expires_at: datetime
    session_id: str | None
    version: str
    resource: str | None = None


@dataclass(frozen=True)
class AccessTokenRecord:
    jti: str
    tenant_id: str
    client_id: str
    user_id: str | None
    scopes: tuple[str, ...]
    expires_at: datetime


EXPIRED_KEPT = timedelta(days=1)
"""How long an expired code or refresh token, or the mark of a redeemed code, is kept past its
lifetime, so that presenting it late still gets Entra's answer ("expired", AADSTS70008 or
700082; "already redeemed", 54005) rather than "invalid"; then it is dropped. Entra's own
grace is not documented; a day covers a client retrying after a night's sleep."""
SIGN_IN_PAGE_LIFETIME = timedelta(hours=1)
"""How long a sign-in page can wait for its form before the request behind it is dropped."""


@dataclass
class Store:
    """The directory and the protocol records. Records expire on the provider's clock and are
    dropped as it passes their lifetimes (see :mod:`mock_idp.expiry`); build with
    :meth:`from_config`."""

    tenants: dict[str, Tenant]
    sessions: ExpiringMap[str, Session]
    """Dropped when they expire (``session_lifetime``), signed out or not."""
    codes: ExpiringMap[str, AuthorizationCode]
    redeemed_codes: ExpiringSet[str]
    """Codes already redeemed (a second try is AADSTS54005), kept as long as the code itself
    would have been: ``code_lifetime`` plus :data:`EXPIRED_KEPT` after redemption."""
    refresh_tokens: ExpiringMap[str, RefreshToken]
    access_tokens: ExpiringMap[str, AccessTokenRecord]
    """Dropped when they expire."""
    id_tokens: ExpiringMap[str, tuple[str, str, str | None]]
    """uti -> (tenant id, client id, session id) of ID tokens issued, for their lifetime."""
    pending: ExpiringMap[str, Any]
    """Authorization requests waiting on the sign-in page, by their ``ctx`` id."""
    request_log: deque[LoggedRequest] = field(default_factory=lambda: deque(maxlen=2000))

    @classmethod
    def from_config(cls, config: IdpConfig, now: datetime) -> Store:
        clock = config.clock
        store = cls(
            tenants={},
            sessions=ExpiringMap(clock, lambda session, _: session.expires_at),
            codes=ExpiringMap(clock, lambda code, _: code.expires_at + EXPIRED_KEPT),
            redeemed_codes=ExpiringSet(clock, config.code_lifetime + EXPIRED_KEPT),
            refresh_tokens=ExpiringMap(clock, lambda token, _: token.expires_at + EXPIRED_KEPT),
            access_tokens=ExpiringMap(clock, lambda token, _: token.expires_at),
            id_tokens=ExpiringMap(clock, after(config.id_token_lifetime)),
            pending=ExpiringMap(clock, after(SIGN_IN_PAGE_LIFETIME)),
        )
        for tenant in config.tenants:
            store.add_tenant(tenant, now)
        return store

    def reset(self, config: IdpConfig, now: datetime) -> None:
        """Back to the configured directory with no protocol records, in place: the parts
        that hold this store keep holding it."""
        fresh = Store.from_config(config, now)
        for item in fields(self):
            setattr(self, item.name, getattr(fresh, item.name))

    def add_tenant(self, cfg: TenantConfig, now: datetime) -> Tenant:
        tenant = Tenant(id=cfg.id.lower(), domain=cfg.domain.lower(), name=cfg.name,
                        region=cfg.region)
        for ucfg in cfg.users:
            user = build_user(ucfg, tenant.id, now)
            tenant.users[user.id] = user
        for acfg in cfg.apps:
            app = build_app(acfg, tenant, now)
            tenant.apps[app.client_id] = app
        self.tenants[tenant.id] = tenant
        return tenant

    def resolve_tenant(self, segment: str) -> Tenant | None:
        key = segment.lower()
        if key in self.tenants:
            return self.tenants[key]
        return next((t for t in self.tenants.values() if t.domain == key), None)

    def find_app_any(self, client_id: str) -> tuple[Tenant, Application] | None:
        for tenant in self.tenants.values():
            app = tenant.apps.get(client_id.lower())
            if app is not None:
                return tenant, app
        return None

    def end_sessions(self, *, user_id: str | None = None, session_id: str | None = None) -> list[
        Session
    ]:
        ended = []
        for s in self.sessions.values():
            if not s.active:
                continue
            if (session_id is not None and s.id == session_id) or (
                user_id is not None and s.user_id == user_id
            ):
                s.active = False
                ended.append(s)
        return ended


def build_user(cfg: UserConfig, tenant_id: str, now: datetime) -> User:
    return User(
        id=(cfg.oid or stable_oid(tenant_id, cfg.upn)).lower(), upn=cfg.upn, name=cfg.name,
        password=cfg.password, email=cfg.email or cfg.upn, given_name=cfg.given_name,
        family_name=cfg.family_name, groups=list(cfg.groups), roles=list(cfg.roles),
        enabled=cfg.enabled, tokens_valid_from=now - timedelta(days=1),
    )


def build_app(cfg: AppConfig, tenant: Tenant, now: datetime) -> Application:
    creds = [
        PasswordCredential(
            key_id=(s.key_id or new_guid()).lower(), display_name=s.display_name, value=s.value,
            start=s.start or now, end=s.end or now + s.expires_in,
        )
        for s in cfg.secrets
    ]
    certs = [
        KeyCredential(key_id=(c.key_id or new_guid()).lower(), display_name=c.display_name,
                      certificate=x509.load_pem_x509_certificate(c.pem.encode()))
        for c in cfg.certificates
    ]
    assigned = set()
    for name in cfg.assigned:
        user = tenant.find_user(name)
        assigned.add(user.id if user else name.lower())
    return Application(
        id=str(uuid.uuid5(uuid.NAMESPACE_OID, f"{tenant.id}/{cfg.client_id}")),
        client_id=cfg.client_id.lower(), name=cfg.name, tenant_id=tenant.id,
        redirect_uris=list(cfg.redirect_uris), logout_url=cfg.logout_url,
        backchannel_logout_uri=cfg.backchannel_logout_uri, events_url=cfg.events_url,
        secrets=creds, certificates=certs, assignment_required=cfg.assignment_required,
        assigned=assigned, public_client=cfg.public_client, allow_id_token=cfg.allow_id_token,
        allow_access_token=cfg.allow_access_token, identifier_uris=list(cfg.identifier_uris),
        app_roles=list(cfg.app_roles), group_claims=cfg.group_claims,
        frontchannel_logout_iss=cfg.frontchannel_logout_iss,
    )


def _iso(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")
