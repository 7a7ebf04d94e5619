"""Pure translations of the Graph bodies that shape claims: ``appRoles``, ``optionalClaims``,
``groupMembershipClaims``, directory extensions and their values on users, groups and their
members, and app role assignments.

Each function raises :class:`~mock_idp.endpoints.payload.BadInput` naming the Graph property at
fault. References: https://learn.microsoft.com/graph/api/resources/application,
https://learn.microsoft.com/graph/api/resources/optionalclaim,
https://learn.microsoft.com/graph/api/application-post-extensionproperty,
https://learn.microsoft.com/graph/api/group-post-groups,
https://learn.microsoft.com/graph/api/group-post-members,
https://learn.microsoft.com/graph/api/resources/approleassignment
"""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import urlsplit

from .. import registration_rules
from ..consent import GRAPH_APP_ID, service_principal_id
from ..directory import (
    DEFAULT_ACCESS_ROLE_ID,
    EXTENSION_DATA_TYPES,
    EXTENSION_TARGETS,
    ROLE_MEMBER_TYPES,
    TOKEN_TYPES,
    AppRole,
    ExtensionProperty,
    OptionalClaim,
    OptionalClaims,
    RoleAssignment,
    coerce_extension_value,
    default_role_id,
    normalize_group_membership_claims,
)
from ..store import Application, Tenant
from ..text_policy import mail_nickname_problem
from .payload import (
    BadInput,
    check_known,
    get_bool,
    get_object,
    get_str,
    get_str_list,
    parse_guid,
    require_str,
)

APP_ROLE_PROPERTIES = {"id", "value", "displayName", "description", "allowedMemberTypes",
                       "isEnabled", "origin"}
OPTIONAL_CLAIM_PROPERTIES = {"name", "source", "essential", "additionalProperties"}
EXTENSION_PROPERTIES = {"name", "dataType", "targetObjects", "isMultiValued"}
GROUP_PROPERTIES = {"displayName", "description", "mailEnabled", "mailNickname",
                    "securityEnabled", "groupTypes", "members@odata.bind",
                    "owners@odata.bind", "visibility", "isAssignableToRole"}
EXTENSION_NAME = re.compile(r"^extension_[0-9a-fA-F]{32}_[A-Za-z][A-Za-z0-9_]*$")
SHORT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,99}$")
MAX_BIND = 20
"""Members one ``members@odata.bind`` may add (Graph's limit per request)."""
MAX_APP_ROLES = 256


# --- applications -------------------------------------------------------------------------------

def app_roles(value: Any, client_id: str) -> list[AppRole]:
    """``appRoles``: objects with a GUID ``id`` (one derived from the value when absent), a
    ``value`` :mod:`mock_idp.registration_rules` allows, unique values and ids."""
    if not isinstance(value, list):
        raise BadInput("'appRoles' must be an array of appRole objects", field="appRoles")
    if len(value) > MAX_APP_ROLES:
        raise BadInput(f"'appRoles' has more than {MAX_APP_ROLES} entries", field="appRoles")
    roles: list[AppRole] = []
    for i, item in enumerate(value):
        where = f"appRoles[{i}]"
        if not isinstance(item, dict):
            raise BadInput(f"{where!r} must be an object", field=where)
        check_known(item, APP_ROLE_PROPERTIES, where)
        role = require_str(item, "value", where, max_len=registration_rules.MAX_APP_ROLE_VALUE)
        problem = registration_rules.app_role_value_problem(role)
        if problem is not None:
            raise BadInput(f"'{where}.value' {problem}", field=f"{where}.value")
        role_id = get_str(item, "id", where, max_len=64)
        role_id = parse_guid(role_id, f"{where}.id") if role_id else default_role_id(
            client_id, role)
        types = get_str_list(item, "allowedMemberTypes", where) or ["User"]
        for j, kind in enumerate(types):
            if kind not in ROLE_MEMBER_TYPES:
                raise BadInput(f"'{where}.allowedMemberTypes[{j}]' must be User or Application",
                               field=f"{where}.allowedMemberTypes[{j}]")
        if any(r.value == role for r in roles):
            raise BadInput(f"'{where}.value' duplicates another app role", field=f"{where}.value")
        if any(r.id == role_id for r in roles):
            raise BadInput(f"'{where}.id' duplicates another app role", field=f"{where}.id")
        enabled = get_bool(item, "isEnabled", where)
        roles.append(AppRole(
            id=role_id, value=role,
            display_name=get_str(item, "displayName", where, max_len=120) or role,
            description=get_str(item, "description", where, nullable=True, max_len=1000,
                                multiline=True) or "",
            allowed_member_types=tuple(dict.fromkeys(types)),
            enabled=True if enabled is None else enabled))
    return roles


def group_membership_claims(body: dict[str, Any]) -> str | None:
    value = get_str(body, "groupMembershipClaims", nullable=True, max_len=80)
    try:
        return normalize_group_membership_claims(value)
    except ValueError as exc:
        raise BadInput(f"'groupMembershipClaims': {exc}", field="groupMembershipClaims") from None


def _optional_claim(item: Any, where: str) -> OptionalClaim:
    if not isinstance(item, dict):
        raise BadInput(f"{where!r} must be an optionalClaim object", field=where)
    check_known(item, OPTIONAL_CLAIM_PROPERTIES, where)
    name = require_str(item, "name", where, max_len=160)
    source = get_str(item, "source", where, nullable=True, max_len=16)
    if source is not None and source.lower() != "user":
        raise BadInput(f"'{where}.source' must be null or \"user\"", field=f"{where}.source")
    if source is not None and not EXTENSION_NAME.match(name):
        raise BadInput(f"'{where}.name' must be a directory extension's full name, "
                       f"extension_<appId without dashes>_<name>", field=f"{where}.name")
    if source is None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", name):
        raise BadInput(f"'{where}.name' is not a claim name", field=f"{where}.name")
    essential = get_bool(item, "essential", where)
    properties = get_str_list(item, "additionalProperties", where, max_items=16, max_len=64)
    return OptionalClaim(name=name, source=None if source is None else "user",
                         essential=bool(essential),
                         additional_properties=tuple(properties or ()))


def optional_claims(body: dict[str, Any]) -> OptionalClaims:
    """``optionalClaims``: ``idToken``, ``accessToken`` and ``saml2Token`` lists (a missing
    list is empty, as the property is replaced whole)."""
    value = get_object(body, "optionalClaims")
    if value is None:
        return OptionalClaims()
    check_known(value, TOKEN_TYPES, "optionalClaims")
    lists: dict[str, tuple[OptionalClaim, ...]] = {}
    for kind in TOKEN_TYPES:
        items = value.get(kind) or []
        where = f"optionalClaims.{kind}"
        if not isinstance(items, list):
            raise BadInput(f"{where!r} must be an array of optionalClaim objects", field=where)
        if len(items) > 64:
            raise BadInput(f"{where!r} has more than 64 entries", field=where)
        lists[kind] = tuple(_optional_claim(item, f"{where}[{i}]")
                            for i, item in enumerate(items))
    return OptionalClaims(id_token=lists["idToken"], access_token=lists["accessToken"],
                          saml2_token=lists["saml2Token"])


# --- directory extensions -----------------------------------------------------------------------

def extension_property(body: dict[str, Any], app: Application) -> ExtensionProperty:
    """The body of ``POST applications/{id}/extensionProperties``."""
    check_known(body, EXTENSION_PROPERTIES)
    short = require_str(body, "name", max_len=100)
    if not SHORT_NAME.match(short):
        raise BadInput("'name' must start with a letter and hold only letters, digits and _",
                       field="name")
    data_type = require_str(body, "dataType", max_len=32)
    if data_type not in EXTENSION_DATA_TYPES:
        raise BadInput(f"'dataType' must be one of {', '.join(EXTENSION_DATA_TYPES)}",
                       field="dataType")
    targets = get_str_list(body, "targetObjects", max_items=len(EXTENSION_TARGETS))
    if not targets:
        raise BadInput("'targetObjects' is required: the resources that carry the extension, "
                       "such as [\"User\"]", field="targetObjects")
    for i, target in enumerate(targets):
        if target not in EXTENSION_TARGETS:
            raise BadInput(f"'targetObjects[{i}]' must be one of {', '.join(EXTENSION_TARGETS)}",
                           field=f"targetObjects[{i}]")
    prop = ExtensionProperty(id=str(uuid.uuid4()), client_id=app.client_id, short_name=short,
                             data_type=data_type, target_objects=tuple(dict.fromkeys(targets)),
                             multi_valued=bool(get_bool(body, "isMultiValued")))
    if any(p.name.lower() == prop.name.lower() for p in app.extension_properties):
        raise BadInput(f"An extension property named {prop.name} already exists on this "
                       f"application.", field="name")
    return prop


def extension_values(body: dict[str, Any], tenant: Tenant) -> dict[str, Any]:
    """The ``extension_<appid>_<name>`` members of a user body -> {full name: value or None}."""
    out: dict[str, Any] = {}
    for key, value in body.items():
        if not key.lower().startswith("extension_"):
            continue
        found = tenant.find_extension(key)
        if found is None or "User" not in found[1].target_objects:
            raise BadInput(f"Property '{key[:120]}' does not exist as a declared property or "
                           f"extension property of users.", field=key[:120])
        prop = found[1]
        if value is None:
            out[prop.name] = None
            continue
        try:
            out[prop.name] = coerce_extension_value(prop, value)
        except ValueError as exc:
            raise BadInput(f"'{prop.name}' {exc} (dataType {prop.data_type}"
                           f"{', multi-valued' if prop.multi_valued else ''})",
                           field=prop.name) from None
    return out


def without_extensions(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if not k.lower().startswith("extension_")}


# --- groups -------------------------------------------------------------------------------------

def object_ref(value: Any, where: str) -> str:
    """A directory object reference (``https://graph.microsoft.com/v1.0/directoryObjects/{id}``
    or ``…/users/{id}``, ``…/groups/{id}``; any host) -> the object id."""
    if not isinstance(value, str) or not value:
        raise BadInput(f"{where!r} must be a directory object URL", field=where)
    parts = [p for p in urlsplit(value).path.split("/") if p]
    if len(parts) < 2 or parts[-2] not in ("directoryObjects", "users", "groups"):
        raise BadInput(f"{where!r} must end in /directoryObjects/{{id}}, got {value[:120]!r}",
                       field=where)
    return parse_guid(parts[-1], where)


def member_binds(body: dict[str, Any]) -> list[str] | None:
    """``members@odata.bind`` -> object ids (at most 20, as Graph allows per request)."""
    if "members@odata.bind" not in body:
        return None
    value = body["members@odata.bind"]
    if not isinstance(value, list):
        raise BadInput("'members@odata.bind' must be an array of directory object URLs",
                       field="members@odata.bind")
    if len(value) > MAX_BIND:
        raise BadInput(f"'members@odata.bind' can add at most {MAX_BIND} members per request",
                       field="members@odata.bind")
    return list(dict.fromkeys(object_ref(v, f"members@odata.bind[{i}]")
                              for i, v in enumerate(value)))


def group_changes(body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """Graph group properties -> ``Group`` attribute values. Creating needs ``displayName``,
    ``mailEnabled``, ``mailNickname`` and ``securityEnabled``; Graph creates Microsoft 365 groups
    and security groups only (a mail-enabled group must be ``Unified``)."""
    check_known(body, GROUP_PROPERTIES)
    out: dict[str, Any] = {}
    if creating or "displayName" in body:
        out["display_name"] = require_str(body, "displayName", max_len=256)
    if creating or "mailNickname" in body:
        nickname = require_str(body, "mailNickname", max_len=64)
        if mail_nickname_problem(nickname) is not None:
            raise BadInput("'mailNickname' must be ASCII without spaces or @()\\[]\";:<>,",
                           field="mailNickname")
        out["mail_nickname"] = nickname
    for key, attr in (("mailEnabled", "mail_enabled"), ("securityEnabled", "security_enabled")):
        value = get_bool(body, key)
        if value is None and creating:
            raise BadInput(f"'{key}' is required", field=key)
        if value is not None:
            out[attr] = value
    if "description" in body:
        out["description"] = get_str(body, "description", nullable=True, max_len=1024,
                                       multiline=True)
    types = get_str_list(body, "groupTypes", max_items=2, max_len=32)
    if types is not None:
        for i, kind in enumerate(types):
            if kind not in ("Unified", "DynamicMembership"):
                raise BadInput(f"'groupTypes[{i}]' must be Unified or DynamicMembership",
                               field=f"groupTypes[{i}]")
        out["group_types"] = list(dict.fromkeys(types))
    for key in ("visibility",):
        get_str(body, key, nullable=True, max_len=32)
    get_bool(body, "isAssignableToRole")
    get_str_list(body, "owners@odata.bind", max_items=MAX_BIND, max_len=512)
    if creating and out.get("mail_enabled") and "Unified" not in out.get("group_types", []):
        raise BadInput("Graph creates mail-enabled groups only as Microsoft 365 groups "
                       "(groupTypes [\"Unified\"]); describe distribution lists in idp.toml",
                       field="mailEnabled")
    return out


# --- app role assignments -----------------------------------------------------------------------

def resolve_role(app: Application, requested: str) -> str:
    """``appRoleId`` (a role id, the default-access id, or a role value) -> the role id."""
    if requested.lower() == DEFAULT_ACCESS_ROLE_ID:
        return DEFAULT_ACCESS_ROLE_ID
    role = app.find_role(requested)
    if role is not None:
        return role.id
    available = ", ".join(f"{r.id} ({r.value})" for r in app.app_roles) or "none"
    raise BadInput(
        f"'appRoleId' {requested[:64]!r} is not an app role of {app.name!r}; use "
        f"{DEFAULT_ACCESS_ROLE_ID} for default access. App roles: {available}",
        field="appRoleId",
    )


def assignment_graph(tenant: Tenant, assignment: RoleAssignment) -> dict[str, Any]:
    app = tenant.apps.get(assignment.client_id)
    if assignment.principal_type == "User":
        user = tenant.users.get(assignment.principal_id)
        principal_name = user.name if user else None
    else:
        group = tenant.groups.get(assignment.principal_id)
        principal_name = group.display_name if group else None
    return {
        "id": assignment.id,
        "deletedDateTime": None,
        "appRoleId": assignment.app_role_id,
        "createdDateTime": assignment.created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "principalDisplayName": principal_name,
        "principalId": assignment.principal_id,
        "principalType": assignment.principal_type,
        "resourceDisplayName": app.name if app else None,
        "resourceId": app.principal_id(tenant.id) if app else None,
    }


def resource_app(tenant: Tenant, value: str) -> Application:
    """The app whose service principal ``resourceId`` names: "The id of the resource
    servicePrincipal which has defined the app role"
    (https://learn.microsoft.com/graph/api/user-post-approleassignments). Graph answers 400
    "Not a valid reference update." for the application object's id
    (microsoftgraph/microsoft-graph-docs-contrib#4628) and 404 "Resource '…' does not exist…"
    for an id of no object, an app id among them (EirikHaughom/ADME#5)."""
    key = parse_guid(value, "resourceId")
    for app in tenant.apps.values():
        if app.principal_id(tenant.id) == key:
            return app
    if any(app.id == key for app in tenant.apps.values()) or key in tenant.users \
            or key in tenant.groups:
        raise BadInput("Not a valid reference update.", field="resourceId")
    others = {service_principal_id(tenant.id, c) for c in (GRAPH_APP_ID,
                                                           *(g.client_id for g in tenant.grants))}
    if key in others:
        raise BadInput("'resourceId' is the service principal of Microsoft Graph or of another "
                       "organization's app; the mock assigns users and groups to its tenant's "
                       "own applications only", field="resourceId")
    raise BadInput(f"Resource '{key}' does not exist or one of its queried reference-property "
                   f"objects are not present.", field="resourceId", status=404)


def assignment_request(body: dict[str, Any], tenant: Tenant, principal_id: str
                       ) -> tuple[Application, str]:
    """The body of ``POST users|groups/{id}/appRoleAssignments`` -> (app, app role id)."""
    check_known(body, {"principalId", "resourceId", "appRoleId"})
    principal = get_str(body, "principalId", max_len=64)
    if principal is not None and parse_guid(principal, "principalId") != principal_id:
        raise BadInput("'principalId' must be the id of the object in the URL",
                       field="principalId")
    app = resource_app(tenant, get_str(body, "resourceId", required=True, max_len=64) or "")
    requested = get_str(body, "appRoleId", required=True, max_len=128) or ""
    return app, resolve_role(app, requested)
