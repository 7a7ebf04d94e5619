"""Rules of the directory that hold whichever route changes it, each a
:class:`~mock_idp.endpoints.payload.BadInput` (or :class:`GraphError`) the route renders in its
own error shape: an app id is one across tenants, and an enabled app role is disabled before it
changes or goes. (No group nested in itself: :func:`mock_idp.directory_config.nesting_cycle`.)
"""

from __future__ import annotations

from ..config import TenantConfig
from ..consent import GRAPH_APP_ID
from ..directory import AppRole
from ..store import Store
from .graph_http import GraphError
from .payload import BadInput


def app_id_owner(store: Store, client_id: str) -> str | None:
    """The tenant (its id; ``"Microsoft"`` for Microsoft Graph's) whose app registration holds
    ``client_id``, or ``None``. An app id is one across Entra, not one per tenant: Entra assigns
    it, and other tenants know the app by the same id through its service principal
    (https://learn.microsoft.com/entra/identity-platform/app-objects-and-service-principals)."""
    if client_id.lower() == GRAPH_APP_ID:
        return "Microsoft"
    found = store.find_app_any(client_id)
    return found[0].id if found is not None else None


ENABLED_ROLE_CHANGED = ("Permission (scope or role) cannot be deleted or updated unless "
                        "disabled first.")
"""Graph's 400 ``CannotDeleteOrUpdateEnabledEntitlement`` (microsoftgraph/msgraph-sdk-powershell
#1211, Azure-Samples/azure-search-openai-demo#1601)."""


def check_role_changes(current: list[AppRole], new: list[AppRole]) -> None:
    """Refuse an ``appRoles`` update that drops an enabled role or changes one: Graph wants it
    disabled (``isEnabled: false``) in an update of its own first. What counts as a change is
    what hashicorp/terraform-provider-azuread's ``applicationAppRoleChanged`` disables a role
    for before updating it: its value, display name, description or allowed member types."""
    after = {role.id: (i, role) for i, role in enumerate(new)}
    for role in current:
        if not role.enabled:
            continue
        found = after.get(role.id)
        if found is None:
            raise GraphError(ENABLED_ROLE_CHANGED, code="CannotDeleteOrUpdateEnabledEntitlement",
                             field="appRoles")
        i, update = found
        if (update.value, update.display_name, update.description,
                frozenset(update.allowed_member_types)) != (
                role.value, role.display_name, role.description,
                frozenset(role.allowed_member_types)):
            raise GraphError(ENABLED_ROLE_CHANGED, code="CannotDeleteOrUpdateEnabledEntitlement",
                             field=f"appRoles[{i}]")


def check_new_tenant(cfg: TenantConfig, store: Store) -> None:
    """What ``POST /_mock/tenants`` refuses beyond the config's own checks (which refuse groups
    nested in themselves, for ``idp.toml`` too): an app whose client id another tenant's app
    (or Microsoft Graph) holds already (409), a :class:`BadInput` naming the config key."""
    for i, app in enumerate(cfg.apps):
        owner = app_id_owner(store, app.client_id)
        if owner is not None:
            raise BadInput(f"client id {app.client_id} is already an app's in tenant {owner}; an "
                           f"app id is one across Entra", field=f"apps[{i}].client_id",
                           status=409)
