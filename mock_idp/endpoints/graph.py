"""A management API in Microsoft Graph's shapes, per tenant, under ``/graph/{tenant}/v1.0/``.

Applications (with ``addPassword`` / ``removePassword`` and the ``(appId='...')`` alternate key),
users (``accountEnabled``, ``revokeSignInSessions``) and users' app role assignments. Errors use
Graph's body: ``{"error": {"code", "message", "target", "innerError": {...}}}``, ``target``
naming the property at fault (built in :mod:`.graph_http`, with the routes and OData envelopes).

When sign-in sessions end here (revocation, a disabled or deleted user) the provider's notifier
sends the logout notifications (back-channel and platform ``user.logout``).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..config import AppConfig, UserConfig, stable_oid
from ..store import (
    Application,
    PasswordCredential,
    Session,
    Tenant,
    User,
    build_app,
    build_user,
    generate_secret_value,
    new_guid,
)
from . import graph_model as model
from .common import base_url, idp
from .graph_http import (
    ALL_METHODS,
    PREFIX,
    collection,
    filtered,
    graph_error,
    json_body,
    not_found,
    route,
)
from .payload import BadInput, check_known, get_str, parse_guid, read_object

log = logging.getLogger(__name__)


def _trigger(request: Request) -> str:
    """Why sessions ended here: revocation, a deleted or a disabled user."""
    if request.url.path.endswith("/revokeSignInSessions"):
        return "revokeSignInSessions"
    if request.method == "DELETE":
        return "userDeleted"
    return "accountDisabled"


async def _sessions_ended(request: Request, sessions: list[Session]) -> None:
    """Tell the apps; a failure to notify never fails the management call."""
    try:
        await idp(request).notifier.sessions_ended(base_url(request), sessions,
                                                   _trigger(request))
    except Exception:
        log.exception("sending logout notifications failed")


async def _end_user_sessions(request: Request, user: User) -> list[Session]:
    sessions = idp(request).store.end_sessions(user_id=user.id)
    await _sessions_ended(request, sessions)
    return sessions


# --- applications ---------------------------------------------------------------------------

def _application(request: Request, tenant: Tenant) -> Application:
    params = request.path_params
    if "app_id" in params:
        client_id = parse_guid(params["app_id"], "appId")
        app = tenant.apps.get(client_id)
        if app is None:
            raise not_found("appId", params["app_id"])
        return app
    object_id = parse_guid(params["id"], "id")
    app = next((a for a in tenant.apps.values() if a.id == object_id), None)
    if app is None:
        raise not_found("id", params["id"])
    return app


async def list_applications(request: Request, tenant: Tenant) -> Response:
    items = [a.graph() for a in tenant.apps.values()]
    items = filtered(request, items, {"appId", "displayName", "id"})
    return collection(request, "applications", items)


async def create_application(request: Request, tenant: Tenant) -> Response:
    changes = model.application_changes(await read_object(request), creating=True)
    client_id = changes.pop("client_id", None) or new_guid()
    if client_id in tenant.apps:
        raise BadInput("Another object with the same value for property appId already exists.",
                       field="appId")
    _check_identifier_uris(tenant, changes.get("identifier_uris", []), None)
    name = changes.pop("name")
    fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v
                              for k, v in changes.items()}
    cfg = AppConfig(client_id=client_id, name=name, **fields)
    app = build_app(cfg, tenant, idp(request).clock.now())
    tenant.apps[app.client_id] = app
    return json_body(request, "applications/$entity", app.graph(), 201)


def _check_identifier_uris(tenant: Tenant, uris: list[str], current: Application | None) -> None:
    taken = {u for a in tenant.apps.values() if a is not current for u in a.identifier_uris}
    for i, uri in enumerate(uris):
        if uri in taken:
            raise BadInput("Another object with the same value for property identifierUris "
                           "already exists.", field=f"identifierUris[{i}]")


async def get_application(request: Request, tenant: Tenant) -> Response:
    return json_body(request, "applications/$entity", _application(request, tenant).graph())


async def update_application(request: Request, tenant: Tenant) -> Response:
    app = _application(request, tenant)
    changes = model.application_changes(await read_object(request), creating=False)
    if "identifier_uris" in changes:
        _check_identifier_uris(tenant, changes["identifier_uris"], app)
    for attr, value in changes.items():
        setattr(app, attr, value)
    return Response(status_code=204)


async def delete_application(request: Request, tenant: Tenant) -> Response:
    app = _application(request, tenant)
    del tenant.apps[app.client_id]
    return Response(status_code=204)


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


# --- users ----------------------------------------------------------------------------------

def _user(request: Request, tenant: Tenant) -> User:
    key = request.path_params["user"]
    user = tenant.find_user(key)
    if user is None:
        raise not_found("id", key)
    return user


async def list_users(request: Request, tenant: Tenant) -> Response:
    items = [u.graph() for u in tenant.users.values()]
    items = filtered(request, items, {"userPrincipalName", "displayName", "mail", "id"})
    return collection(request, "users", items)


async def create_user(request: Request, tenant: Tenant) -> Response:
    changes = model.user_changes(await read_object(request), tenant, creating=True)
    if tenant.find_user(changes["upn"]) is not None:
        raise BadInput("Another object with the same value for property userPrincipalName "
                       "already exists.", field="userPrincipalName")
    cfg = UserConfig(
        upn=changes["upn"], name=changes["name"], password=changes["password"],
        email=changes.get("email") or changes["upn"],
        oid=stable_oid(tenant.id, changes["upn"]),
        given_name=changes.get("given_name"), family_name=changes.get("family_name"),
        enabled=changes.get("enabled", True),
    )
    user = build_user(cfg, tenant.id, idp(request).clock.now())
    if user.id in tenant.users:
        user = replace(user, id=new_guid())
    tenant.users[user.id] = user
    return json_body(request, "users/$entity", user.graph(), 201)


async def get_user(request: Request, tenant: Tenant) -> Response:
    return json_body(request, "users/$entity", _user(request, tenant).graph())


async def update_user(request: Request, tenant: Tenant) -> Response:
    user = _user(request, tenant)
    changes = model.user_changes(await read_object(request), tenant, creating=False)
    if "upn" in changes:
        other = tenant.find_user(changes["upn"])
        if other is not None and other is not user:
            raise BadInput("Another object with the same value for property "
                           "userPrincipalName already exists.", field="userPrincipalName")
    was_enabled = user.enabled
    for attr, value in changes.items():
        setattr(user, attr, value)
    if was_enabled and not user.enabled:
        await _end_user_sessions(request, user)
    return Response(status_code=204)


async def delete_user(request: Request, tenant: Tenant) -> Response:
    user = _user(request, tenant)
    del tenant.users[user.id]
    for app in tenant.apps.values():
        app.assigned.discard(user.id)
    await _end_user_sessions(request, user)
    return Response(status_code=204)


async def revoke_sign_in_sessions(request: Request, tenant: Tenant) -> Response:
    user = _user(request, tenant)
    await read_object(request, optional=True)
    user.tokens_valid_from = idp(request).clock.now()
    await _end_user_sessions(request, user)
    return json_body(request, "Edm.Boolean", {"value": True})


# --- app role assignments -------------------------------------------------------------------

async def list_assignments(request: Request, tenant: Tenant) -> Response:
    user = _user(request, tenant)
    items = [a.graph() for a in model.assignments(tenant, user)]
    return collection(request, f"users('{user.id}')/appRoleAssignments", items)


async def create_assignment(request: Request, tenant: Tenant) -> Response:
    user = _user(request, tenant)
    body = await read_object(request)
    check_known(body, {"principalId", "resourceId", "appRoleId"})
    principal = get_str(body, "principalId", max_len=64)
    if principal is not None and parse_guid(principal, "principalId") != user.id:
        raise BadInput("'principalId' must be the id of the user in the URL",
                       field="principalId")
    resource = get_str(body, "resourceId", required=True, max_len=64) or ""
    app = tenant.find_app(parse_guid(resource, "resourceId"))
    if app is None:
        raise BadInput(f"'resourceId' {resource!r} is neither the object id nor the appId of "
                       f"an application in this tenant", field="resourceId")
    requested = get_str(body, "appRoleId", required=True, max_len=128) or ""
    role = model.resolve_role(app, requested)
    wanted = model.DEFAULT_ACCESS_ROLE_ID if role is None else model.role_id(app, role)
    if any(a.app is app and a.app_role_id == wanted for a in model.assignments(tenant, user)):
        raise BadInput("Permission being assigned already exists on the object",
                       field="appRoleId")
    model.assign(user, app, role)
    created = next(a for a in model.assignments(tenant, user)
                   if a.app is app and a.app_role_id == wanted)
    return json_body(request, "appRoleAssignments/$entity", created.graph(), 201)


def _assignment(request: Request, tenant: Tenant) -> model.Assignment:
    user = _user(request, tenant)
    wanted = request.path_params["assignment"]
    found = next((a for a in model.assignments(tenant, user) if a.id == wanted), None)
    if found is None:
        raise not_found("assignmentId", wanted)
    return found


async def get_assignment(request: Request, tenant: Tenant) -> Response:
    return json_body(request, "appRoleAssignments/$entity", _assignment(request, tenant).graph())


async def delete_assignment(request: Request, tenant: Tenant) -> Response:
    model.unassign(_assignment(request, tenant))
    return Response(status_code=204)


async def unknown_resource(request: Request) -> Response:
    segment = request.path_params.get("rest", "")
    return graph_error(request, 404, f"Resource not found for the segment '{segment[:80]}'.",
                       target="path")


def _item_routes() -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    for item in ("/applications/{id}", "/applications(appId='{app_id}')"):
        routes += [
            route(PREFIX + item, {"GET": get_application, "PATCH": update_application,
                                            "DELETE": delete_application}),
            route(PREFIX + item + "/addPassword", {"POST": add_password}),
            route(PREFIX + item + "/removePassword", {"POST": remove_password}),
        ]
    return routes


routes: list[BaseRoute] = [
    route(PREFIX + "/applications", {"GET": list_applications,
                                               "POST": create_application}),
    *_item_routes(),
    route(PREFIX + "/users", {"GET": list_users, "POST": create_user}),
    route(PREFIX + "/users/{user}", {"GET": get_user, "PATCH": update_user,
                                               "DELETE": delete_user}),
    route(PREFIX + "/users/{user}/revokeSignInSessions",
          {"POST": revoke_sign_in_sessions}),
    route(PREFIX + "/users/{user}/appRoleAssignments",
          {"GET": list_assignments, "POST": create_assignment}),
    route(PREFIX + "/users/{user}/appRoleAssignments/{assignment}",
          {"GET": get_assignment, "DELETE": delete_assignment}),
    Route("/graph/{rest:path}", unknown_resource, methods=ALL_METHODS),
]
"""Mount these as they are; the last one answers unknown ``/graph/`` paths with Graph's 404."""
