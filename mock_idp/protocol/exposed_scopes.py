"""The delegated permissions an API exposes (Graph ``api.oauth2PermissionScopes``, the portal's
"Expose an API"), and the refusal of a request that names one the API does not expose.

Entra refuses a sign-in or token request asking for a permission of an API that the API does
not define: AADSTS650053, ``invalid_client``, "The application '…' asked for scope '…' that
doesn't exist on the resource '…'" (MicrosoftDocs/azure-docs #37280 and #67211,
O365/python-o365 #551), however the permissions were consented; so an API's tokens only ever
carry in ``scp`` the scopes it exposes. An app role is no scope: asked as one, it is refused
too. An API registered without ``exposed_scopes`` keeps the mock's older leniency and takes
any name, so configurations written before the field are read as before.
"""

from __future__ import annotations

from ..errors import EntraError
from ..store import Application, Tenant
from .claims import resource_scopes
from .resources import permissions, resolve


def check_exposed(tenant: Tenant, app: Application, scopes: tuple[str, ...]) -> None:
    """AADSTS650053 when ``scopes`` name a permission of a registered API that declares the
    scopes it exposes and this is not one of them (case aside, as Entra matches permission
    names); Microsoft Graph's permissions, ``.default`` and unknown resources are left to the
    other checks."""
    for scope in resource_scopes(scopes):
        try:
            target = resolve(tenant, (scope,))
        except EntraError:
            continue
        api = target.app
        if api is None or not api.exposed_scopes:
            continue
        exposed = {s.lower() for s in api.exposed_scopes}
        for name in permissions(target, (scope,)):
            if name.lower() not in exposed:
                raise EntraError(650053, {"app_name": app.name, "scope": name,
                                          "resource": api.client_id})

