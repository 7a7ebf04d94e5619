"""A management API in Microsoft Graph's shapes, per tenant, under ``/graph/{tenant}/v1.0/``.

Users (``accountEnabled``, ``revokeSignInSessions``, directory extension values) here;
applications in :mod:`.graph_applications`, app role assignments in :mod:`.graph_assignments`,
directory roles in :mod:`.graph_directory_roles`, a user's authentication methods in
:mod:`.graph_auth_methods`, groups in :mod:`.graph_groups`, what apps read with a user's token
in :mod:`.graph_memberships` and :mod:`.graph_photos`. Errors use Graph's body: ``{"error":
{"code", "message", "target", "innerError": {...}}}``, ``target`` naming the property at fault
(built in :mod:`.graph_http`, with the routes and OData envelopes).

When sign-in sessions end here (revocation, a disabled or deleted user) the provider's notifier
sends the logout notifications (back-channel and platform ``user.logout``).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..config import UserConfig
from ..directory import MAX_EXTENSION_VALUES, remove_object
from ..directory_build import build_user
from ..store import Session, Tenant, User, new_guid
from . import (
    graph_app_roles,
    graph_applications,
    graph_assignments,
    graph_auth_methods,
    graph_directory_roles,
    graph_groups,
    graph_memberships,
    graph_photos,
)
from . import graph_model as model
from . import graph_permission_tables as tables
from .common import idp, tell_apps
from .graph_access import requires, sight
from .graph_groups import user_entry
from .graph_http import (
    ALL_METHODS,
    PREFIX,
    GraphError,
    find_user,
    json_body,
    route,
    unknown_resource,
)
from .graph_paging import collection, select_one
from .payload import BadInput, read_object

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


# --- users ----------------------------------------------------------------------------------

@requires(tables.USER_LIST)
async def list_users(request: Request, tenant: Tenant) -> Response:
    """Users, 100 to a page unless ``$top`` says otherwise; ``$orderby`` on ``displayName`` or
    ``userPrincipalName`` (https://learn.microsoft.com/graph/api/user-list); ``$filter`` ``eq``
    and ``in`` (and ``startsWith`` on the names and addresses) on the properties the
    advanced-queries table marks as working by default (:mod:`.graph_filter`). A token with
    ``User.ReadBasic.All`` sees others' basic profile only, and may query on nothing else
    (:mod:`.graph_visibility`)."""
    seen = sight(request, tenant)
    users = [seen.user(user_entry(u)) for u in tenant.users.values()]
    return collection(request, "users", users,
                      type_name="microsoft.graph.user",
                      filterable={"userPrincipalName", "displayName", "mail", "id",
                                  "accountEnabled", "userType", "jobTitle", "givenName",
                                  "surname", "mailNickname"},
                      prefixable={"userPrincipalName", "displayName", "mail", "givenName",
                                  "surname", "mailNickname"},
                      orderable={"displayName", "userPrincipalName"},
                      readable=seen.readable_of_users())


@requires(tables.USER_CREATE)
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


@requires(tables.USER_READ)
async def get_user(request: Request, tenant: Tenant) -> Response:
    user = find_user(request, tenant)
    body = select_one(request, sight(request, tenant).user(user_entry(user)),
                      "microsoft.graph.user")
    return json_body(request, "users/$entity", body)


@requires(tables.USER_UPDATE)
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


@requires(tables.USER_DELETE)
async def delete_user(request: Request, tenant: Tenant) -> Response:
    user = find_user(request, tenant)
    del tenant.users[user.id]
    tenant.lockout.forget(user.id)
    remove_object(tenant, user.id)
    # Revoked, not only refused: a user created again under the same name is not this one.
    await _end_user_sessions(request, user, revoke=True)
    idp(request).faults.clear_scoped(users=[user.id])
    return Response(status_code=204)


@requires(tables.USER_REVOKE_SESSIONS)
async def revoke_sign_in_sessions(request: Request, tenant: Tenant) -> Response:
    user = find_user(request, tenant)
    await read_object(request, optional=True)
    await _end_user_sessions(request, user, revoke=True)
    return json_body(request, "Edm.Boolean", {"value": True})


routes: list[BaseRoute] = [
    *graph_applications.routes,
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
    *graph_photos.routes,
    Route("/graph/{rest:path}", unknown_resource, methods=ALL_METHODS),
]
"""Mount these as they are; the last one answers unknown ``/graph/`` paths with Graph's 400."""
