"""Device-code sign-in: the device authorization endpoints, ``/devicelogin`` and the grant.

``POST /{tenant}/oauth2/v2.0/devicecode`` (and v1 ``/{tenant}/oauth2/devicecode``) starts one;
the user opens ``/devicelogin`` (also served at ``/{tenant}/oauth2/deviceauth``), types the code,
signs in through the usual pages (:mod:`mock_idp.endpoints.signin`), confirms the app and is
told the window may be closed; meanwhile the device polls the token endpoint with
``grant_type=urn:ietf:params:oauth:grant-type:device_code`` (:func:`redeem`). The protocol
rules and their sources are in :mod:`mock_idp.protocol.device_code`.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..errors import EntraError
from ..protocol import claims as claimset
from ..protocol import device_code, resources, tenants
from ..signin import flow
from ..signin.flow import Transaction
from ..store import Application, Tenant
from .common import NO_CACHE, base_url, error_json, idp, json_response
from .forms import read_post_form
from .pages import read_form, render
from .signin import begin, entry_for

MAX_VALUE = 4096


async def devicecode(request: Request, *, version: str) -> Response:
    """The device authorization endpoint (RFC 8628 §3.1, §3.2)."""
    state = idp(request)
    try:
        segment = request.path_params["tenant"]
        named = tenants.resolve(state.store, segment)
        form = await read_post_form(request, max_value=MAX_VALUE)
        # again once the form is in: another request may have deleted the tenant meanwhile
        named = tenants.resolve(state.store, segment)
        client_id = form.get("client_id", "").strip().lower()
        if not client_id:
            raise EntraError(900144, {"name": "client_id"})
        tenant, app = _app(state.store.tenants, named, client_id, segment)
        scopes = claimset.split_scopes(form.get("scope"))
        resource = form.get("resource") or None
        if version == "2.0" and not scopes:
            raise EntraError(900144, {"name": "scope"})
        if version == "1.0" and not resource:
            raise EntraError(900144, {"name": "resource"})
        _check_scopes(named, scopes, resource, version)
        if version == "2.0":  # the scopes name the resource; ``resource`` may only agree
            resources.check_resource_parameter(tenant, scopes, resource)
            resource = None
    except EntraError as err:
        return error_json(request, err, headers=NO_CACHE, cors=False)
    now = state.clock.now()
    record = device_code.issue(
        state.store, tenant_id=tenant.id, client_id=app.client_id,
        scopes=scopes or ("openid",), resource=resource, version=version, now=now,
        lifetime=state.config.device_code_lifetime, interval=state.config.device_code_interval,
        alias=named is None,
        consumers=segment.lower() == tenants.CONSUMERS)
    body = device_code.response_body(record, f"{base_url(request)}/devicelogin", now)
    # No CORS: the device-code flow is not one a browser page may start ("the device-code
    # flow does not support CORS", MSAL.js issue 2327).
    return json_response(request, body, headers=NO_CACHE, cors=False)


def _check_scopes(tenant: Tenant | None, scopes: tuple[str, ...], resource: str | None,
                  version: str) -> None:
    """The scopes (v1: the resource) a device authorization asks, checked before anyone signs
    in, as the authorization endpoint checks them: ``.default`` beside another resource scope
    is AADSTS70011 and a resource the tenant does not know AADSTS500011 (Entra refuses scopes at
    ``/devicecode`` with ``invalid_scope``, ramosbugs/oauth2-rs #219; an unknown resource is
    ``invalid_resource`` 500011 to ``az login --scope``, Azure/azure-cli #29113). Under an alias
    (``/organizations``) the user's tenant decides, at the token endpoint. Several resources are
    taken here, to be consented at once, and refused at the token endpoint (:func:`redeem`)."""
    if version == "2.0":
        resources.default_alone(scopes)
    if tenant is not None:
        resources.known(tenant, scopes, resource if version == "1.0" else None)


def _app(directory: dict[str, Tenant], tenant: Tenant | None, client_id: str, segment: str
         ) -> tuple[Tenant, Application]:
    candidates = [tenant] if tenant is not None else list(directory.values())
    for candidate in candidates:
        app = candidate.apps.get(client_id)
        if app is not None and not app.enabled:
            raise EntraError(7000112, {"app_id": app.client_id, "app_name": app.name})
        if app is not None:
            tenants.check_audience(segment, app)
            return candidate, app
    raise EntraError(700016, {"app_id": client_id, "tenant": tenant.domain if tenant else segment})


async def devicecode_v2(request: Request) -> Response:
    return await devicecode(request, version="2.0")


async def devicecode_v1(request: Request) -> Response:
    return await devicecode(request, version="1.0")


async def devicelogin(request: Request) -> Response:
    """The "Enter code" page."""
    return render(request, "device_code", action="/devicelogin", code="", error=None)


async def enter_code(request: Request) -> Response:
    """The code a user typed: start the sign-in for that device (always through "Pick an
    account" when an account is signed in, so the user says who is signing in)."""
    state = idp(request)
    form = await read_form(request)
    if isinstance(form, Response):
        return form
    now = state.clock.now()
    typed = form.get("otc", "")
    try:
        record = device_code.find_for_user(state.store, typed, now)
    except EntraError as err:
        return render(request, "device_code", status=400, action="/devicelogin",
                      code=typed[:64], error=err)
    txn = Transaction(kind="device", tenant_id=record.tenant_id, created=now,
                      device_code=record.device_code, alias=record.alias,
                      consumers=record.consumers)
    return await begin(request, txn, flow.start(entry_for(request, txn, prompt="select_account")))


def redeem(request: Request, tenant: Tenant, app: Application, form: dict[str, str], *,
           tenantless: bool = False) -> tuple[Tenant, device_code.Approved]:
    """The device-code grant at the token endpoint: the approved sign-in and the tenant that
    issues its tokens, or Entra's error. Polled through ``/common`` or ``/organizations``
    (``tenantless``), a multi-tenant app's device code is redeemed in the tenant its user signed
    in at, as its code would be (the app's own until they have)."""
    value = form.get("device_code")
    if not value:
        raise EntraError(900144, {"name": "device_code"})
    state = idp(request)
    record = state.store.device_codes.get(value)
    if tenantless and app.multi_tenant and record is not None and \
            record.client_id == app.client_id:
        tenant = state.store.tenants.get(record.tenant_id, tenant)
    approved = device_code.poll(state.store, value, tenant_id=tenant.id,
                                client_id=app.client_id, now=state.clock.now(), record=record)
    # One token, for one resource: a device code asked for two is AADSTS28000 once the user has
    # approved it (MicrosoftDocs/azure-docs #42565), as a code or refresh token redeemed so.
    resources.one_resource(tenant, approved.scopes)
    return tenant, approved


routes: list[BaseRoute] = [
    Route("/{tenant}/oauth2/v2.0/devicecode", devicecode_v2, methods=["POST"]),
    Route("/{tenant}/oauth2/devicecode", devicecode_v1, methods=["POST"]),
    Route("/devicelogin", devicelogin, methods=["GET"]),
    Route("/devicelogin", enter_code, methods=["POST"]),
    Route("/{tenant}/oauth2/deviceauth", devicelogin, methods=["GET"]),
]
