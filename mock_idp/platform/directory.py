""":class:`~.app_directory.AppDirectory` over the provider's runtime :class:`Store`.

Installation secrets become ordinary password credentials of the app registration, so the token
endpoint accepts them and Graph lists them like any other secret.
"""

from __future__ import annotations

import contextlib

from ..store import Application, PasswordCredential, Store
from .app_directory import AppRef
from .installations import ClientSecret, TenantRef


class StoreDirectory:
    """The provider's store, seen as the platform's :class:`AppDirectory`."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def resolve_tenant(self, tenant: str) -> TenantRef | None:
        found = self._store.resolve_tenant(tenant)
        return None if found is None else TenantRef(id=found.id, domain=found.domain)

    def find_app(self, tenant_id: str, app_id: str) -> AppRef | None:
        tenant = self._store.resolve_tenant(tenant_id)
        app = None if tenant is None else tenant.find_app(app_id)
        return None if app is None else AppRef(client_id=app.client_id, events_url=app.events_url)

    def find_user(self, tenant_id: str, user: str) -> str | None:
        tenant = self._store.resolve_tenant(tenant_id)
        found = None if tenant is None else tenant.find_user(user)
        return None if found is None else found.id

    def address_holder(self, tenant_id: str, address: str) -> str | None:
        tenant = self._store.resolve_tenant(tenant_id)
        key = address.strip().lower()
        users = [] if tenant is None else list(tenant.users.values())
        return next((u.id for u in users
                     if key in (u.upn.lower(), (u.email or "").lower())), None)

    def add_client_secret(self, tenant_id: str, client_id: str, secret: ClientSecret) -> None:
        app = self._app(tenant_id, client_id)
        if app is None:
            return
        app.secrets.append(
            PasswordCredential(
                key_id=secret.key_id,
                display_name=secret.display_name,
                value=secret.secret_text,
                start=secret.start,
                end=secret.end,
            )
        )

    def remove_client_secret(self, tenant_id: str, client_id: str, key_id: str) -> None:
        app = self._app(tenant_id, client_id)
        if app is None:
            return
        for secret in [s for s in app.secrets if s.key_id == key_id]:
            # one by one, not by rebuilding the list: the clock moving back on another thread
            # removes a secret here, and a secret added meanwhile must stay
            with contextlib.suppress(ValueError):
                app.secrets.remove(secret)

    def _app(self, tenant_id: str, client_id: str) -> Application | None:
        tenant = self._store.resolve_tenant(tenant_id)
        return None if tenant is None else tenant.find_app(client_id)
