"""Pure translations between Microsoft Graph request bodies and the provider's directory records.

The management API (:mod:`mock_idp.endpoints.graph`) parses a body with these functions, then
applies the result to the store. Each raises :class:`~mock_idp.endpoints.payload.BadInput`
naming the Graph property at fault.

Graph reference: https://learn.microsoft.com/graph/api/resources/application,
https://learn.microsoft.com/graph/api/resources/user; the claim-shaping properties are parsed in
:mod:`mock_idp.endpoints.graph_directory_model`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .. import password_policy, registration_rules
from ..clock_range import LATEST
from ..config import SIGN_IN_AUDIENCES
from ..store import KeyCredential, Tenant, new_guid
from ..text_policy import mail_nickname_problem, mail_problem, upn_problem
from . import graph_directory_model as directory_model
from .graph_credentials import key_credentials
from .graph_http import GraphError
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

MAX_URI = registration_rules.MAX_URI

APPLICATION_PROPERTIES = {
    "displayName", "appId", "identifierUris", "isFallbackPublicClient", "web",
    "appRoleAssignmentRequired", "backchannelLogoutUri", "eventsUrl", "appRoles",
    "groupMembershipClaims", "frontchannelLogoutIncludesIssuer", "optionalClaims", "api",
    "signV1IdTokens", "keyCredentials", "spa", "signInAudience",
}
WEB_PROPERTIES = {"redirectUris", "logoutUrl", "implicitGrantSettings"}
IMPLICIT_PROPERTIES = {"enableIdTokenIssuance", "enableAccessTokenIssuance"}
PROFILE_PROPERTIES = {"jobTitle": ("job_title", 128), "mobilePhone": ("mobile_phone", 64),
                      "officeLocation": ("office_location", 128),
                      "businessPhones": ("business_phones", 64),
                      "usageLocation": ("usage_location", 2)}
"""Writable user properties the directory keeps for Graph alone: Graph name -> (the ``User``
field, the most characters one value may hold: the user resource's "Maximum length" where
it gives one, 128 for ``officeLocation`` where it does not)."""
USER_PROPERTIES = {"accountEnabled", "displayName", "userPrincipalName", "mailNickname",
                   "passwordProfile", "mail", "givenName", "surname", "country",
                   "preferredLanguage", "userType", *PROFILE_PROPERTIES}
PASSWORD_PROFILE_PROPERTIES = {"password", "forceChangePasswordNextSignIn",
                               "forceChangePasswordNextSignInWithMfa"}


def web_uri(value: str, name: str, *, redirect: bool = False) -> str:
    """A redirect, logout or notification URL, as :mod:`mock_idp.registration_rules` (which
    ``idp.toml`` follows too) allows it."""
    check = registration_rules.redirect_uri_problem if redirect else \
        registration_rules.web_url_problem
    problem = check(value)
    if problem is not None:
        raise BadInput(f"{name!r} {problem}", field=name)
    return value


def _uris(body: dict[str, Any], key: str, where: str) -> list[str] | None:
    values = get_str_list(body, key, where, max_len=MAX_URI)
    if values is None:
        return None
    name = f"{where}.{key}" if where else key
    return [web_uri(v, f"{name}[{i}]", redirect=True) for i, v in enumerate(values)]


def _optional_uri(body: dict[str, Any], key: str, where: str = "") -> tuple[bool, str | None]:
    if key not in body:
        return False, None
    value = get_str(body, key, where, nullable=True, max_len=MAX_URI)
    name = f"{where}.{key}" if where else key
    return True, (web_uri(value, name) if value else None)


def application_changes(body: dict[str, Any], *, client_id: str | None = None,
                        registered: list[KeyCredential] | None = None) -> dict[str, Any]:
    """Graph application properties -> ``Application`` attribute values (lists, not tuples).

    ``client_id`` is the app's id when updating; creating (``None``) returns ``client_id``, the
    body's ``appId`` or a new one. ``registered``: the app's certificates, which
    ``keyCredentials`` entries may name by ``keyId``.
    """
    check_known(body, APPLICATION_PROPERTIES)
    creating = client_id is None
    out: dict[str, Any] = {}
    if "keyCredentials" in body:
        out["certificates"] = key_credentials(body["keyCredentials"], registered or [])
    if creating or "displayName" in body:
        out["name"] = require_str(body, "displayName", max_len=256)
    if "appId" in body and not creating:
        raise BadInput("'appId' is read-only after creation", field="appId")
    if client_id is None:
        value = get_str(body, "appId", max_len=64)
        client_id = out["client_id"] = parse_guid(value, "appId") if value else new_guid()
    identifier_uris = get_str_list(body, "identifierUris", max_len=MAX_URI)
    if identifier_uris is not None:
        for i, value in enumerate(identifier_uris):
            problem = registration_rules.identifier_uri_problem(value)
            if problem is not None:
                raise BadInput(f"'identifierUris[{i}]' {problem}", field=f"identifierUris[{i}]")
        out["identifier_uris"] = identifier_uris
    for key, attr in (("isFallbackPublicClient", "public_client"),
                      ("appRoleAssignmentRequired", "assignment_required"),
                      ("frontchannelLogoutIncludesIssuer", "frontchannel_logout_iss"),
                      ("signV1IdTokens", "sign_v1_id_tokens")):
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
    spa = get_object(body, "spa")
    if spa is not None:
        check_known(spa, {"redirectUris"}, "spa")
        spa_uris = _uris(spa, "redirectUris", "spa")
        if spa_uris is not None:
            out["spa_redirect_uris"] = list(dict.fromkeys(spa_uris))
    if "appRoles" in body:
        out["app_roles"] = directory_model.app_roles(body["appRoles"], client_id)
    if "groupMembershipClaims" in body:
        out["group_membership_claims"] = directory_model.group_membership_claims(body)
    if "optionalClaims" in body:
        out["optional_claims"] = directory_model.optional_claims(body)
    if "signInAudience" in body:
        audience = require_str(body, "signInAudience", max_len=64)
        if audience not in SIGN_IN_AUDIENCES:
            raise BadInput(f"'signInAudience' must be one of {', '.join(SIGN_IN_AUDIENCES)}",
                           field="signInAudience")
        out["sign_in_audience"] = audience
    api = get_object(body, "api")
    if api is not None:
        check_known(api, {"requestedAccessTokenVersion"}, "api")
        if "requestedAccessTokenVersion" in api:
            version = api["requestedAccessTokenVersion"]
            # an integer, as Graph's Int32 property is: 2.0 equals 2 but would be stored and
            # read back as a float
            if version is not None and (type(version) is not int or version not in (1, 2)):
                raise BadInput("'api.requestedAccessTokenVersion' must be 1, 2 or null",
                               field="api.requestedAccessTokenVersion")
            out["requested_access_token_version"] = version
    return out


def user_changes(body: dict[str, Any], tenant: Tenant, *, creating: bool) -> dict[str, Any]:
    """Graph user properties -> ``User`` attribute values; directory extension values (members
    named ``extension_<appid>_<name>``) come as ``extensions``: {full name: value or None}."""
    extensions = directory_model.extension_values(body, tenant)
    body = directory_model.without_extensions(body)
    check_known(body, USER_PROPERTIES)
    out: dict[str, Any] = {"extensions": extensions} if extensions else {}
    if creating or "userPrincipalName" in body:
        # Read as is: upn() judges every character, in Graph's words.
        out["upn"] = upn(get_str(body, "userPrincipalName", required=True, max_len=113,
                                 raw=True) or "", tenant)
    if creating or "displayName" in body:
        out["name"] = require_str(body, "displayName", max_len=256)
    if creating or "mailNickname" in body:
        out["mail_nickname"] = _mail_nickname(body)
    profile = get_object(body, "passwordProfile")
    if creating and profile is None:
        raise BadInput("'passwordProfile.password' is required", field="passwordProfile.password")
    if profile is not None:
        check_known(profile, PASSWORD_PROFILE_PROPERTIES, "passwordProfile")
        forced = [get_bool(profile, key, "passwordProfile") for key in (
            "forceChangePasswordNextSignIn", "forceChangePasswordNextSignInWithMfa")]
        if creating or "password" in profile or not any(f is not None for f in forced):
            # Past 256 characters the policy refuses it, with Graph's message (below).
            # Read as is: the password policy (below) judges every character, in Graph's words.
            out["password"] = get_str(profile, "password", "passwordProfile", required=True,
                                      max_len=4096, raw=True)
        # Both flags default to false when not set (Graph's passwordProfile reference); the
        # WithMfa one also asks for the code first, which the mock's sign-in always does.
        out["force_change_password"] = any(f is True for f in forced)
    enabled = get_bool(body, "accountEnabled")
    if enabled is not None:
        out["enabled"] = enabled
    if "mail" in body:
        mail = get_str(body, "mail", nullable=True, max_len=256)
        problem = None if mail is None else mail_problem(mail)
        if problem is not None:
            raise BadInput(f"'mail' {problem}", field="mail")
        out["email"] = mail
    for key, attr in (("givenName", "given_name"), ("surname", "family_name")):
        if key in body:
            out[attr] = get_str(body, key, nullable=True, max_len=64)
    if "country" in body:
        out["country"] = get_str(body, "country", nullable=True, max_len=128)
    if "preferredLanguage" in body:
        language = get_str(body, "preferredLanguage", nullable=True, max_len=16)
        if language is not None and not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*",
                                                     language):
            raise BadInput("'preferredLanguage' must be an ISO 639-1 code such as en-US",
                           field="preferredLanguage")
        out["preferred_language"] = language
    if "userType" in body:
        user_type = get_str(body, "userType", max_len=16)
        if user_type not in ("Member", "Guest"):
            raise BadInput("'userType' must be Member or Guest", field="userType")
        out["user_type"] = user_type
    out.update(_profile_changes(body))
    if "password" in out and password_policy.problem(out["password"]) is not None:
        # Checked last, as the other fields' refusals say more about a malformed body.
        raise BadInput(password_policy.GRAPH_REFUSAL, field="passwordProfile.password")
    return out


MAIL_NICKNAME_REQUIRED = "Property mailNickname value is required but is empty or missing."
"""Graph's 400 for ``POST users`` without the alias (microsoftgraph/MSGraph-SDK-Code-Generator
#244): https://learn.microsoft.com/graph/api/user-post-users lists it among the required
properties. Unlike ``idp.toml``, Graph does not derive it from the UPN."""
MAIL_NICKNAME_INVALID = "Invalid value specified for property 'mailNickname' of resource 'User'."
"""Graph's 400 for an alias its rules refuse, with an ``InvalidValue`` detail
(microsoftgraph/microsoft-graph-docs#5777)."""


def _mail_nickname(body: dict[str, Any]) -> str:
    value = get_str(body, "mailNickname", nullable=True, raw=True)  # judged below
    if not value:
        raise GraphError(MAIL_NICKNAME_REQUIRED, code="Request_BadRequest",
                         field="mailNickname")
    if mail_nickname_problem(value) is not None:
        raise GraphError(MAIL_NICKNAME_INVALID, code="Request_BadRequest",
                         field="mailNickname",
                         details=[{"target": "mailNickname", "code": "InvalidValue"}])
    return value


def _profile_changes(body: dict[str, Any]) -> dict[str, Any]:
    """:data:`PROFILE_PROPERTIES` as the user resource types them
    (https://learn.microsoft.com/graph/api/resources/user#properties): ``businessPhones`` a
    string collection that holds one number at most; ``usageLocation`` a two-letter ISO 3166
    country code, not nullable; the others nullable strings."""
    out: dict[str, Any] = {}
    for key, (attr, max_len) in PROFILE_PROPERTIES.items():
        if key not in body:
            continue
        if key == "businessPhones":
            if isinstance(body[key], list) and len(body[key]) > 1:
                raise BadInput("'businessPhones' holds one number at most", field=key)
            out[attr] = get_str_list(body, key, max_len=max_len)
        elif key == "usageLocation":
            value = get_str(body, key, max_len=max_len)
            if value is None or not re.fullmatch(r"[A-Za-z]{2}", value):
                raise BadInput("'usageLocation' must be a two-letter country code (ISO 3166) "
                               "such as US", field=key)
            out[attr] = value
        else:
            out[attr] = get_str(body, key, nullable=True, max_len=max_len)
    return out


UPN_REFUSAL = "Property userPrincipalName is invalid."
"""Graph's message for a user principal name its rules refuse (a 400 ``Request_BadRequest``)."""


def upn(value: str, tenant: Tenant) -> str:
    """``value`` as the tenant's UPN, if :func:`mock_idp.text_policy.upn_problem` accepts it
    and its domain is the tenant's."""
    if upn_problem(value) is not None:
        raise BadInput(UPN_REFUSAL, field="userPrincipalName")
    local, _, domain = value.partition("@")
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


def _two_years_after(start: datetime) -> datetime:
    """Graph's default ``endDateTime``: the same moment two calendar years on, as Graph's own
    example shows (2019-09-09T19:50:29Z -> 2021-09-09T19:50:29Z); 29 February becomes the 28th."""
    try:
        return start.replace(year=start.year + 2)
    except ValueError:
        return start.replace(year=start.year + 2, day=28)


def password_request(body: dict[str, Any], now: datetime) -> NewPassword:
    """The ``addPassword`` body; start defaults to now and end to start plus two years."""
    check_known(body, {"passwordCredential"})
    cred = get_object(body, "passwordCredential") or {}
    where = "passwordCredential"
    check_known(cred, {"displayName", "startDateTime", "endDateTime", "secretText"}, where)
    start = get_datetime(cred, "startDateTime", where) or now
    end = get_datetime(cred, "endDateTime", where) or _two_years_after(start)
    if end > LATEST:  # the default two years on, from a start (or a clock) late in 8999
        raise BadInput(f"'passwordCredential.endDateTime' would be two years after the start, "
                       f"past {LATEST.year}; send an earlier endDateTime",
                       field="passwordCredential.endDateTime")
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
