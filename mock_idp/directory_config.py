"""``idp.toml`` for what shapes claims: groups, app roles with ids, assignments, optional claims,
directory extensions, and the references between them.

Frozen config records, their TOML parsing, and :func:`resolve` which checks every reference
(a group member, an assignment's principal and role, a user's extension value) against the
tenant and returns object ids, so a bad reference is a :class:`ConfigError` naming its key
rather than a surprise at sign-in.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .config_fields import (
    ConfigError,
    flag,
    known,
    opt_str,
    req_str,
    stable_oid,
    str_list,
    tables,
)
from .directory import (
    EXTENSION_DATA_TYPES,
    EXTENSION_TARGETS,
    ROLE_MEMBER_TYPES,
    ExtensionProperty,
    OptionalClaim,
    OptionalClaims,
    coerce_extension_value,
    default_role_id,
    extension_name,
    normalize_group_membership_claims,
)

if TYPE_CHECKING:
    from .config import AppConfig, TenantConfig, UserConfig


@dataclass(frozen=True, kw_only=True)
class AppRoleConfig:
    value: str
    id: str | None = None
    """Defaults to an id derived from the app id and the value."""
    display_name: str | None = None
    description: str = ""
    allowed_member_types: tuple[str, ...] = ("User",)
    enabled: bool = True


@dataclass(frozen=True, kw_only=True)
class ExtensionPropertyConfig:
    """A directory extension registered on the app; users carry it as
    ``extension_<appid without dashes>_<name>``."""

    name: str
    data_type: str = "String"
    target_objects: tuple[str, ...] = ("User",)
    multi_valued: bool = False


@dataclass(frozen=True, kw_only=True)
class AssignmentConfig:
    principal: str
    """A user (UPN or object id) or a group (display name or object id)."""
    role: str | None = None
    """An app role's value or id; ``None`` for default access."""


@dataclass(frozen=True, kw_only=True)
class GroupConfig:
    name: str
    id: str | None = None
    """Defaults to an id derived from the tenant and the name."""
    description: str | None = None
    members: tuple[str, ...] = ()
    """Users (UPN or object id) and groups (display name or object id)."""
    security_enabled: bool = True
    mail_enabled: bool = False
    types: tuple[str, ...] = ()
    """``("Unified",)`` for a Microsoft 365 group."""
    on_premises_sam_account_name: str | None = None
    """Set to model a group synchronized from Active Directory."""
    on_premises_domain_name: str | None = None
    on_premises_netbios_name: str | None = None


def group_id(tenant_id: str, cfg: GroupConfig) -> str:
    return (cfg.id or stable_oid(tenant_id, f"group:{cfg.name}")).lower()


def user_id(tenant_id: str, cfg: UserConfig) -> str:
    return (cfg.oid or stable_oid(tenant_id, cfg.upn)).lower()


def role_config(role: str | AppRoleConfig) -> AppRoleConfig:
    return AppRoleConfig(value=role) if isinstance(role, str) else role


def role_id_of(client_id: str, role: str | AppRoleConfig) -> str:
    cfg = role_config(role)
    return (cfg.id or default_role_id(client_id, cfg.value)).lower()


def extension_of(client_id: str, cfg: ExtensionPropertyConfig) -> ExtensionProperty:
    return ExtensionProperty(
        id=str(uuid.uuid5(uuid.NAMESPACE_URL, extension_name(client_id, cfg.name))),
        client_id=client_id.lower(), short_name=cfg.name, data_type=cfg.data_type,
        target_objects=cfg.target_objects, multi_valued=cfg.multi_valued)


# --- resolving references -------------------------------------------------------------------------

@dataclass(frozen=True)
class Resolved:
    """A tenant's references as object ids: memberships, assignments, extension values."""

    group_ids: dict[str, str]
    """Group name (lowercase) and id -> group id."""
    members: dict[str, list[str]]
    """Group id -> member object ids."""
    assignments: list[tuple[str, str, str, str]]
    """(principal id, ``User`` or ``Group``, app id, app role id) per assignment."""
    extensions: dict[str, dict[str, Any]]
    """User id -> full extension name -> value."""


def _implicit_groups(tenant: TenantConfig) -> tuple[GroupConfig, ...]:
    """Groups named only in a user's ``groups``: security groups with that id (or name)."""
    declared = {g.name.lower() for g in tenant.groups} | {
        group_id(tenant.id, g) for g in tenant.groups}
    out: dict[str, GroupConfig] = {}
    for user in tenant.users:
        for ref in user.groups:
            key = ref.strip().lower()
            if key in declared or key in out:
                continue
            out[key] = GroupConfig(name=ref.strip(), id=key if _is_guid(key) else None)
    return tuple(out.values())


def all_groups(tenant: TenantConfig) -> tuple[GroupConfig, ...]:
    return (*tenant.groups, *_implicit_groups(tenant))


def _is_guid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def resolve(tenant: TenantConfig, where: str = "tenant") -> Resolved:
    """Check every reference in ``tenant`` and return them as ids; :class:`ConfigError` names
    the first key whose reference cannot be resolved."""
    users = {user_id(tenant.id, u): u for u in tenant.users}
    by_upn = {u.upn.lower(): uid for uid, u in users.items()}
    groups = all_groups(tenant)
    group_ids: dict[str, str] = {}
    for g in groups:
        gid = group_id(tenant.id, g)
        group_ids.setdefault(g.name.lower(), gid)
        group_ids[gid] = gid

    def principal(ref: str, key: str) -> tuple[str, str]:
        value = ref.strip().lower()
        if value in by_upn or value in users:
            return by_upn.get(value, value), "User"
        if value in group_ids:
            return group_ids[value], "Group"
        raise ConfigError(f"{key}: no user or group {ref!r} in this tenant")

    members: dict[str, list[str]] = {group_id(tenant.id, g): [] for g in groups}
    for i, g in enumerate(tenant.groups):
        gid = group_id(tenant.id, g)
        for j, ref in enumerate(g.members):
            mid, _ = principal(ref, f"{where}.groups[{i}].members[{j}]")
            if mid not in members[gid]:
                members[gid].append(mid)
    for uid, u in users.items():
        for ref in u.groups:
            gid = group_ids[ref.strip().lower()]
            if uid not in members[gid]:
                members[gid].append(uid)
    assignments: list[tuple[str, str, str, str]] = []
    extensions: dict[str, ExtensionProperty] = {}
    for i, app in enumerate(tenant.apps):
        assignments += _app_assignments(app, f"{where}.apps[{i}]", principal, users, by_upn)
        for ext in app.extension_properties:
            prop = extension_of(app.client_id, ext)
            extensions[prop.name] = prop
    values: dict[str, dict[str, Any]] = {}
    for i, (uid, u) in enumerate(users.items()):
        values[uid] = _extension_values(u, f"{where}.users[{i}].extensions", extensions)
    return Resolved(group_ids=group_ids, members=members, assignments=assignments,
                    extensions=values)


def _app_assignments(app: AppConfig, where: str, principal: Any, users: Mapping[str, Any],
                     by_upn: Mapping[str, str]) -> list[tuple[str, str, str, str]]:
    client_id = app.client_id.lower()
    roles = {role_config(r).value: role_id_of(client_id, r) for r in app.app_roles}
    ids = set(roles.values())
    out: list[tuple[str, str, str, str]] = []

    def add(pid: str, kind: str, role_id: str) -> None:
        item = (pid, kind, client_id, role_id)
        if item not in out:
            out.append(item)

    for j, ref in enumerate(app.assigned):
        pid, kind = principal(ref, f"{where}.assigned[{j}]")
        held = [roles[r] for r in (users[pid].roles if kind == "User" else ()) if r in roles]
        for role_id in held or ["00000000-0000-0000-0000-000000000000"]:
            add(pid, kind, role_id)
    for j, assignment in enumerate(app.assignments):
        key = f"{where}.assignments[{j}]"
        pid, kind = principal(assignment.principal, f"{key}.principal")
        role = assignment.role
        if role is None:
            add(pid, kind, "00000000-0000-0000-0000-000000000000")
        elif role in roles or role.lower() in ids:
            add(pid, kind, roles.get(role, role.lower()))
        else:
            raise ConfigError(f"{key}.role: {role!r} is not an app role of this app "
                              f"(roles: {', '.join(roles) or 'none'})")
    return out


def _extension_values(user: UserConfig, where: str, known_props: Mapping[str, ExtensionProperty]
                      ) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in user.extensions.items():
        key = f"{where}.{name}"
        matches = [p for full, p in known_props.items()
                   if full.lower() == name.lower() or p.short_name.lower() == name.lower()]
        if not matches:
            raise ConfigError(f"{key}: no app in this tenant registers this directory extension")
        if len(matches) > 1:
            raise ConfigError(f"{key}: several apps register {name!r}; use the full name "
                              f"({', '.join(p.name for p in matches)})")
        prop = matches[0]
        if "User" not in prop.target_objects:
            raise ConfigError(f"{key}: the extension does not target users")
        try:
            out[prop.name] = coerce_extension_value(prop, value)
        except ValueError as exc:
            raise ConfigError(f"{key} {exc} ({prop.data_type})") from None
    return out


# --- TOML parsing -------------------------------------------------------------------------------

def parse_app_roles(d: Mapping[str, Any], where: str) -> tuple[str | AppRoleConfig, ...]:
    value = d.get("app_roles", [])
    if not isinstance(value, list):
        raise ConfigError(f"{where}.app_roles must be a list")
    out: list[str | AppRoleConfig] = []
    for i, item in enumerate(value):
        key = f"{where}.app_roles[{i}]"
        if isinstance(item, str) and item:
            out.append(item)
            continue
        if not isinstance(item, Mapping):
            raise ConfigError(f"{key} must be a role value or a table")
        known(item, key, {"value", "id", "display_name", "description",
                          "allowed_member_types", "enabled"})
        types = str_list(item, "allowed_member_types", key) or ("User",)
        if not set(types) <= set(ROLE_MEMBER_TYPES):
            raise ConfigError(f"{key}.allowed_member_types must be User and/or Application")
        role_id = opt_str(item, "id", key)
        if role_id is not None and not _is_guid(role_id):
            raise ConfigError(f"{key}.id must be a GUID")
        out.append(AppRoleConfig(
            value=req_str(item, "value", key), id=role_id,
            display_name=opt_str(item, "display_name", key),
            description=opt_str(item, "description", key) or "",
            allowed_member_types=types, enabled=flag(item, "enabled", key, True)))
    values = [role_config(r).value for r in out]
    if len(set(values)) != len(values):
        raise ConfigError(f"{where}.app_roles: two roles have the same value")
    return tuple(out)


def _optional_claim(item: Any, key: str) -> OptionalClaim:
    if isinstance(item, str) and item:
        return OptionalClaim(name=item)
    if not isinstance(item, Mapping):
        raise ConfigError(f"{key} must be a claim name or a table")
    known(item, key, {"name", "source", "essential", "additional_properties"})
    source = opt_str(item, "source", key)
    if source not in (None, "user"):
        raise ConfigError(f"{key}.source must be \"user\" (a directory extension) or absent")
    return OptionalClaim(name=req_str(item, "name", key), source=source,
                         essential=flag(item, "essential", key, False),
                         additional_properties=str_list(item, "additional_properties", key))


def parse_app_claims(d: Mapping[str, Any], where: str) -> dict[str, Any]:
    """The claim keys of an ``[[tenants.apps]]`` table, as ``AppConfig`` fields."""
    claims = d.get("group_membership_claims")
    if claims is not None and not isinstance(claims, str):
        raise ConfigError(f"{where}.group_membership_claims must be a string")
    try:
        normalized = normalize_group_membership_claims(claims)
    except ValueError as exc:
        raise ConfigError(f"{where}.group_membership_claims: {exc}") from None
    raw = d.get("optional_claims", {})
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}.optional_claims must be a table")
    oc_where = f"{where}.optional_claims"
    known(raw, oc_where, {"id_token", "access_token", "saml2_token"})
    lists: dict[str, tuple[OptionalClaim, ...]] = {}
    for kind in ("id_token", "access_token", "saml2_token"):
        items = raw.get(kind, [])
        if not isinstance(items, list):
            raise ConfigError(f"{oc_where}.{kind} must be a list")
        lists[kind] = tuple(_optional_claim(item, f"{oc_where}.{kind}[{i}]")
                            for i, item in enumerate(items))
    extensions = []
    for key, item in tables(d, "extension_properties", where):
        known(item, key, {"name", "data_type", "target_objects", "multi_valued"})
        data_type = req_str(item, "data_type", key, "String")
        if data_type not in EXTENSION_DATA_TYPES:
            raise ConfigError(f"{key}.data_type must be one of {', '.join(EXTENSION_DATA_TYPES)}")
        targets = str_list(item, "target_objects", key) or ("User",)
        if not set(targets) <= set(EXTENSION_TARGETS):
            raise ConfigError(f"{key}.target_objects must be among "
                              f"{', '.join(EXTENSION_TARGETS)}")
        extensions.append(ExtensionPropertyConfig(
            name=_extension_short_name(req_str(item, "name", key), f"{key}.name"),
            data_type=data_type, target_objects=targets,
            multi_valued=flag(item, "multi_valued", key, False)))
    assignments = []
    for key, item in tables(d, "assignments", where):
        known(item, key, {"principal", "role"})
        assignments.append(AssignmentConfig(principal=req_str(item, "principal", key),
                                            role=opt_str(item, "role", key)))
    version = d.get("access_token_version")
    if version not in (None, 1, 2) or isinstance(version, bool):
        raise ConfigError(f"{where}.access_token_version must be 1 or 2")
    return {"group_membership_claims": normalized, "access_token_version": version,
            "optional_claims": OptionalClaims(id_token=lists["id_token"],
                                              access_token=lists["access_token"],
                                              saml2_token=lists["saml2_token"]),
            "extension_properties": tuple(extensions), "assignments": tuple(assignments)}


def _extension_short_name(name: str, key: str) -> str:
    if not (name[:1].isalpha() and all(c.isalnum() or c == "_" for c in name)) or len(name) > 100:
        raise ConfigError(f"{key} must start with a letter and hold only letters, digits and _")
    return name


def parse_groups(d: Mapping[str, Any], where: str) -> tuple[GroupConfig, ...]:
    out: list[GroupConfig] = []
    for key, item in tables(d, "groups", where):
        known(item, key, {"name", "id", "description", "members", "security_enabled",
                          "mail_enabled", "types", "on_premises_sam_account_name",
                          "on_premises_domain_name", "on_premises_netbios_name"})
        gid = opt_str(item, "id", key)
        if gid is not None and not _is_guid(gid):
            raise ConfigError(f"{key}.id must be a GUID")
        types = str_list(item, "types", key)
        if not set(types) <= {"Unified", "DynamicMembership"}:
            raise ConfigError(f"{key}.types may hold Unified and DynamicMembership")
        out.append(GroupConfig(
            name=req_str(item, "name", key), id=gid,
            description=opt_str(item, "description", key), members=str_list(item, "members", key),
            security_enabled=flag(item, "security_enabled", key, True),
            mail_enabled=flag(item, "mail_enabled", key, False), types=types,
            on_premises_sam_account_name=opt_str(item, "on_premises_sam_account_name", key),
            on_premises_domain_name=opt_str(item, "on_premises_domain_name", key),
            on_premises_netbios_name=opt_str(item, "on_premises_netbios_name", key)))
    names = [g.name.lower() for g in out]
    if len(set(names)) != len(names):
        raise ConfigError(f"{where}.groups: two groups have the same name")
    return tuple(out)


def parse_user_extras(d: Mapping[str, Any], where: str) -> dict[str, Any]:
    """The claim-related keys of a ``[[tenants.users]]`` table, as ``UserConfig`` fields."""
    extensions = d.get("extensions", {})
    if not isinstance(extensions, Mapping):
        raise ConfigError(f"{where}.extensions must be a table")
    user_type = req_str(d, "user_type", where, "Member")
    if user_type not in ("Member", "Guest"):
        raise ConfigError(f"{where}.user_type must be Member or Guest")
    return {"extensions": dict(extensions), "user_type": user_type,
            "country": opt_str(d, "country", where),
            "preferred_language": opt_str(d, "preferred_language", where)}


USER_KEYS = {"extensions", "user_type", "country", "preferred_language"}
APP_KEYS = {"group_membership_claims", "optional_claims", "extension_properties", "assignments",
            "access_token_version"}
