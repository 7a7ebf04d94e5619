"""App-only tokens: the client credentials grant (``grant_type=client_credentials``).

v2.0 asks for one ``<resource>/.default`` scope (two resources' are AADSTS70011, anything
else AADSTS1002012), v1.0 names the ``resource`` (none gets an Azure AD Graph token, as from
Entra). The token carries, in ``roles``, the application permissions the app holds on that
resource (an administrator's consent, :mod:`mock_idp.consent`); an API that requires
assignment refuses an app that holds none (AADSTS501051, Entra's protected-API guide). It
lives 3599 seconds (:mod:`mock_idp.protocol.token_lifetimes`).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..clock import epoch
from ..consent import app_roles_held
from ..errors import EntraError
from ..protocol import claims as claimset
from ..protocol import resources
from ..store import Application, Tenant
from ..tokens import sign
from .common import NO_CACHE, base_url, idp, json_response

TWO_RESOURCES = (
    "The provided request must include a 'scope' input parameter. The provided value for the "
    "input parameter 'scope' is not valid. The scope {scope} is not valid.")
"""AADSTS70011 for two resources' ``.default`` scopes: the catalogue's wording without a reason
after it, as Entra answers it (AzureAD/microsoft-authentication-library-for-js #6069, 2023;
Azure/azure-sdk-for-net #9076, 2019), naming the scope as sent."""


def client_credentials(request: Request, tenant: Tenant, app: Application,
                        form: dict[str, str], client_auth: str, version: str) -> Response:
    state = idp(request)
    now = state.clock.now()
    if version == "2.0":
        scope = form.get("scope")
        if not scope:
            raise EntraError(900144, {"name": "scope"})
        scopes = claimset.split_scopes(scope)
        if len(scopes) > 1 and all(s.endswith("/.default") for s in scopes):
            raise EntraError(70011, {"scope": scope[:1000]}, text=TWO_RESOURCES)
        if len(scopes) != 1 or not scopes[0].endswith("/.default"):
            raise EntraError(1002012, {"scope": scope[:200]})
        resource = scopes[0][: -len("/.default")]
    else:
        # No resource: an Azure AD Graph token, as for a v1 code (claims.V1_DEFAULT), not
        # AADSTS900144: MicrosoftDocs/azure-docs #64495 (2020, on the client credentials page:
        # without resource the aud is always Graph's; "This is the case for the v1 endpoint",
        # a Microsoft identity PM), DuendeArchive/IdentityModel #74 (2017, a client
        # credentials token with no resource has aud 00000002-0000-0000-c000-000000000000),
        # postmanlabs/postman-app-support #4391 (2018, a token, of the wrong audience).
        resource = form.get("resource") or claimset.V1_DEFAULT
    target = resources.find(tenant, resource)
    resources.check_enabled(target)
    held = app_roles_held(tenant.app_role_grants, app.client_id, target.audience)
    if target.app is not None and target.app.assignment_required and not held:
        raise EntraError(501051, {"app_id": app.client_id, "app_name": app.name,
                                  "resource_id": target.app.client_id,
                                  "resource_name": target.app.name})
    subject = claimset.Subject(base_url(request), tenant, app, None, version, now)
    at_claims = claimset.access_token_claims(
        subject, audience=target.token_audience, scopes=(),
        lifetime=state.config.app_token_lifetime, client_auth=client_auth,
        token_version=target.token_version, app_only=True, resource_app=target.app,
        app_roles=held)
    access_token = sign(state, at_claims, version=target.token_version)
    lifetime = int(state.config.app_token_lifetime.total_seconds())
    if version == "2.0":
        body: dict[str, Any] = {"token_type": "Bearer", "expires_in": lifetime,
                                "ext_expires_in": lifetime, "access_token": access_token}
    else:
        body = {"token_type": "Bearer", "expires_in": str(lifetime),
                "ext_expires_in": str(lifetime), "expires_on": str(epoch(now) + lifetime),
                # the token's own ``nbf``, five minutes before its issue
                "not_before": str(at_claims["nbf"]), "resource": resource,
                "access_token": access_token}
    return json_response(request, body, headers=NO_CACHE)
