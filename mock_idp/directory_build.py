"""Building the runtime directory records from their configuration: a tenant with its users,
groups, apps and assignments, or one app or user the management API creates.

References were checked by :func:`~mock_idp.directory_config.resolve`; the builders trust its
ids.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from .config import AppConfig, GroupConfig, SecretConfig, TenantConfig, UserConfig
from .config_fields import ConfigError
from .consent import grant_app_roles, organization_consent
from .credentials import key_credential
from .directory import (
    AppRole,
    Group,
    RoleAssignment,
    assignment_id,
    normalize_group_membership_claims,
)
from .directory_config import (
    all_groups,
    extension_of,
    group_id,
    resolve,
    role_config,
    role_id_of,
    user_id,
)
from .lockout import Lockout
from .protocol.revalidation import configured_incarnation
from .store import Application, PasswordCredential, Tenant, User, new_guid
from .text_policy import default_mail_nickname, group_mail_nickname

__all__ = ["build_app", "build_group", "build_tenant", "build_user"]


def build_tenant(cfg: TenantConfig, now: datetime, incarnation: bytes | None = None) -> Tenant:
    """The tenant ``cfg`` describes; :class:`ConfigError` for a reference that does not
    resolve. ``incarnation``: which making of it this is (by default the configured
    directory's, the same at each start: :mod:`mock_idp.protocol.revalidation`)."""
    refs = resolve(cfg)
    tenant = Tenant(id=cfg.id.lower(), domain=cfg.domain.lower(), name=cfg.name,
                    incarnation=incarnation or configured_incarnation(cfg.id),
                    region=cfg.region, country=cfg.country,
                    show_keep_me_signed_in=cfg.show_keep_me_signed_in,
                    allow_user_consent=cfg.allow_user_consent,
                    auth_contexts=dict(cfg.auth_contexts), mfa_at_sign_in=cfg.mfa_at_sign_in,
                    lockout=Lockout(cfg.lockout_threshold,
                                    timedelta(seconds=cfg.lockout_duration_seconds)))
    for ucfg in cfg.users:
        user = build_user(ucfg, tenant.id, now)
        user.extensions = dict(refs.extensions.get(user.id, {}))
        tenant.users[user.id] = user
    for gcfg in all_groups(cfg):
        group = build_group(gcfg, tenant.id, now)
        group.members = list(refs.members.get(group.id, []))
        tenant.groups[group.id] = group
    for acfg in cfg.apps:
        app = build_app(acfg, tenant, now)
        tenant.apps[app.client_id] = app
        app.api_permissions = {resource_id: tuple(names) for resource_id, names in
                               refs.permissions.get(app.client_id.lower(), {}).items()}
        app.app_permissions = {resource_id: tuple(values) for resource_id, values in
                               refs.app_permissions.get(app.client_id.lower(), {}).items()}
        if acfg.admin_consented:  # "Grant admin consent": no one sees the consent page
            for resource_id, names in organization_consent(app.api_permissions).items():
                tenant.grant_consent(app.client_id, None, " ".join(names), resource_id)
            grant_app_roles(tenant.app_role_grants, app.client_id, app.app_permissions)
    for principal_id, kind, client_id, role_id in refs.assignments:
        app = tenant.apps[client_id]
        assignment = RoleAssignment(
            id=assignment_id(principal_id, app.id, role_id), principal_id=principal_id,
            principal_type=kind, client_id=client_id, app_role_id=role_id, created=now)
        tenant.assignments[assignment.id] = assignment
    return tenant


def build_user(cfg: UserConfig, tenant_id: str, now: datetime) -> User:
    """A user without memberships, assignments or extension values (the tenant adds them)."""
    return User(
        id=user_id(tenant_id, cfg), upn=cfg.upn, name=cfg.name,
        password=cfg.password, given_name=cfg.given_name,
        # a guest with a home account gets that account's address when it is linked
        email=cfg.email or (None if cfg.home else cfg.upn),
        family_name=cfg.family_name, enabled=cfg.enabled, created=now, user_type=cfg.user_type,
        country=cfg.country, preferred_language=cfg.preferred_language,
        directory_roles=cfg.directory_roles, totp_secret=cfg.totp_secret,
        force_change_password=cfg.force_change_password,
        mail_nickname=cfg.mail_nickname or default_mail_nickname(cfg.upn),
    )


def build_group(cfg: GroupConfig, tenant_id: str, now: datetime) -> Group:
    """A group without members (the tenant adds them)."""
    return Group(
        id=group_id(tenant_id, cfg), display_name=cfg.name, created=now,
        description=cfg.description,
        mail_nickname=cfg.mail_nickname or group_mail_nickname(cfg.name),
        security_enabled=cfg.security_enabled, mail_enabled=cfg.mail_enabled,
        group_types=list(cfg.types),
        on_premises_sam_account_name=cfg.on_premises_sam_account_name,
        on_premises_domain_name=cfg.on_premises_domain_name,
        on_premises_netbios_name=cfg.on_premises_netbios_name,
    )


def build_app(cfg: AppConfig, tenant: Tenant, now: datetime) -> Application:
    creds = []
    for s in cfg.secrets:
        start, end = _secret_dates(s, now)
        creds.append(PasswordCredential(
            key_id=(s.key_id or new_guid()).lower(), display_name=s.display_name, value=s.value,
            start=start, end=end))
    certs = [key_credential(c) for c in cfg.certificates]
    try:
        group_claims = normalize_group_membership_claims(cfg.group_membership_claims)
    except ValueError as exc:
        raise ConfigError(f"app {cfg.client_id}: group_membership_claims: {exc}") from None
    client_id = cfg.client_id.lower()
    roles = []
    for role in cfg.app_roles:
        rc = role_config(role)
        roles.append(AppRole(id=role_id_of(client_id, role), value=rc.value,
                             display_name=rc.display_name or rc.value,
                             description=rc.description,
                             allowed_member_types=rc.allowed_member_types, enabled=rc.enabled))
    return Application(
        id=str(uuid.uuid5(uuid.NAMESPACE_OID, f"{tenant.id}/{cfg.client_id}")),
        client_id=cfg.client_id.lower(), name=cfg.name, tenant_id=tenant.id,
        redirect_uris=list(cfg.redirect_uris), spa_redirect_uris=list(cfg.spa_redirect_uris),
        logout_url=cfg.logout_url,
        backchannel_logout_uri=cfg.backchannel_logout_uri, events_url=cfg.events_url,
        secrets=creds, certificates=certs, assignment_required=cfg.assignment_required,
        public_client=cfg.public_client, allow_id_token=cfg.allow_id_token,
        allow_access_token=cfg.allow_access_token, identifier_uris=list(cfg.identifier_uris),
        app_roles=roles, frontchannel_logout_iss=cfg.frontchannel_logout_iss,
        sign_v1_id_tokens=cfg.sign_v1_id_tokens,
        group_membership_claims=group_claims, optional_claims=cfg.optional_claims,
        extension_properties=[extension_of(client_id, e) for e in cfg.extension_properties],
        requested_access_token_version=cfg.access_token_version, enabled=cfg.enabled,
        exposed_scopes=list(cfg.exposed_scopes),
        sign_in_audience=cfg.sign_in_audience,
    )


SECRET_BACKDATE = timedelta(days=365)
"""How long before the provider's start a secret without a ``start`` was made: a test may move
the clock back (days, or a secret's whole lifetime and back) and still use it."""


def _secret_dates(secret: SecretConfig, now: datetime) -> tuple[datetime, datetime]:
    """A configured secret's start and end. With a start, the end defaults to ``expires_in``
    after it. Without one, the secret was made :data:`SECRET_BACKDATE` before ``now`` (the
    provider's start) and ends ``expires_in`` after ``now``; one that ended by ``now`` (a past
    ``end``, a negative ``expires_in``) starts at its end, so no clock move revives it."""
    if secret.start is not None:
        return secret.start, secret.end or secret.start + secret.expires_in
    end = secret.end or now + secret.expires_in
    return (end if end <= now else now - SECRET_BACKDATE), end
