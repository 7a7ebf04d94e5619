"""Local users for the admin: list them and remove one, on the admin API and the admin page.

A user made at a first sign-in holds its e-mail address for good (addresses are unique:
``duplicate_email``; one made with none takes the first a later sign-in vouches for and no
other user holds); removing it frees the address and ends its sessions, and its identities make
a new user at their next sign-in (one already in progress makes no session:
:mod:`relying_party.db.identity_removals`). ``GET /api/admin/users`` lists them, each with its
``etag``; ``DELETE /api/admin/users/{user_id}`` removes one (204; 404 ``not_found``; an id that
is no number: 400 ``invalid_request`` naming ``user_id``) when ``If-Match`` names it as listed
(428 without, 412 once it changed: :func:`remove_user`), with the admin API's token and error
shapes (:mod:`relying_party.admin_api`). The admin page lists them too, each with a Remove link
to a confirmation page (``GET /admin/users/{user_id}/remove``) that names the user and what
removing it does; its form (its CSRF token, :func:`relying_party.admin.form_fields`) carries
the user's creation time and address as shown, and removes that user only: one removed
meanwhile is a 404, one that took an address since (or another user under the id, in a database
put back from a copy) a 409, and nothing is removed.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from . import preconditions
from .admin import form_fields, message
from .admin_auth import api_error, api_route, requires_session
from .admin_queries import query_params
from .db import Database, UserChanged, UserListing
from .inputs import InputError, ascii_digits
from .web import render_with_csrf, state_of

MAX_USER_ID = 2**63 - 1


def user_etag(created_at: datetime, email: str | None) -> str:
    """The user's entity tag: what a removal made from an old listing must still find, its
    creation time and address (as the confirmation page's form checks them), not its name,
    which each sign-in renews."""
    digest = hashlib.sha256(f"{created_at.astimezone(UTC).isoformat()}\n{email or ''}".encode())
    return f'"{digest.hexdigest()[:20]}"'


def user_json(user: UserListing) -> dict[str, Any]:
    return {
        "id": user.id,
        "etag": user_etag(user.created_at, user.email),
        "email": user.email,
        "name": user.name,
        "created_at": user.created_at.isoformat(),
        "last_sign_in_at": user.last_sign_in_at.isoformat() if user.last_sign_in_at else None,
        "identities": [{"source_kind": i.source_kind, "source_id": i.source_id,
                        "issuer": i.issuer} for i in user.identities],
    }


def _user_id(request: Request) -> int:
    raw = request.path_params["user_id"]
    if not (ascii_digits(raw, max_digits=19) and 0 < int(raw) <= MAX_USER_ID):
        raise InputError.of("user_id", "must be a user's id, a positive whole number")
    return int(raw)


def _remove(request: Request, user_id: int, *,
            as_shown: tuple[datetime, str | None] | None = None) -> int | None:
    """Remove the user; its identities' sign-ins in progress make no session, for as long as
    one may still finish (its state expires ``login_timeout`` after it began, and it gets as
    long again to finish, as for a ``user.logout``)."""
    rp = state_of(request)
    now = rp.settings.clock.now()
    return rp.db.remove_user(user_id, at=now, as_shown=as_shown,
                             forget_before=now - 2 * rp.settings.login_timeout)


async def list_users(request: Request) -> Response:
    query_params(request)
    return JSONResponse([user_json(u) for u in state_of(request).db.users.listing()])


async def remove_user(request: Request) -> Response:
    """``DELETE /api/admin/users/{user_id}``, made from the user as a listing showed it: its
    ``etag`` in ``If-Match`` (:mod:`relying_party.preconditions`; 428 without, 412 when the
    user took an address since, or is another user under that id)."""
    user_id = _user_id(request)
    condition = preconditions.if_match(request)
    user = state_of(request).db.users.get(user_id)
    if user is None:
        return _no_user()
    if condition is None:
        return preconditions.required("DELETE", "user")
    tag = user_etag(user.created_at, user.email)
    if not condition.matches(tag):
        return _user_changed(tag)
    shown = None if condition.any else (user.created_at, user.email)
    try:
        removed = _remove(request, user_id, as_shown=shown)
    except UserChanged:
        current = state_of(request).db.users.get(user_id)
        if current is None:
            return _no_user()
        return _user_changed(user_etag(current.created_at, current.email))
    if removed is None:
        return _no_user()
    return Response(status_code=204, headers={"Cache-Control": "no-store"})


def _no_user() -> Response:
    return api_error(404, "not_found", "no user with this id")


def _user_changed(now: str) -> Response:
    return preconditions.failed(
        "the user changed since that ETag (it has taken an address since, or it is another "
        "user): list the users again and remove it from there", f"the user's ETag is now {now}",
        now=now)


def _listed(db: Database, user_id: int) -> UserListing | None:
    return next((u for u in db.users.listing() if u.id == user_id), None)


def _signs_in_through(db: Database, user: UserListing) -> list[dict[str, str]]:
    """Each identity's connection or installation, by its name where it still exists."""
    found = []
    for i in user.identities:
        if i.source_kind == "connection":
            connection = db.connections.get(i.source_id)
            name = connection.name if connection else None
        else:
            installation = db.installations.get(i.source_id)
            name = installation.account_name if installation else None
        found.append({"kind": i.source_kind, "id": i.source_id, "issuer": i.issuer,
                      "name": name or f"(no longer here) {i.source_id}"})
    return found


async def remove_page(request: Request) -> Response:
    """What the Remove link opens: the user, what removing it does, and the form that does."""
    try:
        user_id = _user_id(request)
    except InputError:
        return message(request, 404, "Not found", "No such user.")
    db = state_of(request).db
    user = _listed(db, user_id)
    if user is None:
        return message(request, 404, "Not found", "No such user (already removed?).")
    return render_with_csrf(request, "user_remove.html", {
        "user": user, "label": user.email or user.name or "no address",
        "signs_in_through": _signs_in_through(db, user)})


def _as_shown(fields: dict[str, str]) -> tuple[datetime, str | None] | None:
    """The user's creation time and address as the confirmation page showed them, or None."""
    raw, email = fields.get("created_at", ""), fields.get("email")
    if email is None or len(raw) > 64:
        return None
    try:
        created_at = datetime.fromisoformat(raw)
    except ValueError:
        return None
    if created_at.tzinfo is None:
        return None
    return created_at.astimezone(UTC), email or None


async def remove_user_form(request: Request) -> Response:
    """The confirmation page's form: the user it showed and its sessions go, then the admin
    page. A form not from that page (no ``created_at`` and ``email``) removes nobody."""
    fields = await form_fields(request)
    if isinstance(fields, Response):
        return fields
    try:
        user_id = _user_id(request)
    except InputError:
        return message(request, 404, "Not found", "No such user.")
    shown = _as_shown(fields)
    if shown is None:
        return message(request, 400, "Form expired", "This form does not say which user it "
                       "removes (created_at, email). Open the user's Remove page from the "
                       "admin page again. Nothing was removed.")
    try:
        removed = _remove(request, user_id, as_shown=shown)
    except UserChanged:
        return message(request, 409, "Changed meanwhile", f"User {user_id} is not the one "
                       "this page showed (it has taken an address since, or it is another "
                       "user), so it was not removed. Open its Remove page again to see it as "
                       "it is now.")
    if removed is None:
        return message(request, 404, "Not found", "No such user (already removed?). Nothing "
                       "was removed.")
    return RedirectResponse(f"/admin?user_removed={user_id}#users", status_code=303)


routes = [
    api_route("/api/admin/users", list_users, methods=["GET"]),
    api_route("/api/admin/users/{user_id}", remove_user, methods=["DELETE"]),
    Route("/admin/users/{user_id}/remove", requires_session(remove_page), methods=["GET"]),
    Route("/admin/users/{user_id}/remove", requires_session(remove_user_form), methods=["POST"]),
]
