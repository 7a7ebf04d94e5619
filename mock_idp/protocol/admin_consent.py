"""The admin consent endpoint: an administrator grants an app its permissions for everyone.

``GET /{tenant}/adminconsent?client_id&redirect_uri&state`` (v1, the client credentials
reference) consents to the app's configured permissions; ``GET
/{tenant}/v2.0/adminconsent?client_id&scope&redirect_uri&state`` (Entra's "Admin consent on the
Microsoft identity platform") to the ``scope`` asked, or with ``/.default`` to the configured
ones. An administrator of the tenant signs in (:mod:`mock_idp.directory_roles`; anyone else gets
"Need admin approval"), accepts, and the app is sent back:

- v1: ``tenant``, ``state``, ``admin_consent=True``; declined, ``error=permission_denied`` and
  "The admin canceled the request" (the reference's own example, without ``state``);
- v2: ``admin_consent=True``, ``tenant``, ``scope``, ``state``; declined, ``admin_consent=True``
  with ``error=consent_required`` and AADSTS65004.

``organizations`` consents in the tenant of the administrator who signs in (Entra's "Grant
tenant-wide admin consent"). The v2 endpoint refuses ``common`` ("personal accounts cannot
provide admin consent except in the context of a tenant"): people who tried were sent back with
``invalid_request`` naming ``response_type`` (MicrosoftDocs/azure-docs #45151); the mock sends
AADSTS900144 naming it.

A multi-tenant app's consent in another organization's tenant also gives the app its service
principal there, so its client credentials are accepted in that tenant afterwards
(:func:`mock_idp.protocol.tenants.provisioned`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from ..consent import GRAPH_APP_ID, organization_consent
from ..errors import EntraError
from ..store import Application, Store, Tenant
from .authorization import AuthRequest, RedirectError, client_and_redirect
from .claims import split_scopes
from .resources import by_resource

CANCELED_V1 = {"error": "permission_denied", "error_description": "The admin canceled the request"}
"""The v1 endpoint's answer when the administrator declines (its reference's example)."""


def parse(store: Store, segment: str, version: str, params: Mapping[str, str]) -> AuthRequest:
    """Validate an admin consent request; :class:`~.authorization.PageError` for what Entra shows
    on its error page, :class:`RedirectError` for what it sends back."""
    tenant, app_tenant, app, redirect_uri = client_and_redirect(store, segment, params)
    req = AuthRequest(
        segment=segment, version=version, tenant=tenant, app_tenant_id=app_tenant.id,
        client_id=app.client_id, redirect_uri=redirect_uri, response_types=frozenset(),
        response_mode="query", scopes=split_scopes(params.get("scope")),
        state=params.get("state"), nonce=None, prompt=None, login_hint=None, domain_hint=None,
        code_challenge=None, code_challenge_method=None, resource=None, client_info=False,
        max_age=None)
    if version == "2.0":
        if segment.lower() in ("common", "consumers"):
            raise RedirectError(EntraError(900144, {"name": "response_type"}), req)
        if not req.scopes:
            raise RedirectError(EntraError(900144, {"name": "scope"}), req)
    else:
        req = replace(req, scopes=())
    return req


def grants(tenant: Tenant, app: Application, scopes: tuple[str, ...]) -> dict[str, list[str]]:
    """The delegated permissions the consent grants for every user, by resource app id: the
    app's configured ones for v1 (no ``scopes``) or ``/.default``, else those ``scopes`` name."""
    if not scopes or any(s.endswith("/.default") for s in scopes):
        return organization_consent(app.api_permissions)
    asked = by_resource(tenant, scopes)
    if not asked:
        return organization_consent({})
    return {resource_id: list(names) for resource_id, names in asked.items()}


def app_roles(app: Application, scopes: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """The application permissions the consent grants, by resource app id: the app's
    configured ones, for v1 (no ``scopes``) or ``/.default`` only (the v2 reference: "to request
    app permissions, you must use the /.default value")."""
    if scopes and not any(s.endswith("/.default") for s in scopes):
        return {}
    return dict(app.app_permissions)


def needs_graph_app_roles(app: Application, scopes: tuple[str, ...]) -> bool:
    """Whether the consent grants Microsoft Graph's application permissions, which only some
    administrators may (:mod:`mock_idp.directory_roles`)."""
    return bool(app_roles(app, scopes).get(GRAPH_APP_ID))


def lines(tenant: Tenant, app: Application, scopes: tuple[str, ...]) -> tuple[str, ...]:
    """The permissions the consent page lists, as names: the delegated ones, then the
    application permissions."""
    delegated = [name for names in grants(tenant, app, scopes).values() for name in names]
    return (*delegated, *(f"{value} (as the app itself)" for values in
                          app_roles(app, scopes).values() for value in values))
