"""A user's authentication methods in Graph's shapes (``users/{id}/authentication/…``): what
scripts read to see whether an account has a second factor, and remove to take it away.

- ``methods``: every method, each with its ``@odata.type``: the password (its id is Graph's
  fixed one for the password method, the same for every user) and, for a user with an
  authenticator app (:mod:`mock_idp.totp`), a ``softwareOathAuthenticationMethod``;
- ``passwordMethods`` and ``softwareOathMethods``: one kind each; ``GET`` one by id, and
  ``DELETE`` a software OATH method, which ends "Enter code" for that user.

The secret is never shown (``secretKey`` is null, as in Graph); registering an app is the
control API's (``/_mock/tenants/{tenant}/users/{user}/authenticator``), since Graph cannot.
https://learn.microsoft.com/graph/api/resources/authenticationmethods-overview
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from ..config_fields import stable_oid
from ..store import Tenant, User
from . import graph_permission_tables as tables
from .graph_access import requires
from .graph_http import PREFIX, find_user, json_body, not_found, route
from .graph_paging import collection

PASSWORD_METHOD_ID = "28c10230-6103-485e-b985-444c60001490"
"""Graph's id of the password method, the same for every user (the authentication methods
API's examples; admin scripts reset passwords through it)."""
PASSWORD = "#microsoft.graph.passwordAuthenticationMethod"
SOFTWARE_OATH = "#microsoft.graph.softwareOathAuthenticationMethod"
METHOD_TYPE = "microsoft.graph.authenticationMethod"
METHODS = PREFIX + "/users/{user}/authentication"


def _oath_id(user: User) -> str:
    """A GUID, as Graph's method ids are, the same for the user's app on every call."""
    return stable_oid(user.id, "software-oath-method")


def _methods(user: User) -> list[dict[str, Any]]:
    found = [{"@odata.type": PASSWORD, "id": PASSWORD_METHOD_ID, "password": None,
              "createdDateTime": None}]
    if user.totp_secret is not None:
        found.append({"@odata.type": SOFTWARE_OATH, "id": _oath_id(user), "secretKey": None})
    return found


def _of_kind(user: User, kind: str) -> list[dict[str, Any]]:
    return [m for m in _methods(user) if m["@odata.type"] == kind]


def _one(request: Request, tenant: Tenant, kind: str) -> tuple[User, dict[str, Any]]:
    user = find_user(request, tenant)
    wanted = request.path_params["method"].lower()
    found = next((m for m in _of_kind(user, kind) if m["id"] == wanted), None)
    if found is None:
        raise not_found("id", wanted)
    return user, found


@requires(tables.AUTH_METHODS_READ)
async def list_methods(request: Request, tenant: Tenant) -> Response:
    user = find_user(request, tenant)
    return collection(request, f"users('{user.id}')/authentication/methods", _methods(user),
                      type_name=METHOD_TYPE)


@requires(tables.PASSWORD_METHODS_READ)
async def list_password_methods(request: Request, tenant: Tenant) -> Response:
    user = find_user(request, tenant)
    return collection(request, f"users('{user.id}')/authentication/passwordMethods",
                      _of_kind(user, PASSWORD), type_name=METHOD_TYPE)


@requires(tables.OATH_METHODS_READ)
async def list_oath_methods(request: Request, tenant: Tenant) -> Response:
    user = find_user(request, tenant)
    return collection(request, f"users('{user.id}')/authentication/softwareOathMethods",
                      _of_kind(user, SOFTWARE_OATH), type_name=METHOD_TYPE)


@requires(tables.PASSWORD_METHODS_READ)
async def get_password_method(request: Request, tenant: Tenant) -> Response:
    user, found = _one(request, tenant, PASSWORD)
    return json_body(request, f"users('{user.id}')/authentication/passwordMethods/$entity",
                     found)


@requires(tables.OATH_METHODS_READ)
async def get_oath_method(request: Request, tenant: Tenant) -> Response:
    user, found = _one(request, tenant, SOFTWARE_OATH)
    return json_body(request, f"users('{user.id}')/authentication/softwareOathMethods/$entity",
                     found)


@requires(tables.OATH_METHOD_DELETE)
async def delete_oath_method(request: Request, tenant: Tenant) -> Response:
    user, _ = _one(request, tenant, SOFTWARE_OATH)
    user.totp_secret = None
    return Response(status_code=204)


routes: list[BaseRoute] = [
    route(METHODS + "/methods", {"GET": list_methods}),
    route(METHODS + "/passwordMethods", {"GET": list_password_methods}),
    route(METHODS + "/passwordMethods/{method}", {"GET": get_password_method}),
    route(METHODS + "/softwareOathMethods", {"GET": list_oath_methods}),
    route(METHODS + "/softwareOathMethods/{method}",
          {"GET": get_oath_method, "DELETE": delete_oath_method}),
]
