"""An app registration as the running provider keeps it (Graph's ``application`` and its
service principal's ``accountEnabled``): what its tokens, redirects and sign-ins are judged by.
:mod:`mock_idp.store` holds the registrations of each tenant."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from .config import SINGLE_TENANT
from .consent import service_principal_id
from .credentials import KeyCredential, PasswordCredential
from .directory import AppRole, ExtensionProperty, OptionalClaims
from .protocol import redirect

__all__ = ["Application"]


@dataclass
class Application:
    id: str
    client_id: str
    name: str
    tenant_id: str
    redirect_uris: list[str]
    logout_url: str | None
    backchannel_logout_uri: str | None
    events_url: str | None
    secrets: list[PasswordCredential]
    certificates: list[KeyCredential]
    assignment_required: bool
    public_client: bool
    allow_id_token: bool
    allow_access_token: bool
    identifier_uris: list[str]
    app_roles: list[AppRole]
    frontchannel_logout_iss: bool
    sign_v1_id_tokens: bool = False
    group_membership_claims: str | None = None
    """As the manifest holds it: ``None``, ``"None"`` or flags joined by ``", "``."""
    optional_claims: OptionalClaims = field(default_factory=OptionalClaims)
    extension_properties: list[ExtensionProperty] = field(default_factory=list)
    requested_access_token_version: int | None = None
    """``api.requestedAccessTokenVersion``: 1 makes the access tokens for this API v1 ones."""
    spa_redirect_uris: list[str] = field(default_factory=list)
    """Graph ``spa.redirectUris``: codes sent there are redeemed by the browser itself."""
    enabled: bool = True
    """Its service principal's ``accountEnabled`` (the enterprise application's "Enabled for
    users to sign-in?"): a disabled app gets AADSTS7000112 everywhere."""
    api_permissions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Configured delegated permissions by resource app id (Graph's for Graph)."""
    exposed_scopes: list[str] = field(default_factory=list)
    """The delegated permissions it exposes as an API (``api.oauth2PermissionScopes``' values):
    :mod:`mock_idp.protocol.exposed_scopes`; empty, any name is taken."""
    app_permissions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Configured application permissions (app role values) by resource app id."""
    sign_in_audience: str = SINGLE_TENANT
    """Graph ``signInAudience`` (the portal's "Supported account types"): one of
    :data:`SIGN_IN_AUDIENCES`. A single-tenant app used through ``/common`` or
    ``/organizations`` is AADSTS50194; one without personal accounts, through ``/consumers``,
    AADSTS700016."""
    principal_seed: str = ""
    """What makes the object ids of the app's service principals its own
    (:func:`mock_idp.consent.service_principal_id`): empty for a configured app, the
    application object's id for one made through Graph. One made again under a deleted one's
    appId so has new service principals, as a new registration has in Entra: their object id is
    the ``oid`` of its app-only tokens and the ``principalId`` of its app role assignments."""

    def principal_id(self, tenant_id: str) -> str:
        """The object id of this registration's service principal in ``tenant_id``."""
        return service_principal_id(tenant_id, self.client_id, self.principal_seed)

    @property
    def multi_tenant(self) -> bool:
        """Users of other organizations may sign in to it (any audience but single tenant)."""
        return self.sign_in_audience != SINGLE_TENANT

    @property
    def personal_accounts(self) -> bool:
        """Personal Microsoft accounts may sign in to it, so ``/consumers`` serves it."""
        return self.sign_in_audience in redirect.PERSONAL_ACCOUNT_AUDIENCES

    def all_redirect_uris(self) -> list[str]:
        """The web redirect URIs, then the single-page-application ones."""
        return [*self.redirect_uris, *self.spa_redirect_uris]

    def is_spa_redirect(self, uri: str) -> bool:
        """``uri`` is registered only as a single-page-application redirect URI (a URI that
        is also a web one keeps the web platform's rules)."""
        return (redirect.matches(uri, self.spa_redirect_uris)
                and not redirect.matches(uri, self.redirect_uris))

    def find_role(self, value_or_id: str) -> AppRole | None:
        key = value_or_id.strip()
        return next((r for r in self.app_roles if r.value == key or r.id == key.lower()), None)

    def graph(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "appId": self.client_id,
            "displayName": self.name,
            "identifierUris": list(self.identifier_uris),
            "isFallbackPublicClient": self.public_client,
            "appRoles": [r.graph() for r in self.app_roles],
            "groupMembershipClaims": self.group_membership_claims,
            "optionalClaims": self.optional_claims.graph(),
            "api": {"requestedAccessTokenVersion": self.requested_access_token_version,
                    "oauth2PermissionScopes": [_scope(self.client_id, v)
                                               for v in self.exposed_scopes]},
            "passwordCredentials": [s.graph() for s in self.secrets],
            "keyCredentials": [c.graph() for c in self.certificates],
            "spa": {"redirectUris": list(self.spa_redirect_uris)},
            "web": {
                "redirectUris": list(self.redirect_uris),
                "logoutUrl": self.logout_url,
                "implicitGrantSettings": {
                    "enableIdTokenIssuance": self.allow_id_token,
                    "enableAccessTokenIssuance": self.allow_access_token,
                },
            },
            "backchannelLogoutUri": self.backchannel_logout_uri,
            "eventsUrl": self.events_url,
            "signV1IdTokens": self.sign_v1_id_tokens,
            "appRoleAssignmentRequired": self.assignment_required,
            "signInAudience": self.sign_in_audience,
        }


def _scope(client_id: str, value: str) -> dict[str, Any]:
    """One of ``api.oauth2PermissionScopes`` as Graph shows it, with a stable id."""
    return {"id": str(uuid.uuid5(uuid.NAMESPACE_OID, f"{client_id}/scope/{value}")),
            "value": value, "type": "User", "isEnabled": True,
            "adminConsentDisplayName": value, "adminConsentDescription": value,
            "userConsentDisplayName": value, "userConsentDescription": value}
