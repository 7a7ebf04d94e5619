"""Directory roles: which users may consent to an app for their whole organization.

A user holds built-in roles by name (``directory_roles = ["Global Administrator"]`` in
``idp.toml``). The roles that may grant tenant-wide admin consent, from Entra's "Grant tenant-wide
admin consent to an application": Privileged Role Administrator (any permission), Cloud
Application Administrator and Application Administrator (any but Microsoft Graph's application
permissions), and Global Administrator, which holds every other role's permissions. Only these
users see "Consent on behalf of your organization" on the consent page and may complete the
admin consent endpoint; the others get "Need admin approval" where consent would need them.

The template ids are the roles' well-known ids (the same in every tenant; Graph's
``roleDefinitions`` and the ``wids`` claim carry them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

BUILT_IN: Mapping[str, str] = {
    "Global Administrator": "62e90394-69f5-4237-9190-012177145e10",
    "Privileged Role Administrator": "e8611ab8-c189-46e8-94e1-60213ab1f814",
    "Cloud Application Administrator": "158c047a-c907-4556-b7ef-446551a6b5f7",
    "Application Administrator": "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
    "User Administrator": "fe930be7-5e62-47db-91af-98c3a49a38b1",
    "Global Reader": "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
}
"""The built-in roles the mock knows, by display name, with their template ids."""

CONSENT_FOR_ORGANIZATION = frozenset({
    "Global Administrator", "Privileged Role Administrator", "Cloud Application Administrator",
    "Application Administrator"})
"""The roles that may consent on behalf of the organization."""

GRAPH_APPLICATION_PERMISSIONS = frozenset({"Global Administrator", "Privileged Role Administrator"})
"""The roles that may also grant Microsoft Graph's application permissions (app roles)."""

MEMBER_ROLE_TEMPLATE = "b79fbf4d-3ef9-4689-8143-76b194e85509"
"""The built-in User role every member holds, which ``wids`` lists after the user's own roles
(msgraph-sdk-powershell #1782: "b79fbf4d-… is default")."""

_BY_LOWER = {name.lower(): name for name in BUILT_IN}


def canonical(name: str) -> str | None:
    """A role's display name as Entra spells it, for ``name`` in any case; ``None`` if the mock
    does not know the role."""
    return _BY_LOWER.get(name.strip().lower())


def wids(roles: Iterable[str], *, member: bool) -> list[str]:
    """The ``wids`` claim: the template ids of ``roles``, then the User role's for a member."""
    out = [BUILT_IN[role] for role in roles if role in BUILT_IN]
    return [*out, MEMBER_ROLE_TEMPLATE] if member else out


def consents_for_organization(roles: Iterable[str], *, graph_app_roles: bool = False) -> bool:
    """Whether a user holding ``roles`` may grant consent for every user of the tenant; with
    ``graph_app_roles``, for a consent that includes Graph's application permissions."""
    allowed = GRAPH_APPLICATION_PERMISSIONS if graph_app_roles else CONSENT_FOR_ORGANIZATION
    return any(role in allowed for role in roles)
