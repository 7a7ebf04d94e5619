"""Local users for the admin: list them and remove one, on the admin API and the admin page.

A user made at a first sign-in holds its e-mail address for good (addresses are unique:
``duplicate_email``; one made with none takes the first a later sign-in vouches for and no
other user holds); removing it frees the address and ends its sessions, and its identities
make a new user at their next sign-in. ``GET /api/admin/users`` lists them, ``DELETE
/api/admin/users/{user_id}`` removes one (204; 404 ``not_found``; an id that is no number: 400
``invalid_request`` naming ``user_id``), with the admin API's token and error shapes
(:mod:`relying_party.admin_api`). The admin page lists them too, each with a Remove form
(its CSRF token, :func:`relying_party.admin.form_fields`).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from .admin import form_fields, message
from .admin_auth import api_error, requires_session, requires_token
from .db import UserListing
from .inputs import InputError
from .web import state_of

MAX_USER_ID = 2**63 - 1


def user_json(user: UserListing) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "created_at": user.created_at.isoformat(),
        "last_sign_in_at": user.last_sign_in_at.isoformat() if user.last_sign_in_at else None,
        "identities": [{"source_kind": i.source_kind, "source_id": i.source_id,
                        "issuer": i.issuer} for i in user.identities],
    }


def _user_id(request: Request) -> int:
    raw = request.path_params["user_id"]
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 19 and 0 < int(raw) <= MAX_USER_ID):
        raise InputError.of("user_id", "must be a user's id, a positive whole number")
    return int(raw)


async def list_users(request: Request) -> Response:
    return JSONResponse([user_json(u) for u in state_of(request).db.users.listing()])


async def remove_user(request: Request) -> Response:
    if state_of(request).db.users.remove(_user_id(request)) is None:
        return api_error(404, "not_found", "no user with this id")
    return Response(status_code=204, headers={"Cache-Control": "no-store"})


async def remove_user_form(request: Request) -> Response:
    """The admin page's Remove form: the user and its sessions go, then the admin page."""
    fields = await form_fields(request)
    if isinstance(fields, Response):
        return fields
    try:
        user_id = _user_id(request)
    except InputError:
        return message(request, 404, "Not found", "No such user.")
    if state_of(request).db.users.remove(user_id) is None:
        return message(request, 404, "Not found", "No such user (already removed?).")
    return RedirectResponse(f"/admin?user_removed={user_id}#users", status_code=303)


routes = [
    Route("/api/admin/users", requires_token(list_users), methods=["GET"]),
    Route("/api/admin/users/{user_id}", requires_token(remove_user), methods=["DELETE"]),
    Route("/admin/users/{user_id}/remove", requires_session(remove_user_form), methods=["POST"]),
]
