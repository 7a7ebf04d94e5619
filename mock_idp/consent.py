"""Consent to an app's delegated permissions, as Graph's ``oAuth2PermissionGrant`` records it.

An app is consented for a user when a grant exists for everyone in the tenant
(``AllPrincipals``, an administrator's consent) or for that user (``Principal``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Literal

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
"""Microsoft Graph's application id: the resource of the default delegated permissions."""
DEFAULT_CONSENT_SCOPE = "openid profile email offline_access User.Read"


def service_principal_id(tenant_id: str, app_id: str) -> str:
    """The object id of an app's service principal in a tenant (stable, like Entra's)."""
    return str(uuid.uuid5(uuid.NAMESPACE_OID, f"{tenant_id}/servicePrincipal/{app_id.lower()}"))


@dataclass(frozen=True)
class PermissionGrant:
    """Consent to an app's delegated permissions (Graph ``oAuth2PermissionGrant``): for every
    user of the tenant (``AllPrincipals``, an administrator's consent) or for one user."""

    id: str
    client_id: str
    """The app (client id) the grant is for."""
    consent_type: Literal["AllPrincipals", "Principal"]
    principal_id: str | None
    scope: str

    def graph(self, tenant_id: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "clientId": service_principal_id(tenant_id, self.client_id),
            "consentType": self.consent_type,
            "principalId": self.principal_id,
            "resourceId": service_principal_id(tenant_id, GRAPH_APP_ID),
            "scope": self.scope,
        }
