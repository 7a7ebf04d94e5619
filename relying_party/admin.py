"""Admin HTML pages: SSO connections (CSRF-protected forms), installations, local users
(:mod:`relying_party.user_admin`) and the error log.

A connection's edit, enable, disable and delete forms carry the version they were rendered
from: one from an older version (or none) changes nothing (:mod:`.connection_admin`); the add
form's one-time nonce makes sending it twice add one connection; a delete needs the
connection's name typed on its confirmation page, a user's Remove a page of its own. An
installation's row shows what the platform was told of it, and a form retries what did not
succeed (:mod:`relying_party.acknowledgements`).

Every page and form needs an admin session (:mod:`relying_party.admin_auth`)."""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from .acknowledgements import APPROVAL, CREDENTIALS, due, retry
from .admin_auth import requires_session
from .connection_admin import (
    ConnectionGone,
    StaleEdit,
    connection_health,
    connection_values,
    delete_connection,
    edit_connection,
    new_connection,
    set_enabled,
    validated,
)
from .connections import APPS, discovery_url_for, frontchannel_logout_url, sign_in_urls
from .db import AckKind, Acknowledgement, Connection, Database, DuplicateFormNonce
from .inputs import InputError
from .redirect_uris import connection_redirect_uri, installation_redirect_uri
from .request_bodies import read_form
from .trials import describe
from .web import (
    CSRF_FIELD,
    csrf_valid,
    origin_allowed,
    render_with_csrf,
    state_of,
    templates,
)


def _page(
    request: Request,
    *,
    status: int = 200,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    notice: str | None = None,
) -> Response:
    rp = state_of(request)
    base = rp.settings.base_url
    connections = [
        {
            "connection": c,
            "health": connection_health(rp, c),
            "sign_in_urls": sign_in_urls(base, c.id),
            "frontchannel_logout_url": frontchannel_logout_url(base, c.id),
            "redirect_uri": connection_redirect_uri(base, c.id),
            "discovery_url": discovery_url_for(c),
        }
        for c in rp.db.connections.all()
    ]
    defaults = {"client_auth_method": "post"}
    installations = rp.db.installations.all()
    acknowledgements = rp.db.acknowledgements.all()
    return render_with_csrf(
        request,
        "admin.html",
        {
            "connections": connections,
            "installation_redirect_uri": installation_redirect_uri(base),
            "post_logout_redirect_uri": rp.settings.post_logout_redirect_uri,
            "installations": installations,
            "approvals": {i: a.get(APPROVAL) for i, a in acknowledgements.items()},
            "credentials_acks": {i: a.get(CREDENTIALS) for i, a in acknowledgements.items()},
            "retry_due": {i.installation_id for i in installations if i.active
                          and due(acknowledgements.get(i.installation_id, {}))},
            "subscriptions": rp.db.licences.subscriptions(),
            "trials": {i: describe(t) for i, t in rp.db.trials.all().items()},
            "errors_log": rp.db.errors.all(limit=50),
            "users": rp.db.users.listing(),
            "apps": APPS,
            "values": {**defaults, **(values or {})},
            "errors": errors or {},
            "notice": notice,
            "form_nonce": secrets.token_urlsafe(18),
        },
        status=status,
    )


def _refused(request: Request, reason: str) -> Response:
    return message(request, 403, "Form refused", f"{reason} Nothing was changed. Reload the "
                    "admin page and try again.")


async def form_fields(request: Request) -> dict[str, str] | Response:
    """The submitted form fields, or the page refusing them: a foreign ``Origin``, or a
    missing or wrong CSRF token."""
    fields = await read_form(request)
    rp = state_of(request)
    if not origin_allowed(request, rp.settings):
        return _refused(request, "This request came from another site "
                        f"({request.headers.get('origin', '')[:200]}), not from this app's admin "
                        f"page ({rp.settings.public_origin}).")
    if not csrf_valid(request, fields.get(CSRF_FIELD)):
        return _refused(request, "This form is no longer valid (missing or wrong security "
                        "token).")
    fields.pop(CSRF_FIELD, None)
    return fields


def _connection_or_404(request: Request) -> Connection | None:
    return state_of(request).db.connections.get(request.path_params["connection_id"])


def _not_found(request: Request) -> Response:
    return message(request, 404, "Not found", "No such SSO connection.")


def _stale(request: Request, exc: StaleEdit | ConnectionGone) -> Response:
    """A save from a form older than the connection: 409, nothing stored."""
    if isinstance(exc, ConnectionGone):
        return _not_found(request)
    return message(request, 409, "Changed meanwhile", f"The connection "
                    f"{exc.current.name} changed after this form was opened (perhaps in "
                    "another tab), so nothing was saved: saving would have put back the "
                    "values it showed. Open the connection again to see it as it is now.")


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


def _acknowledged_notice(installation_id: str,
                         acknowledgements: Mapping[AckKind, Acknowledgement]) -> str:
    approval, credentials = acknowledgements.get(APPROVAL), acknowledgements.get(CREDENTIALS)
    return (f"Installation {installation_id}: approval "
            f"{approval.summary if approval else 'not sent'}; credentials "
            f"{credentials.summary if credentials else 'not rotated'}.")


def _connection_notice(db: Database, query: Mapping[str, str]) -> str | None:
    """What ``?created=``, ``?saved=`` or ``?deleted=`` after a form says (the ids are looked
    up, never shown as given)."""
    if (created := query.get("created")) and (c := db.connections.get(created)):
        again = (" This form had been sent already: it was added once."
                 if query.get("repeated") else "")
        return (f"Connection {c.name} ({c.id}) added. Its sign-in URLs and front-channel "
                f"logout URL are below.{again}")
    if (saved := query.get("saved")) and (c := db.connections.get(saved)):
        renewed = (" with a new client secret: errors logged before it are marked as older "
                   "than the current secret" if query.get("secret") else "")
        written = query.get("version", "")
        if _VERSION.fullmatch(written) and int(written) != c.version:
            # Another change came after this save: say so, rather than show its values as
            # what this save stored.
            return (f"Connection {c.id} saved as version {int(written)}{renewed}. It has "
                    f"been changed again since: it is now at version {c.version}, as below.")
        return f"Connection {c.name} ({c.id}) saved{renewed}."
    if query.get("deleted"):
        return "Connection deleted: its sign-in URLs no longer work."
    return None


async def admin_page(request: Request) -> Response:
    """The admin page; after "Add connection" (``?created={id}``), a save (``?saved={id}``) or
    a delete (``?deleted=1``) it says what was done, after a retry
    (``?acknowledged={installation_id}``) what the platform was told."""
    db = state_of(request).db
    notice = _connection_notice(db, request.query_params)
    removed = request.query_params.get("user_removed", "")
    if removed.isascii() and removed.isdigit() and len(removed) <= 19:
        notice = (f"User {removed} removed, and its sessions ended; its e-mail address, if it"
                  " had one, is free again.")
    acknowledged = request.query_params.get("acknowledged")
    if acknowledged and db.installations.get(acknowledged) is not None:
        notice = _acknowledged_notice(acknowledged, db.acknowledgements.of(acknowledged))
    return _page(request, notice=notice)


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
        return _page(request, status=400, values=fields, errors=exc.errors)
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
        return _stale(request, exc)
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
        return _stale(request, exc)
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


def message(request: Request, status: int, title: str, message: str) -> Response:
    return templates.TemplateResponse(
        request, "message.html",
        {"title": title, "message": message, "link": "/admin",
         "link_text": "Back to the admin page"},
        status_code=status,
    )


async def acknowledge_installation(request: Request) -> Response:
    """Retry what the platform was not told of an installation, then show the admin page."""
    fields = await form_fields(request)
    if isinstance(fields, Response):
        return fields
    rp = state_of(request)
    installation_id = request.path_params["installation_id"]
    installation = rp.db.installations.get(installation_id)
    if installation is None:
        return message(request, 404, "Not found", "No such installation.")
    if not installation.active:
        return message(request, 409, "Uninstalled", "This installation is uninstalled: the "
                        "platform has nothing to acknowledge.")
    await retry(rp, installation)
    return RedirectResponse(f"/admin?acknowledged={quote(installation_id, safe='')}",
                            status_code=303)


async def error_page(request: Request) -> Response:
    record = state_of(request).db.errors.get(request.path_params["ref"])
    if record is None:
        return templates.TemplateResponse(
            request,
            "message.html",
            {"title": "Not found", "message": "No error with this reference.", "link": "/admin",
             "link_text": "Back to the admin page"},
            status_code=404,
        )
    return render_with_csrf(request, "error_detail.html", {"record": record})


routes = [
    Route("/admin", requires_session(admin_page), methods=["GET"]),
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
    Route("/admin/errors/{ref}", requires_session(error_page), methods=["GET"]),
    Route("/admin/installations/{installation_id}/acknowledge",
          requires_session(acknowledge_installation), methods=["POST"]),
]
