"""What a refresh token may be redeemed for: any resource its client holds consent for.

Entra's refresh tokens are bound to a user and a client, not to a resource: a client redeems
one for an access token to any resource it has permission to call, naming the resource in
``scope`` (v2) or ``resource`` (v1). The refresh-token reference says so, and the v1
documentation calls them multi-resource refresh tokens ("Refresh Tokens for Multiple
Resources"). MSAL relies on it: ``acquire_token_silent`` for an API's scopes, with only a
Graph token cached, redeems the refresh token it holds.

Permission is consent, checked at redemption: a permission the user or an administrator
consented to, or one the refresh token's own sign-in asked for. A permission added to the app
after the user's consent is AADSTS65001 until someone consents to it
(Azure-Samples/active-directory-dotnet-webapp-webapi-openidconnect #23,
AzureAD/microsoft-authentication-library-for-dotnet #1008, the silent call failing with
``consent_required``). ``<resource>/.default`` of a resource the sign-in did not name stands
for every permission consented on it, and needs at least one.
"""

from __future__ import annotations

from contextlib import suppress

from ..consent import consented, holds
from ..errors import EntraError
from ..store import Application, Tenant, User
from . import resources
from .claims import GRAPH_RESOURCE_ID, resource_scopes


def redeemable(tenant: Tenant, app: Application, user: User, held: tuple[str, ...],
               held_resource: str | None, requested: tuple[str, ...],
               resource: str | None = None) -> tuple[str, ...]:
    """The scopes to issue for a refresh token whose sign-in asked ``held`` (and, v1,
    ``held_resource``), redeemed for ``requested`` (none: what the sign-in asked) and, v1,
    ``resource``.

    Scopes the sign-in asked pass as they are; any other permission must be consented to,
    else AADSTS65001; ``.default`` of a resource new to this refresh token is spelt out as the
    permissions consented on it. An unknown resource is AADSTS500011."""
    # The app itself needs no consent on itself: Entra's one condition for a token for itself
    # is Microsoft Graph's sign-in permission (AADSTS90008, TokenForItselfRequiresGraphPermission
    # in https://learn.microsoft.com/entra/identity-platform/reference-error-codes), which every
    # app holds (consent.DEFAULT_CONSENT), as a fresh sign-in for it assumes.
    known = _audiences(tenant, held, held_resource) | {app.client_id}
    if not requested and not resource and not held_resource:
        _check_held_not_itself_by_uri(tenant, app, held)
    requested = requested or held
    asked_before = {s.lower() for s in held}  # names match in any case (consent.holds)
    out: list[str] = []
    for scope in requested:
        if scope.lower() in asked_before or not resource_scopes((scope,)):
            out.append(scope)
            continue
        target = resources.resolve(tenant, (scope,))
        names = resources.permissions(target, (scope,))
        if not names:  # ``.default``
            out += (scope,) if target.audience in known else _everything(tenant, app, user,
                                                                       target)
        elif holds(tenant.grants, app.client_id, target.audience, user.id, names[0]):
            out.append(scope)
        else:
            raise _not_consented(app)
    if resource:
        target = resources.find(tenant, resource)
        if target.audience not in known:
            out += _everything(tenant, app, user, target)
    return tuple(dict.fromkeys(out))


def _check_held_not_itself_by_uri(tenant: Tenant, app: Application,
                                  held: tuple[str, ...]) -> None:
    """AADSTS90009 for a refresh naming no scope whose sign-in asked for the app itself by an
    identifier URI: the token is then for the resource as the sign-in named it, which the sign-in
    itself was allowed but a refresh is not. Softeria/ms-365-mcp-server #502 (an
    ``api://<own id>/access_as_user`` sign-in, refreshed with no ``scope``:
    ``src/lib/microsoft-auth.ts`` ``refreshAccessToken`` sends none) and its fix, PR #508 (the
    GUID form ``<own id>/access_as_user`` refreshes); DuendeArchive/IdentityModel #528 (the
    message names ``api://<own id>``; the same refresh naming the ``api://`` scope is taken)."""
    try:
        target = resources.resolve(tenant, held)
    except EntraError:  # an API deleted since: the redemption below reports it
        return
    resources.check_not_itself_by_uri(target, app, target.named)


def _everything(tenant: Tenant, app: Application, user: User,
                target: resources.Resource) -> tuple[str, ...]:
    """Every permission consented on ``target``, as full scopes; AADSTS65001 for none."""
    names = consented(tenant.grants, app.client_id, target.audience, user.id)
    if not names:
        raise _not_consented(app)
    return tuple(f"{target.prefix}/{name}" for name in names)


def _audiences(tenant: Tenant, held: tuple[str, ...], held_resource: str | None) -> set[str]:
    """The resources a sign-in named: its scopes' and ``resource``'s, or Microsoft Graph
    when it named none (its access token was Graph's)."""
    out = set()
    for scope in resource_scopes(held):
        with suppress(EntraError):  # an API deleted since: nothing of it passes unchecked
            out.add(resources.resolve(tenant, (scope,)).audience)
    if held_resource:
        with suppress(EntraError):
            out.add(resources.find(tenant, held_resource).audience)
    return out or {GRAPH_RESOURCE_ID}


def _not_consented(app: Application) -> EntraError:
    return EntraError(65001, {"app_id": app.client_id, "app_name": app.name})
