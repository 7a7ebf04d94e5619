"""What the platform needs from the provider: its tenants, users and app registrations.

:class:`AppDirectory` is the seam; :class:`~mock_idp.platform.directory.StoreDirectory` is the
provider's implementation, and tests bring their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from .installations import ClientSecret, TenantRef


class AppDirectory(Protocol):
    """What the platform needs from the provider's tenants and app registrations."""

    def resolve_tenant(self, tenant: str) -> TenantRef | None:
        """The tenant named by its GUID or domain, or ``None``."""
        ...

    def find_app(self, tenant_id: str, app_id: str) -> AppRef | None:
        """The app registration ``app_id`` (its client id) in the tenant, or ``None``."""
        ...

    def find_user(self, tenant_id: str, user: str) -> str | None:
        """The object id of the tenant's user named by object id or userPrincipalName (in any
        case), or ``None``: the platform user id of events and ``/users/me``."""
        ...

    def address_holder(self, tenant_id: str, address: str) -> str | None:
        """The object id of the tenant's user whose e-mail or userPrincipalName is ``address``
        (in any case), or ``None``: an address no user of the tenant holds."""
        ...

    def add_client_secret(self, tenant_id: str, client_id: str, secret: ClientSecret) -> None:
        """Register ``secret`` as a password credential of the app (token endpoint accepts it)."""
        ...

    def remove_client_secret(self, tenant_id: str, client_id: str, key_id: str) -> None: ...


@dataclass(frozen=True, kw_only=True)
class AppRef:
    client_id: str
    events_url: str | None = None
    """The app's registered events callback URL, used when an install call names none."""
