"""The admin page's forms for SSO connections: add, edit, enable, disable and delete.

A connection's edit, enable, disable and delete forms carry the version they were rendered
from: one from an older version (or none) changes nothing (:mod:`.connection_admin`), and the
409 page says what was not done; the add form's one-time nonce makes sending it twice add one
connection; a delete needs the connection's name typed on its confirmation page.

Every page and form needs an admin session (:mod:`relying_party.admin_auth`)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from .admin import form_fields, message, page
from .admin_auth import requires_session
from .connection_admin import (
    ConnectionGone,
    StaleEdit,
    connection_values,
    delete_connection,
    edit_connection,
    new_connection,
    set_enabled,
    validated,
)
from .connections import APPS, sign_in_urls
from .db import Connection, DuplicateFormNonce
from .inputs import InputError
from .web import render_with_csrf, state_of


def _connection_or_404(request: Request) -> Connection | None:
    return state_of(request).db.connections.get(request.path_params["connection_id"])


def _not_found(request: Request) -> Response:
    return message(request, 404, "Not found", "No such SSO connection.")


# What a change refused as stale did not do, and why that is safer, by the form it came from.
_NOT_DONE = {
    "edit": ("this form was opened", "nothing was saved: saving would have put back the values "
             "it showed. Open the connection again to see it as it is now."),
    "enable": ("the admin page showed it", "it was not enabled: it would have been enabled as "
               "the page showed it, not as it is now. Reload the admin page to see it as it is "
               "now, and enable it there if it should be."),
    "disable": ("the admin page showed it", "it was not disabled: it would have been disabled "
                "as the page showed it, not as it is now. Reload the admin page to see it as it "
                "is now, and disable it there if it should be."),
    "delete": ("its delete confirmation was opened", "it was not deleted: the name typed "
               "confirmed deleting the connection as that page showed it, not as it is now. "
               "Open its delete confirmation again to see it as it is now."),
}


def _stale(request: Request, exc: StaleEdit | ConnectionGone, action: str) -> Response:
    """A change from a form older than the connection (``action``: edit, enable, disable or
    delete): 409 saying what was not done, nothing stored."""
    if isinstance(exc, ConnectionGone):
        return _not_found(request)
    shown, not_done = _NOT_DONE[action]
    return message(request, 409, "Changed meanwhile", f"The connection {exc.current.name} "
                   f"changed after {shown} (perhaps in another tab), so {not_done}")


_NONCE = re.compile(r"[A-Za-z0-9_-]{16,64}")
_VERSION = re.compile(r"[0-9]{1,12}")
FORM_NONCE_FIELD = "form_nonce"
VERSION_FIELD = "version"


def _version(request: Request, fields: dict[str, str], what: str) -> int | Response:
    """The connection version a form was rendered from (its hidden field), or the page
    refusing a form without one: each edit, enable, disable or delete is made from one."""
    value = fields.pop(VERSION_FIELD, "")
    if _VERSION.fullmatch(value):
        return int(value)
    return message(request, 400, "Form expired", "This form does not say which version of the "
                   f"connection it {what}. Reload the admin page and try again. Nothing was "
                   "changed.")



async def create_connection(request: Request) -> Response:
    """Add a connection, once per form: the add form's one-time ``form_nonce`` makes at most
    one, and sending it again answers with the one it made."""
    fields = await form_fields(request)
    if isinstance(fields, Response):
        return fields
    rp = state_of(request)
    nonce = fields.pop(FORM_NONCE_FIELD, "")
    if (made := rp.db.connections.by_form_nonce(nonce)) is not None:
        return _created(made, repeated=True)
    try:
        data = validated(rp, fields, previous=None)
    except InputError as exc:
        return page(request, status=400, values=fields, errors=exc.errors)
    if not _NONCE.fullmatch(nonce):
        return message(request, 400, "Form expired", "This form has no valid form_nonce "
                        "(the add form's one-time field). Reload the admin page and try again.")
    try:
        connection = new_connection(rp, data, form_nonce=nonce)
    except DuplicateFormNonce:
        made = rp.db.connections.by_form_nonce(nonce)
        assert made is not None
        return _created(made, repeated=True)
    return _created(connection, repeated=False)


def _created(connection: Connection, *, repeated: bool) -> Response:
    return RedirectResponse(f"/admin?created={connection.id}{'&repeated=1' if repeated else ''}",
                            status_code=303)


async def edit_page(request: Request) -> Response:
    connection = _connection_or_404(request)
    if connection is None:
        return _not_found(request)
    return _edit_page(request, connection, connection_values(connection), {})


def _edit_page(
    request: Request,
    connection: Connection,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
    status: int = 200,
    version: int | None = None,
) -> Response:
    return render_with_csrf(
        request,
        "connection_edit.html",
        {"connection": connection, "values": values, "errors": errors,
         "version": connection.version if version is None else version},
        status=status,
    )


async def update_connection(request: Request) -> Response:
    connection = _connection_or_404(request)
    fields = await form_fields(request)
    if isinstance(fields, Response):
        return fields
    if connection is None:
        return _not_found(request)
    version = _version(request, fields, "edits")
    if isinstance(version, Response):
        return version
    try:
        stored = edit_connection(state_of(request), connection, fields, expected_version=version)
    except InputError as exc:
        return _edit_page(request, connection, fields, exc.errors, status=400, version=version)
    except (StaleEdit, ConnectionGone) as exc:
        return _stale(request, exc, "edit")
    renewed = "&secret=new" if fields.get("client_secret", "").strip() else ""
    return RedirectResponse(f"/admin?saved={quote(stored.id, safe='')}&version={stored.version}"
                            f"{renewed}", status_code=303)


ACTIONS = ("enable", "disable", "delete")


async def connection_action(request: Request) -> Response:
    connection = _connection_or_404(request)
    action = request.path_params["action"]
    fields = await form_fields(request)
    if isinstance(fields, Response):
        return fields
    if connection is None:
        return _not_found(request)
    if action not in ACTIONS:
        return message(request, 404, "No such action", f"No such action on a connection: "
                        f"'{action[:50]}'. A connection can be enabled, disabled or deleted.")
    version = _version(request, fields, f"{action}s")
    if isinstance(version, Response):
        return version
    try:
        if action == "delete":
            return _delete(request, connection, fields, version)
        set_enabled(state_of(request), connection, action == "enable", expected_version=version)
    except (StaleEdit, ConnectionGone) as exc:
        return _stale(request, exc, action)
    return RedirectResponse("/admin", status_code=303)


async def delete_page(request: Request) -> Response:
    """The confirmation a delete needs: what it breaks, and the connection's name to type."""
    connection = _connection_or_404(request)
    if connection is None:
        return _not_found(request)
    return _delete_page(request, connection)


def _delete_page(request: Request, connection: Connection, *, error: str | None = None,
                 version: int | None = None) -> Response:
    base = state_of(request).settings.base_url
    return render_with_csrf(
        request, "connection_delete.html",
        {"connection": connection, "sign_in_urls": sign_in_urls(base, connection.id),
         "apps": APPS, "error": error,
         "version": connection.version if version is None else version},
        status=400 if error else 200)


def _delete(request: Request, connection: Connection, fields: dict[str, str],
            version: int) -> Response:
    """Delete once the admin typed the connection's name on the confirmation page, from the
    version it showed; compared in NFC (a name sent decomposed is typed composed)."""
    typed = unicodedata.normalize("NFC", fields.get("confirm_name", "").strip())
    if typed != unicodedata.normalize("NFC", connection.name.strip()):
        error = ("Type the connection's name exactly to confirm"
                 if typed else "Type the connection's name to confirm")
        return _delete_page(request, connection, version=version,
                            error=f"Confirm name: {error} ({connection.name}).")
    delete_connection(state_of(request), connection, expected_version=version)
    return RedirectResponse("/admin?deleted=1", status_code=303)


routes = [
    Route("/admin/connections", requires_session(create_connection), methods=["POST"]),
    Route("/admin/connections/{connection_id}/edit", requires_session(edit_page), methods=["GET"]),
    Route("/admin/connections/{connection_id}/delete", requires_session(delete_page),
          methods=["GET"]),
    Route("/admin/connections/{connection_id}", requires_session(update_connection),
          methods=["POST"]),
    Route(
        "/admin/connections/{connection_id}/{action:str}",
        requires_session(connection_action),
        methods=["POST"],
    ),
]
