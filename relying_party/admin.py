"""Admin HTML pages: the admin page (SSO connections, installations, local users, the error
log), what every admin form shares (its CSRF check and the message page answering it), the
retry of an installation's acknowledgements and an error's detail page.

A connection's own forms (add, edit, enable, disable, delete) are in
:mod:`relying_party.connection_pages`, a user's Remove in :mod:`relying_party.user_admin`. An
installation's row shows what the platform was told of it, and a form retries what did not
succeed (:mod:`relying_party.acknowledgements`).

Every page and form needs an admin session (:mod:`relying_party.admin_auth`)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from .acknowledgements import APPROVAL, CREDENTIALS, due, retry
from .admin_auth import requires_session
from .connection_admin import connection_health
from .connections import APPS, discovery_url_for, frontchannel_logout_url, sign_in_urls
from .db import AckKind, Acknowledgement, Database
from .inputs import ascii_digits
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


def page(
    request: Request,
    *,
    status: int = 200,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    notice: str | None = None,
) -> Response:
    """The admin page; with the add form's ``values`` and ``errors`` when it is shown again."""
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


_VERSION = re.compile(r"[0-9]{1,12}")


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
    if ascii_digits(removed, max_digits=19):
        notice = (f"User {removed} removed, and its sessions ended; its e-mail address, if it"
                  " had one, is free again.")
    acknowledged = request.query_params.get("acknowledged")
    if acknowledged and db.installations.get(acknowledged) is not None:
        notice = _acknowledged_notice(acknowledged, db.acknowledgements.of(acknowledged))
    return page(request, notice=notice)



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
    Route("/admin/errors/{ref}", requires_session(error_page), methods=["GET"]),
    Route("/admin/installations/{installation_id}/acknowledge",
          requires_session(acknowledge_installation), methods=["POST"]),
]
