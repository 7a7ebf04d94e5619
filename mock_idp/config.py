"""The provider's configuration: tenants, app registrations and users, as frozen data.

``IdpConfig.default()`` is the embedded directory the CLI starts with; ``IdpConfig.from_toml``
reads an ``idp.toml`` describing any number of tenants. The running provider copies this into
its mutable :mod:`mock_idp.store`, which the management API then changes.

Long because: it is the schema of ``idp.toml``, a dataclass per table with each key's meaning
beside it, and the loader of those tables; the typed getters, the directory's own keys and an
app's credentials live in :mod:`mock_idp.config_fields`, :mod:`mock_idp.directory_toml` and
:mod:`mock_idp.credential_config`, the file's reading in :mod:`mock_idp.toml_file`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from random import Random
from typing import Any

from . import lockout
from .audiences import SIGN_IN_AUDIENCES, SINGLE_TENANT, read_audience
from .clock import Clock, MockClock
from .config_fields import (
    ConfigError,
    base_url,
    checked,
    country,
    flag,
    keyed,
    known,
    opt_guid,
    opt_str,
    opt_url,
    req_guid,
    req_str,
    stable_oid,
    str_list,
    tables,
    unique,
    whole,
)
from .control_hosts import allowed_entries
from .credential_config import CertificateConfig, SecretConfig, parse_credentials
from .directory import OptionalClaim, OptionalClaims
from .directory_config import (
    AppRoleConfig,
    AssignmentConfig,
    ExtensionPropertyConfig,
    GroupConfig,
    resolve,
)
from .directory_toml import (
    APP_KEYS,
    USER_KEYS,
    parse_app_claims,
    parse_app_roles,
    parse_groups,
    parse_user_extras,
)
from .protocol import auth_contexts
from .protocol.token_lifetimes import APP_TOKEN_LIFETIME, USER_TOKEN_LIFETIME, bounds_of
from .registration_rules import (
    identifier_uri_key,
    identifier_uri_problem,
    redirect_uri_problem,
)
from .text_policy import is_tenant_domain, mail_problem, upn_problem
from .toml_file import read_toml

__all__ = [
    "AppConfig", "AppRoleConfig", "AssignmentConfig", "CertificateConfig", "ConfigError",
    "ExtensionPropertyConfig", "GroupConfig", "IdpConfig", "SUPPORT_AGENTS_GROUP_ID",
    "SIGN_IN_AUDIENCES", "SINGLE_TENANT", "SecretConfig", "TenantConfig", "UserConfig",
    "default_tenant", "stable_oid",
]

@dataclass(frozen=True, kw_only=True)
class AppConfig:
    client_id: str
    name: str
    redirect_uris: tuple[str, ...] = ()
    """Web redirect URIs (Graph ``web.redirectUris``)."""
    spa_redirect_uris: tuple[str, ...] = ()
    """Single-page-application redirect URIs (Graph ``spa.redirectUris``): the browser redeems
    their codes itself, cross-origin, without a secret."""
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
    app_roles: tuple[str | AppRoleConfig, ...] = ()
    """Role values, or :class:`AppRoleConfig` for an id, display name or member types."""
    frontchannel_logout_iss: bool = False
    """Add ``iss`` next to ``sid`` on front-channel logout requests."""
    sign_v1_id_tokens: bool = False
    """Sign the ID tokens of the v1.0 token endpoint. Entra returns them unsigned
    (``alg: none``); turn this on for a test that wants a signed one there."""
    admin_consented: bool = True
    """An administrator consented for every user (an ``AllPrincipals`` permission grant), so
    no one sees the consent page; ``False``: each user consents at first sign-in."""
    enabled: bool = True
    """The enterprise application's "Enabled for users to sign-in?" (its service principal's
    ``accountEnabled``); ``False``: every sign-in and token request is AADSTS7000112."""
    sign_in_audience: str = SINGLE_TENANT
    """The portal's "Supported account types" (Graph ``signInAudience``): ``AzureADMyOrg``
    (single tenant, the portal's default for a new registration), ``AzureADMultipleOrgs``,
    ``AzureADandPersonalMicrosoftAccount`` or ``PersonalMicrosoftAccount``. A single-tenant app
    signing in through ``/common`` or ``/organizations`` is AADSTS50194; ``/consumers`` serves
    only the last two (and signs no one in: the mock has no personal accounts)."""
    api_permissions: tuple[str, ...] = ()
    """Delegated permissions the app is configured with beyond Graph's defaults (the portal's
    "API permissions"): ``Mail.Read``, ``https://graph.microsoft.com/Mail.Read``,
    ``api://orders/Orders.Read``. With ``admin_consented``, the administrator's consent grants
    them, one grant per resource, so refresh tokens and on-behalf-of may use them."""
    app_permissions: tuple[str, ...] = ()
    """Application permissions (app roles of an API, for app-only tokens): ``User.Read.All``
    (Graph's) or ``api://orders/Orders.Read.All``; an administrator's consent grants them."""
    exposed_scopes: tuple[str, ...] = ()
    """The delegated permissions it exposes as an API (the portal's "Expose an API", Graph
    ``api.oauth2PermissionScopes``): ``access_as_user``. When set, a request naming another
    of its permissions is AADSTS650053; unset, any name is taken."""
    group_membership_claims: str | None = None
    """``None`` (Entra's default: no ``groups`` claim), ``"None"``, ``"SecurityGroup"``,
    ``"DirectoryRole"``, ``"ApplicationGroup"``, ``"All"``, or a comma-separated mix."""
    optional_claims: OptionalClaims = field(default_factory=OptionalClaims)
    extension_properties: tuple[ExtensionPropertyConfig, ...] = ()
    access_token_version: int | None = None
    """``api.requestedAccessTokenVersion``: 2 for v2 access tokens to this API; unset (Entra's
    default for a new registration) or 1 for v1 ones, whichever endpoint the client called."""
    assignments: tuple[AssignmentConfig, ...] = ()
    """Users and groups assigned to the app, with a role or default access (``assigned``
    plus the users' ``roles`` is the older short form)."""


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
    """Groups (display name or id) the user is a direct member of; a name no
    ``[[tenants.groups]]`` declares makes a security group of that name (or id)."""
    roles: tuple[str, ...] = ()
    """App role values held on every app in ``assigned`` of which it is a role."""
    enabled: bool = True
    user_type: str = "Member"
    """``Member`` or ``Guest``."""
    home: str | None = None
    """For a guest: the UPN (or oid) of its account in another configured tenant, a B2B guest
    from another organization. It signs in with that account's UPN and password, and its
    tokens say so (``idp``, ``client_info``: :mod:`mock_idp.guest_home`); its own
    ``password`` is then unused. Without it, a guest is an account of this tenant alone."""
    country: str | None = None
    """Two-letter country code (the ``ctry`` optional claim)."""
    preferred_language: str | None = None
    """``ll-CC`` (the ``xms_pl`` optional claim)."""
    extensions: Mapping[str, Any] = field(default_factory=dict)
    """Directory extension values, by short or full ``extension_<appid>_<name>`` name."""
    directory_roles: tuple[str, ...] = ()
    """Built-in directory roles by name (:mod:`mock_idp.directory_roles`); an administrator's
    may consent for the whole organization."""
    totp_secret: str | None = None
    """An authenticator app's base32 secret: the user is asked for its code after the password
    (:mod:`mock_idp.totp`)."""
    force_change_password: bool = False
    """Graph's ``forceChangePasswordNextSignIn``: after the right password the user must set a
    new one on "Update your password", and the password grant answers AADSTS50055."""
    mail_nickname: str | None = None
    """Graph's ``mailNickname``; the UPN's part before the ``@`` when not given, as the Entra
    admin center derives it (:func:`mock_idp.text_policy.default_mail_nickname`)."""


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
    groups: tuple[GroupConfig, ...] = ()
    country: str | None = None
    """The tenant's two-letter country code (the ``tenant_ctry`` optional claim)."""
    allow_user_consent: bool = True
    """The tenant's user consent setting: ``False`` is "Do not allow user consent", where only
    an administrator consents to an app and everyone else gets "Need admin approval"."""
    lockout_threshold: int = lockout.DEFAULT_THRESHOLD
    """Smart lockout's "Lockout threshold": failed sign-ins before an account locks."""
    lockout_duration_seconds: int = int(lockout.DEFAULT_DURATION.total_seconds())
    """Smart lockout's "Lockout duration in seconds": how long the first lockout lasts."""
    auth_contexts: tuple[tuple[str, str], ...] = ()
    """Conditional Access authentication contexts (``c1`` ... ``c99``) and what their policies
    ask: ``mfa`` or ``none`` (:mod:`mock_idp.protocol.auth_contexts`)."""
    mfa_at_sign_in: bool = True
    """A user with an authenticator app gives its code at every sign-in (as under security
    defaults or per-user MFA); ``False``: only where an authentication context asks for it."""


DEFAULT_TENANT_ID = "6f2c1a9e-3b7d-4e58-a1c4-92d0b7e5f318"
DEFAULT_DOMAIN = "contoso.onmicrosoft.com"
REFERENCE_RP_CLIENT_ID = "2b8e4f61-9c3a-4d7e-b5f2-08a6c1d9e473"
REFERENCE_RP_SECRET = "rp7Q~Reference.Relying.Party.Secret-Value01"
SUPPORT_AGENTS_GROUP_ID = "b7d3a1c2-5e4f-4a6b-8c9d-0e1f2a3b4c5d"


@dataclass(frozen=True, kw_only=True)
class IdpConfig:
    """Everything the provider needs; pass it to :func:`mock_idp.create_app`."""

    tenants: tuple[TenantConfig, ...]
    public_url: str | None = None
    """Issuer/base URL when the mock sits behind a proxy; otherwise taken from each request."""
    control_hosts: tuple[str, ...] = ()
    """Host names the test-control API and the console answer to besides their own
    (:mod:`mock_idp.control_hosts`: loopback names, IP addresses, the listening address and
    ``public_url``'s host): a container's service name, say; ``.example.test`` takes that name
    and every name under it. Any other ``Host`` is refused there (DNS rebinding)."""
    clock: Clock = field(default_factory=MockClock)
    code_lifetime: timedelta = timedelta(minutes=10)
    id_token_lifetime: timedelta = timedelta(hours=1)
    access_token_lifetime: tuple[timedelta, timedelta] = USER_TOKEN_LIFETIME
    """The shortest and longest lifetime of a user's access token: each one is drawn between
    them, 60 to 90 minutes as on Entra (:mod:`mock_idp.protocol.token_lifetimes`). One
    ``timedelta`` is taken as a fixed lifetime (both bounds)."""
    app_token_lifetime: timedelta = APP_TOKEN_LIFETIME
    """An app-only (client credentials) token's lifetime: 3599 seconds."""
    lifetime_random: Random = field(default_factory=Random)
    """Where token lifetimes are drawn from: pass ``Random(seed)`` for the same lifetimes on
    every run."""
    refresh_token_lifetime: timedelta = timedelta(days=90)
    session_lifetime: timedelta = timedelta(hours=24)
    """How long a browser session lasts after its last use, in a browser-session cookie
    ("Stay signed in?" not answered Yes): 24 hours, rolling, as on Entra
    (:mod:`mock_idp.signin.session_window`)."""
    persistent_session_lifetime: timedelta = timedelta(days=90)
    """The same after "Stay signed in?" answered Yes (a persistent cookie): 90 days, rolling."""
    device_code_lifetime: timedelta = timedelta(minutes=15)
    device_code_interval: int = 5
    """Seconds a device-code client waits between polls (``interval``); Entra sends 5."""
    key_retention: timedelta = timedelta(hours=24)
    """How long a rotated-out signing key stays in the JWKS."""
    event_timeout: timedelta = timedelta(seconds=5)
    logout_timeout: timedelta = timedelta(seconds=5)
    """How long a back-channel logout post may take as a whole (an app that trickles its
    answer is cut off there: :class:`mock_idp.notifications.Notifier`)."""

    def __post_init__(self) -> None:
        try:
            bounds = bounds_of(self.access_token_lifetime)
        except ValueError as exc:
            raise ConfigError(f"access_token_lifetime: {exc}") from None
        object.__setattr__(self, "access_token_lifetime", bounds)  # frozen: set once, here
        for name in ("app_token_lifetime", "session_lifetime", "persistent_session_lifetime"):
            lifetime: object = getattr(self, name)
            if not isinstance(lifetime, timedelta) or lifetime.total_seconds() < 1:
                raise ConfigError(f"{name} must be a timedelta of a second or more, "
                                  f"not {lifetime!r}")
        random_source: object = self.lifetime_random
        if not isinstance(random_source, Random):
            raise ConfigError(f"lifetime_random must be a random.Random, not {random_source!r}")
        object.__setattr__(self, "control_hosts",
                           allowed_entries(self.control_hosts, "control_hosts"))

    @classmethod
    def default(cls, **overrides: Any) -> IdpConfig:
        return cls(tenants=(default_tenant(),), **overrides)

    @classmethod
    def from_toml(cls, path: str | Path, **overrides: Any) -> IdpConfig:
        """The file at ``path``; a relative ``pem_file`` in it is read from the file's
        directory."""
        return cls.from_mapping(read_toml(path), base_dir=Path(path).parent, **overrides)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, base_dir: Path | None = None,
                     **overrides: Any) -> IdpConfig:
        """``base_dir``: where a relative ``pem_file`` is (default: the current directory).
        An unknown top-level key is named first: ``[[tenant]]`` is a typo, not a missing
        ``[[tenants]]``."""
        settings = {k: v for k, v in data.items() if k != "tenants"}
        for key in settings:
            if key not in ("public_url", "control_hosts"):
                raise ConfigError(f"unknown top-level key {key!r}")
        entries = data.get("tenants", [])
        if not isinstance(entries, list):
            raise ConfigError("tenants must be an array of tables: one [[tenants]] section "
                              "per tenant")
        tenants = tuple(_tenant(t, f"tenants[{i}]", base_dir) for i, t in enumerate(entries))
        if not tenants:
            raise ConfigError("the config needs at least one [[tenants]] entry")
        for i, tenant in enumerate(tenants):
            for j, earlier in enumerate(tenants[:i]):
                for key in ("id", "domain"):
                    if getattr(tenant, key) == getattr(earlier, key):
                        raise ConfigError(f"tenants[{i}].{key} {getattr(tenant, key)!r} is "
                                          f"already the {key} of tenants[{j}]")
        # An appId is unique across Entra, not only in its tenant: other tenants know a
        # multi-tenant app by a service principal with the same appId
        # (learn.microsoft.com/entra/identity-platform/app-objects-and-service-principals).
        unique([(f"tenants[{i}].apps[{j}].client_id", a.client_id)
                 for i, t in enumerate(tenants) for j, a in enumerate(t.apps)],
                "app", why=" (Entra's appIds are unique across tenants)")
        settings = {**settings, **overrides}
        if settings.get("public_url") is not None:
            settings["public_url"] = base_url(settings["public_url"], "public_url")
        return cls(tenants=tenants, **settings)


def default_tenant() -> TenantConfig:
    def user(first: str, last: str, **kw: Any) -> UserConfig:
        upn = f"{first.lower()}@{DEFAULT_DOMAIN}"
        return UserConfig(
            upn=upn, name=f"{first} {last}", given_name=first, family_name=last, email=upn,
            password=f"P@ssw0rd-{first.lower()}", oid=stable_oid(DEFAULT_TENANT_ID, upn), **kw,
        )

    users = (
        user("Alice", "Adams", groups=(SUPPORT_AGENTS_GROUP_ID,), roles=("Agent",)),
        user("Bob", "Brown"),
        user("Carol", "Clark", enabled=False),
        user("Dave", "Davis"),
    )
    loopback = ("http://localhost", "http://127.0.0.1")
    # /auth/callback, the reference RP's one redirect URI in its earlier versions (the first
    # registered, which a request without redirect_uri gets), its installations' (its partner
    # app is this registration) and that of its connection named after this client id (each
    # connection has its own: relying_party.redirect_uris).
    paths = ("/auth/callback", "/auth/callback/installation",
             f"/auth/callback/{REFERENCE_RP_CLIENT_ID}", "/signed-out")
    rp = AppConfig(
        client_id=REFERENCE_RP_CLIENT_ID,
        name="Reference relying party",
        redirect_uris=tuple(f"{h}{p}" for p in paths for h in loopback),
        secrets=(SecretConfig(value=REFERENCE_RP_SECRET, display_name="reference rp"),),
        assignment_required=True,
        assigned=tuple(u.upn for u in users[:3]),
        app_roles=("Agent",),
        group_membership_claims="SecurityGroup",
        # Entra's v2.0 end-session endpoint asks "Pick an account" unless ``logout_hint``
        # names one; that value is the ID token's ``login_hint``, an optional claim the app
        # registration asks for (the optional claims reference), as the reference RP's does.
        # ``email`` (which v1 ID tokens carry only so) and ``xms_edov``, whether Entra vouches
        # for its domain (optional claims reference): the reference RP takes an address as its
        # user's only then.
        optional_claims=OptionalClaims(id_token=(OptionalClaim(name="login_hint"),
                                                 OptionalClaim(name="email"),
                                                 OptionalClaim(name="xms_edov"))),
    )
    agents = GroupConfig(name="Support agents", id=SUPPORT_AGENTS_GROUP_ID)
    return TenantConfig(
        id=DEFAULT_TENANT_ID, domain=DEFAULT_DOMAIN, name="Contoso", apps=(rp,), users=users,
        groups=(agents,),
    )


# --- TOML parsing -------------------------------------------------------------------------------

def _redirect_uris(d: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    """Web or SPA redirect URIs by Graph's rules for ``web``/``spa.redirectUris``: http(s) only
    (the custom schemes of native apps belong to the "Mobile and desktop" platform, Graph's
    ``publicClient``, which ``idp.toml`` does not model), no wildcard, fragment or ``[::1]``
    (:func:`mock_idp.registration_rules.redirect_uri_problem`)."""
    uris = str_list(d, key, where)
    for i, uri in enumerate(uris):
        checked(uri, f"{where}.{key}[{i}]", redirect_uri_problem(uri))
    return uris


def _app(d: Mapping[str, Any], where: str, base_dir: Path | None) -> AppConfig:
    known(d, where, {
        "client_id", "name", "redirect_uris", "spa_redirect_uris", "logout_url",
        "backchannel_logout_uri", "events_url", "secrets", "certificates",
        "assignment_required", "assigned", "public_client", "allow_id_token",
        "allow_access_token", "identifier_uris", "app_roles",
        "frontchannel_logout_iss", "sign_v1_id_tokens", "admin_consented", "api_permissions",
        "exposed_scopes",
        "app_permissions", "enabled", "sign_in_audience",
        *APP_KEYS,
    })
    client_id = req_guid(d, "client_id", where)
    secrets, certs = parse_credentials(d, where, base_dir)
    redirect_uris, spa_redirect_uris = (
        _redirect_uris(d, key, where) for key in ("redirect_uris", "spa_redirect_uris"))
    audience = read_audience(d, where, redirect_uris, spa_redirect_uris)
    identifier_uris = str_list(d, "identifier_uris", where)
    for i, uri in enumerate(identifier_uris):
        checked(uri, f"{where}.identifier_uris[{i}]", identifier_uri_problem(uri))
    exposed = str_list(d, "exposed_scopes", where)
    for i, value in enumerate(exposed):
        # a scope's value is one word, as a request's space-separated ``scope`` names it
        checked(value, f"{where}.exposed_scopes[{i}]", None if value and not any(
            c.isspace() or c == "/" for c in value) else "must be one word without '/'")
    return AppConfig(
        client_id=client_id, name=req_str(d, "name", where, "app"),
        redirect_uris=redirect_uris, spa_redirect_uris=spa_redirect_uris,
        logout_url=opt_url(d, "logout_url", where),
        backchannel_logout_uri=opt_url(d, "backchannel_logout_uri", where),
        events_url=opt_url(d, "events_url", where),
        secrets=secrets, certificates=certs,
        assignment_required=flag(d, "assignment_required", where, False),
        assigned=str_list(d, "assigned", where),
        public_client=flag(d, "public_client", where, False),
        allow_id_token=flag(d, "allow_id_token", where, False),
        allow_access_token=flag(d, "allow_access_token", where, False),
        identifier_uris=identifier_uris, app_roles=parse_app_roles(d, where, client_id),
        frontchannel_logout_iss=flag(d, "frontchannel_logout_iss", where, False),
        sign_v1_id_tokens=flag(d, "sign_v1_id_tokens", where, False),
        admin_consented=flag(d, "admin_consented", where, True),
        api_permissions=str_list(d, "api_permissions", where),
        exposed_scopes=exposed,
        app_permissions=str_list(d, "app_permissions", where),
        enabled=flag(d, "enabled", where, True),
        sign_in_audience=audience,
        **parse_app_claims(d, where),
    )


def _user(d: Mapping[str, Any], where: str, tenant_id: str, domain: str) -> UserConfig:
    known(d, where, {"upn", "name", "password", "email", "oid", "given_name", "family_name",
                     "groups", "roles", "enabled", *USER_KEYS})
    upn = req_str(d, "upn", where)
    problem = upn_problem(upn)
    if problem is None and upn.partition("@")[2].lower() != domain:
        problem = f"must be in the tenant's domain, name@{domain}"
    if problem is not None:
        raise ConfigError(f"{where}.upn {problem}")
    email = opt_str(d, "email", where)
    problem = None if email is None else mail_problem(email)
    if problem is not None:
        raise ConfigError(f"{where}.email {problem}")
    groups = str_list(d, "groups", where)
    for i, ref in enumerate(groups):
        if not ref.strip():  # it would make a group without a name, which Graph refuses
            raise ConfigError(f"{where}.groups[{i}] must name a group (its name or id)")
    return UserConfig(
        upn=upn, name=req_str(d, "name", where, upn.split("@")[0]),
        # a guest with a home account signs in with that account's password
        password=(opt_str(d, "password", where) or "") if "home" in d
        else req_str(d, "password", where),
        email=email or (None if "home" in d else upn),
        oid=opt_guid(d, "oid", where) or stable_oid(tenant_id, upn),
        given_name=opt_str(d, "given_name", where),
        family_name=opt_str(d, "family_name", where),
        groups=groups, roles=str_list(d, "roles", where),
        enabled=flag(d, "enabled", where, True), **parse_user_extras(d, where),
    )


def _auth_contexts(d: Mapping[str, Any], where: str) -> tuple[tuple[str, str], ...]:
    try:
        return tuple(auth_contexts.read_contexts(d.get("auth_contexts", {}),
                                                 f"{where}.auth_contexts").items())
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _tenant(d: Mapping[str, Any], where: str, base_dir: Path | None) -> TenantConfig:
    if not isinstance(d, Mapping):
        raise ConfigError(f"{where} must be a table")
    known(d, where, {"id", "domain", "name", "region", "apps", "users", "groups", "country",
                     "show_keep_me_signed_in", "allow_user_consent", "lockout_threshold",
                     "lockout_duration_seconds", "auth_contexts", "mfa_at_sign_in"})
    # 8-4-4-4-12 only: the provider names its endpoints by this id, which AADSTS900023 refuses
    # in another spelling ({...}, urn:uuid:, no dashes).
    tid = req_guid(d, "id", where)
    domain = req_str(d, "domain", where).lower()
    if not is_tenant_domain(domain):
        raise ConfigError(f"{where}.domain must be a DNS name such as contoso.onmicrosoft.com, "
                          "whose last label is letters")
    region = req_str(d, "region", where, "NA")
    if len(region) > 16:
        raise ConfigError(f"{where}.region must be at most 16 characters")
    tenant = TenantConfig(
        id=tid, domain=domain, name=req_str(d, "name", where, domain), region=region,
        apps=tuple(_app(a, aw, base_dir) for aw, a in tables(d, "apps", where)),
        users=tuple(_user(u, uw, tid, domain) for uw, u in tables(d, "users", where)),
        show_keep_me_signed_in=flag(d, "show_keep_me_signed_in", where, True),
        groups=parse_groups(d, where), country=country(d, "country", where),
        allow_user_consent=flag(d, "allow_user_consent", where, True),
        lockout_threshold=whole(d, "lockout_threshold", where, lockout.DEFAULT_THRESHOLD,
                                minimum=1, maximum=lockout.MAX_THRESHOLD),
        lockout_duration_seconds=whole(
            d, "lockout_duration_seconds", where, int(lockout.DEFAULT_DURATION.total_seconds()),
            minimum=1, maximum=int(lockout.MAX_DURATION.total_seconds())),
        auth_contexts=_auth_contexts(d, where),
        mfa_at_sign_in=flag(d, "mfa_at_sign_in", where, True),
    )
    unique(keyed(f"{where}.apps", "client_id", [a.client_id for a in tenant.apps]), "app")
    # Graph: "Another object with the same value for property identifierUris already exists."
    unique([(f"{where}.apps[{i}].identifier_uris[{j}]", uri) for i, a in enumerate(tenant.apps)
             for j, uri in enumerate(a.identifier_uris)], "app", same=identifier_uri_key)
    unique(keyed(f"{where}.users", "upn", [u.upn for u in tenant.users]), "user")
    unique(keyed(f"{where}.users", "oid", [u.oid or "" for u in tenant.users]), "user")
    resolve(tenant, where)
    return tenant
