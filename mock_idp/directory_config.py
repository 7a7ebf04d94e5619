"""Configuration of what shapes claims: groups, app roles with ids, assignments, optional
claims, directory extensions, and the references between them.

Frozen config records (read from ``idp.toml`` by :mod:`mock_idp.directory_toml`), and
:func:`resolve` which checks every reference
(a group member, an assignment's principal and role, a user's extension value) against the
tenant and returns object ids, so a bad reference is a :class:`ConfigError` naming its key
rather than a surprise at sign-in.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .config_fields import (
    ConfigError,
    is_guid,
    stable_oid,
)
from .consent import GRAPH_APP_ID, SIGN_IN_SCOPES
from .directory import (
    ExtensionProperty,
    coerce_extension_value,
    default_role_id,
    extension_name,
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
    mail_nickname: str | None = None
    """Graph's ``mailNickname``; by default the name's ASCII letters and digits
    (:func:`mock_idp.text_policy.group_mail_nickname`)."""


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
    permissions: dict[str, dict[str, list[str]]]
    """App id -> resource app id (Graph's for Graph) -> the ``api_permissions`` on it."""
    app_permissions: dict[str, dict[str, list[str]]]
    """App id -> resource app id -> the ``app_permissions`` (app role values) on it."""


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
            out[key] = GroupConfig(name=ref.strip(), id=key if is_guid(key) else None)
    return tuple(out.values())


def all_groups(tenant: TenantConfig) -> tuple[GroupConfig, ...]:
    return (*tenant.groups, *_implicit_groups(tenant))


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
    _check_nesting(tenant, where, members)
    _check_group_ids(tenant, where, users)
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
    _check_user_roles(tenant, where, principal)
    values: dict[str, dict[str, Any]] = {}
    for i, (uid, u) in enumerate(users.items()):
        values[uid] = _extension_values(u, f"{where}.users[{i}].extensions", extensions)
    permissions = {app.client_id.lower(): _api_permissions(tenant, app, f"{where}.apps[{i}]")
                   for i, app in enumerate(tenant.apps)}
    app_permissions = {app.client_id.lower(): _app_permissions(tenant, app, f"{where}.apps[{i}]")
                       for i, app in enumerate(tenant.apps)}
    return Resolved(group_ids=group_ids, members=members, assignments=assignments,
                    extensions=values, permissions=permissions, app_permissions=app_permissions)


NESTING_CYCLE = "A group cannot be a member of itself or of a group it contains."


def nesting_cycle(members: Mapping[str, Sequence[str]],
                  starts: Iterable[str] | None = None) -> str | None:
    """A group (of ``starts``, default every one) that ``members`` (group id -> member ids)
    makes a member of itself, directly or through groups it contains, or ``None``. The mock
    refuses such nesting on every route that adds members (Graph's ``members/$ref`` and
    ``members@odata.bind``, ``POST /_mock/tenants``, ``idp.toml``); MicrosoftDocs/azure-docs#43313
    reports the portal once took a group into itself, so this may be stricter than Entra."""
    for start in members if starts is None else starts:
        seen: set[str] = set()
        frontier = list(members.get(start, ()))
        while frontier:
            current = frontier.pop()
            if current == start:
                return start
            if current not in seen:
                seen.add(current)
                frontier.extend(members.get(current, ()))
    return None


def _check_nesting(tenant: TenantConfig, where: str, members: Mapping[str, Sequence[str]]
                   ) -> None:
    cycle = nesting_cycle(members)
    for i, g in enumerate(tenant.groups):
        if group_id(tenant.id, g) == cycle:
            raise ConfigError(f"{where}.groups[{i}].members: group {g.name!r} cannot be a "
                              f"member of itself or of a group it contains")


def _check_group_ids(tenant: TenantConfig, where: str, users: Mapping[str, Any]) -> None:
    """A group whose id is a user's: users and groups are directory objects, one id apiece
    (Graph addresses both by it, and a reference to it would find only the user)."""
    oids = {uid: i for i, uid in enumerate(users)}
    for i, g in enumerate(tenant.groups):
        gid = group_id(tenant.id, g)
        if gid in oids:
            raise ConfigError(f"{where}.groups[{i}].id {gid!r} is already the oid of "
                              f"users[{oids[gid]}]; a group and a user cannot share an id")
    declared = {group_id(tenant.id, g) for g in tenant.groups}
    for i, u in enumerate(tenant.users):
        for j, ref in enumerate(u.groups):
            key = ref.strip().lower()
            if key in oids and key not in declared:
                raise ConfigError(f"{where}.users[{i}].groups[{j}]: {ref!r} is the oid of "
                                  f"users[{oids[key]}], not a group")


def _check_user_roles(tenant: TenantConfig, where: str, principal: Any) -> None:
    """Each of a user's ``roles`` is a role of an app whose ``assigned`` names the user: any
    other (a typo such as ``Agnet``) would be dropped without a word."""
    assigned = {app.client_id: {principal(ref, "")[0] for ref in app.assigned}
                for app in tenant.apps}
    for i, user in enumerate(tenant.users):
        uid = user_id(tenant.id, user)
        offered = {role_config(r).value for app in tenant.apps if uid in assigned[app.client_id]
                   for r in app.app_roles}
        for j, role in enumerate(user.roles):
            if role not in offered:
                raise ConfigError(
                    f"{where}.users[{i}].roles[{j}]: {role!r} is not an app role of an app "
                    f"whose assigned names this user (roles there: "
                    f"{', '.join(sorted(offered)) or 'none'})")


_GRAPH_NAMES = {GRAPH_APP_ID, "https://graph.microsoft.com"}


def _resources(tenant: TenantConfig) -> dict[str, str]:
    """What a permission's prefix may name -> the resource app id: Graph, or an app of this
    tenant by id or identifier URI."""
    by_name = {name: GRAPH_APP_ID for name in _GRAPH_NAMES}
    for other in tenant.apps:
        for name in (other.client_id, *other.identifier_uris):
            by_name.setdefault(name.rstrip("/").lower(), other.client_id.lower())
    return by_name


def _add_once(out: dict[str, list[str]], resource: str, name: str) -> None:
    names = out.setdefault(resource, [])
    if name not in names:
        names.append(name)


def _api_permissions(tenant: TenantConfig, app: AppConfig, where: str
                     ) -> dict[str, list[str]]:
    """``app``'s ``api_permissions`` by resource: a bare name is Graph's, a prefix names Graph,
    or an app of this tenant by id or identifier URI."""
    by_name = _resources(tenant)
    out: dict[str, list[str]] = {}
    for j, scope in enumerate(app.api_permissions):
        key = f"{where}.api_permissions[{j}]"
        prefix, _, name = scope.rpartition("/")
        if not name or name == ".default" or name.lower() in SIGN_IN_SCOPES or any(
                c.isspace() for c in scope):
            raise ConfigError(f"{key}: {scope!r} is not a delegated permission (a name such "
                              "as Mail.Read, or a resource and a name: api://orders/Orders.Read)")
        resource = by_name.get(prefix.rstrip("/").lower()) if prefix else GRAPH_APP_ID
        if resource is None:
            raise ConfigError(f"{key}: no resource {prefix!r} in this tenant (Microsoft Graph, "
                              "or an app's id or identifier URI)")
        _add_once(out, resource, name)
    return out


def _app_permissions(tenant: TenantConfig, app: AppConfig, where: str
                     ) -> dict[str, list[str]]:
    """``app``'s ``app_permissions`` by resource: a bare name is one of Graph's application
    permissions (any name: the mock does not list Graph's), ``<api>/<value>`` an app role of an
    app of this tenant that apps may hold (``allowed_member_types`` with ``Application``)."""
    by_name = _resources(tenant)
    apps = {a.client_id.lower(): a for a in tenant.apps}
    out: dict[str, list[str]] = {}
    for j, permission in enumerate(app.app_permissions):
        key = f"{where}.app_permissions[{j}]"
        prefix, _, value = permission.rpartition("/")
        resource = by_name.get(prefix.rstrip("/").lower()) if prefix else GRAPH_APP_ID
        if not value or resource is None or any(c.isspace() for c in permission):
            raise ConfigError(f"{key}: {permission!r} is not an application permission (a "
                              "Graph name such as User.Read.All, or <api>/<app role value>)")
        api = apps.get(resource)
        roles = [role_config(r) for r in api.app_roles] if api is not None else []
        if api is not None and not any(
                r.value == value and "Application" in r.allowed_member_types for r in roles):
            raise ConfigError(f"{key}: {value!r} is not an app role of {prefix!r} that apps may "
                              "hold (allowed_member_types must include Application)")
        _add_once(out, resource, value)
    return out


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
