"""Consent to an app's delegated permissions, as Graph's ``oAuth2PermissionGrant`` records it.

A grant lets a client app call a resource (Microsoft Graph, or another app of the tenant) with
the delegated permissions it lists, on behalf of every user of the tenant (``AllPrincipals``,
an administrator's consent) or of one user (``Principal``, what Accept on the consent page
creates). The sign-in pages ask for consent when an app holds no grant for the user; the
on-behalf-of grant (:mod:`mock_idp.protocol.on_behalf_of`) checks the permissions it passes on.

Graph reference: https://learn.microsoft.com/graph/api/resources/oauth2permissiongrant
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
"""Microsoft Graph's application id: the resource of the default delegated permissions."""
DEFAULT_CONSENT_SCOPE = "openid profile email offline_access User.Read"
"""What an administrator's consent for a new app grants on Microsoft Graph."""
DEFAULT_CONSENT: Mapping[str, tuple[str, ...]] = {GRAPH_APP_ID: ("User.Read",)}
"""What every app may call on a user's behalf without a grant (the portal's default)."""
SIGN_IN_SCOPES = frozenset({"openid", "profile", "email", "offline_access"})
"""OpenID Connect's scopes, which a grant on Microsoft Graph lists beside its permissions."""

ConsentType = Literal["AllPrincipals", "Principal"]


@dataclass(frozen=True)
class AppRoleGrant:
    """An application permission granted to an app: ``client_id`` holds the app role ``value``
    of ``resource_id`` (an API's app id, or Microsoft Graph's), as Graph's
    ``appRoleAssignment`` of the app's service principal records it. App-only tokens for that
    resource carry the values in ``roles``."""

    client_id: str
    resource_id: str
    value: str


def app_roles_held(grants: Iterable[AppRoleGrant], client_id: str, resource_id: str
                   ) -> tuple[str, ...]:
    """The application permissions ``client_id`` holds on ``resource_id``, in grant order."""
    return tuple(dict.fromkeys(g.value for g in grants
                               if g.client_id == client_id and g.resource_id == resource_id))


def grant_app_roles(grants: list[AppRoleGrant], client_id: str,
                    by_resource: Mapping[str, Iterable[str]]) -> None:
    """Add ``client_id``'s application permissions ``by_resource`` to ``grants`` (once each)."""
    for resource_id, values in by_resource.items():
        for value in values:
            grant = AppRoleGrant(client_id, resource_id, value)
            if grant not in grants:
                grants.append(grant)


def service_principal_id(tenant_id: str, app_id: str, seed: str = "") -> str:
    """The object id of an app's service principal in a tenant (stable, like Entra's); ``seed``
    is the registration's :attr:`~mock_idp.application.Application.principal_seed`, so a
    registration made again under the same appId has a service principal of another id."""
    name = f"{tenant_id}/servicePrincipal/{app_id.lower()}" + (f"/{seed}" if seed else "")
    return str(uuid.uuid5(uuid.NAMESPACE_OID, name))


def digest_id(*parts: object) -> str:
    """A Graph-looking opaque id derived from ``parts`` (stable, so nothing needs storing)."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def grant_id(client_id: str, resource_id: str, principal_id: str | None) -> str:
    """One grant per client, resource and principal, as in Graph (a second is a conflict)."""
    return digest_id(client_id, resource_id, principal_id)


@dataclass
class PermissionGrant:
    """Consent for ``client_id`` to call ``resource_id`` (app ids; Microsoft Graph's for Graph)
    with ``scopes``, for every user or for ``principal_id``."""

    id: str
    client_id: str
    resource_id: str
    consent_type: ConsentType
    principal_id: str | None
    scopes: list[str]

    def applies_to(self, client_id: str, user_id: str) -> bool:
        return self.client_id == client_id and (
            self.consent_type == "AllPrincipals" or self.principal_id == user_id)

    def covers(self, client_id: str, resource_id: str, user_id: str) -> bool:
        return self.resource_id == resource_id and self.applies_to(client_id, user_id)

    def graph(self, principal: Callable[[str], str]) -> dict[str, Any]:
        """Graph's shape: ``clientId`` and ``resourceId`` are service principals' object ids,
        which ``principal`` gives for an app id."""
        return {
            "id": self.id,
            "clientId": principal(self.client_id),
            "consentType": self.consent_type,
            "principalId": self.principal_id,
            "resourceId": principal(self.resource_id),
            "scope": " ".join(self.scopes),
        }


def new_grant(client_id: str, resource_id: str, user_id: str | None,
              scopes: list[str]) -> PermissionGrant:
    return PermissionGrant(
        id=grant_id(client_id, resource_id, user_id), client_id=client_id,
        resource_id=resource_id, consent_type="Principal" if user_id else "AllPrincipals",
        principal_id=user_id, scopes=scopes)


def organization_consent(configured: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
    """What an administrator's consent for an app's configured permissions grants, by resource:
    Microsoft Graph's defaults (:data:`DEFAULT_CONSENT_SCOPE`) and ``configured``."""
    out = {GRAPH_APP_ID: list(dict.fromkeys(
        [*DEFAULT_CONSENT_SCOPE.split(), *configured.get(GRAPH_APP_ID, ())]))}
    out.update({resource_id: list(names) for resource_id, names in configured.items()
                if resource_id != GRAPH_APP_ID and names})
    return out


def record_grant(grants: list[PermissionGrant], client_id: str, resource_id: str,
                 user_id: str | None, names: list[str]) -> PermissionGrant:
    """Add a grant to ``grants``, or widen the one for the same client, resource and user."""
    for grant in grants:
        if (grant.client_id, grant.resource_id, grant.principal_id) == (
                client_id, resource_id, user_id):
            grant.scopes = list(dict.fromkeys([*grant.scopes, *names]))
            return grant
    grant = new_grant(client_id, resource_id, user_id, names)
    grants.append(grant)
    return grant


def consented(grants: Iterable[PermissionGrant], client_id: str, resource_id: str,
              user_id: str) -> tuple[str, ...]:
    """The delegated permissions ``client_id`` holds on ``resource_id`` for ``user_id``: the
    defaults, then what the grants for every user or for this one list, in that order."""
    names = list(DEFAULT_CONSENT.get(resource_id, ()))
    for grant in grants:
        if grant.covers(client_id, resource_id, user_id):
            names += (s for s in grant.scopes if s.lower() not in SIGN_IN_SCOPES)
    return tuple(dict.fromkeys(names))


def holds(grants: Iterable[PermissionGrant], client_id: str, resource_id: str, user_id: str,
          name: str) -> bool:
    """Whether ``name`` is among the permissions :func:`consented`, in any case: Entra matches
    permission names so (AzureAD/microsoft-authentication-library-for-go #214,
    microsoftgraph/microsoft-graph-toolkit #648)."""
    return name.lower() in {n.lower() for n in consented(grants, client_id, resource_id, user_id)}
