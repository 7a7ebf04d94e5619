"""``idp.toml`` for what shapes claims: ``[[tenants.groups]]``, app roles as tables, and the
app and user keys for assignments, optional claims and directory extensions.

Each reader raises :class:`~mock_idp.config_fields.ConfigError` naming the key's path; the
records are in :mod:`mock_idp.directory_config`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import directory_roles, totp
from .config_fields import (
    ConfigError,
    checked,
    country,
    flag,
    is_guid,
    known,
    opt_str,
    req_str,
    str_list,
    tables,
    unique,
)
from .directory import (
    EXTENSION_DATA_TYPES,
    EXTENSION_TARGETS,
    ROLE_MEMBER_TYPES,
    OptionalClaim,
    OptionalClaims,
    normalize_group_membership_claims,
)
from .directory_config import (
    AppRoleConfig,
    AssignmentConfig,
    ExtensionPropertyConfig,
    GroupConfig,
    role_config,
    role_id_of,
)
from .registration_rules import app_role_value_problem
from .text_policy import mail_nickname_problem


def parse_app_roles(d: Mapping[str, Any], where: str, client_id: str
                    ) -> tuple[str | AppRoleConfig, ...]:
    """``app_roles``: values, or tables with an id; values and ids unique (two roles with one
    id would be one role to an assignment, which then holds both)."""
    value = d.get("app_roles", [])
    if not isinstance(value, list):
        raise ConfigError(f"{where}.app_roles must be a list")
    out: list[str | AppRoleConfig] = []
    for i, item in enumerate(value):
        key = f"{where}.app_roles[{i}]"
        if isinstance(item, str) and item:
            out.append(checked(item, key, app_role_value_problem(item)))
            continue
        if not isinstance(item, Mapping):
            raise ConfigError(f"{key} must be a role value or a table")
        known(item, key, {"value", "id", "display_name", "description",
                          "allowed_member_types", "enabled"})
        types = str_list(item, "allowed_member_types", key) or ("User",)
        if not set(types) <= set(ROLE_MEMBER_TYPES):
            raise ConfigError(f"{key}.allowed_member_types must be User and/or Application")
        role_id = opt_str(item, "id", key)
        if role_id is not None and not is_guid(role_id):
            raise ConfigError(f"{key}.id must be a GUID")
        role_value = req_str(item, "value", key)
        out.append(AppRoleConfig(
            value=checked(role_value, f"{key}.value", app_role_value_problem(role_value)),
            id=role_id,
            display_name=opt_str(item, "display_name", key),
            description=opt_str(item, "description", key) or "",
            allowed_member_types=types, enabled=flag(item, "enabled", key, True)))
    values = [role_config(r).value for r in out]
    if len(set(values)) != len(values):
        raise ConfigError(f"{where}.app_roles: two roles have the same value")
    unique([(f"{where}.app_roles[{i}].id", role_id_of(client_id, role))
            for i, role in enumerate(out)], "role")
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
    # an integer, as Graph's Int32 property is: 2.0 equals 2 but would be stored and
    # read back as a float
    if version is not None and (type(version) is not int or version not in (1, 2)):
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


def mail_nickname(d: Mapping[str, Any], where: str) -> str | None:
    """A user's or group's ``mail_nickname`` (Graph's ``mailNickname``), as Graph takes it;
    ``None`` when absent (the builders give the default)."""
    value = opt_str(d, "mail_nickname", where)
    return None if value is None else checked(value, f"{where}.mail_nickname",
                                              mail_nickname_problem(value))


def parse_groups(d: Mapping[str, Any], where: str) -> tuple[GroupConfig, ...]:
    out: list[GroupConfig] = []
    for key, item in tables(d, "groups", where):
        known(item, key, {"name", "id", "description", "members", "security_enabled",
                          "mail_enabled", "types", "on_premises_sam_account_name",
                          "on_premises_domain_name", "on_premises_netbios_name",
                          "mail_nickname"})
        gid = opt_str(item, "id", key)
        if gid is not None and not is_guid(gid):
            raise ConfigError(f"{key}.id must be a GUID")
        types = str_list(item, "types", key)
        if not set(types) <= {"Unified", "DynamicMembership"}:
            raise ConfigError(f"{key}.types may hold Unified and DynamicMembership")
        name = req_str(item, "name", key)
        if not name.strip():  # Graph refuses a group without a displayName
            raise ConfigError(f"{key}.name must not be blank")
        out.append(GroupConfig(
            name=name, id=gid,
            description=opt_str(item, "description", key), members=str_list(item, "members", key),
            security_enabled=flag(item, "security_enabled", key, True),
            mail_enabled=flag(item, "mail_enabled", key, False), types=types,
            on_premises_sam_account_name=opt_str(item, "on_premises_sam_account_name", key),
            on_premises_domain_name=opt_str(item, "on_premises_domain_name", key),
            on_premises_netbios_name=opt_str(item, "on_premises_netbios_name", key),
            mail_nickname=mail_nickname(item, key)))
    names = [g.name.lower() for g in out]
    if len(set(names)) != len(names):
        raise ConfigError(f"{where}.groups: two groups have the same name")
    unique([(f"{where}.groups[{i}].id", g.id) for i, g in enumerate(out) if g.id is not None],
           "group")
    return tuple(out)


def parse_user_extras(d: Mapping[str, Any], where: str) -> dict[str, Any]:
    """The keys of a ``[[tenants.users]]`` table beyond its name, password, groups and roles
    (claims, directory roles, an authenticator app), as ``UserConfig`` fields."""
    extensions = d.get("extensions", {})
    if not isinstance(extensions, Mapping):
        raise ConfigError(f"{where}.extensions must be a table")
    user_type = req_str(d, "user_type", where, "Member")
    if user_type not in ("Member", "Guest"):
        raise ConfigError(f"{where}.user_type must be Member or Guest")
    roles = []
    for name in str_list(d, "directory_roles", where):
        role = directory_roles.canonical(name)
        if role is None:
            raise ConfigError(f"{where}.directory_roles: unknown role {name[:80]!r}; use one "
                              f"of {', '.join(directory_roles.BUILT_IN)}")
        roles.append(role)
    totp_secret = opt_str(d, "totp_secret", where)
    if totp_secret is not None:
        try:
            totp_secret = totp.normalised(totp_secret)
        except ValueError as exc:
            raise ConfigError(f"{where}.totp_secret: {exc}") from exc
    home = opt_str(d, "home", where)
    if home is not None and not home.strip():
        raise ConfigError(f"{where}.home must name a user of another tenant (a UPN or oid)")
    return {"extensions": dict(extensions), "user_type": user_type, "totp_secret": totp_secret,
            "home": home, "mail_nickname": mail_nickname(d, where),
            "force_change_password": flag(d, "force_change_password", where, False),
            "country": country(d, "country", where),
            "preferred_language": opt_str(d, "preferred_language", where),
            "directory_roles": tuple(dict.fromkeys(roles))}


USER_KEYS = {"extensions", "user_type", "home", "country", "preferred_language",
             "directory_roles", "totp_secret", "force_change_password", "mail_nickname"}
APP_KEYS = {"group_membership_claims", "optional_claims", "extension_properties", "assignments",
            "access_token_version"}
