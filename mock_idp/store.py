"""The running provider's state: the directory (tenants, apps, users) and the protocol records,
built from an :class:`~mock_idp.config.IdpConfig` at start and changed by the management API.
It lives on the app instance, so differently configured providers can share a process."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from .application import Application
from .config import IdpConfig, TenantConfig
from .consent import (
    DEFAULT_CONSENT_SCOPE,
    GRAPH_APP_ID,
    AppRoleGrant,
    PermissionGrant,
    record_grant,
    service_principal_id,
)
from .credentials import KeyCredential, PasswordCredential, generate_secret_value, iso, new_guid
from .directory import ExtensionProperty, Group, RoleAssignment
from .expiry import ExpiringMap, ExpiringSet, after
from .lockout import Lockout
from .records import AuthorizationCode, RefreshToken, Session
from .refresh_tokens import RefreshTokens

if TYPE_CHECKING:
    from .guest_home import Home
    from .protocol.device_code import DeviceAuthorization
    from .request_log import LoggedRequest
    from .signin.flow import Transaction

__all__ = [
    "Application",
    "AuthorizationCode",
    "KeyCredential",
    "PasswordCredential",
    "PermissionGrant",
    "RefreshToken",
    "Session",
    "Store",
    "Tenant",
    "User",
    "generate_secret_value",
    "new_guid",
]


USER_DEFAULT_PROPERTIES = ("businessPhones", "displayName", "givenName", "jobTitle", "mail",
                           "mobilePhone", "officeLocation", "preferredLanguage", "surname",
                           "userPrincipalName", "id")
"""A Graph user's default properties; the rest (``accountEnabled``, ``userType``, ``country``,
``signInSessionsValidFromDateTime``, …) are "Returned only on $select", as the user resource's
property table marks them (https://learn.microsoft.com/graph/api/resources/user#properties)."""


@dataclass
class User:
    id: str
    upn: str
    name: str
    password: str
    email: str | None
    given_name: str | None
    family_name: str | None
    enabled: bool
    tokens_valid_from: datetime | None = None
    """Grants and sessions from before this are revoked (AADSTS50173); ``None`` until a
    revocation (``revokeSignInSessions``, a password change) sets it, so that moving the mock's
    clock back never makes a fresh sign-in look revoked."""
    password_changed_at: datetime | None = None
    """The user's own last password change, a CAE critical event (:mod:`.protocol.cae`) that
    leaves ``tokens_valid_from`` alone: it revokes only public clients' grants."""
    created: datetime | None = None
    """When the account was made: ``signInSessionsValidFromDateTime`` until a revocation."""
    user_type: str = "Member"
    home: Home | None = None
    """A B2B guest's account in another tenant, which it signs in with (:mod:`.guest_home`)."""
    country: str | None = None
    preferred_language: str | None = None
    job_title: str | None = None  # and the next four: Graph's profile properties, set there
    mobile_phone: str | None = None
    office_location: str | None = None
    business_phones: list[str] = field(default_factory=list)
    usage_location: str | None = None
    extensions: dict[str, Any] = field(default_factory=dict)
    """Directory extension values by full name (``extension_<appid>_<name>``)."""
    directory_roles: tuple[str, ...] = ()
    """Built-in directory roles by name (:mod:`mock_idp.directory_roles`)."""
    totp_secret: str | None = None
    """An authenticator app's base32 secret: its code is asked after the password."""
    authenticator_registered_at: datetime | None = None
    """When an authenticator app was last registered through the control API, a CAE critical
    event (:mod:`.protocol.cae`); ``None`` for one the configuration gives from the start."""
    totp_used: tuple[str, int] | None = None
    """The secret and the 30-second step of the last code accepted: a code is taken once
    (RFC 6238 §5.2), and a new secret starts afresh."""
    force_change_password: bool = False
    """Graph's ``forceChangePasswordNextSignIn``: "Update your password" after the password."""
    mail_nickname: str = ""  # Graph's mailNickname, the mail alias (:mod:`mock_idp.text_policy`)
    custom_claims: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Test-only claims merged into this user's tokens, per token kind (``id_token``,
    ``access_token``); set through ``/_mock/``, never by anything Entra has."""

    def graph(self) -> dict[str, Any]:
        """Every user property the mock keeps, as ``$select`` may name them; Graph answers
        :data:`USER_DEFAULT_PROPERTIES` without ``$select`` (:meth:`graph_default`)."""
        return {
            "businessPhones": list(self.business_phones),
            "displayName": self.name,
            "givenName": self.given_name,
            "jobTitle": self.job_title,
            "mail": self.email,
            "mobilePhone": self.mobile_phone,
            "officeLocation": self.office_location,
            "preferredLanguage": self.preferred_language,
            "surname": self.family_name,
            "userPrincipalName": self.upn,
            "id": self.id,
            "accountEnabled": self.enabled,
            "userType": self.user_type,
            "country": self.country,
            "usageLocation": self.usage_location,
            "signInSessionsValidFromDateTime": iso(valid) if (
                valid := self.tokens_valid_from or self.created) else None,
        }

    def graph_default(self) -> dict[str, Any]:
        """What ``GET users/{id}`` (and a list of users) answers without ``$select``."""
        every = self.graph()
        return {name: every[name] for name in USER_DEFAULT_PROPERTIES}


@dataclass
class Tenant:
    id: str
    domain: str
    name: str
    region: str
    apps: dict[str, Application] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    show_keep_me_signed_in: bool = True
    """Company branding's "Show option to remain signed in" ("Stay signed in?")."""
    grants: list[PermissionGrant] = field(default_factory=list)
    """Delegated permissions consented to (Graph ``oauth2PermissionGrants``)."""
    allow_user_consent: bool = True
    """Whether users may consent to apps for themselves (the tenant's user consent setting)."""
    app_role_grants: list[AppRoleGrant] = field(default_factory=list)
    """Application permissions granted to apps (an administrator's consent)."""
    lockout: Lockout = field(default_factory=Lockout)
    """Smart lockout: wrong passwords lock accounts (:mod:`mock_idp.lockout`)."""
    auth_contexts: dict[str, str] = field(default_factory=dict)
    """Conditional Access authentication contexts and what their policies ask
    (:mod:`mock_idp.protocol.auth_contexts`)."""
    mfa_at_sign_in: bool = True
    """A user with an authenticator app gives its code at every sign-in; ``False``: only
    where an authentication context's policy asks for it."""
    incarnation: bytes = b""
    """Which making of the tenant this is, carried in the ``rh`` claim of the tokens it issues
    (:mod:`mock_idp.protocol.revalidation`): a tenant deleted and made again under its id does
    not take the old one's tokens."""

    def has_consent(self, client_id: str, user_id: str) -> bool:
        return any(g.applies_to(client_id, user_id) for g in self.grants)

    def grant_consent(self, client_id: str, user_id: str | None, scope: str,
                      resource_id: str = GRAPH_APP_ID) -> PermissionGrant:
        """Record consent (or widen an existing grant for the same client, resource and user)."""
        return record_grant(self.grants, client_id, resource_id, user_id,
                            (scope or DEFAULT_CONSENT_SCOPE).split())
    groups: dict[str, Group] = field(default_factory=dict)
    assignments: dict[str, RoleAssignment] = field(default_factory=dict)
    country: str | None = None

    def find_group(self, name_or_id: str) -> Group | None:
        key = name_or_id.strip().lower()
        if key in self.groups:
            return self.groups[key]
        return next((g for g in self.groups.values() if g.display_name.lower() == key), None)

    def find_extension(self, name: str) -> tuple[Application, ExtensionProperty] | None:
        """The app and directory extension of a full ``extension_<appid>_<name>`` name."""
        key = name.lower()
        for app in self.apps.values():
            for prop in app.extension_properties:
                if prop.name.lower() == key:
                    return app, prop
        return None

    def find_user(self, name_or_id: str) -> User | None:
        key = name_or_id.strip()
        if not key.isascii():
            # UPNs and object ids are ASCII (text_policy); in Python's case folding "\u212a"
            # (KELVIN SIGN) is "k", so a look-alike name would otherwise sign in as kate@...
            return None
        key = key.lower()
        if key in self.users:
            return self.users[key]
        return next((u for u in self.users.values() if u.upn.lower() == key), None)

    def find_app(self, client_id_or_object_id: str) -> Application | None:
        key = client_id_or_object_id.strip().lower()
        found = self.apps.get(key)  # a get and a copy: the clock moving back reads this
        return found or next((a for a in list(self.apps.values()) if a.id == key), None)

    def graph(self) -> dict[str, Any]:
        return {"id": self.id, "displayName": self.name, "domain": self.domain,
                "tenantRegionScope": self.region, "countryLetterCode": self.country,
                "applications": len(self.apps), "users": len(self.users),
                "groups": len(self.groups)}


EXPIRED_KEPT = timedelta(days=1)
"""How long an expired code or refresh token, or the mark of a redeemed code, is kept past its
lifetime, so that presenting it late still gets Entra's answer ("expired", AADSTS70008 or
700082; "already redeemed", 54005) rather than "invalid"; then it is dropped (a refresh
token's value still says it expired: :mod:`mock_idp.refresh_tokens`). Entra's grace for codes
is not documented; a day covers a client retrying after a night's sleep."""
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
    session_cookies: ExpiringMap[str, Session]
    """A browser cookie's value (:attr:`Session.cookie`) -> the session it names, while the
    session signs in: dropped when it ends (:meth:`end`) or expires, and before the clock moves
    back from a time past its expiry."""
    codes: ExpiringMap[str, AuthorizationCode]
    redeemed_codes: ExpiringSet[str]
    """Codes already redeemed (a second try is AADSTS54005), kept as long as the code itself
    would have been: ``code_lifetime`` plus :data:`EXPIRED_KEPT` after redemption."""
    refresh_tokens: RefreshTokens
    """Dropped :data:`EXPIRED_KEPT` past their expiry; their values still tell expired from
    unknown (:mod:`mock_idp.refresh_tokens`)."""
    id_tokens: ExpiringMap[str, tuple[str, str, str | None]]
    """uti -> (tenant id, client id, session id) of ID tokens issued, for their lifetime."""
    pending: ExpiringMap[str, Transaction]
    """Sign-ins (and sign-outs) waiting on one of the provider's pages, by their ``ctx``."""
    device_codes: ExpiringMap[str, DeviceAuthorization]
    """Device authorizations, kept :data:`EXPIRED_KEPT` past their expiry (``expired_token``)."""
    request_log: deque[LoggedRequest] = field(default_factory=lambda: deque(maxlen=2000))

    @classmethod
    def from_config(cls, config: IdpConfig, now: datetime) -> Store:
        clock = config.clock
        from .directory_build import build_tenant  # it builds this module's records
        from .guest_home import link_homes

        store = cls(
            tenants={t.id: t for t in (build_tenant(c, now) for c in config.tenants)},
            sessions=ExpiringMap(clock, lambda session, _: session.expires_at),
            session_cookies=ExpiringMap(clock, lambda session, _: session.expires_at),
            codes=ExpiringMap.kept_past(clock, lambda code: code.expires_at, EXPIRED_KEPT),
            redeemed_codes=ExpiringSet(clock, config.code_lifetime + EXPIRED_KEPT),
            refresh_tokens=RefreshTokens.kept_past(clock, lambda t: t.expires_at, EXPIRED_KEPT),
            id_tokens=ExpiringMap(clock, after(config.id_token_lifetime)),
            pending=ExpiringMap(clock, after(SIGN_IN_PAGE_LIFETIME)),
            device_codes=ExpiringMap.kept_past(clock, lambda r: r.expires_at, EXPIRED_KEPT),
        )
        for i, cfg in enumerate(config.tenants):
            link_homes(cfg, store.tenants[cfg.id.lower()], store.tenants, f"tenants[{i}]")
        return store

    def reset(self, config: IdpConfig, now: datetime) -> None:
        """Back to the configured directory with no protocol records, in place: the parts
        that hold this store keep holding it."""
        fresh = Store.from_config(config, now)
        for item in fields(self):
            setattr(self, item.name, getattr(fresh, item.name))

    def add_tenant(self, cfg: TenantConfig, now: datetime) -> Tenant:
        """Build a tenant from its config and add it; :class:`~mock_idp.config.ConfigError` for
        a reference that does not resolve (a member, an assignment, an extension value, a
        guest's home: ``tenants[0]...``, as one tenant of a config)."""
        from .directory_build import build_tenant  # it builds this module's records
        from .guest_home import link_homes
        from .protocol.revalidation import new_incarnation

        tenant = build_tenant(cfg, now, new_incarnation())
        link_homes(cfg, tenant, self.tenants, "tenants[0]")
        self.tenants[tenant.id] = tenant
        return tenant

    def resolve_tenant(self, segment: str) -> Tenant | None:
        if not segment.isascii():  # ids and domains are ASCII: "\u212a".lower() is "k"
            return None
        key = segment.lower()
        found = self.tenants.get(key)  # a get and a copy: the clock moving back reads this
        return found or next((t for t in list(self.tenants.values()) if t.domain == key), None)

    def find_app_any(self, client_id: str) -> tuple[Tenant, Application] | None:
        for tenant in self.tenants.values():
            app = tenant.apps.get(client_id.lower())
            if app is not None:
                return tenant, app
        return None

    def principal_id(self, tenant_id: str, app_id: str) -> str:
        """The object id of ``app_id``'s service principal in ``tenant_id``, of the
        registration that holds the appId now (Microsoft Graph's when none does)."""
        found = self.find_app_any(app_id)
        if found is None:
            return service_principal_id(tenant_id, app_id)
        return found[1].principal_id(tenant_id)

    def revoke_grants(self, user_id: str, now: datetime, *, public_only: bool = False) -> None:
        """Revoke the user's refresh tokens and unredeemed codes from ``now`` (with
        ``public_only``, public clients' refresh tokens only): sessions revoked, or a password
        changed or reset; an approved device code too, and the user's sign-ins waiting past the
        password."""
        for value, rt in list(self.refresh_tokens.items()):
            if rt.user_id == user_id and rt.revoked_at is None and (rt.public or not public_only):
                self.refresh_tokens.replace_present(value, replace(rt, revoked_at=now))
        for value, code in list(self.codes.items()):
            if code.user_id == user_id and code.revoked_at is None:
                self.codes.replace_present(value, replace(code, revoked_at=now))
        for record in self.device_codes.values():  # a device's sign-in is a public client's
            if record.user_id == user_id and record.revoked_at is None:
                record.revoked_at = now
        # A sign-in past the password but not finished (its code or a new password still to
        # come) checked a password that no longer stands. (A session asked for its code is
        # checked when the code comes: an ended one starts over at the username page.)
        for ctx in [c for c, t in self.pending.items()
                    if t.pending_user == user_id and t.step_up_session is None]:
            self.pending.pop(ctx, None)

    def add_session(self, session: Session) -> None:
        """Keep ``session``, and bind its cookie value to it."""
        self.sessions[session.id] = session
        self.session_cookies[session.cookie] = session

    def session_by_cookie(self, value: str) -> Session | None:
        """The session a browser cookie's value names, while it is kept; ``None`` for a value
        of an ended or expired session, or one never given (a ``sid``, say)."""
        session = self.session_cookies.get(value)
        if session is None or self.sessions.get(session.id) is not session:
            return None
        return session

    def end(self, sessions: list[Session]) -> None:
        """End ``sessions`` (sign-out, revocation, a deleted tenant): they sign no one in, and
        their cookie values name nothing any more."""
        for s in sessions:
            s.active = False
            self.session_cookies.pop(s.cookie, None)

    def end_sessions(self, *, user_id: str | None = None,
                     session_id: str | None = None) -> list[Session]:
        ended = [s for s in self.sessions.values() if s.active and (
            (session_id is not None and s.id == session_id)
            or (user_id is not None and s.user_id == user_id))]
        self.end(ended)
        return ended


