"""Pure translations between Microsoft Graph request bodies and the provider's directory records.

The management API (:mod:`mock_idp.endpoints.graph`) parses a body with these functions, then
applies the result to the store. Each raises :class:`~mock_idp.endpoints.payload.BadInput`
naming the Graph property at fault.

Graph reference: https://learn.microsoft.com/graph/api/resources/application,
https://learn.microsoft.com/graph/api/resources/user,
https://learn.microsoft.com/graph/api/resources/approleassignment
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..protocol.urls import is_url
from ..store import Application, Tenant, User
from .fields import checked_url
from .payload import (
    BadInput,
    check_known,
    get_bool,
    get_datetime,
    get_object,
    get_str,
    get_str_list,
    parse_guid,
    require_str,
)

DEFAULT_ACCESS_ROLE_ID = "00000000-0000-0000-0000-000000000000"
MAX_URI = 256
SECRET_LIFETIME = timedelta(days=730)

APPLICATION_PROPERTIES = {
    "displayName", "appId", "identifierUris", "isFallbackPublicClient", "web",
    "appRoleAssignmentRequired", "backchannelLogoutUri", "eventsUrl", "appRoles",
    "groupMembershipClaims", "frontchannelLogoutIncludesIssuer",
}
WEB_PROPERTIES = {"redirectUris", "logoutUrl", "implicitGrantSettings"}
IMPLICIT_PROPERTIES = {"enableIdTokenIssuance", "enableAccessTokenIssuance"}
APP_ROLE_PROPERTIES = {"id", "value", "displayName", "description", "allowedMemberTypes",
                       "isEnabled", "origin"}
GROUP_CLAIMS = {"None", "SecurityGroup", "All", "DirectoryRole", "ApplicationGroup"}
USER_PROPERTIES = {"accountEnabled", "displayName", "userPrincipalName", "mailNickname",
                   "passwordProfile", "mail", "givenName", "surname"}
PASSWORD_PROFILE_PROPERTIES = {"password", "forceChangePasswordNextSignIn",
                               "forceChangePasswordNextSignInWithMfa"}


def web_uri(value: str, name: str) -> str:
    """A redirect, logout or notification URL: absolute http(s), no wildcard, no fragment."""
    if len(value) > MAX_URI:
        raise BadInput(f"{name!r} is longer than {MAX_URI} characters", field=name)
    checked_url(value, name)
    if "*" in value or "#" in value:
        raise BadInput(f"{name!r} must not contain a wildcard or a fragment", field=name)
    return value


def _uris(body: dict[str, Any], key: str, where: str) -> list[str] | None:
    values = get_str_list(body, key, where, max_len=MAX_URI)
    if values is None:
        return None
    name = f"{where}.{key}" if where else key
    return [web_uri(v, f"{name}[{i}]") for i, v in enumerate(values)]


def _optional_uri(body: dict[str, Any], key: str, where: str = "") -> tuple[bool, str | None]:
    if key not in body:
        return False, None
    value = get_str(body, key, where, nullable=True, max_len=MAX_URI)
    name = f"{where}.{key}" if where else key
    return True, (web_uri(value, name) if value else None)


def application_changes(body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """Graph application properties -> ``Application`` attribute values (lists, not tuples)."""
    check_known(body, APPLICATION_PROPERTIES)
    out: dict[str, Any] = {}
    if creating or "displayName" in body:
        out["name"] = require_str(body, "displayName", max_len=256)
    if "appId" in body:
        if not creating:
            raise BadInput("'appId' is read-only after creation", field="appId")
        value = get_str(body, "appId", max_len=64)
        if value is not None:
            out["client_id"] = parse_guid(value, "appId")
    identifier_uris = get_str_list(body, "identifierUris", max_len=MAX_URI)
    if identifier_uris is not None:
        for i, value in enumerate(identifier_uris):
            if not is_url(value, schemes=None):
                raise BadInput(f"'identifierUris[{i}]' must be an absolute URI such as "
                               f"api://<appId>", field=f"identifierUris[{i}]")
        out["identifier_uris"] = identifier_uris
    for key, attr in (("isFallbackPublicClient", "public_client"),
                      ("appRoleAssignmentRequired", "assignment_required"),
                      ("frontchannelLogoutIncludesIssuer", "frontchannel_logout_iss")):
        flag = get_bool(body, key)
        if flag is not None:
            out[attr] = flag
    for key, attr in (("backchannelLogoutUri", "backchannel_logout_uri"),
                      ("eventsUrl", "events_url")):
        present, uri = _optional_uri(body, key)
        if present:
            out[attr] = uri
    web = get_object(body, "web")
    if web is not None:
        check_known(web, WEB_PROPERTIES, "web")
        redirect_uris = _uris(web, "redirectUris", "web")
        if redirect_uris is not None:
            out["redirect_uris"] = list(dict.fromkeys(redirect_uris))
        present, logout = _optional_uri(web, "logoutUrl", "web")
        if present:
            out["logout_url"] = logout
        implicit = get_object(web, "implicitGrantSettings", "web")
        if implicit is not None:
            where = "web.implicitGrantSettings"
            check_known(implicit, IMPLICIT_PROPERTIES, where)
            for key, attr in (("enableIdTokenIssuance", "allow_id_token"),
                              ("enableAccessTokenIssuance", "allow_access_token")):
                flag = get_bool(implicit, key, where)
                if flag is not None:
                    out[attr] = flag
    if "appRoles" in body:
        out["app_roles"] = _app_roles(body["appRoles"])
    claims = get_str(body, "groupMembershipClaims", nullable=True, max_len=64)
    if "groupMembershipClaims" in body:
        if claims is not None and claims not in GROUP_CLAIMS:
            raise BadInput(f"'groupMembershipClaims' must be one of {sorted(GROUP_CLAIMS)}",
                           field="groupMembershipClaims")
        out["group_claims"] = claims not in (None, "None")
    return out


def _app_roles(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise BadInput("'appRoles' must be an array of appRole objects", field="appRoles")
    if len(value) > 256:
        raise BadInput("'appRoles' has more than 256 entries", field="appRoles")
    roles: list[str] = []
    for i, item in enumerate(value):
        where = f"appRoles[{i}]"
        if not isinstance(item, dict):
            raise BadInput(f"{where!r} must be an object", field=where)
        check_known(item, APP_ROLE_PROPERTIES, where)
        role = require_str(item, "value", where, max_len=120)
        if any(c.isspace() for c in role):
            raise BadInput(f"'{where}.value' must not contain spaces", field=f"{where}.value")
        if role in roles:
            raise BadInput(f"'{where}.value' duplicates another app role", field=f"{where}.value")
        roles.append(role)
    return roles


def user_changes(body: dict[str, Any], tenant: Tenant, *, creating: bool) -> dict[str, Any]:
    """Graph user properties -> ``User`` attribute values."""
    check_known(body, USER_PROPERTIES)
    out: dict[str, Any] = {}
    if creating or "userPrincipalName" in body:
        out["upn"] = upn(require_str(body, "userPrincipalName", max_len=113), tenant)
    if creating or "displayName" in body:
        out["name"] = require_str(body, "displayName", max_len=256)
    get_str(body, "mailNickname", max_len=64)
    profile = get_object(body, "passwordProfile")
    if creating and profile is None:
        raise BadInput("'passwordProfile.password' is required", field="passwordProfile.password")
    if profile is not None:
        check_known(profile, PASSWORD_PROFILE_PROPERTIES, "passwordProfile")
        out["password"] = require_str(profile, "password", "passwordProfile", max_len=256)
        for key in ("forceChangePasswordNextSignIn", "forceChangePasswordNextSignInWithMfa"):
            get_bool(profile, key, "passwordProfile")
    enabled = get_bool(body, "accountEnabled")
    if enabled is not None:
        out["enabled"] = enabled
    if "mail" in body:
        mail = get_str(body, "mail", nullable=True, max_len=256)
        if mail is not None and "@" not in mail:
            raise BadInput("'mail' must be an email address", field="mail")
        out["email"] = mail
    for key, attr in (("givenName", "given_name"), ("surname", "family_name")):
        if key in body:
            out[attr] = get_str(body, key, nullable=True, max_len=64)
    return out


def upn(value: str, tenant: Tenant) -> str:
    local, at, domain = value.partition("@")
    if not at or not local or "@" in domain or len(local) > 64 or any(c.isspace() for c in value):
        raise BadInput(f"'userPrincipalName' must look like name@{tenant.domain}, got "
                       f"{value[:80]!r}", field="userPrincipalName")
    if domain.lower() != tenant.domain:
        raise BadInput(
            f"the domain of 'userPrincipalName' must be the tenant's domain {tenant.domain!r}",
            field="userPrincipalName",
        )
    return f"{local}@{tenant.domain}"


@dataclass(frozen=True)
class NewPassword:
    display_name: str
    start: datetime
    end: datetime
    secret_text: str | None


def password_request(body: dict[str, Any], now: datetime) -> NewPassword:
    """The ``addPassword`` body; start defaults to now and end to start plus two years."""
    check_known(body, {"passwordCredential"})
    cred = get_object(body, "passwordCredential") or {}
    where = "passwordCredential"
    check_known(cred, {"displayName", "startDateTime", "endDateTime", "secretText"}, where)
    start = get_datetime(cred, "startDateTime", where) or now
    end = get_datetime(cred, "endDateTime", where) or start + SECRET_LIFETIME
    if end <= start:
        raise BadInput("'passwordCredential.endDateTime' must be after startDateTime",
                       field="passwordCredential.endDateTime")
    secret = get_str(cred, "secretText", where, nullable=True, max_len=128)
    if secret is not None and not (16 <= len(secret) and secret.isascii()
                                   and secret.isprintable()):
        raise BadInput("'passwordCredential.secretText' must be 16 to 128 printable ASCII "
                       "characters", field="passwordCredential.secretText")
    return NewPassword(
        display_name=get_str(cred, "displayName", where, nullable=True) or "",
        start=start, end=end, secret_text=secret,
    )


# --- app role assignments -------------------------------------------------------------------

def role_id(app: Application, role: str) -> str:
    """The app role's id, as ``Application.graph()`` lists it."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{app.client_id}/{role}"))


def assignment_id(user: User, app: Application, app_role_id: str) -> str:
    digest = hashlib.sha256(f"{user.id}|{app.id}|{app_role_id}".encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")[:43]


@dataclass(frozen=True)
class Assignment:
    id: str
    user: User
    app: Application
    app_role_id: str
    role: str | None
    """The role's value, or ``None`` for default access."""

    def graph(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "deletedDateTime": None,
            "appRoleId": self.app_role_id,
            "principalDisplayName": self.user.name,
            "principalId": self.user.id,
            "principalType": "User",
            "resourceDisplayName": self.app.name,
            "resourceId": self.app.id,
        }


def assignments(tenant: Tenant, user: User) -> list[Assignment]:
    """A user's assignments, derived from ``Application.assigned`` and the user's roles.

    An assigned user holding some of the app's roles has one assignment per role; otherwise one
    default-access assignment. Role values live on the user, so apps sharing a role value share
    it.
    """
    out: list[Assignment] = []
    for app in tenant.apps.values():
        if user.id not in app.assigned:
            continue
        roles = [r for r in app.app_roles if r in user.roles]
        if not roles:
            out.append(Assignment(assignment_id(user, app, DEFAULT_ACCESS_ROLE_ID), user, app,
                                  DEFAULT_ACCESS_ROLE_ID, None))
        for role in roles:
            rid = role_id(app, role)
            out.append(Assignment(assignment_id(user, app, rid), user, app, rid, role))
    return out


def resolve_role(app: Application, requested: str) -> str | None:
    """``appRoleId`` (a role id, the default-access id, or a role value) -> role value or None."""
    if requested.lower() == DEFAULT_ACCESS_ROLE_ID:
        return None
    for role in app.app_roles:
        if requested.lower() == role_id(app, role) or requested == role:
            return role
    available = ", ".join(f"{role_id(app, r)} ({r})" for r in app.app_roles) or "none"
    raise BadInput(
        f"'appRoleId' {requested[:64]!r} is not an app role of {app.name!r}; use "
        f"{DEFAULT_ACCESS_ROLE_ID} for default access. App roles: {available}",
        field="appRoleId",
    )


def assign(user: User, app: Application, role: str | None) -> None:
    app.assigned.add(user.id)
    if role is not None and role not in user.roles:
        user.roles.append(role)


def unassign(assignment: Assignment) -> None:
    user, app = assignment.user, assignment.app
    if assignment.role is not None and assignment.role in user.roles:
        user.roles.remove(assignment.role)
    if assignment.role is None or not any(r in user.roles for r in app.app_roles):
        app.assigned.discard(user.id)
