"""A management API in Microsoft Graph's shapes, per tenant, under ``/graph/{tenant}/v1.0/``.

Applications (with ``addPassword`` / ``removePassword``, ``extensionProperties`` and the
``(appId='...')`` alternate key) and users (``accountEnabled``, ``revokeSignInSessions``,
directory extension values) here; app role assignments in :mod:`.graph_assignments`, directory
roles in :mod:`.graph_directory_roles`, a user's authentication methods in
:mod:`.graph_auth_methods`, groups in :mod:`.graph_groups`, what apps read with a user's token
in :mod:`.graph_memberships`. Errors
use Graph's body: ``{"error": {"code", "message", "target", "innerError": {...}}}``, ``target``
naming the property at fault (built in :mod:`.graph_http`, with the routes and OData envelopes).

When sign-in sessions end here (revocation, a disabled or deleted user) the provider's notifier
sends the logout notifications (back-channel and platform ``user.logout``).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from .. import registration_rules
from ..config import SINGLE_TENANT, AppConfig, UserConfig
from ..consent import DEFAULT_CONSENT_SCOPE
from ..directory import MAX_EXTENSION_VALUES, remove_app, remove_object
from ..directory_build import build_app, build_user
from ..store import (
    Application,
    PasswordCredential,
    Session,
    Tenant,
    User,
    generate_secret_value,
    new_guid,
)
from . import (
    graph_app_roles,
    graph_assignments,
    graph_auth_methods,
    graph_directory_roles,
    graph_groups,
    graph_memberships,
)
from . import graph_directory_model as directory_model
from . import graph_model as model
from .common import idp, tell_apps
from .graph_access import APPLICATION_READ, USER_LIST, USER_READ, check_read, read_user, sight
from .graph_groups import user_entry
from .graph_http import (
    ALL_METHODS,
    PREFIX,
    GraphError,
    find_user,
    json_body,
    not_found,
    route,
    unknown_resource,
)
from .graph_paging import Entry, collection, select_one
from .graph_rules import app_id_owner, check_role_changes
from .payload import BadInput, check_known, get_str, parse_guid, read_object

_UPN_TAKEN = "Another object with the same value for property userPrincipalName already exists."


def _upn_conflict() -> GraphError:
    """Graph's answer to a taken UPN, with the ``ObjectConflict`` detail scripts branch on
    (microsoftgraph/microsoft-graph-docs#1508)."""
    return GraphError(_UPN_TAKEN, code="Request_BadRequest", field="userPrincipalName",
                      details=[{"target": "userPrincipalName", "code": "ObjectConflict"}])


def _trigger(request: Request) -> str:
    """Why sessions ended here: revocation, a deleted or a disabled user."""
    if request.url.path.endswith("/revokeSignInSessions"):
        return "revokeSignInSessions"
    if request.method == "DELETE":
        return "userDeleted"
    return "accountDisabled"


async def _end_user_sessions(request: Request, user: User, *, revoke: bool,
                             trigger: str | None = None) -> list[Session]:
    """End the user's sessions and tell the apps; ``revoke``: their grants too (codes and
    refresh tokens issued until now get AADSTS50173), as a revocation, a password reset or
    the account's deletion does, where disabling it only refuses them while it lasts."""
    state = idp(request)
    if revoke:
        now = state.clock.now()
        user.tokens_valid_from = now
        state.store.revoke_grants(user.id, now)
    sessions = state.store.end_sessions(user_id=user.id)
    await tell_apps(request, sessions, trigger or _trigger(request))
    return sessions


# --- applications ---------------------------------------------------------------------------

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


async def list_applications(request: Request, tenant: Tenant) -> Response:
    check_read(request, tenant, APPLICATION_READ)
    return collection(request, "applications", [a.graph() for a in tenant.apps.values()],
                      type_name="microsoft.graph.application",
                      filterable={"appId", "displayName", "id"}, orderable={"displayName"},
                      sorts_by_default=False)


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


async def get_application(request: Request, tenant: Tenant) -> Response:
    check_read(request, tenant, APPLICATION_READ)  # a bad token is 401 whether the app exists
    app = Entry(_application(request, tenant).graph())
    return json_body(request, "applications/$entity",
                     select_one(request, app,
                                "microsoft.graph.application"))


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
    idp(request).faults.clear_scoped(apps=[app.client_id])
    return Response(status_code=204)


async def list_extension_properties(request: Request, tenant: Tenant) -> Response:
    check_read(request, tenant, APPLICATION_READ)
    app = _application(request, tenant)
    items = [p.graph(app.name) for p in app.extension_properties]
    return collection(request, f"applications('{app.id}')/extensionProperties", items,
                      type_name="microsoft.graph.extensionProperty")


async def create_extension_property(request: Request, tenant: Tenant) -> Response:
    app = _application(request, tenant)
    prop = directory_model.extension_property(await read_object(request), app)
    app.extension_properties.append(prop)
    return json_body(request, f"applications('{app.id}')/extensionProperties/$entity",
                     prop.graph(app.name), 201)


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

async def list_users(request: Request, tenant: Tenant) -> Response:
    """Users, 100 to a page unless ``$top`` says otherwise; ``$orderby`` on ``displayName`` or
    ``userPrincipalName`` (https://learn.microsoft.com/graph/api/user-list); ``$filter`` ``eq``
    on the properties the advanced-queries table marks as working by default. A token with
    ``User.ReadBasic.All`` sees others' basic profile only (:mod:`.graph_visibility`)."""
    check_read(request, tenant, USER_LIST)
    seen = sight(request, tenant)
    users = [seen.user(user_entry(u)) for u in tenant.users.values()]
    return collection(request, "users", users,
                      type_name="microsoft.graph.user",
                      filterable={"userPrincipalName", "displayName", "mail", "id",
                                  "accountEnabled", "userType", "jobTitle"},
                      orderable={"displayName", "userPrincipalName"})


async def create_user(request: Request, tenant: Tenant) -> Response:
    changes = model.user_changes(await read_object(request), tenant, creating=True)
    if tenant.find_user(changes["upn"]) is not None:
        raise _upn_conflict()
    cfg = UserConfig(
        upn=changes["upn"], name=changes["name"], password=changes["password"],
        email=changes.get("email"),
        oid=new_guid(),  # as Entra's: one made again under a deleted one's name is not it
        given_name=changes.get("given_name"), family_name=changes.get("family_name"),
        enabled=changes.get("enabled", True), user_type=changes.get("user_type", "Member"),
        country=changes.get("country"), preferred_language=changes.get("preferred_language"),
        force_change_password=changes.get("force_change_password", False),
        mail_nickname=changes["mail_nickname"],
    )
    user = build_user(cfg, tenant.id, idp(request).clock.now())
    # "creating a new user without specifying the mail value ... the new user's mail attribute
    # is null" (microsoftgraph/microsoft-graph-docs#18722); build_user gives idp.toml users
    # their UPN as address.
    user.email = changes.get("email")
    for attr, _ in model.PROFILE_PROPERTIES.values():
        if attr in changes:
            setattr(user, attr, changes[attr])
    _set_extensions(user, changes.get("extensions", {}))
    tenant.users[user.id] = user
    return json_body(request, "users/$entity", user_entry(user).view(None), 201)


def _set_extensions(user: User, values: dict[str, Any]) -> None:
    merged = {**user.extensions, **values}
    merged = {k: v for k, v in merged.items() if v is not None}
    if sum(len(v) if isinstance(v, list) else 1 for v in merged.values()) > \
            MAX_EXTENSION_VALUES:
        raise BadInput(f"A user holds at most {MAX_EXTENSION_VALUES} directory extension "
                       f"values.", field=next(iter(values), "body"))
    user.extensions = merged


async def get_user(request: Request, tenant: Tenant) -> Response:
    user = read_user(request, tenant, USER_READ)
    body = select_one(request, sight(request, tenant).user(user_entry(user)),
                      "microsoft.graph.user")
    return json_body(request, "users/$entity", body)


async def update_user(request: Request, tenant: Tenant) -> Response:
    user = find_user(request, tenant)
    changes = model.user_changes(await read_object(request), tenant, creating=False)
    if "upn" in changes:
        other = tenant.find_user(changes["upn"])
        if other is not None and other is not user:
            raise _upn_conflict()
    was_enabled = user.enabled
    _set_extensions(user, changes.pop("extensions", {}))
    for attr, value in changes.items():
        setattr(user, attr, value)
    if "password" in changes:
        # An administrator's reset unlocks the account (smart lockout) and revokes the
        # sessions and refresh tokens the old password signed in (the "Token revocation" table
        # of Entra's refresh-token reference, for a reset in the Entra admin center, which
        # sets it through this call).
        tenant.lockout.forget(user.id)
        await _end_user_sessions(request, user, revoke=True, trigger="passwordReset")
    elif was_enabled and not user.enabled:
        await _end_user_sessions(request, user, revoke=False)
    return Response(status_code=204)


async def delete_user(request: Request, tenant: Tenant) -> Response:
    user = find_user(request, tenant)
    del tenant.users[user.id]
    tenant.lockout.forget(user.id)
    remove_object(tenant, user.id)
    # Revoked, not only refused: a user created again under the same name is not this one.
    await _end_user_sessions(request, user, revoke=True)
    idp(request).faults.clear_scoped(users=[user.id])
    return Response(status_code=204)


async def revoke_sign_in_sessions(request: Request, tenant: Tenant) -> Response:
    user = find_user(request, tenant)
    await read_object(request, optional=True)
    await _end_user_sessions(request, user, revoke=True)
    return json_body(request, "Edm.Boolean", {"value": True})


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
    route(PREFIX + "/users", {"GET": list_users, "POST": create_user}),
    route(PREFIX + "/users/{user}", {"GET": get_user, "PATCH": update_user,
                                               "DELETE": delete_user}),
    route(PREFIX + "/users/{user}/revokeSignInSessions",
          {"POST": revoke_sign_in_sessions}),
    *graph_assignments.routes,
    *graph_directory_roles.routes,
    *graph_auth_methods.routes,
    *graph_app_roles.routes,
    *graph_groups.routes,
    *graph_memberships.routes,
    Route("/graph/{rest:path}", unknown_resource, methods=ALL_METHODS),
]
"""Mount these as they are; the last one answers unknown ``/graph/`` paths with Graph's 400."""
