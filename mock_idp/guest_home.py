"""B2B guests from another organization: a guest object in the resource tenant whose account,
and password, live in its home tenant.

What Entra does with such a guest, and where it says so:

- The guest signs in at the resource tenant's authority with the home UPN and password, which
  the home tenant checks; the tokens are the resource tenant's (``tid``) about the guest object
  there (``oid``): Microsoft Teams' sample for guests asks the tenant-specific endpoint for
  them (OfficeDev/microsoft-teams-sample-auth-node #5, which also says not to send the
  ``#EXT#`` UPN as a login hint).
- ``client_info`` carries the *home* object and tenant, so MSAL's ``home_account_id`` is
  ``<home oid>.<home tid>`` and differs from ``oid.tid`` ("guest users … their home account id
  is the account id in their original (home) tenant", AzureAD/microsoft-authentication-library-
  for-dotnet #2327; AzureAD/microsoft-identity-web #18); MSAL.js calls such a tenant profile
  not the home one (``isHomeTenant`` compares ``oid.tid`` with ``homeAccountId``:
  AzureAD/microsoft-authentication-library-for-js, lib/msal-browser/docs/multi-tenant-accounts.md).
- ``idp``: "the identity provider that authenticated the subject … identical to the value of
  the issuer claim unless the user account isn't in the same tenant as the issuer - guests,
  for instance" (ID token claims reference); for an Entra guest the home tenant's v1 STS URI,
  ``https://sts.windows.net/<home tid>/``, as in the access token reference's v1 sample and a
  guest's token in kubeguard/guard #170.
- ``preferred_username`` (v2) and ``unique_name`` (v1) are the home UPN, not the ``#EXT#`` one
  (foundationallm/foundationallm #870: "``preferred_username`` which is the UPN from the source
  tenant"; MSAL's account ``username`` is it: AzureAD/microsoft-authentication-library-for-java
  #642; ``unique_name`` beside ``idp`` in the access token reference's v1 sample); v1 tokens
  carry no ``upn`` for a guest (MicrosoftDocs/azure-docs #41385, kubeguard/guard #170) unless
  the app asks for ``include_externally_authenticated_upn`` (:mod:`~mock_idp.protocol.
  optional_claims`).
- ``email``: a guest's by default (optional claims reference); the guest object's mail, which
  an invitation sets to the invited address: the home account's, unless configured.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .config import TenantConfig
from .config_fields import ConfigError
from .directory_config import user_id
from .store import Store, Tenant, User

__all__ = ["Home", "account_of", "guest_for", "home_elsewhere", "home_tenant", "link_homes",
           "may_sign_in", "sign_in_name"]


@dataclass(frozen=True, eq=False)
class Home:
    """A guest's account in its home tenant."""

    tenant_id: str
    user: User


def sign_in_name(user: User) -> str:
    """The name the user signs in with: a linked guest's home UPN, else its own."""
    return user.home.user.upn if user.home is not None else user.upn


def account_of(user: User) -> User:
    """The account that signs in for ``user``: a linked guest's home account (its password,
    authenticator app and forced password change), else the user itself."""
    return user.home.user if user.home is not None else user


def home_tenant(tenants: Mapping[str, Tenant], user: User) -> Tenant | None:
    """The tenant that still holds a linked guest's home account (``None`` for a user without
    a home, and once that account or its tenant is deleted)."""
    if user.home is None:
        return None
    tenant = tenants.get(user.home.tenant_id)
    held = tenant is not None and tenant.users.get(user.home.user.id) is user.home.user
    return tenant if held else None


def may_sign_in(tenants: Mapping[str, Tenant], user: User) -> bool:
    """``user`` is enabled and, for a linked guest, its home account still is: its home tenant
    still holds that account (:func:`home_tenant`) and it is enabled. A guest whose home account
    is deleted keeps its link and is refused as a disabled account (AADSTS50057)."""
    if not user.enabled:
        return False
    if user.home is None:
        return True
    return home_tenant(tenants, user) is not None and user.home.user.enabled


def home_elsewhere(store: Store, username: str, tenant: Tenant) -> Tenant | None:
    """Another tenant ``username`` belongs to, when ``tenant`` does not know them (it may
    know their guest object, :func:`guest_for`)."""
    name = username.strip()
    if not name or tenant.find_user(name) is not None:
        return None
    return next((t for t in store.tenants.values()
                 if t is not tenant and t.find_user(name) is not None), None)


def guest_for(tenant: Tenant, home_user: User) -> User | None:
    """The guest object in ``tenant`` whose home account is ``home_user``, if any."""
    return next((u for u in tenant.users.values()
                 if u.home is not None and u.home.user.id == home_user.id), None)


def link_homes(cfg: TenantConfig, tenant: Tenant, tenants: Mapping[str, Tenant],
               where: str) -> None:
    """Point each guest of ``tenant`` that ``cfg`` gives a ``home`` at that user of another
    tenant in ``tenants``. :class:`ConfigError` naming ``<where>.users[i].home`` for a user who
    is no guest, a home in this tenant or in none, a home that is itself a guest, and a second
    guest of one account in a tenant (an invitation makes one)."""
    homes: dict[str, int] = {}
    for i, ucfg in enumerate(cfg.users):
        if ucfg.home is None:
            continue
        key = f"{where}.users[{i}].home"
        if ucfg.user_type != "Guest":
            raise ConfigError(f'{key}: only a guest (user_type = "Guest") has a home account')
        if tenant.find_user(ucfg.home) is not None:
            raise ConfigError(f"{key}: {ucfg.home!r} is a user of this tenant; a guest's home "
                              f"is a user of another tenant")
        found = next(((t, u) for t in tenants.values() if t.id != tenant.id
                      and (u := t.find_user(ucfg.home)) is not None), None)
        if found is None:
            raise ConfigError(f"{key}: no user {ucfg.home!r} in another configured tenant")
        home_tenant, home_user = found
        if home_user.user_type == "Guest":
            raise ConfigError(f"{key}: {home_user.upn!r} is a guest in {home_tenant.domain}; "
                              f"a guest's home is a member account")
        if home_user.id in homes:
            raise ConfigError(f"{key}: {home_user.upn!r} is already the home of "
                              f"{where}.users[{homes[home_user.id]}]")
        homes[home_user.id] = i
        guest = tenant.users[user_id(tenant.id, ucfg)]
        guest.home = Home(home_tenant.id, home_user)
        if guest.email is None:
            guest.email = home_user.email
