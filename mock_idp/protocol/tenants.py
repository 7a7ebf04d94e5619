"""How the ``{tenant}`` path segment is read (a GUID, a domain, or a multi-tenant alias), and
which apps a tenant's users may sign in to."""

from __future__ import annotations

from ..config_fields import is_guid
from ..errors import EntraError
from ..store import Application, Store, Tenant
from ..text_policy import is_tenant_domain

MULTI_TENANT = frozenset({"common", "organizations", "consumers"})
ORGANIZATIONS = frozenset({"common", "organizations"})
CONSUMERS = "consumers"
"""The personal Microsoft accounts' alias. The mock has no personal accounts: an app that signs
them in is served there, but no one signs in (:mod:`mock_idp.signin.flow`)."""
MSA_DIRECTORY = "Microsoft Accounts"
"""How Entra names the personal accounts' directory in AADSTS700016."""


def resolve(store: Store, segment: str) -> Tenant | None:
    """The tenant a path segment names; ``None`` for ``common`` and friends.

    Raises AADSTS900023 for a segment that is neither a GUID nor a DNS name, and AADSTS90002 for
    a well-formed tenant that does not exist.
    """
    if segment.lower() in MULTI_TENANT:
        return None
    if not (is_guid(segment) or is_tenant_domain(segment)):
        raise EntraError(900023, {"tenant": segment[:100]})
    tenant = store.resolve_tenant(segment)
    if tenant is None:
        raise EntraError(90002, {"tenant": segment})
    return tenant


def check_audience(segment: str, app: Application,
                   error: type[EntraError] = EntraError) -> None:
    """AADSTS50194 when a single-tenant app is reached through ``/common`` or ``/organizations``,
    AADSTS700016 when an app that does not sign in personal accounts is reached through
    ``/consumers``.

    Entra refuses the first at the sign-in page and at the token endpoint alike, so a code
    obtained at the tenant's endpoint and redeemed at ``/common`` fails too
    (msgraph-training-aspnetmvcapp #54, azure-spring-boot #842). A single-tenant app must name
    its tenant: Entra's own docs on converting an app to multi-tenant say so for both aliases,
    which stand for any organization. ``/consumers`` looks the app up among the personal
    accounts' apps, where one registered for organizations only is not: ``unauthorized_client``,
    "Application with identifier … was not found in the directory 'Microsoft Accounts'" at the
    device-code and token endpoints, as Minecraft launchers' notes quote the device-code answer
    for app ids not enabled for consumers (login.live.com's own device-code endpoint says "The
    client does not exist or is not enabled for consumers": PrismarineJS/prismarine-auth
    #144); the browser gets Microsoft account's own page instead (:func:`refused_at_consumers`).
    ``error``: the class raised (the authorize endpoint's page error).
    """
    if segment.lower() in ORGANIZATIONS and not app.multi_tenant:
        raise error(50194, {"app_id": app.client_id, "app_name": app.name})
    if refused_at_consumers(segment, app):
        raise error(700016, {"app_id": app.client_id, "tenant": MSA_DIRECTORY})


def refused_at_consumers(segment: str, app: Application) -> bool:
    """Whether ``/consumers`` turns ``app`` away: its supported account types leave out personal
    Microsoft accounts. The sign-in page says so on Microsoft account's own error page,
    "unauthorized_client: The client does not exist or is not enabled for consumers"
    (microsoftgraph/msgraph-sample-nodeexpressapp #152, nextcloud/integration_onedrive #27,
    sspeiser/onenote-export #8; the fix each time: supported account types that include
    personal accounts)."""
    return segment.lower() == CONSUMERS and not app.personal_accounts


def app_in(store: Store, tenant: Tenant, client_id: str) -> Application | None:
    """The app ``client_id`` as ``tenant`` sees it: one registered there, or a multi-tenant app
    registered in another tenant, which Entra lets any organization's users sign in to (its
    service principal in their tenant, made at their first consent, and their tokens issued by
    their tenant: Entra's "convert an app to multi-tenant" guide)."""
    app = tenant.apps.get(client_id)
    if app is not None:
        return app
    found = store.find_app_any(client_id)
    return found[1] if found is not None and found[1].multi_tenant else None


def provisioned(tenant: Tenant, app: Application) -> bool:
    """Whether ``app`` has a service principal in ``tenant``: its own tenant's, or another
    organization's once someone there consented to it (a user for themselves, or an
    administrator for everyone); Entra creates it at that first consent ("How and why
    applications are added to Microsoft Entra ID")."""
    return app.tenant_id == tenant.id or any(g.client_id == app.client_id for g in tenant.grants)
