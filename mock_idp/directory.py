"""The directory objects Entra shapes claims from, and the membership questions tokens ask.

Groups (security, Microsoft 365, distribution; nested), app roles with ids, app role assignments
of users and groups, directory extension properties registered on applications, and an
application's optional claims. The records live on :class:`~mock_idp.store.Tenant` and
:class:`~mock_idp.store.Application`; the functions here answer "which groups is this user in",
"which roles does this user hold on this app" and "may this user sign in to this app".

Microsoft Graph reference: https://learn.microsoft.com/graph/api/resources/group,
https://learn.microsoft.com/graph/api/resources/approle,
https://learn.microsoft.com/graph/api/resources/approleassignment,
https://learn.microsoft.com/graph/api/resources/extensionproperty,
https://learn.microsoft.com/graph/api/resources/optionalclaims
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .store import Application, Tenant, User

DEFAULT_ACCESS_ROLE_ID = "00000000-0000-0000-0000-000000000000"
"""The ``appRoleId`` of an assignment that grants access without a role."""

GROUP_MEMBERSHIP_VALUES = ("SecurityGroup", "DirectoryRole", "ApplicationGroup", "All")
"""``groupMembershipClaims`` flags; the manifest takes one, ``None``, or a comma-separated mix
(the portal writes ``"SecurityGroup, ApplicationGroup"``)."""

ROLE_MEMBER_TYPES = ("User", "Application")
EXTENSION_DATA_TYPES = ("Binary", "Boolean", "DateTime", "Integer", "LargeInteger", "String")
EXTENSION_TARGETS = ("User", "Group", "AdministrativeUnit", "Application", "Device",
                     "Organization")
TOKEN_TYPES = ("idToken", "accessToken", "saml2Token")


def strip_app_id(client_id: str) -> str:
    """The app id as directory extension names carry it: hex digits only, no dashes."""
    return client_id.replace("-", "").lower()


def extension_name(client_id: str, short_name: str) -> str:
    """``extension_<appid without dashes>_<name>``, the identifier Graph and the manifest use
    (https://learn.microsoft.com/entra/identity-platform/schema-extensions)."""
    return f"extension_{strip_app_id(client_id)}_{short_name}"


@dataclass(frozen=True)
class OptionalClaim:
    """One ``optionalClaim``: a predefined claim (``source`` null) or a directory extension of
    the user (``source`` ``"user"``)."""

    name: str
    source: str | None = None
    essential: bool = False
    additional_properties: tuple[str, ...] = ()

    def graph(self) -> dict[str, Any]:
        return {"additionalProperties": list(self.additional_properties),
                "essential": self.essential, "name": self.name, "source": self.source}


@dataclass(frozen=True)
class OptionalClaims:
    """An application's ``optionalClaims``: a list per token type."""

    id_token: tuple[OptionalClaim, ...] = ()
    access_token: tuple[OptionalClaim, ...] = ()
    saml2_token: tuple[OptionalClaim, ...] = ()

    def for_token(self, kind: str) -> tuple[OptionalClaim, ...]:
        """``kind``: ``id`` or ``access``."""
        return self.id_token if kind == "id" else self.access_token

    def graph(self) -> dict[str, Any]:
        return {"accessToken": [c.graph() for c in self.access_token],
                "idToken": [c.graph() for c in self.id_token],
                "saml2Token": [c.graph() for c in self.saml2_token]}


@dataclass
class AppRole:
    id: str
    value: str
    display_name: str
    description: str = ""
    allowed_member_types: tuple[str, ...] = ("User",)
    enabled: bool = True

    def graph(self) -> dict[str, Any]:
        return {"allowedMemberTypes": list(self.allowed_member_types),
                "description": self.description, "displayName": self.display_name,
                "id": self.id, "isEnabled": self.enabled, "origin": "Application",
                "value": self.value}


def default_role_id(client_id: str, value: str) -> str:
    """The id an app role gets when its definition names none (stable across restarts)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{client_id.lower()}/{value}"))


@dataclass(frozen=True)
class ExtensionProperty:
    """A directory extension registered on an application (``POST …/extensionProperties``)."""

    id: str
    client_id: str
    short_name: str
    data_type: str = "String"
    target_objects: tuple[str, ...] = ("User",)
    multi_valued: bool = False

    @property
    def name(self) -> str:
        return extension_name(self.client_id, self.short_name)

    def graph(self, app_display_name: str) -> dict[str, Any]:
        return {"id": self.id, "deletedDateTime": None, "appDisplayName": app_display_name,
                "dataType": self.data_type, "isMultiValued": self.multi_valued,
                "isSyncedFromOnPremises": False, "name": self.name,
                "targetObjects": list(self.target_objects)}


@dataclass
class Group:
    id: str
    display_name: str
    created: datetime
    description: str | None = None
    mail_nickname: str = ""
    security_enabled: bool = True
    mail_enabled: bool = False
    group_types: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    """Object ids of member users and groups, in the order they were added."""
    on_premises_sam_account_name: str | None = None
    on_premises_domain_name: str | None = None
    on_premises_netbios_name: str | None = None

    @property
    def synced(self) -> bool:
        """Synchronized from on-premises Active Directory (it has a sAMAccountName)."""
        return self.on_premises_sam_account_name is not None

    def graph(self, domain: str) -> dict[str, Any]:
        mail = f"{self.mail_nickname}@{domain}" if self.mail_enabled else None
        return {
            "id": self.id, "deletedDateTime": None, "classification": None,
            "createdDateTime": self.created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "description": self.description, "displayName": self.display_name,
            "groupTypes": list(self.group_types), "mail": mail,
            "mailEnabled": self.mail_enabled, "mailNickname": self.mail_nickname,
            "onPremisesDomainName": self.on_premises_domain_name,
            "onPremisesNetBiosName": self.on_premises_netbios_name,
            "onPremisesSamAccountName": self.on_premises_sam_account_name,
            "onPremisesSecurityIdentifier": None,  # no SID kept; null as an unset one
            "onPremisesSyncEnabled": True if self.synced else None,
            "securityEnabled": self.security_enabled, "visibility": None,
        }


@dataclass(frozen=True)
class RoleAssignment:
    """A user or a group assigned to an application, with a role or default access."""

    id: str
    principal_id: str
    principal_type: str
    """``User`` or ``Group``."""
    client_id: str
    """The application's app id."""
    app_role_id: str
    created: datetime


def assignment_id(principal_id: str, app_object_id: str, app_role_id: str) -> str:
    """A stable, opaque assignment id of Graph's shape (43 base64url characters)."""
    digest = hashlib.sha256(f"{principal_id}|{app_object_id}|{app_role_id}".encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")[:43]


# --- membership ---------------------------------------------------------------------------------

def member_of(tenant: Tenant, object_id: str) -> list[Group]:
    """The groups ``object_id`` (a user or a group) is a direct member of, oldest first."""
    return [g for g in tenant.groups.values() if object_id in g.members]


def transitive_member_of(tenant: Tenant, object_id: str) -> list[Group]:
    """Every group ``object_id`` belongs to, directly or through nested groups (Entra's group
    claims include nested groups: https://learn.microsoft.com/entra/identity/hybrid/connect/
    how-to-connect-fed-group-claims). Cycles are visited once."""
    seen: dict[str, Group] = {}
    frontier = [object_id]
    while frontier:
        current = frontier.pop()
        for group in member_of(tenant, current):
            if group.id not in seen:
                seen[group.id] = group
                frontier.append(group.id)
    order = list(tenant.groups)
    return sorted(seen.values(), key=lambda g: order.index(g.id))


def assignments_of(tenant: Tenant, principal_ids: Iterable[str],
                   app: Application | None = None) -> list[RoleAssignment]:
    wanted = set(principal_ids)
    return [a for a in tenant.assignments.values() if a.principal_id in wanted
            and (app is None or a.client_id == app.client_id)]


def _principals(tenant: Tenant, user: User) -> list[str]:
    """The user and the groups it is a direct member of: group-based assignment does not
    cascade to nested groups (https://learn.microsoft.com/entra/identity/enterprise-apps/
    assign-user-or-group-access-portal)."""
    return [user.id, *(g.id for g in member_of(tenant, user.id))]


def needs_assignment(tenant: Tenant, app: Application) -> bool:
    """Whether ``app`` admits only assigned users in ``tenant``. "Assignment required" is a
    setting of the app's service principal in each tenant; the mock keeps one, the app's home
    tenant's, and another tenant's service principal starts without it, as Entra makes it at
    first consent."""
    return app.assignment_required and app.tenant_id == tenant.id


def is_assigned(tenant: Tenant, app: Application, user: User) -> bool:
    """Whether ``user`` is assigned to ``app``, directly or through a group."""
    return bool(assignments_of(tenant, _principals(tenant, user), app))


def role_values(tenant: Tenant, app: Application, user: User) -> list[str]:
    """The ``roles`` a user token for ``app`` carries: the values of the app's enabled roles
    open to users that are assigned to the user or to a group the user is in."""
    held = {a.app_role_id for a in assignments_of(tenant, _principals(tenant, user), app)}
    return [r.value for r in app.app_roles
            if r.id in held and r.enabled and "User" in r.allowed_member_types]


def assigned_group_ids(tenant: Tenant, app: Application) -> set[str]:
    """Groups assigned to ``app`` (what ``ApplicationGroup`` group claims draw from)."""
    return {a.principal_id for a in tenant.assignments.values()
            if a.client_id == app.client_id and a.principal_type == "Group"}


def remove_object(tenant: Tenant, object_id: str) -> None:
    """Forget a deleted user or group: its memberships, its assignments and a user's own
    consent (``Principal`` grants)."""
    for group in tenant.groups.values():
        if object_id in group.members:
            group.members.remove(object_id)
    for key in [k for k, a in tenant.assignments.items() if a.principal_id == object_id]:
        del tenant.assignments[key]
    tenant.grants = [g for g in tenant.grants if g.principal_id != object_id]


def remove_app(tenant: Tenant, client_id: str) -> None:
    """Forget a deleted application in ``tenant``: the assignments to it and every grant that
    names it as client or resource, delegated or application permission, so an app made
    again under its appId starts with none."""
    for key in [k for k, a in tenant.assignments.items() if a.client_id == client_id]:
        del tenant.assignments[key]
    tenant.grants = [g for g in tenant.grants if client_id not in (g.client_id, g.resource_id)]
    tenant.app_role_grants = [g for g in tenant.app_role_grants
                              if client_id not in (g.client_id, g.resource_id)]


@lru_cache(maxsize=256)
def parse_group_membership_claims(value: str | None) -> tuple[str, ...]:
    """``"SecurityGroup, ApplicationGroup"`` -> the flags; ``None``/``"None"`` -> ``()``.
    Raises ``ValueError`` naming an unknown value. Cached: every user token reads its app's
    setting (a refusal is not cached)."""
    if value is None:
        return ()
    parts = [p.strip() for p in value.split(",") if p.strip()]
    flags: list[str] = []
    for part in parts:
        match = next((v for v in (*GROUP_MEMBERSHIP_VALUES, "None") if v.lower() == part.lower()),
                     None)
        if match is None:
            raise ValueError(f"{part[:40]!r} is not one of None, "
                             f"{', '.join(GROUP_MEMBERSHIP_VALUES)}")
        if match != "None" and match not in flags:
            flags.append(match)
    return tuple(flags)


def normalize_group_membership_claims(value: str | None) -> str | None:
    """The value as stored and returned by Graph: ``None`` when unset, ``"None"``, or the
    flags in canonical spelling joined by ``", "``. Raises ``ValueError`` like
    :func:`parse_group_membership_claims`."""
    if value is None:
        return None
    flags = parse_group_membership_claims(value)
    return ", ".join(flags) if flags else "None"


# --- directory extension values ---------------------------------------------------------------

MAX_EXTENSION_STRING = 256
MAX_EXTENSION_VALUES = 100
"""Values per object, across all extensions (Graph's extensionProperty limit)."""
_INT32 = (-(2 ** 31), 2 ** 31 - 1)
_INT64 = (-(2 ** 63), 2 ** 63 - 1)


def _scalar(prop: ExtensionProperty, value: Any) -> Any:
    kind = prop.data_type
    if kind == "String":
        if not isinstance(value, str):
            raise ValueError("must be a string")
        if len(value) > MAX_EXTENSION_STRING:
            raise ValueError(f"is longer than {MAX_EXTENSION_STRING} characters")
        return value
    if kind == "Boolean":
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value
    if kind in ("Integer", "LargeInteger"):
        low, high = _INT32 if kind == "Integer" else _INT64
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"must be an integer from {low} to {high}")
        return value
    if kind == "DateTime":
        if isinstance(value, datetime):
            parsed = value
        elif isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            except ValueError:
                raise ValueError("must be an ISO 8601 date-time") from None
        else:
            raise ValueError("must be an ISO 8601 date-time")
        try:
            parsed = parsed.astimezone(UTC) if parsed.tzinfo is not None else parsed
        except OverflowError:
            raise ValueError("is out of the range of date-times") from None
        return parsed.strftime("%Y-%m-%dT%H:%M:%SZ")
    if not isinstance(value, str):
        raise ValueError("must be base64 text")
    try:
        raw = base64.b64decode(value, validate=True)
    except ValueError:
        raise ValueError("must be base64 text") from None
    if len(raw) > MAX_EXTENSION_STRING:
        raise ValueError(f"is longer than {MAX_EXTENSION_STRING} bytes")
    return value


def coerce_extension_value(prop: ExtensionProperty, value: Any) -> Any:
    """``value`` checked against the extension's ``dataType`` (and ``isMultiValued``), in the
    form it is stored and put in tokens. Raises ``ValueError`` saying what is wrong."""
    if prop.multi_valued:
        if not isinstance(value, list):
            raise ValueError(f"must be an array of {prop.data_type} values")
        if len(value) > MAX_EXTENSION_VALUES:
            raise ValueError(f"has more than {MAX_EXTENSION_VALUES} values")
        return [_scalar(prop, item) for item in value]
    return _scalar(prop, value)
