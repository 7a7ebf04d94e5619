"""Whether a sign-in needs the user's consent: incremental consent.

The Microsoft identity platform lets an app ask for permissions as it needs them: a sign-in
asking for a permission the user has not consented to shows the consent page again, for what
is new, and ``prompt=none`` answers ``consent_required`` (AADSTS65001) instead (the permissions
and consent overview, "incremental and dynamic user consent"; the OpenID Connect reference on
``prompt=none``). So consent is per permission and per resource, as Graph's
``oauth2PermissionGrants`` list it.

An administrator's consent for every user (an ``AllPrincipals`` grant, what ``admin_consented``
and the portal's "Grant admin consent" create) covers whatever the app asks at sign-in, here
more than on Entra, where it covers the permissions the app is configured with: apps and tests
that ask an API's scopes without listing them in ``api_permissions`` sign in as before. What a
refresh token may later be redeemed for follows the grants exactly
(:mod:`mock_idp.protocol.multi_resource`).
"""

from __future__ import annotations

from collections.abc import Mapping

from ..consent import SIGN_IN_SCOPES, holds
from ..store import Tenant
from .resources import by_resource


def covered(tenant: Tenant, client_id: str, user_id: str, scopes: tuple[str, ...],
            configured: Mapping[str, tuple[str, ...]] | None = None) -> bool:
    """Whether ``user_id`` (or an administrator) has consented to all ``scopes`` asks of
    ``client_id``; a sign-in that asks nothing new needs no consent page. ``<resource>/.default``
    asks for the app's ``configured`` permissions on the resource."""
    if not tenant.has_consent(client_id, user_id):
        return False
    if any(g.client_id == client_id and g.consent_type == "AllPrincipals"
           for g in tenant.grants):
        return True
    for resource_id, names in by_resource(tenant, scopes, configured).items():
        if any(n.lower() not in SIGN_IN_SCOPES
               and not holds(tenant.grants, client_id, resource_id, user_id, n) for n in names):
            return False
    return True
