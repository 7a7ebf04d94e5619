"""App registrations in Microsoft Graph's shapes, under ``/graph/{tenant}/v1.0/applications``:
``GET/POST applications``, ``GET/PATCH/DELETE applications/{id}`` (or by the ``(appId='...')``
alternate key), ``addPassword`` / ``removePassword`` and ``extensionProperties``, under the same
registration rules as ``idp.toml`` (:mod:`mock_idp.registration_rules`).
https://learn.microsoft.com/graph/api/resources/application
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from .. import registration_rules
from ..config import SINGLE_TENANT, AppConfig
from ..consent import DEFAULT_CONSENT_SCOPE
from ..directory import remove_app
from ..directory_build import build_app
from ..store import (
    Application,
    PasswordCredential,
    Store,
    Tenant,
    generate_secret_value,
    new_guid,
)
from . import graph_directory_model as directory_model
from . import graph_model as model
from . import graph_permission_tables as tables
from .common import idp
from .graph_access import requires
from .graph_http import PREFIX, json_body, not_found, route
from .graph_paging import Entry, collection, select_one
from .graph_rules import app_id_owner, check_role_changes
from .payload import BadInput, check_known, get_str, parse_guid, read_object


def _application(request: Request, tenant: Tenant) -> Application:
    """The path's application. A malformed ``appId`` key is Graph's 400 "Invalid value
    specified for object reference property 'appId'…" (microsoftgraph/msgraph-sdk-python#408);
    an object id that is not a GUID is simply not found, as ``GET applications/{appId}`` with
    the placeholder left in is (microsoftgraph/microsoft-graph-docs-contrib#1107)."""
    params = request.path_params
    if "app_id" in params:
        try:
            client_id = parse_guid(params["app_id"], "appId")
        except BadInput:
            raise BadInput("Invalid value specified for object reference property 'appId'. "
                           "Please ensure that this value has an appropriate syntax and "
                           "length.", field="appId") from None
        app = tenant.apps.get(client_id)
        if app is None:
            raise not_found("appId", params["app_id"])
        return app
    key = params["id"].strip().lower()
    app = next((a for a in tenant.apps.values() if a.id == key), None)
    if app is None:
        raise not_found("id", params["id"])
    return app


@requires(tables.APPLICATION_READ)
async def list_applications(request: Request, tenant: Tenant) -> Response:
    return collection(request, "applications", [a.graph() for a in tenant.apps.values()],
                      type_name="microsoft.graph.application",
                      filterable={"appId", "displayName", "id"}, prefixable={"displayName"},
                      orderable={"displayName"},
                      sorts_by_default=False)


@requires(tables.APPLICATION_CREATE)
async def create_application(request: Request, tenant: Tenant) -> Response:
    changes = model.application_changes(await read_object(request))
    client_id = changes.pop("client_id")
    if app_id_owner(idp(request).store, client_id) is not None:  # in any tenant
        raise BadInput("Another object with the same value for property appId already exists.",
                       field="appId")
    _check_identifier_uris(tenant, changes.get("identifier_uris", []), None)
    _check_redirect_rules(changes, None)
    app = build_app(AppConfig(client_id=client_id, name=changes.pop("name")), tenant,
                    idp(request).clock.now())
    # a new object id too: one made again under a deleted one's appId is another object
    app.id = new_guid()
    app.principal_seed = app.id  # and new service principals
    for attr, value in changes.items():
        setattr(app, attr, value)
    tenant.apps[app.client_id] = app
    tenant.grant_consent(app.client_id, None, DEFAULT_CONSENT_SCOPE)  # see graph_consent
    return json_body(request, "applications/$entity", app.graph(), 201)


def _check_identifier_uris(tenant: Tenant, uris: list[str], current: Application | None) -> None:
    key = registration_rules.identifier_uri_key
    taken = {key(u) for a in tenant.apps.values() if a is not current for u in a.identifier_uris}
    for i, uri in enumerate(uris):
        if key(uri) in taken:
            raise BadInput("Another object with the same value for property identifierUris "
                           "already exists.", field=f"identifierUris[{i}]")


def _check_redirect_rules(changes: dict[str, Any], current: Application | None) -> None:
    """The redirect URIs the app would have, against the audience it would have."""
    def after(attr: str, default: Any) -> Any:
        return changes.get(attr, getattr(current, attr) if current is not None else default)

    problem = registration_rules.redirect_list_problem(
        after("redirect_uris", []), after("spa_redirect_uris", []),
        after("sign_in_audience", SINGLE_TENANT))
    if problem is not None:
        kind, index, why = problem
        field = f"{kind}.redirectUris" + (f"[{index}]" if index is not None else "")
        raise BadInput(f"'{field}' {why}", field=field)


@requires(tables.APPLICATION_READ)
async def get_application(request: Request, tenant: Tenant) -> Response:
    app = Entry(_application(request, tenant).graph())
    return json_body(request, "applications/$entity",
                     select_one(request, app,
                                "microsoft.graph.application"))


@requires(tables.APPLICATION_CHANGE)
async def update_application(request: Request, tenant: Tenant) -> Response:
    app = _application(request, tenant)
    changes = model.application_changes(await read_object(request), client_id=app.client_id,
                                        registered=app.certificates)
    if "app_roles" in changes:
        check_role_changes(app.app_roles, changes["app_roles"])
    if "identifier_uris" in changes:
        _check_identifier_uris(tenant, changes["identifier_uris"], app)
    _check_redirect_rules(changes, app)
    for attr, value in changes.items():
        setattr(app, attr, value)
    return Response(status_code=204)


@requires(tables.APPLICATION_CHANGE)
async def delete_application(request: Request, tenant: Tenant) -> Response:
    app = _application(request, tenant)
    del tenant.apps[app.client_id]
    store = idp(request).store
    for each in store.tenants.values():  # a multi-tenant app's consent in other organizations
        remove_app(each, app.client_id)
    for session in store.sessions.values():
        session.apps.pop(app.client_id, None)
        session.versions.pop(app.client_id, None)
    for user in tenant.users.values():
        for prop in app.extension_properties:
            user.extensions.pop(prop.name, None)
    _forget_grants_to(store, app.client_id)
    idp(request).faults.clear_scoped(apps=[app.client_id])
    return Response(status_code=204)


def _forget_grants_to(store: Store, client_id: str) -> None:
    """Drop the codes, refresh tokens and device codes issued to a deleted app, and its
    sign-ins waiting on a page, in every tenant that no longer registers an app of that id: an
    app made again under the appId (the mock lets a test choose it; Entra never gives one
    twice) is another app, which neither redeems them nor finishes a sign-in whose redirect URI
    the old one's list allowed. Dropped as a deleted tenant drops its own: presented, they are
    unknown."""
    def gone(tenant_id: str) -> bool:
        tenant = store.tenants.get(tenant_id)
        return tenant is None or client_id not in tenant.apps

    for code, record in list(store.codes.items()):
        if record.client_id == client_id and gone(record.tenant_id):
            store.codes.pop(code, None)
    for value, token in list(store.refresh_tokens.items()):
        if token.client_id == client_id and gone(token.tenant_id):
            store.refresh_tokens.pop(value, None)
    for device, flow in list(store.device_codes.items()):
        if flow.client_id == client_id and gone(flow.tenant_id):
            store.device_codes.pop(device, None)
    for ctx, waiting in list(store.pending.items()):
        asked = waiting.request
        if asked is not None and asked.client_id == client_id and gone(asked.app_tenant_id):
            store.pending.pop(ctx, None)


@requires(tables.APPLICATION_READ)
async def list_extension_properties(request: Request, tenant: Tenant) -> Response:
    app = _application(request, tenant)
    items = [p.graph(app.name) for p in app.extension_properties]
    return collection(request, f"applications('{app.id}')/extensionProperties", items,
                      type_name="microsoft.graph.extensionProperty")


@requires(tables.APPLICATION_WRITE)
async def create_extension_property(request: Request, tenant: Tenant) -> Response:
    app = _application(request, tenant)
    prop = directory_model.extension_property(await read_object(request), app)
    app.extension_properties.append(prop)
    return json_body(request, f"applications('{app.id}')/extensionProperties/$entity",
                     prop.graph(app.name), 201)


@requires(tables.APPLICATION_WRITE)
async def delete_extension_property(request: Request, tenant: Tenant) -> Response:
    app = _application(request, tenant)
    wanted = request.path_params["extension"].lower()
    prop = next((p for p in app.extension_properties if p.id == wanted), None)
    if prop is None:
        raise not_found("extensionPropertyId", wanted)
    app.extension_properties.remove(prop)
    for user in tenant.users.values():
        user.extensions.pop(prop.name, None)
    return Response(status_code=204)


@requires(tables.APPLICATION_WRITE)
async def add_password(request: Request, tenant: Tenant) -> Response:
    app = _application(request, tenant)
    wanted = model.password_request(await read_object(request, optional=True),
                                    idp(request).clock.now())
    cred = PasswordCredential(
        key_id=new_guid(), display_name=wanted.display_name,
        value=wanted.secret_text or generate_secret_value(), start=wanted.start, end=wanted.end,
    )
    app.secrets.append(cred)
    return json_body(request, "microsoft.graph.passwordCredential", cred.graph(include_secret=True))


@requires(tables.APPLICATION_WRITE)
async def remove_password(request: Request, tenant: Tenant) -> Response:
    app = _application(request, tenant)
    body = await read_object(request)
    check_known(body, {"keyId"})
    key_id = parse_guid(get_str(body, "keyId", required=True, max_len=64) or "", "keyId")
    cred = next((s for s in app.secrets if s.key_id == key_id), None)
    if cred is None:
        raise BadInput(f"No password credential with keyId '{key_id}' on application "
                       f"'{app.client_id}'.", field="keyId")
    app.secrets.remove(cred)
    return Response(status_code=204)


def _item_routes() -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    for item in ("/applications/{id}", "/applications(appId='{app_id}')"):
        routes += [
            route(PREFIX + item, {"GET": get_application, "PATCH": update_application,
                                  "DELETE": delete_application}),
            route(PREFIX + item + "/addPassword", {"POST": add_password}),
            route(PREFIX + item + "/removePassword", {"POST": remove_password}),
            route(PREFIX + item + "/extensionProperties",
                  {"GET": list_extension_properties, "POST": create_extension_property}),
            route(PREFIX + item + "/extensionProperties/{extension}",
                  {"DELETE": delete_extension_property}),
        ]
    return routes


routes: list[BaseRoute] = [
    route(PREFIX + "/applications", {"GET": list_applications,
                                     "POST": create_application}),
    *_item_routes(),
]
