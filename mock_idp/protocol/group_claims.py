"""The ``groups`` and ``roles`` claims as Entra emits them, with the groups overage.

Pure functions of the directory. Entra's behaviour, per Microsoft Learn:

- ``groupMembershipClaims`` on the app registration turns the claim on: ``SecurityGroup``
  (security groups, nested ones included), ``All`` (security groups, Microsoft 365 groups and
  distribution lists), ``ApplicationGroup`` (only groups assigned to the app, direct membership
  only), ``DirectoryRole`` (directory roles, as ``wids``), or a comma-separated mix; null or
  ``None`` emits no groups.
  https://learn.microsoft.com/entra/identity-platform/optional-claims#configure-groups-optional-claims
  https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-fed-group-claims
- Values are group object ids. The ``groups`` optional claim's ``additionalProperties`` change
  them: ``sam_account_name`` / ``dns_domain_and_sam_account_name`` /
  ``netbios_domain_and_sam_account_name`` (the first present wins) emit on-premises names and
  leave out groups that were not synchronized from Active Directory; ``cloud_displayname`` emits
  cloud groups' display names (with ``ApplicationGroup`` only); ``emit_as_roles`` puts the values
  in ``roles`` instead, and the user's app roles are then left out.
- Overage: past 200 groups in a JWT, ``groups`` is left out and ``_claim_names`` /
  ``_claim_sources`` point at the user's ``getMemberObjects`` on Azure AD Graph (ID and access
  token claims references, "Groups overage claim"; see :func:`overage_endpoint`). A token
  from the implicit flow carries at most 5 groups; with more it has ``"hasgroups": true`` instead
  (https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-fed-group-claims:
  "hasgroups ... only if the user is in more than five groups"; the access token reference's
  ``hasgroups`` row: "currently six or more groups"). SAML's limit of 150 does not apply: the mock
  issues no SAML.
- ``roles``: the values of the app's enabled roles assigned to the user or to a group the user
  is a direct member of; left out when there are none.
- ``wids``: with ``All`` or ``DirectoryRole``, the template ids of the user's directory roles
  (:mod:`mock_idp.directory_roles`) and the User role's for a member; not in tokens from the
  implicit flow (the access token claims reference, ``wids``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..directory import (
    Group,
    assigned_group_ids,
    member_of,
    parse_group_membership_claims,
    role_values,
    transitive_member_of,
)
from ..directory_roles import wids

if TYPE_CHECKING:
    from ..directory import OptionalClaim
    from ..store import Application, Tenant, User

JWT_GROUP_LIMIT = 200
IMPLICIT_GROUP_LIMIT = 5
SAML_GROUP_LIMIT = 150
"""Entra's SAML limit, for reference: the mock issues no SAML tokens."""
ON_PREMISES_FORMATS = ("sam_account_name", "dns_domain_and_sam_account_name",
                       "netbios_domain_and_sam_account_name")
OVERAGE_SOURCE = "src1"


def member_groups(tenant: Tenant, app: Application, user: User) -> list[Group]:
    """The groups ``app``'s ``groupMembershipClaims`` selects for ``user``, oldest first."""
    flags = parse_group_membership_claims(app.group_membership_claims)
    if not flags:
        return []
    chosen: dict[str, Group] = {}
    if "All" in flags or "SecurityGroup" in flags:
        for group in transitive_member_of(tenant, user.id):
            if "All" in flags or group.security_enabled:
                chosen[group.id] = group
    if "ApplicationGroup" in flags:
        assigned = assigned_group_ids(tenant, app)
        for group in member_of(tenant, user.id):
            if group.id in assigned:
                chosen[group.id] = group
    order = list(tenant.groups)
    return sorted(chosen.values(), key=lambda g: order.index(g.id))


def _value(group: Group, properties: tuple[str, ...], flags: tuple[str, ...]) -> str | None:
    """How ``group`` appears in the claim, or ``None`` when the format leaves it out."""
    on_prem = next((p for p in properties if p in ON_PREMISES_FORMATS), None)
    if group.synced and on_prem is not None:
        name = group.on_premises_sam_account_name or ""
        if on_prem == "dns_domain_and_sam_account_name" and group.on_premises_domain_name:
            return f"{group.on_premises_domain_name}\\{name}"
        if on_prem == "netbios_domain_and_sam_account_name" and group.on_premises_netbios_name:
            return f"{group.on_premises_netbios_name}\\{name}"
        return name
    if "cloud_displayname" in properties and "ApplicationGroup" in flags and not group.synced:
        return group.display_name
    if on_prem is not None:
        return None
    return group.id


def group_values(tenant: Tenant, app: Application, user: User,
                 configured: tuple[OptionalClaim, ...]) -> list[str]:
    """The values the user's ``groups`` claim would carry, before any overage."""
    flags = parse_group_membership_claims(app.group_membership_claims)
    properties = _group_properties(configured)
    values = (_value(g, properties, flags) for g in member_groups(tenant, app, user))
    return [v for v in values if v is not None]


def _group_properties(configured: tuple[OptionalClaim, ...]) -> tuple[str, ...]:
    claim = next((c for c in configured if c.name == "groups" and c.source is None), None)
    return claim.additional_properties if claim is not None else ()


AZURE_AD_GRAPH = "https://graph.windows.net"


def overage_endpoint(tenant: Tenant, user: User) -> str:
    """Where ``_claim_sources`` points: Entra's own value, the user's ``getMemberObjects`` on
    Azure AD Graph, exactly as Entra emits it, not the mock's Graph.

    Azure AD Graph is retired and takes no Microsoft Graph token, so an app that follows the
    URL as it is gets no groups in production; Microsoft tells apps to call Microsoft Graph's
    ``/v1.0/users/{oid}/getMemberObjects`` instead (the access token claims reference, "Groups
    overage claim"; MicrosoftDocs/azure-docs #28514 and #91865 quote the value). Against the
    mock, such an app calls the mock's Graph (``<mock>/graph/<tenant>/v1.0``) with the same
    token; one that follows the claim as it is fails here as it would on Entra.
    """
    return f"{AZURE_AD_GRAPH}/{tenant.id}/users/{user.id}/getMemberObjects"


def groups_and_roles(tenant: Tenant, app: Application | None, user: User, *,
                     configured: tuple[OptionalClaim, ...], implicit: bool,
                     ) -> dict[str, Any]:
    """The ``roles`` and ``groups`` (or overage) claims of a user token whose claims ``app``
    configures (the client for an ID token, the API for an access token; ``None`` for an API
    the mock does not register, such as Microsoft Graph, whose tokens get neither)."""
    if app is None:
        return {}
    out: dict[str, Any] = {}
    roles = role_values(tenant, app, user)
    flags = parse_group_membership_claims(app.group_membership_claims)
    if ("All" in flags or "DirectoryRole" in flags) and not implicit:
        held = wids(user.directory_roles, member=user.user_type == "Member")
        if held:
            out["wids"] = held
    if flags:
        values = group_values(tenant, app, user, configured)
        limit = IMPLICIT_GROUP_LIMIT if implicit else JWT_GROUP_LIMIT
        as_roles = "emit_as_roles" in _group_properties(configured)
        if len(values) > limit:
            if implicit:
                out["hasgroups"] = True
            else:
                # With emit_as_roles the overage's shape is not documented; the standard
                # groups overage is emitted (UNVERIFIED against Entra).
                out["_claim_names"] = {"groups": OVERAGE_SOURCE}
                out["_claim_sources"] = {OVERAGE_SOURCE: {
                    "endpoint": overage_endpoint(tenant, user)}}
            values = []
        if as_roles:
            roles = values
        elif values:
            out["groups"] = values
    if roles:
        out["roles"] = roles
    return out
